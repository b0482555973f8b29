// What the replica host adds to the metrics: from its role announcements (rare) ZooKeeper's
// looking_count, election_time, follower/observer_sync_time and unavailable_time, and corral's
// machine state and transitions; from its effects the proposal, commit and sync counts (a few
// additions each); from the events it hands the machine, the leader's sampled ack_latency.
import type {
  ReplicaEvent,
  RoleAnnouncement,
  SyncStreamParams,
} from '../../machines/replica-context.js';
import type { ServerId } from '../../protocol/peer.js';
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

/** How many sampled proposals the leader keeps awaiting ACKs (more are not sampled). */
export const ackSamplesMax = 10_000;

/** What the leader's ack_latency needs from the host. */
export interface AckSampling {
  myId: ServerId;
  /** leader.ackLoggingFrequency (ZooKeeper's default 1000; 0 or less: off). */
  frequency: number;
  /** The last zxid this replica applied: a leader applies each txn as it commits it. */
  appliedZxid: () => number;
}

export class RoleMetrics {
  private role: RoleAnnouncement;

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
    private readonly acks?: AckSampling,
  ) {
    this.role = initial;
    metrics.ackLoggingFrequency = acks === undefined ? 0 : Math.max(0, acks.frequency);
    this.enter(undefined, initial);
  }

  announced(previous: RoleAnnouncement, next: RoleAnnouncement): void {
    this.role = next;
    // Proposals of an earlier leadership are no longer awaited.
    if (next.state !== 'leading') {
      this.metrics.ackSamples.clear();
      this.metrics.syncsInFlight.clear();
    }
    if (next.state !== previous.state || !next.serving) this.metrics.awaitingAck.length = 0;
    this.enter(previous, next);
  }

  /** An event on its way to the machine: a voter's ACK, this replica's own log being durable
   * (its ACK: ZooKeeper's leader counts its own too), a learner's REVALIDATE. */
  delivered(event: ReplicaEvent): void {
    switch (event.type) {
      case 'peer.ack':
        if (this.metrics.syncsInFlight.size > 0) endSync(this.metrics, event.from, true);
        if (this.metrics.ackSamples.size > 0) this.acked(event.from, event.message.zxid);
        return;
      case 'peer.disconnected':
        if (this.metrics.syncsInFlight.size > 0) endSync(this.metrics, event.peer, false);
        return;
      case 'storage.appended':
        this.ackCreated(event.zxid);
        if (this.metrics.ackSamples.size > 0 && this.role.state === 'leading') {
          this.acked(this.acks!.myId, event.zxid);
        }
        return;
      case 'peer.revalidate':
        // LearnerHandler counts each REVALIDATE a learner sends its leader.
        if (this.role.state === 'leading') this.metrics.counters.revalidate_count++;
        return;
      default:
        return;
    }
  }

  /** Ack/SendAckRequestProcessor's proposal_ack_creation_latency: each logged txn the ACK
   * now covers, since its leader stamped it. */
  private ackCreated(zxid: number): void {
    const awaiting = this.metrics.awaitingAck;
    if (awaiting.length === 0) return;
    const now = this.nowMs();
    let covered = 0;
    for (; covered < awaiting.length && awaiting[covered]!.zxid <= zxid; covered++) {
      const latency = now - awaiting[covered]!.stampedMs;
      if (latency >= 0) this.metrics.summaries.proposal_ack_creation_latency.observe(latency);
    }
    awaiting.splice(0, covered);
  }

  /**
   * Leader.processAck's ack_latency: each sampled proposal up to `zxid` (an ACK covers every
   * earlier proposal) that `from` had not acked, unless already committed (ZooKeeper returns
   * before logging an ACK that comes after the commit), keyed by the voter's id.
   */
  private acked(from: ServerId, zxid: number): void {
    const committed = this.acks!.appliedZxid();
    const now = this.nowMs();
    for (const [sampled, sample] of this.metrics.ackSamples) {
      if (sampled <= committed) {
        this.metrics.ackSamples.delete(sampled);
        continue;
      }
      if (sampled > zxid || sample.acked.has(from)) continue;
      sample.acked.add(from);
      const latency = now - sample.stampedMs;
      if (latency >= 0) this.metrics.summarySets.ack_latency.observe(String(from), latency);
    }
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

/** The leader's proposals whose zxid is a multiple of leader.ackLoggingFrequency await their
 * ACKs (Leader.processAck samples those only). */
function sampleForAcks(metrics: ServerMetrics, txns: readonly Txn[]): void {
  const frequency = metrics.ackLoggingFrequency;
  if (frequency <= 0) return;
  for (const txn of txns) {
    if (txn.zxid % frequency !== 0 || metrics.ackSamples.size >= ackSamplesMax) continue;
    metrics.ackSamples.set(txn.zxid, { stampedMs: txn.time, acked: new Set() });
  }
}

/** How many logged txns a voter keeps awaiting its ACK (more are not observed). */
export const awaitingAckMax = 100_000;

/** A voter's logged txns, whose ACK is created when they are durable (observers send none). */
function awaitAck(metrics: ServerMetrics, txns: readonly Txn[]): void {
  for (const txn of txns) {
    if (metrics.awaitingAck.length >= awaitingAckMax) return;
    metrics.awaitingAck.push({ zxid: txn.zxid, stampedMs: txn.time });
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
    sampleForAcks(metrics, txns);
    awaitAck(metrics, txns);
    return;
  }
  metrics.counters.learner_proposal_received_count += txns.length;
  if (role.state !== 'following') return;
  awaitAck(metrics, txns);
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

/** A learner's sync the leader planned: LearnerHandler counts a SNAP, or a DIFF (TRUNC too),
 * and observes how many of that kind are now in progress (this one included). */
export function countSync(metrics: ServerMetrics, params: SyncStreamParams): void {
  const mode = params.plan.mode === 'snap' ? 'snap' : 'diff';
  if (mode === 'snap') metrics.counters.snap_count++;
  else metrics.counters.diff_count++;
  metrics.syncsInFlight.set(params.to, mode);
  observeSyncsInFlight(metrics, mode);
}

function observeSyncsInFlight(metrics: ServerMetrics, mode: 'snap' | 'diff'): void {
  let count = 0;
  for (const each of metrics.syncsInFlight.values()) if (each === mode) count++;
  const summary = mode === 'snap' ? 'inflight_snap_count' : 'inflight_diff_count';
  metrics.summaries[summary].observe(count);
}

/** A learner's first ACK after its sync began (NEWLEADER's) ends the sync, observed as
 * LearnerHandler does; a learner gone mid-sync ends it unobserved, as ZooKeeper's does. */
function endSync(metrics: ServerMetrics, peer: number, acknowledged: boolean): void {
  const mode = metrics.syncsInFlight.get(peer);
  if (mode === undefined) return;
  metrics.syncsInFlight.delete(peer);
  if (acknowledged) observeSyncsInFlight(metrics, mode);
}
