// The replica machine's context, events and effects, shared by the role files (looking, leading,
// following, observing). Role logic is written as pure steps — (context, event) → context patch
// plus effects, the etcd-io/raft shape — which machines/replica-setup.ts turns into named actions.
import type {
  ForwardedRequestEntry,
  Notification,
  PeerMessage,
  PeerMessageOf,
  PeerMessageType,
  PeerState,
  ServerId,
  SessionTouch,
  TreeSnapshot,
  Zxid,
} from '../protocol/peer.js';
import type { ElectionDecision, ElectionTiming } from './election.js';
import type { SyncPlan } from './leading/rules.js';
import type { QuorumRule } from './quorum.js';
import { epochOfZxid } from '../protocol/zxid.js';
import type { VersionedMembership } from '../protocol/membership.js';
import type { LeaderState } from './leader-context.js';
import type { LearnerState } from './learner-context.js';

export {
  learnerPhaseOrder,
  type LeaderState,
  type LearnerPhase,
  type LearnerProgress,
  type PendingSync,
  type ReconfigInFlight,
  type RelayPath,
} from './leader-context.js';
export type { LearnerState } from './learner-context.js';

/** tree/'s Txn, reached through the peer protocol (machines/ may not import tree/). */
export type Txn = PeerMessageOf<'inform'>['txn'];
export type TxnBody = Txn['body'];
/** A client's reconfig on its way to the leader's machine (protocol/txn.ts ReconfigRequestBody). */
export type ReconfigRequest = Extract<ForwardedRequestEntry['body'], { type: 'reconfigRequest' }>;
/** What `client.requests` carries: a txn body, or a reconfig the leader's machine resolves. */
export type RequestBody = TxnBody | ReconfigRequest;
export type TxnDigest = NonNullable<Txn['digest']>;

export interface ReplicaTiming {
  /** ZooKeeper's tickTime: the leader pings and every limit below is counted in ticks. */
  tickMs: number;
  /** Ticks discovery plus synchronization may take (zoo.cfg initLimit). */
  initLimitTicks: number;
  /** Ticks a broadcast peer may stay silent before the other side gives up (syncLimit). */
  syncLimitTicks: number;
}

/** ZooKeeper's sample zoo.cfg: tickTime 2000, initLimit 10, syncLimit 5. */
export const replicaTimingDefaults: ReplicaTiming = {
  tickMs: 2000,
  initLimitTicks: 10,
  syncLimitTicks: 5,
};

/** What the host read from storage when the replica (re)started. */
export interface ReplicaInput {
  myId: ServerId;
  /** Every voting replica; observers are not listed (they never count toward a quorum). */
  voters: readonly ServerId[];
  /** How the voters count (zoo.cfg group./weight.); a majority of `voters` when left out. */
  quorum?: QuorumRule;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The last zxid in the durable log (0 when empty). */
  lastZxid: Zxid;
  /** The first zxid the log still holds (0 when empty). */
  firstZxid: Zxid;
  /** The last zxid of each epoch in the log, ascending; [lastZxid] when unknown (safe: SNAP). */
  epochEnds?: readonly Zxid[];
  timing?: Partial<ReplicaTiming>;
  electionTiming?: Partial<ElectionTiming>;
  /** readonlymode.enabled: serve read-only clients while cut off from the quorum (read-only.ts). */
  readOnlyModeEnabled?: boolean;
  /**
   * The membership this replica starts with (addresses, roles, groups, version): what a reconfig
   * changes. Left out, one is made of `voters` (hand-built tests); it must name the same voters.
   */
  membership?: VersionedMembership;
  /**
   * A newer membership the log holds (a reconfig this replica logged and may not have seen
   * committed): counted with the active one until it is settled (machines/configuration.ts).
   */
  lastSeenMembership?: VersionedMembership;
  /** zoo.cfg standaloneEnabled (default true): a reconfig must then leave at least 2 voters. */
  standaloneEnabled?: boolean;
  /** The peer protocol this replica speaks (protocol/peer.ts); the current one when left out. */
  protocolVersion?: number;
  /**
   * zoo.cfg treeBroadcast (default true): as leader, send broadcast traffic once per remote site
   * through a relay there (leading/relaying.ts) rather than to every follower.
   */
  treeBroadcast?: boolean;
  /**
   * zoo.cfg treeBroadcastDirectAcks (default true): as leader, have each relayed follower send
   * its ACKs straight to the leader rather than back through its relay (leading/relaying.ts).
   */
  treeBroadcastDirectAcks?: boolean;
  /**
   * zoo.cfg siteSync (default true): as leader, tell a learner that needs a SNAP to take it from
   * a synced follower of its own site (leading/site-sync.ts).
   */
  siteSync?: boolean;
}

export interface ReplicaContext {
  myId: ServerId;
  /** Participants, weight 0 included: they follow (FOLLOWERINFO) rather than observe. */
  voters: ServerId[];
  /** Every quorum this replica counts — votes, FOLLOWERINFO, ACKs — asks this rule. */
  quorum: QuorumRule;
  /** The active membership: `voters` and `quorum` are derived from it (membershipRule). */
  config: VersionedMembership;
  /**
   * A reconfig logged and not yet active (ZooKeeper's lastSeenQuorumVerifier): while set,
   * `quorum` is the joint rule of both and `voters` their union (machines/configuration.ts).
   */
  lastSeenConfig: VersionedMembership | null;
  /**
   * ZooKeeper's learner type: what the newest configuration that lists this replica makes it.
   * A configuration that does not list it (it is joining, or was removed) leaves it as it was:
   * a participant outside the voters follows without a vote, so its ACKs count the moment a
   * reconfig seen or activated lists it (found by the simulator with reconfig: seed 625).
   */
  learnerType: 'participant' | 'observer';
  standaloneEnabled: boolean;
  protocolVersion: number;
  /** zoo.cfg treeBroadcast (see ReplicaInput). */
  treeBroadcast: boolean;
  /** zoo.cfg treeBroadcastDirectAcks (see ReplicaInput). */
  treeBroadcastDirectAcks: boolean;
  /** zoo.cfg siteSync (see ReplicaInput). */
  siteSync: boolean;
  /**
   * The successor a committed reconfig named when it moved leadership: the next election starts
   * by voting for it, so the ensemble hands over without a full election. Cleared once used.
   */
  designatedLeader: ServerId | null;
  timing: ReplicaTiming;
  electionTiming: Partial<ElectionTiming>;
  readOnlyModeEnabled: boolean;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The last zxid handed to the log, durable or not. */
  lastZxid: Zxid;
  /** The last zxid storage reported durable (`storage.appended`). */
  durableZxid: Zxid;
  /**
   * TRUNCs and SNAPs handed to storage and not yet reported done. Counted here, not per sync: a
   * learner that gave up a sync and started another may still have the first one's replacement
   * on its way, and its completion must not pass for the second's (found by the simulator: seed
   * 802336, where an earlier SNAP replaced the tree of an observer already serving).
   */
  replacementsPending: number;
  firstZxid: Zxid;
  epochEnds: Zxid[];
  lastRound: number;
  /**
   * The highest acceptedEpoch of a learner that could not join an epoch this replica led: an
   * epoch it proposes later is at least that (newEpochFor). Not persisted: after a restart the
   * learner says it again.
   */
  epochFloor: number;
  decision: ElectionDecision | null;
  leader: LeaderState | null;
  learner: LearnerState | null;
  /**
   * FOLLOWERINFO / OBSERVERINFO that arrived while this replica was still looking (one per
   * peer): if it ends up leading, discovery starts with them instead of waiting for a resend.
   */
  heldLearnerInfos: Record<ServerId, PeerEventOf<'followerInfo'> | PeerEventOf<'observerInfo'>>;
}

/** A decoded peer frame as the host hands it in: `peer.<type>` with its sender. */
export type PeerEvent = {
  [Type in PeerMessageType]: { type: `peer.${Type}`; from: ServerId; message: PeerMessageOf<Type> };
}[PeerMessageType];

export type PeerEventOf<Type extends PeerMessageType> = Extract<
  PeerEvent,
  { type: `peer.${Type}` }
>;

/** The event for a decoded frame (one place, so the host needs no switch of its own). */
export function peerEventOf(from: ServerId, message: PeerMessage): PeerEvent {
  return { type: `peer.${message.type}`, from, message } as PeerEvent;
}

export type ReplicaEvent =
  | PeerEvent
  /** A connection to `peer` was established (election resends its vote on it). */
  | { type: 'peer.connected'; peer: ServerId }
  /** The connection to `peer` broke: a learner is dropped, a follower's leader is lost. */
  | { type: 'peer.disconnected'; peer: ServerId }
  /** The log is durable up to `zxid` (every earlier append too). */
  | { type: 'storage.appended'; zxid: Zxid }
  | { type: 'storage.epochPersisted'; kind: 'accepted' | 'current'; epoch: number }
  /** A TRUNC is durable: the log ends at `zxid`. */
  | { type: 'storage.truncated'; zxid: Zxid }
  /** A SNAP is loaded and durable: tree and log restart at `zxid`. */
  | { type: 'storage.snapshotLoaded'; zxid: Zxid }
  /**
   * Txn bodies for the leader to order, in arrival order (the runtime gathers the requests of one
   * event-loop turn and stamps the time; learners forward them).
   */
  | {
      type: 'client.requests';
      requests: ClientRequestEntry[];
      /** The leader's newest tree digest, stamped into the txns it orders from these. */
      digest?: TxnDigest;
    }
  /** A client's sync: answered (answerSync) once what the leader proposed before it commits. */
  | { type: 'client.sync'; sessionId: bigint; cxid: number; path: string }
  /**
   * A client reconnects to this learner with an existing session: ask the leader, which alone
   * knows whether the session still lives (ZooKeeper's REVALIDATE).
   */
  | { type: 'client.revalidate'; sessionId: bigint; timeoutMs: number }
  /** The leader's host answered a learner's REVALIDATE. */
  | { type: 'sessions.revalidated'; to: ServerId; sessionId: bigint; valid: boolean }
  /** A learner's host: sessions its clients used since it last said (sent with the next PING). */
  | { type: 'sessions.touched'; touches: SessionTouch[] }
  /** Compaction purged the log's head: it now starts at `firstZxid` (0 when empty). */
  | { type: 'storage.purged'; firstZxid: Zxid }
  /**
   * The host applied a committed configuration: a reconfig txn, or a SNAP or restart whose tree
   * holds a newer /zookeeper/config. Adopted when newer than the active one.
   */
  | { type: 'config.committed'; membership: VersionedMembership }
  /** A relay's host: the turn is over; send the ACKs gathered meanwhile as one RELAYACKS. */
  | { type: 'relay.flush' }
  /** From the invoked election: its effects, performed by the replica. */
  | { type: 'election.sendNotification'; to: ServerId; notification: Notification }
  | { type: 'election.broadcastNotification'; notification: Notification };

/** A forwarded request that becomes a txn (a sync does not; a reconfig may become an error). */
export type ForwardedTxnRequest = ForwardedRequestEntry & {
  body: Exclude<ForwardedRequestEntry['body'], { type: 'sync' }>;
};

/** One request in `client.requests`. */
export interface ClientRequestEntry {
  sessionId: bigint;
  cxid: number;
  /** The leader's clock when it took the request (ctime/mtime of what it creates or changes). */
  time: number;
  body: RequestBody;
}

/** The effects a role step asks for, as named actions with params (see replica-setup.ts). */
export type ReplicaEffect =
  | { type: 'sendPeerMessage'; params: { to: ServerId; message: PeerMessage } }
  | { type: 'connectToLeader'; params: { leaderId: ServerId } }
  | { type: 'persistAcceptedEpoch'; params: { epoch: number } }
  | { type: 'persistCurrentEpoch'; params: { epoch: number } }
  | { type: 'appendProposals'; params: { txns: Txn[] } }
  | { type: 'truncateLog'; params: { zxid: Zxid } }
  | { type: 'loadSnapshot'; params: { zxid: Zxid; snapshot: TreeSnapshot } }
  | { type: 'applyCommitted'; params: { zxid: Zxid } }
  | { type: 'sendSyncStream'; params: SyncStreamParams }
  /**
   * Sync from the same site: stream this follower's tree to `to` (SNAPPART pieces, SNAP), or
   * SNAPREFUSED when the tree holds a txn beyond `committedZxid`, the last COMMIT it applied (a
   * tail replayed from its log at startup that no COMMIT has reached yet).
   */
  | { type: 'serveSnapshot'; params: { to: ServerId; committedZxid: Zxid } }
  | {
      type: 'acceptForwardedRequests';
      params: { from: ServerId; requests: ForwardedTxnRequest[] };
    }
  | { type: 'announceRole'; params: RoleAnnouncement }
  /** Leader: keep these sessions alive; a learner's clients use them (from its PING). */
  | { type: 'touchSessions'; params: { touches: SessionTouch[] } }
  /** Leader: is this session alive (and touch it)? Answered with `sessions.revalidated`. */
  | { type: 'revalidateSession'; params: { from: ServerId; sessionId: bigint; timeoutMs: number } }
  /** Learner: the leader's verdict on a reconnecting client's session. */
  | { type: 'sessionRevalidated'; params: { sessionId: bigint; valid: boolean } }
  /** Answer a client's sync: this replica has applied everything through `zxid`. */
  | { type: 'answerSync'; params: { sessionId: bigint; cxid: number; zxid: Zxid } }
  /** A relay: deliver `relay.flush` once the current turn of the host's event loop is over. */
  | { type: 'scheduleRelayFlush'; params: Record<string, never> }
  /** The machine adopted a committed configuration it heard of outside a txn (a notification). */
  | { type: 'activateConfig'; params: { membership: VersionedMembership } };

/**
 * The leader's sync stream for one learner: DIFF/TRUNC/SNAP, then a PROPOSAL for every logged
 * txn after the plan's point up to `throughZxid`, each followed by COMMIT if ≤ `committedZxid`.
 */
export interface SyncStreamParams {
  to: ServerId;
  plan: SyncPlan;
  committedZxid: Zxid;
  throughZxid: Zxid;
}

/** For srvr/stat and the runtime's request routing: what this replica now is. */
export interface RoleAnnouncement {
  state: PeerState;
  leaderId: ServerId | null;
  epoch: number;
  /** True once it serves: leader established, or learner UPTODATE. */
  serving: boolean;
  /**
   * True while a looking replica serves read-only clients (ZooKeeper's ReadOnlyZooKeeperServer);
   * absent otherwise. Such a replica is not `serving`: it takes no writes and no sessions of
   * the ensemble.
   */
  readOnly?: true;
}

/** What a step returns: a context patch and the effects, in order. */
export interface StepResult {
  context?: Partial<ReplicaContext>;
  effects?: ReplicaEffect[];
}

export type Step = (context: ReplicaContext, event: ReplicaEvent) => StepResult;
export type Check = (context: ReplicaContext, event: ReplicaEvent) => boolean;

export function send(to: ServerId, message: PeerMessage): ReplicaEffect {
  return { type: 'sendPeerMessage', params: { to, message } };
}

/** Narrows an event inside a step; a mismatch is a wiring error in the machine definition. */
export function expectEvent<Type extends ReplicaEvent['type']>(
  event: ReplicaEvent,
  type: Type,
): Extract<ReplicaEvent, { type: Type }> {
  if (event.type !== type) throw new Error(`replica machine: expected ${type}, got ${event.type}`);
  return event as Extract<ReplicaEvent, { type: Type }>;
}

/**
 * The election outcome a serving replica reports to lookers, naming the epoch it now serves in.
 * Leader and followers then agree on (leader, epoch) even when a follower joined through an
 * older round's decision (found by the simulator: seed 3893 with an observer, where a looker
 * could never match the leader's answer with a follower's and stayed looking for ever).
 */
export function decisionInEpoch(context: ReplicaContext): ReplicaContext['decision'] {
  return context.decision === null ? null : { ...context.decision, epoch: context.currentEpoch };
}

export function leaderOf(context: ReplicaContext): LeaderState {
  if (context.leader === null) throw new Error('replica machine: not leading');
  return context.leader;
}

export function learnerOf(context: ReplicaContext): LearnerState {
  if (context.learner === null) throw new Error('replica machine: not following or observing');
  return context.learner;
}

/** The log's epoch ends after `zxid` was appended (it is its epoch's end now). */
export function withEpochEnd(epochEnds: readonly Zxid[], zxid: Zxid): Zxid[] {
  const epoch = epochOfZxid(zxid);
  return [...epochEnds.filter((end) => epochOfZxid(end) < epoch), zxid];
}
