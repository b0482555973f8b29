// Weighted and hierarchical quorums (zoo.cfg weight.N / group.N) over the cluster harness: real
// replica hosts, storage over simulated disks, a simulated network. Who leads, which losses stop
// writes and which do not, and a partition that cuts off the heaviest replica.
import { describe, expect, it } from 'vitest';
import { hierarchicalRule, type QuorumRule } from '../../machines/quorum.js';
import { Cluster, createTxnBody } from '../../sim/cluster.js';
import { createSessionBody } from '../../sim/cluster-support.js';

/** group.1=1:2:3 weight.1=3: replica 1 holds 3 of 5, a quorum alone; 2 and 3 together are not. */
const heavyOne = hierarchicalRule([{ id: 1, members: [1, 2, 3] }], { 1: 3 });

async function establishedCluster(quorum: QuorumRule, voters: number[]) {
  const cluster = new Cluster({ voters, quorum, seed: 7 });
  await cluster.startAll();
  const leaderId = await cluster.stabilize();
  await cluster.openSession();
  return { cluster, leaderId };
}

/**
 * Submits one create to the serving leader and lets `ms` pass; true if the node exists. The
 * harness's session is opened again first: nothing pings it, so it expires across long waits.
 */
async function commits(cluster: Cluster, path: string, ms = 3_000): Promise<boolean> {
  const leaderId = cluster.leaderId();
  if (leaderId === undefined) return false;
  cluster.submit(createSessionBody());
  if (!cluster.submit(createTxnBody(path))) return false;
  await cluster.run(ms);
  return cluster.running().includes(leaderId) && cluster.replica(leaderId).tree.hasNode(path);
}

function servingLeaders(cluster: Cluster): number[] {
  return cluster.running().filter((id) => {
    const role = cluster.replica(id).role;
    return role.state === 'leading' && role.serving;
  });
}

describe('weighted quorum: group.1=1:2:3, weight.1=3', () => {
  it('elects the best weighted vote, and replica 1 must be among its supporters', async () => {
    const { cluster, leaderId } = await establishedCluster(heavyOne, [1, 2, 3]);
    expect(leaderId).toBe(3);
    expect(await commits(cluster, '/all-up')).toBe(true);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('keeps committing without a light replica, and stops without the heavy one', async () => {
    const { cluster } = await establishedCluster(heavyOne, [1, 2, 3]);
    cluster.crash(2);
    expect(await commits(cluster, '/without-2')).toBe(true);
    await cluster.start(2);
    await cluster.stabilize();
    cluster.crash(1);
    await cluster.run(15_000);
    // 2 and 3 weigh 2 of 5: no leader serves, and nothing commits.
    expect(servingLeaders(cluster)).toEqual([]);
    expect(await commits(cluster, '/without-1')).toBe(false);
    await cluster.start(1);
    await cluster.stabilize();
    expect(await commits(cluster, '/back')).toBe(true);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('serves on the heavy side of a partition alone; the light side elects nobody', async () => {
    const { cluster } = await establishedCluster(heavyOne, [1, 2, 3]);
    for (const other of [2, 3]) cluster.network.partition(1, other, 'both');
    await cluster.run(20_000);
    expect(servingLeaders(cluster)).toEqual([1]);
    expect(await commits(cluster, '/heavy-side')).toBe(true);
    for (const id of [2, 3]) expect(cluster.replica(id).role.serving).toBe(false);
    cluster.network.healAll();
    await cluster.stabilize();
    await cluster.settle();
    for (const id of [2, 3]) expect(cluster.replica(id).tree.hasNode('/heavy-side')).toBe(true);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('never elects a replica of weight 0 (group.1=1:2:3, weight.3=0)', async () => {
    const silentThird = hierarchicalRule([{ id: 1, members: [1, 2, 3] }], { 3: 0 });
    const { cluster, leaderId } = await establishedCluster(silentThird, [1, 2, 3]);
    expect(leaderId).toBe(2);
    expect(cluster.replica(3).role.state).toBe('following');
    // 3 weighs nothing: without 1, 2 and 3 are no quorum.
    cluster.crash(1);
    expect(await commits(cluster, '/without-1', 15_000)).toBe(false);
  });
});

describe('hierarchical quorum: group.1=1:2 group.2=3:4 group.3=5', () => {
  const groups = hierarchicalRule([
    { id: 1, members: [1, 2] },
    { id: 2, members: [3, 4] },
    { id: 3, members: [5] },
  ]);

  it('survives losing a whole group, not one server from each of two', async () => {
    const { cluster } = await establishedCluster(groups, [1, 2, 3, 4, 5]);
    cluster.crash(1);
    cluster.crash(2);
    await cluster.run(15_000);
    expect(await commits(cluster, '/without-group-1')).toBe(true);
    await cluster.start(1);
    await cluster.start(2);
    await cluster.stabilize();
    // 1, 2 and 4 run: a majority of 5 servers, but only group 1 holds more than half its weight.
    cluster.crash(3);
    cluster.crash(5);
    await cluster.run(15_000);
    expect(servingLeaders(cluster)).toEqual([]);
    expect(cluster.checkInvariants()).toEqual([]);
  });
});
