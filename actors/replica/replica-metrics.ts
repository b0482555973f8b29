// What the replica host adds to the metrics: from its role announcements (rare) ZooKeeper's
// looking_count, election_time, follower/observer_sync_time and unavailable_time, and corral's
// machine state and transitions; from its effects the proposal, commit and sync counts (a few
// additions each).
import type { RoleAnnouncement, SyncStreamParams } from '../../machines/replica-context.js';
import type { Txn } from '../../protocol/txn.js';
import type { ServerMetrics } from '../server/statistics.js';

/** corral_machine_state's name for the replica machine. */
export const replicaMachineName = 'replica';

/** The replica's state as corral's metrics name it: Zab state, then its phase (as mntr's
 * peer_state names them: election while looking, discovery until it serves, then broadcast). */
export function replicaStateName(role: RoleAnnouncement): string {
  if (role.state === 'looking') {
    return role.readOnly === true ? 'looking.read-only' : 'looking.election';
  }
  return `${role.state}.${role.serving ? 'broadcast' : 'discovery'}`;
}

export class RoleMetrics {
  /** QuorumPeer.setZabState: reaching broadcast ends the time unavailable (the leader's is also
   * leader_unavailable_time); leaving it starts the next. */
  private timeUnavailability(next: RoleAnnouncement, now: number): void {
    const { summaries } = this.metrics;
    if (!next.serving) {
      this.unavailableSinceMs ??= now;
      return;
    }
    if (this.unavailableSinceMs === undefined) return;
    const tookMs = now - this.unavailableSinceMs;
    summaries.unavailable_time.observe(tookMs);
    if (next.state === 'leading') summaries.leader_unavailable_time.observe(tookMs);
    this.unavailableSinceMs = undefined;
  }

  /** When the current election began (QuorumPeer's start_fle), while looking. */
  private lookingSinceMs: number | undefined;
  /** When this replica began to follow or observe its leader, until it serves. */
  private syncingSinceMs: number | undefined;
  /** Since when this replica has not been in broadcast (QuorumPeer's unavailableStartTime):
   * from startup, and from each time it stops serving. */
  private unavailableSinceMs: number | undefined;

  constructor(
    private readonly metrics: ServerMetrics,
    private readonly nowMs: () => number,
    initial: RoleAnnouncement,
  ) {
    this.enter(undefined, initial);
  }

  announced(previous: RoleAnnouncement, next: RoleAnnouncement): void {
    this.enter(previous, next);
  }

  /**
   * The replica machine took a step (every event: it returns at once unless an election is on).
   * Leaving looking for a role ends the election, as FastLeaderElection's end does in
   * ZooKeeper (Follower and Leader report it; an Observer does not): the learner's sync, or
   * the leader's discovery, begins.
   */
  machineMoved(value: unknown): void {
    if (this.lookingSinceMs === undefined) return;
    const state = typeof value === 'string' ? value : Object.keys(value as object)[0];
    if (state !== 'leading' && state !== 'following' && state !== 'observing') return;
    const now = this.nowMs();
    if (state !== 'observing') {
      this.metrics.summaries.election_time.observe(now - this.lookingSinceMs);
    }
    this.lookingSinceMs = undefined;
    this.syncingSinceMs = now;
  }

  private enter(previous: RoleAnnouncement | undefined, next: RoleAnnouncement): void {
    const { counters, summaries } = this.metrics;
    const now = this.nowMs();
    this.metrics.enterState(replicaMachineName, replicaStateName(next));
    this.timeUnavailability(next, now);
    if (next.state === 'looking') {
      if (previous?.state !== 'looking') {
        // QuorumPeer counts each time it goes LOOKING, its first time at startup included.
        counters.looking_count++;
        this.lookingSinceMs = now;
      }
      this.syncingSinceMs = undefined;
      return;
    }
    // An announcement of a role after looking ends the election if the machine's step did not.
    if (this.lookingSinceMs !== undefined) this.machineMoved(next.state);
    if (next.serving && this.syncingSinceMs !== undefined) {
      const tookMs = now - this.syncingSinceMs;
      if (next.state === 'following') summaries.follower_sync_time.observe(tookMs);
      if (next.state === 'observing') summaries.observer_sync_time.observe(tookMs);
      this.syncingSinceMs = undefined;
    }
  }
}

/**
 * How long each txn took to get here since its leader stamped it (Request.logLatency: the txn
 * header's time is the leader's wall clock, so a clock behind it gives no figure).
 */
function observeSinceStamped(
  summary: ServerMetrics['summaries'][keyof ServerMetrics['summaries']],
  txns: readonly Txn[],
  nowMs: number,
): void {
  for (const txn of txns) {
    const latency = nowMs - txn.time;
    if (latency >= 0) summary.observe(latency);
  }
}

/**
 * Txns this replica logs: a leader's own proposals (Leader.propose's proposal_count), or, once
 * it serves, a learner's received PROPOSALs (learner_proposal_received_count, and Follower's
 * proposal_latency). Sync traffic before serving is not counted.
 */
export function countLogged(
  metrics: ServerMetrics,
  role: RoleAnnouncement,
  txns: readonly Txn[],
  nowMs: number,
) {
  if (!role.serving) return;
  if (role.state === 'leading') {
    metrics.counters.proposal_count += txns.length;
    return;
  }
  metrics.counters.learner_proposal_received_count += txns.length;
  if (role.state !== 'following') return;
  observeSinceStamped(metrics.summaries.proposal_latency, txns, nowMs);
}

/**
 * Txns committed: the leader's commit_count and quorum_ack_latency (its commit follows the
 * quorum's ACKs), a serving learner's received COMMITs and commit_propagation_latency.
 */
export function countCommitted(
  metrics: ServerMetrics,
  role: RoleAnnouncement,
  txns: readonly Txn[],
  nowMs: number,
) {
  if (!role.serving) return;
  if (role.state === 'leading') {
    metrics.counters.commit_count += txns.length;
    observeSinceStamped(metrics.summaries.quorum_ack_latency, txns, nowMs);
    return;
  }
  metrics.counters.learner_commit_received_count += txns.length;
  observeSinceStamped(metrics.summaries.commit_propagation_latency, txns, nowMs);
}

/** A learner's sync the leader planned: LearnerHandler counts a SNAP, or a DIFF (TRUNC too). */
export function countSync(metrics: ServerMetrics, params: SyncStreamParams): void {
  if (params.plan.mode === 'snap') metrics.counters.snap_count++;
  else metrics.counters.diff_count++;
}
