// The leader's part of the replica machine's context (ReplicaContext.leader): each learner's
// progress through discovery and synchronization, the proposals outstanding, the syncs waiting,
// a reconfig in flight and the tree broadcast's relay paths (ZooKeeper's Leader and its
// LearnerHandlers).
import type { PeerMessageOf, ServerId, Zxid } from '../protocol/peer.js';
import type { Membership } from '../protocol/membership.js';
import type { QuorumRule } from './quorum.js';

/** replica-context.ts's Txn (tree/'s, reached through the peer protocol). */
type Txn = PeerMessageOf<'inform'>['txn'];

/** Where one learner stands, as the leader's LearnerHandler for it tracks it. */
export type LearnerPhase =
  | 'info'
  | 'leaderInfoSent'
  | 'epochAcked'
  | 'newLeaderSent'
  | 'newLeaderAcked'
  | 'upToDate';

export const learnerPhaseOrder: readonly LearnerPhase[] = [
  'info',
  'leaderInfoSent',
  'epochAcked',
  'newLeaderSent',
  'newLeaderAcked',
  'upToDate',
];

export interface LearnerProgress {
  role: 'follower' | 'observer';
  acceptedEpoch: number;
  phase: LearnerPhase;
  /** From ACKEPOCH. */
  currentEpoch: number;
  lastZxid: Zxid;
  /** The leader's last zxid when NEWLEADER was sent: the learner's ACK of it covers this far. */
  newLeaderCoversZxid: Zxid;
  /** Ticks since anything arrived from this learner. */
  silentTicks: number;
  /** From FOLLOWERINFO / OBSERVERINFO: below reconfigProtocolVersion it cannot read a reconfig. */
  protocolVersion: number;
  /**
   * Sync from the same site: the follower this learner was told to take its snapshot from
   * (SNAPFROM). Once set, this connection is synced by the leader itself (leading/site-sync.ts).
   */
  siteSnapFrom?: ServerId;
}

/**
 * A reconfig the leader proposed (ZooKeeper's lastSeenQuorumVerifier) and, once committed, the
 * stretch of proposals still bound to both configurations. Every proposal from `zxid` up to
 * `throughZxid` needs a quorum of the old and of the new configuration: proposed while the
 * change was pending, it was sent to both. Activation (at commit of `zxid`) sets throughZxid to
 * the last proposal made by then; the record is dropped once that one commits.
 */
export interface ReconfigInFlight {
  zxid: Zxid;
  membership: Membership;
  oldQuorum: QuorumRule;
  newQuorum: QuorumRule;
  /** Null until activation: every proposal from `zxid` on needs both quorums. */
  throughZxid: Zxid | null;
}

export interface LeaderState {
  /** Chosen once a quorum of FOLLOWERINFO arrived; null before. */
  newEpoch: number | null;
  learners: Record<ServerId, LearnerProgress>;
  /** The leader's last zxid when discovery ended: its initial history, committed by NEWLEADER. */
  initialHistoryZxid: Zxid;
  /** True once synchronization is under way: new learners are synced as they ACKEPOCH. */
  syncing: boolean;
  /** True once a quorum ACKed NEWLEADER (Zab's established leader). */
  established: boolean;
  /** Ticks since leading began; discovery and synchronization must end within initLimit. */
  phaseTicks: number;
  committedZxid: Zxid;
  /** Proposed and not yet committed, in zxid order (ZooKeeper's outstandingProposals). */
  outstanding: Txn[];
  /** Each follower's highest ACKed zxid (the leader's own comes from durableZxid). */
  ackedZxidByServer: Record<ServerId, Zxid>;
  /** Syncs waiting for every proposal made before them to commit (ZooKeeper's pendingSyncs). */
  pendingSyncs: PendingSync[];
  /** The reconfig proposed and not yet fully settled; null when none (see ReconfigInFlight). */
  reconfig: ReconfigInFlight | null;
  /**
   * Tree broadcast: the followers told to take their broadcast through a relay (RELAYPLAN), by
   * follower id. Until the follower's first ACK comes back through that relay (`confirmed`) it
   * still gets everything directly; absent, it is sent to directly.
   */
  relayPaths: Record<ServerId, RelayPath>;
  /**
   * Per follower: how many ticks ago the oldest proposal it has not ACKed was made (0: it has
   * ACKed everything proposed before this tick), counted up to lagTicksMax. A follower one WAN
   * round trip away is always a tick or two behind under steady writes; it lags only when what
   * was proposed several ticks ago is still not ACKed.
   */
  lagTicks: Record<ServerId, number>;
  /** The leader's last zxid at each of the last lagTicksMax ticks, oldest first. */
  lagMarks: Zxid[];
}

/** How one follower gets its broadcast traffic from the leader (see LeaderState.relayPaths). */
export interface RelayPath {
  relayId: ServerId;
  /** An ACK of the follower came back through the relay: it listens to it. */
  confirmed: boolean;
}

/** A client's sync, answered once the leader has committed through `afterZxid`. */
export interface PendingSync {
  /** The replica holding the client's session: a learner, or the leader itself. */
  from: ServerId;
  sessionId: bigint;
  cxid: number;
  /** The leader's last proposed zxid when the sync arrived. */
  afterZxid: Zxid;
}
