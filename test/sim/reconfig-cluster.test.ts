// Dynamic reconfiguration over the cluster harness (production's replica host, the real machine,
// real storage logic): joining replicas are synced before they vote, a reconfig activates only
// once a quorum of the old and of the new configuration has it, survivors of the new
// configuration go on without the old members, and a removed leader hands over to the
// successor it designates.
import { describe, expect, it } from 'vitest';
import { Cluster, createTxnBody } from '../../sim/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { memberIdsOf, participantsOf } from '../../protocol/membership.js';
import type { ReconfigRequestBody } from '../../protocol/txn.js';

const superUser = { ids: [{ scheme: 'super', id: 'super' }], superUser: true };

function reconfig(change: Partial<ReconfigRequestBody>): ReconfigRequestBody {
  return {
    type: 'reconfigRequest',
    joining: null,
    leaving: null,
    newMembers: null,
    fromConfig: -1,
    auth: superUser,
    authorized: true,
    ...change,
  };
}

const joinLine = (id: number) => `server.${id}=replica-${id}:2888:3888:participant;2181`;

/** Every running replica's active voters, as one string per replica. */
function votersByReplica(cluster: Cluster): Record<number, string> {
  return Object.fromEntries(cluster.running().map((id) => {
    const membership = cluster.replica(id).host.activeMembership;
    return [id, participantsOf(membership).join(',')];
  }));
}

/** The outcome the last txn at `zxid` had on replica `id` (the reconfig's answer). */
function txnAt(cluster: Cluster, id: number, zxid: number) {
  return cluster.replica(id).host.loggedHistory().txns.find((txn) => txn.zxid === zxid);
}

async function writes(cluster: Cluster, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    expect(cluster.submit(createTxnBody(`/${prefix}${index}`))).toBe(true);
  }
  await cluster.settle();
}

async function grownCluster(seed: number): Promise<Cluster> {
  const cluster = new Cluster({ voters: [1, 2, 3], spares: [4, 5], seed });
  await cluster.startAll();
  await cluster.stabilize();
  await cluster.openSession();
  await writes(cluster, 'before', 5);
  expect(cluster.submit(reconfig({ joining: `${joinLine(4)},${joinLine(5)}` }))).toBe(true);
  await cluster.run(200);
  await cluster.stabilize();
  return cluster;
}

describe('reconfig over the cluster harness', () => {
  it('syncs joining replicas before they vote, then adds them', async () => {
    const cluster = await grownCluster(1);
    expect(Object.values(votersByReplica(cluster))).toEqual(Array(5).fill('1,2,3,4,5'));
    const version = cluster.replica(1).host.activeMembership.version;
    const txn = txnAt(cluster, 1, version);
    expect(txn?.body.type).toBe('reconfig');
    // Every replica's tree says the same, with ZooKeeper's version line.
    for (const id of cluster.running()) {
      const data = cluster.replica(id).tree.getConfigData()?.toString('utf8') ?? '';
      expect(data.split('\n')).toContain(`version=${version.toString(16)}`);
      expect(data).toContain('server.5=replica-5:2888:3888:participant;0.0.0.0:2181');
    }
    await writes(cluster, 'after', 5);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('goes on with three of five after the leader and another original die', async () => {
    const cluster = await grownCluster(2);
    const leader = cluster.leaderId()!;
    const other = [1, 2, 3].find((id) => id !== leader)!;
    cluster.crash(leader);
    cluster.crash(other);
    const survivor = await cluster.stabilize();
    expect([4, 5, 1, 2, 3].filter((id) => id !== leader && id !== other)).toContain(survivor);
    await writes(cluster, 'three', 3);
    expect(cluster.submit(reconfig({ leaving: `${leader},${other}` }))).toBe(true);
    await cluster.run(200);
    await cluster.stabilize();
    for (const id of cluster.running()) {
      expect(memberIdsOf(cluster.replica(id).host.activeMembership))
        .toEqual([1, 2, 3, 4, 5].filter((member) => member !== leader && member !== other));
    }
    await writes(cluster, 'shrunk', 3);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('hands leadership to the successor it designates when the leader is removed', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3], seed: 3, reconfigEnabled: true });
    await cluster.startAll();
    const leader = await cluster.stabilize();
    await cluster.openSession();
    await writes(cluster, 'x', 3);
    const epochs = cluster.leadersByEpoch.size;
    expect(cluster.submit(reconfig({ leaving: String(leader) }))).toBe(true);
    await cluster.run(200);
    const next = await cluster.stabilize();
    expect(next).not.toBe(leader);
    expect(cluster.leadersByEpoch.size).toBe(epochs + 1);
    const remaining = [1, 2, 3].filter((id) => id !== leader);
    expect(participantsOf(cluster.replica(next).host.activeMembership)).toEqual(remaining);
    await writes(cluster, 'y', 3);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('turns a participant into an observer and back (non-incremental newMembers)', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3, 4], seed: 5, reconfigEnabled: true });
    await cluster.startAll();
    const leader = await cluster.stabilize();
    await cluster.openSession();
    const swapped = [1, 2, 3, 4].find((id) => id !== leader)!;
    const members = (observer: number | undefined) => [1, 2, 3, 4]
      .map((id) => `server.${id}=replica-${id}:2888:3888:` +
        (id === observer ? 'observer' : 'participant'))
      .join(',');
    expect(cluster.submit(reconfig({ newMembers: members(swapped) }))).toBe(true);
    await cluster.run(200);
    await cluster.stabilize();
    expect(cluster.replica(swapped).role.state).toBe('observing');
    const voters = [1, 2, 3, 4].filter((id) => id !== swapped).join(',');
    expect(Object.values(votersByReplica(cluster))).toEqual(Array(4).fill(voters));
    await writes(cluster, 'observed', 3);
    expect(cluster.submit(reconfig({ newMembers: members(undefined) }))).toBe(true);
    await cluster.run(200);
    await cluster.stabilize();
    expect(cluster.replica(swapped).role.state).toBe('following');
    expect(Object.values(votersByReplica(cluster))).toEqual(Array(4).fill('1,2,3,4'));
    await writes(cluster, 'followed', 3);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('a leader that dies with a reconfig proposed leaves it to its successor to settle',
    async () => {
      const cluster = new Cluster({ voters: [1, 2, 3], spares: [4, 5], seed: 6 });
      await cluster.startAll();
      const leader = await cluster.stabilize();
      await cluster.openSession();
      await writes(cluster, 'before', 3);
      expect(cluster.submit(reconfig({ joining: `${joinLine(4)},${joinLine(5)}` }))).toBe(true);
      await cluster.runTurn(leader);
      // The PROPOSAL reaches every follower and is made durable there; no ACK gets back.
      const others = cluster.running().filter((id) => id !== leader);
      for (const id of others) {
        cluster.deliver(leader, id, 100);
        await cluster.runTurn(id);
        await cluster.flush(id);
      }
      const seen = others.map((id) => cluster.replica(id).actor.getSnapshot().context);
      expect(seen.every((context) => context.lastSeenConfig !== null)).toBe(true);
      expect(seen.every((context) => context.quorum.kind === 'joint')).toBe(true);
      cluster.crash(leader);
      await cluster.stabilize();
      await cluster.run(500);
      await cluster.stabilize();
      for (const id of cluster.running()) {
        expect(participantsOf(cluster.replica(id).host.activeMembership)).toEqual([1, 2, 3, 4, 5]);
        expect(cluster.replica(id).actor.getSnapshot().context.lastSeenConfig).toBeNull();
      }
      await writes(cluster, 'after', 3);
      expect(cluster.checkInvariants()).toEqual([]);
    });

  it('refuses what ZooKeeper refuses, each as an error txn', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3], seed: 4, reconfigEnabled: true });
    await cluster.startAll();
    const leader = await cluster.stabilize();
    await cluster.openSession();
    const cases: Array<[Partial<ReconfigRequestBody>, number]> = [
      [{ fromConfig: 77 }, ErrorCode.badVersion],
      [{ leaving: '1,2' }, ErrorCode.badArguments],
      [{ joining: 'server.9=replica-9:2888:3888' }, ErrorCode.badArguments],
      [{ joining: [7, 8, 9].map(joinLine).join(',') }, ErrorCode.newConfigNoQuorum],
      [{ leaving: '3', authorized: false }, ErrorCode.noAuth],
    ];
    for (const [change, err] of cases) {
      const before = cluster.replica(leader).host.loggedHistory().txns.length;
      expect(cluster.submit(reconfig(change))).toBe(true);
      await cluster.settle();
      const txns = cluster.replica(leader).host.loggedHistory().txns;
      expect(txns.length).toBe(before + 1);
      expect(txns[txns.length - 1]?.body).toEqual({ type: 'error', err });
    }
    expect(Object.values(votersByReplica(cluster))).toEqual(Array(3).fill('1,2,3'));
    expect(cluster.checkInvariants()).toEqual([]);
  });
});
