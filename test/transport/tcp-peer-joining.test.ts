// Replicas joining by reconfig over real loopback sockets: with acceptJoining, a version 5 hello
// from an id outside the configuration links once the replica at its advertised address vouches
// for it (both ways, either id higher, and under quorum SASL as a member would be); without it,
// or at version 4, it is refused. An advertised address never vouches for a configured id, at
// most joiningMax ids join at once, and a joiner is forgotten when its link ends.
import { afterEach, describe, expect, it } from 'vitest';
import { digestMd5PeerAuthenticator } from '../../actors/replica/quorum-sasl.js';
import type { TcpPeerAddress } from '../../transport/tcp-peer.js';
import { Cluster, loopback, waitFor } from './tcp-peer-support.js';

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

function logOf(cluster: Cluster, id: number): string {
  return (cluster.logs.get(id) ?? []).join('\n');
}

/**
 * Members `ids` that know only each other (1 with acceptJoining unless told otherwise); any
 * replica started later with the cluster's own map knows them and itself: a joiner.
 */
async function ensemble(
  ids: number[],
  joining: Record<number, object> = { [ids[0] as number]: { acceptJoining: true } },
): Promise<{ cluster: Cluster; members: Map<number, TcpPeerAddress> }> {
  const cluster = newCluster();
  const members = new Map<number, TcpPeerAddress>();
  for (const id of ids) {
    const transport = await cluster.start(id, joining[id] ?? {}, members);
    members.set(id, transport.address);
  }
  return { cluster, members };
}

describe('tcp peer transport, joining replicas', () => {
  it('links a joiner with acceptJoining, refuses it without, forgets it on leaving', async () => {
    const { cluster } = await ensemble([1, 2]);
    await cluster.start(3);
    const one = cluster.transport(1);
    cluster.send(3, 1, 'join');
    await waitFor(() => cluster.has('1 frame 3 join'), 'the joiner to link');
    expect(one.linkState(3)).toMatchObject({
      state: 'connected', direction: 'inbound', joining: true, version: 5,
    });
    expect(one.peerVersion(3)).toBe(5);
    expect(one.statistics.joiningLinks).toBe(1);
    cluster.send(1, 3, 'welcome aboard');
    await waitFor(() => cluster.has('3 frame 1 welcome aboard'), 'a frame to the joiner');
    // 2 has no acceptJoining: the joiner is an unknown id there, as before reconfig.
    cluster.send(3, 2, 'knock');
    await waitFor(() => cluster.transport(2).statistics.handshakesRefused >= 1, 'the refusal');
    // The dialer logs the refusal when it reads it, after the refusing side counted it.
    await waitFor(() => logOf(cluster, 3).includes('refused: unknownId'), 'the refusal read');
    expect(cluster.has('2 connected 3')).toBe(false);
    cluster.transport(3).close();
    await waitFor(() => cluster.has('1 disconnected 3 peerClosed'), 'the joiner to leave');
    expect(one.linkState(3)).toMatchObject({ state: 'idle', joining: false });
    expect(one.statistics.joiningLinks).toBe(0);
    const lostBefore = one.statistics.framesLost;
    one.send(3, Buffer.from('gone'));
    expect(one.statistics.framesLost).toBe(lostBefore + 1);
    expect(one.statistics.dialAttempts).toBe(0);
  });

  it('refuses a version 4 hello from an id outside the configuration, even with acceptJoining',
    async () => {
      const { cluster } = await ensemble([1]);
      await cluster.start(3, { versionMax: 4 });
      cluster.send(3, 1, 'old joiner');
      await waitFor(() => cluster.transport(1).statistics.handshakesRefused >= 1, 'the refusal');
      // The dialer logs the refusal when it reads it, after the refusing side counted it.
      await waitFor(() => logOf(cluster, 3).includes('refused: unknownId'), 'the refusal read');
      expect(cluster.has('1 connected 3')).toBe(false);
    });

  it('calls a lower joining id back at its advertised address', async () => {
    const { cluster } = await ensemble([5, 6]);
    await cluster.start(2);
    cluster.send(2, 5, 'from below');
    await waitFor(() => cluster.has('5 frame 2 from below'), 'the call-back link');
    expect(cluster.transport(5).linkState(2)).toMatchObject({
      state: 'connected', direction: 'outbound', joining: true,
    });
    expect(cluster.transport(2).linkState(5)).toMatchObject({ direction: 'inbound', version: 5 });
    cluster.send(5, 2, 'and down');
    await waitFor(() => cluster.has('2 frame 5 and down'), 'a frame back');
  });

  it('never verifies a configured id at an advertised address (impersonation)', async () => {
    // 1, 2, 3 linked; 4 configured at 1 but down. Strangers claim 3 and 4, advertising
    // addresses where they themselves listen and would vouch.
    const { cluster, members } = await ensemble([1, 2, 3]);
    members.set(4, { host: loopback, port: 1 });
    cluster.send(1, 2, 'up');
    cluster.send(1, 3, 'up');
    await waitFor(() => cluster.has('2 frame 1 up') && cluster.has('3 frame 1 up'), 'links');
    const strangers = newCluster();
    strangers.peers.set(1, cluster.peers.get(1) as TcpPeerAddress);
    for (const claimed of [3, 4]) {
      await strangers.start(claimed);
      strangers.send(claimed, 1, 'I am a member');
    }
    const one = cluster.transport(1);
    await waitFor(() => /refused: unverified[^]*refused: unverified/.test(
      `${logOf(strangers, 3)}\n${logOf(strangers, 4)}`), 'both strangers to be refused');
    expect(strangers.lines.filter((line) => line.includes('connected'))).toEqual([]);
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
    expect(one.statistics.joiningLinks).toBe(0);
    expect(one.linkState(3)).toMatchObject({ state: 'connected', joining: false });
    cluster.send(3, 1, 'the real 3');
    await waitFor(() => cluster.has('1 frame 3 the real 3'), 'the real link to carry on');
    expect(cluster.lines.filter((line) => line.includes('I am a member'))).toEqual([]);
  });

  it('links at most joiningMax joiners at once; the next is refused busy until one leaves',
    async () => {
      const { cluster } = await ensemble([1], { 1: { acceptJoining: true, joiningMax: 2 } });
      const one = cluster.transport(1);
      for (const joiner of [7, 8]) {
        await cluster.start(joiner);
        cluster.send(joiner, 1, 'in');
        await waitFor(() => cluster.has(`1 frame ${joiner} in`), `joiner ${joiner}`);
      }
      await cluster.start(9);
      cluster.send(9, 1, 'in');
      await waitFor(() => /refused: busy/.test(logOf(cluster, 9)), 'the third to be refused');
      expect(one.statistics.joiningLinks).toBe(2);
      expect(cluster.has('1 connected 9')).toBe(false);
      cluster.transport(7).close();
      // 9 redials after backoff and takes the freed place.
      await waitFor(() => cluster.has('1 connected 9'), 'the third to link');
      cluster.send(9, 1, 'finally');
      await waitFor(() => cluster.has('1 frame 9 finally'), 'its frame');
      expect(one.statistics.joiningLinks).toBe(2);
    });

  it('keeps a joiner\'s link when setPeers names it at the same address', async () => {
    const { cluster, members } = await ensemble([1]);
    await cluster.start(3);
    cluster.send(3, 1, 'join');
    await waitFor(() => cluster.has('1 frame 3 join'), 'the joiner to link');
    const one = cluster.transport(1);
    one.setPeers(new Map([...members, [3, cluster.peers.get(3) as TcpPeerAddress]]));
    expect(one.linkState(3)).toMatchObject({ state: 'connected', joining: false });
    expect(one.statistics.joiningLinks).toBe(0);
    cluster.send(1, 3, 'member now');
    await waitFor(() => cluster.has('3 frame 1 member now'), 'a frame');
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
  });

  it('holds a joiner to quorum SASL as a member: wrong password refused, right one linked',
    async () => {
      const users = new Map([['replica', 'quorumsecret']]);
      const sasl = (password: string) => digestMd5PeerAuthenticator({
        users, learner: { username: 'replica', password }, serverRequired: true,
        learnerRequired: true,
      });
      const { cluster } = await ensemble([1], {
        1: { acceptJoining: true, peerAuth: sasl('quorumsecret') },
      });
      await cluster.start(3, { peerAuth: sasl('guess') });
      await cluster.start(4, { peerAuth: sasl('quorumsecret') });
      cluster.send(3, 1, 'no password');
      cluster.send(4, 1, 'password');
      await waitFor(() => cluster.has('1 frame 4 password'), 'the authenticated joiner');
      await waitFor(() => /refused: authFailed/.test(logOf(cluster, 3)), 'the wrong password');
      expect(cluster.has('1 connected 3')).toBe(false);
    });
});
