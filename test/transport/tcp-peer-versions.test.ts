// Peer wire version negotiation over real loopback sockets, for rolling upgrades: two replicas
// of this release link at version 5; one of them at versionMax 4 (as the previous release
// behaves) links with the other at 4 whichever end dials — a newer dialer is refused badVersion
// and redials one version lower, and the verify each acceptor sends is answered across versions.
// A replica restarted at the newer version relinks at 5.
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, RawPeer, sleep, waitFor } from './tcp-peer-support.js';

let cluster: Cluster;

afterEach(() => {
  cluster?.close();
});

/** Frames one way then the other, so both ends have seen the link carry data. */
async function exchange(first: number, second: number, tag: string): Promise<void> {
  cluster.send(first, second, `${tag} out`);
  await waitFor(() => cluster.has(`${second} frame ${first} ${tag} out`), `${tag}: a frame out`);
  cluster.send(second, first, `${tag} back`);
  await waitFor(() => cluster.has(`${first} frame ${second} ${tag} back`), `${tag}: a frame back`);
}

describe('tcp peer wire version negotiation', () => {
  it('links two replicas of this release at version 5', async () => {
    cluster = new Cluster();
    await cluster.start(1);
    await cluster.start(2);
    expect(cluster.transport(1).peerVersion(2)).toBeUndefined();
    await exchange(1, 2, 'v5');
    expect(cluster.transport(1).peerVersion(2)).toBe(5);
    expect(cluster.transport(2).peerVersion(1)).toBe(5);
    expect(cluster.transport(2).linkState(1)).toMatchObject({ state: 'connected', version: 5 });
    expect(cluster.transport(1).statistics.handshakesRefused).toBe(0);
  });

  it.each([
    // [versionMax of 1, versionMax of 2, who sends first, what the case is]
    [4, 5, 1, 'a version 5 dialer (2, the higher id) to a version 4 acceptor'],
    [4, 5, 2, 'the same pair, the version 5 replica sending first'],
    [5, 4, 1, 'a version 4 dialer (2) to a version 5 acceptor, the acceptor sending first'],
    [5, 4, 2, 'a version 4 dialer (2) to a version 5 acceptor'],
  ])('links at 4: 1 at %i, 2 at %i, %i sends first (%s)', async (one, two, first) => {
    cluster = new Cluster();
    await cluster.start(1, { versionMax: one });
    await cluster.start(2, { versionMax: two });
    await exchange(first, first === 1 ? 2 : 1, 'mixed');
    expect(cluster.transport(1).peerVersion(2)).toBe(4);
    expect(cluster.transport(2).peerVersion(1)).toBe(4);
    // The higher id's connection is the one kept, so 2 dialed it, at 4.
    expect(cluster.transport(2).linkState(1)).toMatchObject({ direction: 'outbound', version: 4 });
    const older = one === 4 ? 1 : 2;
    const newer = older === 1 ? 2 : 1;
    // A newer dialer's first hello was refused by the older acceptor, and it said so.
    if (newer === 2) {
      expect(cluster.transport(older).statistics.handshakesRefused).toBeGreaterThanOrEqual(1);
      expect(cluster.logs.get(newer)?.join('\n')).toContain('older wire version');
    }
    expect(cluster.count('1 connected 2')).toBe(1);
    expect(cluster.count('2 connected 1')).toBe(1);
  });

  it('refuses every version but 4 at versionMax 4, as the previous release does', async () => {
    cluster = new Cluster();
    await cluster.start(1, { versionMax: 4 });
    cluster.peers.set(2, { host: '127.0.0.1', port: 1 });
    const raw = await RawPeer.dial(cluster.transport(1).address);
    try {
      raw.hello(2, 1, 5);
      await waitFor(() => raw.closed, 'the refusal');
      expect(raw.received).toEqual([
        { kind: 'refuse', refusal: 'badVersion', detail: 'version 5, not 4' },
      ]);
    } finally {
      raw.socket.destroy();
    }
  });

  it('relinks at 5 once the older replica restarts at the newer version', async () => {
    cluster = new Cluster();
    const backoff = { reconnectBackoffMsBase: 10, reconnectBackoffMsMax: 40 };
    await cluster.start(1, backoff);
    await cluster.start(2, { ...backoff, versionMax: 4 });
    await exchange(1, 2, 'before');
    expect(cluster.transport(1).peerVersion(2)).toBe(4);
    cluster.transport(2).close();
    await waitFor(() => cluster.has('1 disconnected 2 peerClosed'), 'the close');
    expect(cluster.transport(1).peerVersion(2)).toBeUndefined();
    await sleep(20);
    await cluster.start(2, backoff);
    await waitFor(() => cluster.count('1 connected 2') === 2, 'the relink');
    await exchange(1, 2, 'after');
    expect(cluster.transport(1).peerVersion(2)).toBe(5);
    expect(cluster.transport(2).peerVersion(1)).toBe(5);
  });
});
