// The election's types: what it is given, what it decides, its context and events, and its
// timing defaults (election.ts is the machine).
import type { Notification, ServerId, Vote, Zxid } from '../protocol/peer.js';
import type { CastVote } from './zab-rules.js';
import type { QuorumRule } from './quorum.js';

export type ElectedRole = 'leading' | 'following' | 'observing';

export interface ElectionTiming {
  /** How long a quorum must stand unchallenged before deciding (ZooKeeper's finalizeWait). */
  finalizeWaitMs: number;
  /** Resend interval after silence starts at finalizeWaitMs and doubles up to this. */
  notificationTimeoutMsMax: number;
}

/** ZooKeeper's defaults: finalizeWait 200 ms, maxNotificationInterval 60 s. */
export const electionTimingDefaults: ElectionTiming = {
  finalizeWaitMs: 200,
  notificationTimeoutMsMax: 60_000,
};

export interface ElectionInput {
  myId: ServerId;
  /** Every voting replica, this one included if it votes; observers are not listed. */
  voters: readonly ServerId[];
  /** How they count (zoo.cfg group./weight.); a majority of `voters` when left out. */
  quorum?: QuorumRule;
  /**
   * Who may be voted leader: the active configuration's rule when `quorum` is the joint rule of
   * it and a reconfig seen in the log (ZooKeeper's vote order weighs candidates by the active
   * configuration only; weighing by either, replicas that saw the reconfig and replicas that did
   * not could back candidates the others never adopt). `quorum` when left out.
   */
  candidates?: QuorumRule;
  /** This replica's last logged zxid and its currentEpoch: what it proposes for itself. */
  lastZxid: Zxid;
  currentEpoch: number;
  /** The round of this replica's previous election in this process (0 on first start). */
  lastRound: number;
  /**
   * The vote to propose first instead of this replica's own: a committed reconfig's designated
   * leader (ZooKeeper's processReconfig updates the vote so the handover needs no full
   * election). Ignored when it names a server that cannot lead.
   */
  initialVote?: Vote;
  timing?: Partial<ElectionTiming>;
}

/** The outcome handed to the host's `decide`, and the machine's output. */
export interface ElectionDecision {
  role: ElectedRole;
  leaderId: ServerId;
  /** The leader's currentEpoch when elected; discovery then picks the new epoch. */
  epoch: number;
  /** The leader's last zxid as voted: what this replica answers later lookers with. */
  zxid: Zxid;
  round: number;
}

export interface ElectionContext {
  myId: ServerId;
  /** Who votes and what each vote weighs; observers are not among the voters. */
  quorum: QuorumRule;
  /** Who may be voted leader (ElectionInput.candidates). */
  candidates: QuorumRule;
  ownVote: Vote;
  /** The logical clock: notifications from other rounds reset or are answered, as in FLE. */
  round: number;
  proposal: Vote;
  /** ZooKeeper's recvset: this round's votes by sender, this replica's own (if a voter) too. */
  votesInRound: Record<ServerId, CastVote>;
  /** ZooKeeper's outofelection: what following/leading peers reported, in any round. */
  votesOutOfElection: Record<ServerId, CastVote>;
  /**
   * The notification last sent to each non-voter in answer (its round and vote). A non-voter is
   * answered once per proposal: one whose configuration counts this replica out (a reconfig
   * between them) answers back as it answers an earlier round, and two such replicas would
   * answer each other at one instant for ever (found by the simulator with reconfig: seed 184).
   * A new connection to it clears the entry.
   */
  answeredNonVoters: Record<ServerId, string>;
  timing: ElectionTiming;
  notificationTimeoutMs: number;
  decided: { vote: Vote; round: number } | null;
}

export type ElectionEvent =
  /** A notification the host received from peer `from` (the transport names the sender). */
  | { type: 'peer.notification'; from: ServerId; notification: Notification }
  /**
   * A connection to `peer` was (re)established. ZooKeeper's QuorumCnxManager resends the last
   * notification on every new connection, so a replica that just came up hears the current
   * votes at once instead of after the next resend timeout.
   */
  | { type: 'peer.connected'; peer: ServerId };
