// ZooKeeper's Prometheus provider on a real 3-replica corral ensemble: each replica's /metrics
// (a real Prometheus text parser) shows its election, the learners' sync, the leader's proposals
// and commits and the learners' received ones, the leader's gauges on the leader only, corral's
// machine states and peer queues; mntr carries the same figures; a new election counts again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOn, until } from '../../support/ensemble-requests.js';
import { TestEnsemble } from '../../support/ensemble.js';
import { freePorts } from '../../support/ports.js';
import {
  monitor,
  prometheusLines,
  scrape,
  summaryOf,
  valueOf,
  type Scrape,
} from './metrics-support.js';

let ensemble: TestEnsemble;
const metricsPorts = new Map<number, number>();
let leader: number;
let followers: number[];
const writes = 6;

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 3 });
  const ports = await freePorts(3);
  for (const id of ensemble.ids) {
    metricsPorts.set(id, ports[id - 1]!);
    // Node's process metrics are left out here: they are checked standalone.
    const lines = prometheusLines(ports[id - 1]!, ['metricsProvider.exportJvmInfo=false']);
    ensemble.setConfig(id, lines);
  }
  ensemble.startAll();
  leader = await ensemble.waitForLeader();
  followers = ensemble.ids.filter((id) => id !== leader);
  await ensemble.waitForSameZxid();
  for (let index = 0; index < writes; index++) {
    const through = ensemble.ids[index % 3]!;
    expect(await createOn(ensemble.clientPort(through), `/e${index}`)).toBe(0);
  }
  await ensemble.waitForSameZxid();
});

afterAll(async () => {
  await ensemble?.destroy();
});

const scrapeOf = (id: number): Promise<Scrape> => scrape(metricsPorts.get(id)!);

/** corral_machine_state's value for the replica machine in `state`, undefined if unlisted. */
function replicaState(families: Scrape, state: string): number | undefined {
  const sample = families.get('corral_machine_state')?.metrics
    .find((each) => each.labels?.machine === 'replica' && each.labels.state === state);
  return sample === undefined ? undefined : Number(sample.value);
}

describe('Prometheus metrics on a 3-replica ensemble (real processes)', { timeout: 60_000 }, () => {
  it('reports the election, the sync and the broadcast on each replica', async () => {
    const leading = await scrapeOf(leader);
    expect(summaryOf(leading, 'election_time').count).toBeGreaterThanOrEqual(1);
    expect(summaryOf(leading, 'unavailable_time').count).toBeGreaterThanOrEqual(1);
    expect(summaryOf(leading, 'leader_unavailable_time').count).toBeGreaterThanOrEqual(1);
    expect(valueOf(leading, 'looking_count')).toBeGreaterThanOrEqual(1);
    expect(valueOf(leading, 'quorum_size')).toBe(3);
    expect(valueOf(leading, 'learners')).toBe(2);
    expect(valueOf(leading, 'synced_followers')).toBe(2);
    expect(valueOf(leading, 'leader_uptime')).toBeGreaterThan(0);
    // Each write is a proposal and a commit (the sessions' createSession txns are too).
    expect(valueOf(leading, 'proposal_count')).toBeGreaterThanOrEqual(writes);
    expect(valueOf(leading, 'commit_count')).toBeGreaterThanOrEqual(writes);
    // Each commit's time since the leader stamped its txn (the quorum's ACKs came meanwhile).
    expect(summaryOf(leading, 'quorum_ack_latency').count)
      .toBe(valueOf(leading, 'commit_count'));
    expect(summaryOf(leading, 'proposal_latency').count).toBe(0);
    expect(valueOf(leading, 'min_proposal_size')).toBeGreaterThan(0);
    expect(valueOf(leading, 'max_proposal_size'))
      .toBeGreaterThanOrEqual(valueOf(leading, 'min_proposal_size'));
    const syncs = valueOf(leading, 'diff_count') + valueOf(leading, 'snap_count');
    expect(syncs).toBeGreaterThanOrEqual(2);
    expect(summaryOf(leading, 'fsynctime').count).toBeGreaterThanOrEqual(1);
    expect(replicaState(leading, 'leading.broadcast')).toBe(1);
    // exportJvmInfo=false: no process metrics beside ZooKeeper's and corral's.
    expect([...leading.keys()].filter((name) => /^(process|nodejs)_/.test(name))).toEqual([]);
    expect(replicaState(leading, 'looking.election')).toBe(0);
    const peers = leading.get('corral_peer_queue_bytes')?.metrics.map((each) => each.labels?.peer);
    expect(peers?.sort()).toEqual(followers.map(String).sort());
    // Every hello here came from a member: nothing dropped, and the counter is exported at 0.
    expect(leading.get('corral_peer_stranger_frames_dropped_total')?.metrics[0]?.value).toBe('0');

    for (const id of followers) {
      const following = await scrapeOf(id);
      expect(summaryOf(following, 'election_time').count).toBeGreaterThanOrEqual(1);
      expect(summaryOf(following, 'follower_sync_time').count).toBeGreaterThanOrEqual(1);
      expect(summaryOf(following, 'unavailable_time').count).toBeGreaterThanOrEqual(1);
      expect(summaryOf(following, 'leader_unavailable_time').count).toBe(0);
      // Out of service from startup: the election, then the sync with the leader.
      const elected = summaryOf(following, 'election_time').sum;
      const synced = summaryOf(following, 'follower_sync_time').sum;
      expect(summaryOf(following, 'unavailable_time').sum).toBeGreaterThanOrEqual(elected + synced);
      expect(valueOf(following, 'learner_proposal_received_count')).toBeGreaterThanOrEqual(writes);
      expect(valueOf(following, 'learner_commit_received_count')).toBeGreaterThanOrEqual(writes);
      // Follower's proposal_latency at each PROPOSAL, commit_propagation_latency at each COMMIT.
      expect(summaryOf(following, 'proposal_latency').count)
        .toBe(valueOf(following, 'learner_proposal_received_count'));
      expect(summaryOf(following, 'commit_propagation_latency').count)
        .toBe(valueOf(following, 'learner_commit_received_count'));
      expect(summaryOf(following, 'quorum_ack_latency').count).toBe(0);
      expect(valueOf(following, 'proposal_count')).toBe(0);
      expect(valueOf(following, 'quorum_size')).toBe(3);
      // LeaderZooKeeperServer's gauges exist on the leader only.
      expect(following.has('learners')).toBe(false);
      expect(following.has('synced_followers')).toBe(false);
      expect(replicaState(following, 'following.broadcast')).toBe(1);
      const transitions = following.get('corral_machine_transitions_total')?.metrics
        .find((each) => each.labels?.state === 'looking.election');
      expect(Number(transitions?.value)).toBeGreaterThanOrEqual(1);
    }
  });

  it('carries the same figures in mntr', async () => {
    for (const id of ensemble.ids) {
      const mntr = await monitor(ensemble.clientPort(id));
      const families = await scrapeOf(id);
      for (const name of ['election_time', 'follower_sync_time', 'fsynctime', 'updatelatency']) {
        expect({ id, name, count: Number(mntr.get(`cnt_${name}`)) })
          .toEqual({ id, name, count: summaryOf(families, name).count });
      }
      for (const name of ['commit_count', 'proposal_count', 'learner_commit_received_count',
        'learner_proposal_received_count', 'looking_count', 'quorum_size']) {
        expect({ id, name, value: Number(mntr.get(name)) })
          .toEqual({ id, name, value: valueOf(families, name) });
      }
    }
  });

  it('counts a new election on the survivors when the leader stops', async () => {
    const before = new Map<number, Scrape>();
    for (const id of followers) before.set(id, await scrapeOf(id));
    await ensemble.kill(leader);
    const next = await ensemble.waitForLeader(followers);
    await until(async () => (await ensemble.status(followers.find((id) => id !== next)!))
      .mode === 'follower', 15_000, 'the other survivor follows');
    for (const id of followers) {
      const after = await scrapeOf(id);
      const earlier = before.get(id)!;
      expect(valueOf(after, 'looking_count')).toBe(valueOf(earlier, 'looking_count') + 1);
      expect(summaryOf(after, 'election_time').count)
        .toBe(summaryOf(earlier, 'election_time').count + 1);
      // Out of broadcast from the leader's loss until the new epoch serves: once more.
      expect(summaryOf(after, 'unavailable_time').count)
        .toBe(summaryOf(earlier, 'unavailable_time').count + 1);
      expect(replicaState(after, id === next ? 'leading.broadcast' : 'following.broadcast'))
        .toBe(1);
    }
  });
});
