// The live peer set of the TCP peer transport (setPeers, after a reconfig), over real loopback
// sockets: a removed id's link closes with 'closed' and its redials are refused, frames for it
// are dropped; an added id links; a changed address closes the link and the next send reaches
// the replica at the new address, never the old one.
import { afterEach, describe, expect, it } from 'vitest';
import type { TcpPeerAddress } from '../../transport/tcp-peer.js';
import type { CloseCause } from '../../transport/transport.js';
import { Cluster, sleep, waitFor } from './tcp-peer-support.js';

let clusters: Cluster[] = [];

afterEach(() => {
  for (const cluster of clusters) cluster.close();
  clusters = [];
});

function newCluster(): Cluster {
  const cluster = new Cluster();
  clusters.push(cluster);
  return cluster;
}

function addressOf(cluster: Cluster, id: number): TcpPeerAddress {
  const address = cluster.peers.get(id);
  if (address === undefined) throw new Error(`no address for ${id}`);
  return address;
}

async function exchange(cluster: Cluster, first: number, second: number, tag: string) {
  cluster.send(first, second, `${tag} out`);
  await waitFor(() => cluster.has(`${second} frame ${first} ${tag} out`), `${tag}: out`);
  cluster.send(second, first, `${tag} back`);
  await waitFor(() => cluster.has(`${first} frame ${second} ${tag} back`), `${tag}: back`);
}

describe('tcp peer transport setPeers', () => {
  it('closes a removed id\'s link, refuses its redials and drops frames for it', async () => {
    const cluster = newCluster();
    for (const id of [1, 2, 3]) await cluster.start(id);
    await exchange(cluster, 1, 2, 'up');
    await exchange(cluster, 1, 3, 'up');
    const one = cluster.transport(1);
    const causes: Array<{ peer: number } & CloseCause> = [];
    one.on('disconnected', (peer, cause) => causes.push({ peer, ...cause }));
    one.setPeers(new Map([[3, addressOf(cluster, 3)]]));
    // Never from inside the call: the host may call it from a transition.
    expect(causes).toEqual([]);
    await waitFor(() => cluster.has('1 disconnected 2 closed'), 'the removed link to close');
    const removed = { reason: 'closed', detail: 'removed from the configuration' };
    expect(causes).toEqual([{ peer: 2, ...removed }]);
    await waitFor(() => cluster.has('2 disconnected 1 closed'), 'the removed replica to hear it');
    // 2 still has 1 in its configuration and redials (the higher id dials): refused each time.
    const refusedBefore = one.statistics.handshakesRefused;
    await waitFor(() => one.statistics.handshakesRefused >= refusedBefore + 2, 'refused redials');
    expect(cluster.logs.get(2)?.join('\n')).toContain('refused: unknownId');
    expect(cluster.count('1 connected 2')).toBe(1);
    expect(one.linkState(2).state).toBe('idle');
    const lostBefore = one.statistics.framesLost;
    one.send(2, Buffer.from('to nobody'));
    expect(one.statistics.framesLost).toBe(lostBefore + 1);
    expect(cluster.logs.get(1)?.join('\n')).toContain('frame for an unknown peer dropped');
    await exchange(cluster, 1, 3, 'untouched');
    expect(cluster.lines.filter((line) => line.includes('disconnected') && line.includes('3')))
      .toEqual([]);
  });

  it('links an id setPeers adds, which it refused before', async () => {
    const cluster = newCluster();
    await cluster.start(1);
    await cluster.start(2);
    const one = cluster.transport(1);
    one.setPeers(new Map([[2, addressOf(cluster, 2)]]));
    await cluster.start(3);
    one.send(3, Buffer.from('too early'));
    expect(one.statistics.framesLost).toBe(1);
    cluster.send(3, 1, 'knock');
    await waitFor(() => one.statistics.handshakesRefused >= 1, 'the unknown id to be refused');
    expect(cluster.has('1 connected 3')).toBe(false);
    one.setPeers(new Map([[2, addressOf(cluster, 2)], [3, addressOf(cluster, 3)]]));
    cluster.send(1, 3, 'welcome');
    await waitFor(() => cluster.has('3 frame 1 welcome'), 'the added id to link');
    await exchange(cluster, 1, 3, 'both ways');
    expect(one.linkState(3)).toMatchObject({ state: 'connected', joining: false, version: 5 });
  });

  it('relinks to a changed address on the next send, and not to the old one', async () => {
    // 1 moves: the old replica at the old address stays up, as a stale process might.
    const before = newCluster();
    await before.start(1);
    await before.start(2);
    await exchange(before, 2, 1, 'old');
    const after = newCluster();
    after.peers.set(2, addressOf(before, 2));
    await after.start(1);
    const two = before.transport(2);
    two.setPeers(new Map([[1, addressOf(after, 1)]]));
    await waitFor(() => before.has('2 disconnected 1 closed'), 'the old link to close');
    await waitFor(() => before.has('1 disconnected 2 closed'), 'the old replica to hear it');
    two.send(1, Buffer.from('moved'));
    await waitFor(() => after.has('1 frame 2 moved'), 'the new address to be reached');
    after.send(1, 2, 'from the new place');
    await waitFor(() => before.has('2 frame 1 from the new place'), 'a frame back');
    await sleep(100);
    const oldFrames = before.lines.filter((line) => line.startsWith('1 frame'));
    expect(oldFrames).toEqual(['1 frame 2 old out']);
    expect(before.count('1 connected 2')).toBe(1);
    expect(two.linkState(1)).toMatchObject({ state: 'connected', version: 5 });
  });

  it('keeps a link whose address setPeers repeats', async () => {
    const cluster = newCluster();
    await cluster.start(1);
    await cluster.start(2);
    await exchange(cluster, 1, 2, 'up');
    cluster.transport(1).setPeers(new Map([[2, { ...addressOf(cluster, 2) }]]));
    await exchange(cluster, 1, 2, 'still');
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
  });
});
