// Quotas across replicas, on the real replica host over the simulated network and disks: every
// replica keeps the same zookeeper_stats as part of applying the txns, a replica restarted from
// its snapshot and log or synced by SNAP agrees, and the leader's enforceQuota decides a write
// whichever replica the client is connected to (ZooKeeper checks quotas in the leader's prepare).
import { describe, expect, it } from 'vitest';
import type { WriteRequest } from '../../../protocol/requests.js';
import type { TxnBody } from '../../../protocol/txn.js';
import { Cluster } from '../../../sim/cluster.js';
import { createTxnBody } from '../../../sim/cluster-support.js';
import { limitPathOf, statPathOf } from '../../../tree/quota.js';

const auth = { ids: [], superUser: false };

function write(request: WriteRequest, enforceQuota?: boolean): TxnBody {
  return enforceQuota === undefined
    ? { type: 'write', request, auth }
    : { type: 'write', request, auth, enforceQuota };
}

function createRequest(path: string): WriteRequest {
  const body = createTxnBody(path);
  if (body.type !== 'write') throw new Error('createTxnBody made no write');
  return body.request;
}

function setData(path: string, data: string): TxnBody {
  return write({ kind: 'setData', path, data: Buffer.from(data), version: -1 });
}

function remove(path: string): TxnBody {
  return write({ kind: 'delete', path, version: -1 });
}

/** The bodies zkCli's `setquota <limits> /app` sends (SetQuotaCommand.createQuota). */
function setQuotaBodies(limits: string): TxnBody[] {
  return [
    createTxnBody('/zookeeper/quota/app'),
    createTxnBody(limitPathOf('/app'), limits),
    createTxnBody(statPathOf('/app'), 'count=0,bytes=0'),
  ];
}

function statsOn(cluster: Cluster, id: number): string | undefined {
  const tree = cluster.replica(id).core.tree;
  const read = tree.getData(statPathOf('/app'), { ids: [], superUser: true });
  return read.body.kind === 'data' ? read.body.data.toString() : undefined;
}

async function started(seed: number): Promise<{ cluster: Cluster; leader: number;
  followers: number[] }> {
  const cluster = new Cluster({ voters: [1, 2, 3], seed });
  await cluster.startAll();
  const leader = await cluster.stabilize();
  await cluster.openSession();
  return { cluster, leader, followers: cluster.members.filter((id) => id !== leader) };
}

async function submitAll(cluster: Cluster, bodies: TxnBody[], via: number): Promise<void> {
  for (const body of bodies) expect(cluster.submit(body, via)).toBe(true);
  await cluster.run(300);
}

/** 30 creates, 10 setData and 10 deletes under /app: count 21 (with /app), bytes 100. */
function workload(round: string): TxnBody[] {
  const bodies: TxnBody[] = [];
  const path = (index: number) => `/app/${round}${index}`;
  for (let index = 0; index < 30; index++) bodies.push(createTxnBody(path(index), 'ab'));
  for (let index = 0; index < 10; index++) bodies.push(setData(path(index), 'abcdefgh'));
  for (let index = 20; index < 30; index++) bodies.push(remove(path(index)));
  return bodies;
}

describe('quota stats on every replica', () => {
  it('match the leader\'s on each follower, after a SNAP and after every replica restarts',
    async () => {
      const { cluster, leader, followers } = await started(21);
      const [first, second] = followers as [number, number];
      await submitAll(cluster, [createTxnBody('/app'), ...setQuotaBodies('count=100,bytes=-1')],
        first);
      await submitAll(cluster, workload('a'), first);
      const expected = 'count=21,bytes=100';
      for (const id of cluster.members) expect(statsOn(cluster, id)).toBe(expected);

      cluster.crash(second);
      await submitAll(cluster, workload('b'), first);
      expect(await cluster.start(second)).toBe(true);
      await cluster.stabilize();
      await cluster.run(500);
      const afterRestart = 'count=41,bytes=200';
      for (const id of cluster.members) expect(statsOn(cluster, id)).toBe(afterRestart);
      // The log the restarted follower missed was purged: it was brought up to date by SNAP.
      const plans = cluster.replica(leader).syncPlans.filter((plan) => plan.to === second);
      expect(plans.map((plan) => plan.mode)).toContain('snap');

      // The quota is still known after the restore: later writes keep every copy counting.
      // Through the same replica: the cluster's one session lives there (through another it
      // would have moved, and the leader would answer SessionMoved).
      await submitAll(cluster, [createTxnBody('/app/after', 'xyz')], first);
      for (const id of cluster.members) expect(statsOn(cluster, id)).toBe('count=42,bytes=203');
      const digests = new Set([...cluster.digests().values()].map((entry) => entry.digest));
      expect(digests.size).toBe(1);

      // Every replica down and back: each recovers its snapshot and log, and counts on.
      for (const id of cluster.members) cluster.crash(id);
      for (const id of cluster.members) expect(await cluster.start(id)).toBe(true);
      await cluster.stabilize();
      await submitAll(cluster, [remove('/app/after')], first);
      for (const id of cluster.members) expect(statsOn(cluster, id)).toBe('count=41,bytes=200');
      expect(cluster.checkInvariants()).toEqual([]);
    });
});

describe('enforceQuota is the leader\'s', () => {
  it('refuses past a hard limit when the leader enforces, whatever the follower sent',
    async () => {
      const { cluster, leader, followers } = await started(22);
      const [first] = followers as [number];
      await submitAll(cluster, [createTxnBody('/app'),
        ...setQuotaBodies('count=-1,bytes=-1=;countHardLimit=2')], first);
      // A learner's own setting travels no further: this leader does not enforce.
      await submitAll(cluster, [write(createRequest('/app/one'), true)], first);
      expect(cluster.replica(leader).core.tree.hasNode('/app/one')).toBe(true);

      // The leader's settings are the zoo.cfg it started with; here it is switched on in place.
      Object.assign(cluster.replica(leader).core.settings, { enforceQuota: true });
      await submitAll(cluster, [createTxnBody('/app/two')], first);
      for (const id of cluster.members) {
        expect(cluster.replica(id).core.tree.hasNode('/app/two')).toBe(false);
        expect(statsOn(cluster, id)).toBe('count=2,bytes=0');
      }
      expect(cluster.checkInvariants()).toEqual([]);
    });
});
