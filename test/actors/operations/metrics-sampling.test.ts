// The figures corral measures as ZooKeeper 3.8 does, one rule at a time: the leader's ack_latency
// (sampled zxids, each voter's ACK until the commit), leader.ackLoggingFrequency as zoo.cfg gives
// it, the learner syncs in flight, the top-level namespace of a path, and the bytes a read
// moves (DataTree.updateReadStat).
import { describe, expect, it } from 'vitest';
import { parseZooCfg } from '../../../actors/config/config.js';
import {
  countLogged,
  countSync,
  RoleMetrics,
} from '../../../actors/replica/replica-metrics.js';
import { ServerMetrics } from '../../../actors/server/statistics.js';
import { observeRead, topNamespace } from '../../../actors/server/tree-metrics.js';
import type { RoleAnnouncement } from '../../../machines/replica-context.js';
import type { Txn } from '../../../protocol/txn.js';

const leading: RoleAnnouncement = { state: 'leading', leaderId: 1, epoch: 1, serving: true };
const epochBase = 2 ** 32;

function txn(zxid: number, time: number): Txn {
  return { zxid, time, sessionId: 0n, cxid: 0, body: { type: 'error', err: 0 } };
}

/** A leader (id 1) sampling every `frequency`th zxid, its clock at `now.ms`, having applied up
 * to `applied.zxid`. */
function leader(frequency: number) {
  const metrics = new ServerMetrics(() => 0.5);
  const now = { ms: 0 };
  const applied = { zxid: 0 };
  const role = new RoleMetrics(metrics, () => now.ms, leading,
    { myId: 1, frequency, appliedZxid: () => applied.zxid });
  const byVoter = () => Object.fromEntries([...metrics.summarySets.ack_latency.byKey]
    .map(([voter, summary]) => [voter, { count: summary.count, sum: summary.sum }]));
  return { metrics, now, applied, role, byVoter };
}

describe('ack_latency (Leader.processAck)', () => {
  it('observes each voter\'s ACK of a sampled proposal until it commits', () => {
    const { metrics, now, applied, role, byVoter } = leader(1);
    countLogged(metrics, leading, [txn(epochBase + 1, 100), txn(epochBase + 2, 110)], 110);
    now.ms = 130;
    // The leader's own log durable (its own ACK), then voter 2's ACK covering both.
    role.delivered({ type: 'storage.appended', zxid: epochBase + 2 });
    now.ms = 150;
    role.delivered({ type: 'peer.ack', from: 2, message: { type: 'ack', zxid: epochBase + 2 } });
    // Committed and applied: voter 3's late ACK is not observed, as ZooKeeper returns first.
    applied.zxid = epochBase + 2;
    role.delivered({ type: 'peer.ack', from: 3, message: { type: 'ack', zxid: epochBase + 2 } });
    expect(byVoter()).toEqual({ 1: { count: 2, sum: 30 + 20 }, 2: { count: 2, sum: 50 + 40 } });
    expect(metrics.ackSamples.size).toBe(0);
  });

  it.each([
    [1000, 1], [1, 3], [0, 0], [-1, 0],
  ])('samples zxids that are multiples of leader.ackLoggingFrequency=%i (%i of 3)',
    (frequency, sampled) => {
      const { metrics } = leader(frequency);
      // zxids 0x100000000 + 703..705: only the 704th is a multiple of 1000 (2^32 ≡ 296).
      countLogged(metrics, leading, [703, 704, 705].map((counter) =>
        txn(epochBase + counter, 0)), 0);
      expect(metrics.ackSamples.size).toBe(sampled);
    });

  it('forgets a leadership\'s proposals when it stops leading', () => {
    const { metrics, role } = leader(1);
    countLogged(metrics, leading, [txn(epochBase + 1, 0)], 0);
    role.announced(leading, { state: 'looking', leaderId: null, epoch: 1, serving: false });
    expect(metrics.ackSamples.size).toBe(0);
  });

  it('reads leader.ackLoggingFrequency from zoo.cfg (ZooKeeper\'s default 1000)', () => {
    const base = 'clientPort=2181\ndataDir=/tmp/corral\n';
    expect(parseZooCfg(`${base}leader.ackLoggingFrequency=1\n`, 'zoo.cfg').config
      .ackLoggingFrequency).toBe(1);
    expect(() => parseZooCfg(`${base}leader.ackLoggingFrequency=often\n`, 'zoo.cfg'))
      .toThrow(/leader\.ackLoggingFrequency/);
  });
});

describe('inflight_snap_count / inflight_diff_count (LearnerHandler)', () => {
  it('observes the syncs of a kind in progress as each begins and is acknowledged', () => {
    const { metrics, role } = leader(0);
    const figures = (name: 'inflight_snap_count' | 'inflight_diff_count') =>
      ({ count: metrics.summaries[name].count, sum: metrics.summaries[name].sum });
    const sync = { committedZxid: 0, throughZxid: 0 };
    countSync(metrics, { to: 2, plan: { mode: 'diff', afterZxid: 0 }, ...sync });
    countSync(metrics, { to: 3, plan: { mode: 'trunc', truncateToZxid: 0 }, ...sync });
    countSync(metrics, { to: 4, plan: { mode: 'snap' }, ...sync });
    // Learner 2 acknowledges NEWLEADER; learner 3 goes away mid-sync (not observed).
    role.delivered({ type: 'peer.ack', from: 2, message: { type: 'ack', zxid: 0 } });
    role.delivered({ type: 'peer.disconnected', peer: 3 });
    role.delivered({ type: 'peer.ack', from: 4, message: { type: 'ack', zxid: 0 } });
    // DIFF (TRUNC counts as one): 1, 2 as they begin, then 1 left when 2 is acknowledged.
    expect(figures('inflight_diff_count')).toEqual({ count: 3, sum: 1 + 2 + 1 });
    expect(figures('inflight_snap_count')).toEqual({ count: 2, sum: 1 + 0 });
    expect(metrics.syncsInFlight.size).toBe(0);
  });
});

describe('per-namespace figures (DataTree.update*Stat)', () => {
  it.each([
    ['/', undefined], ['/a', 'a'], ['/a/b/c', 'a'], ['/zookeeper/config', 'zookeeper'],
  ])('takes the namespace of %s as %s', (path, namespace) => {
    expect(topNamespace(path)).toBe(namespace);
  });

  it('counts a found read\'s path, data or child names and the Stat\'s 68 bytes', () => {
    const metrics = new ServerMetrics(() => 0.5);
    const stat = { czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0,
      aversion: 0, ephemeralOwner: 0n, dataLength: 3, numChildren: 2, pzxid: 0 };
    observeRead(metrics, { kind: 'getData', path: '/app/x', watch: false }, 0,
      { kind: 'data', data: Buffer.from('abc'), stat });
    observeRead(metrics, { kind: 'getChildren', path: '/app', watch: false }, 0,
      { kind: 'children', children: ['x', 'yy'] });
    observeRead(metrics, { kind: 'exists', path: '/app/x', watch: false }, 0,
      { kind: 'stat', stat });
    // Not found: not counted.
    observeRead(metrics, { kind: 'getData', path: '/app/none', watch: false }, -101,
      { kind: 'none' });
    // A multiRead's ops, each as the read it is; a failed op is not counted.
    observeRead(metrics, { kind: 'multiRead', ops: [
      { kind: 'getData', path: '/app/x', watch: false },
      { kind: 'getData', path: '/app/none', watch: false },
    ] }, 0, { kind: 'multi', results: [
      { kind: 'getData', data: Buffer.from('abc'), stat }, { kind: 'error', err: -101 },
    ] });
    const app = metrics.summarySets.read_per_namespace.byKey.get('app')!;
    expect({ count: app.count, sum: app.sum }).toEqual({ count: 4,
      sum: (6 + 3 + 68) + (4 + 3 + 68) + (6 + 0 + 68) + (6 + 3 + 68) });
  });
});
