// Whole ensembles of replica machines over the cluster harness (sim/cluster.ts): election,
// discovery, synchronization (DIFF, TRUNC, SNAP) and broadcast, crashes and quorum loss.
import { describe, expect, it } from 'vitest';
import { makeZxid } from '../../protocol/zxid.js';
import { Cluster, createTxnBody } from '../../sim/cluster.js';
import { runEpochPromise } from './epoch-promise-scenario.js';

function writeMany(cluster: Cluster, prefix: string, count: number, via?: number): void {
  for (let index = 0; index < count; index++) {
    expect(cluster.submit(createTxnBody(`${prefix}${index}`), via)).toBe(true);
  }
}

function expectConverged(cluster: Cluster): void {
  const digests = [...cluster.digests().values()];
  expect(new Set(digests.map((entry) => entry.zxid)).size).toBe(1);
  expect(new Set(digests.map((entry) => entry.digest)).size).toBe(1);
  expect(cluster.checkInvariants()).toEqual([]);
}

describe.each([
  ['R=3', [1, 2, 3]],
  ['R=5', [1, 2, 3, 4, 5]],
])('replica ensemble (%s)', (_size, voters) => {
  it('establishes one leader and brings every follower to broadcast', async () => {
    const cluster = new Cluster({ voters });
    await cluster.startAll();
    const leaderId = await cluster.stabilize();
    expect(leaderId).toBe(Math.max(...voters));
    for (const id of voters) {
      const role = cluster.replica(id).role;
      expect(role.state).toBe(id === leaderId ? 'leading' : 'following');
      expect(role.epoch).toBe(1);
      expect(cluster.replica(id).storage.epochs.currentEpoch()).toBe(1);
    }
  });

  it('commits writes everywhere in one order with identical trees', async () => {
    const cluster = new Cluster({ voters });
    await cluster.startAll();
    await cluster.stabilize();
    await cluster.openSession();
    writeMany(cluster, '/a', 10);
    writeMany(cluster, '/b', 5, voters[0]);
    await cluster.settle();
    expectConverged(cluster);
    expect(cluster.ledger.size).toBe(16);
    expect(cluster.replica(voters[0] as number).tree.lastZxid).toBe(makeZxid(1, 16));
    for (const id of voters) expect(cluster.replica(id).tree.hasNode('/b4')).toBe(true);
  });
});

describe('replica synchronization (R=3)', () => {
  const voters = [1, 2, 3];

  async function establishedCluster() {
    const cluster = new Cluster({ voters });
    await cluster.startAll();
    const leaderId = await cluster.stabilize();
    await cluster.openSession();
    writeMany(cluster, '/before', 2);
    await cluster.settle();
    return { cluster, leaderId };
  }

  it('catches up a follower that missed commits by DIFF', async () => {
    const { cluster, leaderId } = await establishedCluster();
    cluster.crash(1);
    writeMany(cluster, '/missed', 4);
    await cluster.settle();
    await cluster.start(1);
    expect((await cluster.stabilize())).toBe(leaderId);
    expect(cluster.replica(leaderId).syncPlans.filter((plan) => plan.to === 1)).toEqual([
      { to: 1, mode: 'diff' },
      { to: 1, mode: 'diff' },
    ]);
    expectConverged(cluster);
    expect(cluster.replica(1).durableLog()).toHaveLength(7);
    expect(cluster.replica(1).tree.hasNode('/missed3')).toBe(true);
  });

  it('truncates an uncommitted tail from a dead leader on TRUNC', async () => {
    const { cluster, leaderId: oldLeader } = await establishedCluster();
    cluster.network.isolate(oldLeader);
    writeMany(cluster, '/uncommitted', 2);
    await cluster.flush(oldLeader);
    expect(cluster.replica(oldLeader).durableLog()).toHaveLength(5);
    cluster.crash(oldLeader);
    cluster.network.healAll();
    const newLeader = await cluster.stabilize();
    expect(newLeader).not.toBe(oldLeader);
    writeMany(cluster, '/after', 2);
    await cluster.settle();
    await cluster.start(oldLeader);
    expect((await cluster.stabilize())).toBe(newLeader);
    expect(cluster.replica(newLeader).syncPlans.filter((p) => p.to === oldLeader)).toEqual([
      { to: oldLeader, mode: 'trunc' },
    ]);
    expectConverged(cluster);
    const zxids = cluster.replica(oldLeader).durableLog().map((txn) => txn.zxid);
    const expected = [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2]].map(([epoch, counter]) =>
      makeZxid(epoch as number, counter as number),
    );
    expect(zxids).toEqual(expected);
    expect(cluster.replica(oldLeader).tree.hasNode('/after1')).toBe(true);
    expect(cluster.replica(oldLeader).tree.hasNode('/uncommitted0')).toBe(false);
  });

  it('sends SNAP to a follower whose data dir was wiped', async () => {
    const { cluster, leaderId } = await establishedCluster();
    cluster.crash(2);
    cluster.disk(2).wipe();
    await cluster.start(2);
    await cluster.stabilize();
    expect(cluster.replica(leaderId).syncPlans.filter((p) => p.to === 2).at(-1)).toEqual({
      to: 2,
      mode: 'snap',
    });
    expect(cluster.replica(2).storage.newestSnapshot()?.zxid).toBe(makeZxid(1, 3));
    writeMany(cluster, '/later', 2);
    await cluster.settle();
    expectConverged(cluster);
  });

  it('elects the most recent log after the leader dies; nothing committed is lost', async () => {
    const { cluster, leaderId } = await establishedCluster();
    // Two more proposals reach only follower 1, which logs and ACKs them; then the leader dies.
    writeMany(cluster, '/late', 2);
    await cluster.flush(leaderId);
    cluster.network.deliver(leaderId, 1, 100);
    await cluster.flush(1);
    cluster.network.deliver(1, leaderId, 100);
    const committedBeforeCrash = cluster.ledger.size;
    cluster.crash(leaderId);
    const newLeader = await cluster.stabilize();
    expect(newLeader).toBe(1);
    expect(committedBeforeCrash).toBe(5);
    await cluster.start(leaderId);
    await cluster.stabilize();
    expectConverged(cluster);
    expect(cluster.replica(2).tree.hasNode('/late1')).toBe(true);
  });
});

describe('replica quorum loss (R=5)', () => {
  const voters = [1, 2, 3, 4, 5];

  it('keeps committing with 2 replicas down', async () => {
    const cluster = new Cluster({ voters });
    await cluster.startAll();
    await cluster.stabilize();
    await cluster.openSession();
    cluster.crash(1);
    cluster.crash(2);
    writeMany(cluster, '/w', 5);
    await cluster.run(1_000);
    expectConverged(cluster);
    expect(cluster.ledger.size).toBe(6);
  });

  it('stops committing with 3 replicas down, and nothing is applied on the minority', async () => {
    const cluster = new Cluster({ voters });
    await cluster.startAll();
    const leaderId = await cluster.stabilize();
    await cluster.openSession();
    writeMany(cluster, '/ok', 1);
    await cluster.settle();
    for (const id of voters.filter((id) => id !== leaderId).slice(0, 3)) cluster.crash(id);
    const before = cluster.digests();
    cluster.submit(createTxnBody('/lost'));
    await cluster.run(5_000);
    expect(cluster.ledger.size).toBe(2);
    expect(cluster.digests()).toEqual(before);
    // The leader gave up its quorum and looks, as does the other survivor.
    for (const id of cluster.running()) expect(cluster.replica(id).role.state).toBe('looking');
  });
});

describe('an ensemble of one', () => {
  it('leads itself and commits with a quorum of one', async () => {
    const cluster = new Cluster({ voters: [1] });
    await cluster.startAll();
    expect((await cluster.stabilize())).toBe(1);
    await cluster.openSession();
    writeMany(cluster, '/solo', 2);
    await cluster.settle();
    expect(cluster.ledger.size).toBe(3);
  });
});

describe('observers', () => {
  it('an observer syncs, receives INFORM and converges (3 voters, 1 observer)', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3], observers: [4] });
    await cluster.startAll();
    await cluster.stabilize();
    expect(cluster.replica(4).role.state).toBe('observing');
    await cluster.openSession();
    writeMany(cluster, '/o', 3);
    writeMany(cluster, '/via-observer', 2, 4);
    await cluster.settle();
    expectConverged(cluster);
    expect(cluster.ledger.size).toBe(6);
  });
});

describe('a replica that promised a later epoch than the leader\'s (seeds 301532, 400190)', () => {
  it.each([
    ['a follower', 1, [] as number[]],
    ['an observer', 4, [4]],
  ])('%s refuses the older epoch, paced, and rejoins in a new one',
  async (_what, id, observers) => {
    const { cluster, epochBefore, refusedStates } = await runEpochPromise(id, 7, observers);
    expect(epochBefore).toBe(1);
    const role = observers.length > 0 ? 'observing' : 'following';
    expect(refusedStates).toContain(`${role}.phase.discovery.epochRefused`);
    // Refusing is not a loop: the replica waits for its next tick before it says FOLLOWERINFO
    // again, and that tells the leader to lead again in an epoch the replica can join.
    const leaderId = await cluster.stabilize();
    const leader = cluster.replica(leaderId).role;
    expect(leader.epoch).toBeGreaterThanOrEqual(7);
    expect(cluster.replica(id).role).toMatchObject({ serving: true, leaderId, state: role });
    expect(cluster.replica(id).storage.epochs.acceptedEpoch()).toBe(leader.epoch);
    await cluster.openSession();
    expect(cluster.submit(createTxnBody('/after'))).toBe(true);
    await cluster.settle();
    expect(cluster.replica(id).tree.hasNode('/after')).toBe(true);
    expectConverged(cluster);
  });
});
