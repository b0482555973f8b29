// Zab's pure rules for the leader's discovery and synchronization phases: choosing the new epoch,
// refusing a quorum whose history is ahead of the leader's, and choosing DIFF, TRUNC or SNAP for
// each learner. Kept apart from the machines (the etcd-io/raft habit) so each has a table test.
import type { Zxid } from '../../protocol/peer.js';
import { epochOfZxid } from '../../protocol/zxid.js';

/**
 * Discovery: the epoch a new leader proposes, from the acceptedEpoch of every member of its
 * quorum (itself included): one more than the largest, so it is new to every one of them. It is
 * at least `epochFloor`: the acceptedEpoch of a learner that could not join this replica's last
 * epoch (a learner accepts an epoch equal to its own, so reaching it is enough).
 */
export function newEpochFor(acceptedEpochs: readonly number[], epochFloor = 0): number {
  if (acceptedEpochs.length === 0) throw new Error('zab rule violated: no acceptedEpoch given');
  return Math.max(Math.max(...acceptedEpochs) + 1, epochFloor);
}

/**
 * A learner whose acceptedEpoch is above the leader's epoch refuses that epoch (Zab 1.2: it
 * promised not to go back), so it can never join it; only a later epoch takes it back. Such a
 * promise outlives a prospective leader that persisted its epoch and then failed to gather a
 * quorum of ACKEPOCH (found by the simulator: seed 301532 with an observer, where replica 2 had
 * accepted epoch 8 while replica 1 established 7, and seed 400190 with 5 voters).
 */
export function isEpochBehindLearner(leaderEpoch: number | null, learnerAccepted: number): boolean {
  return leaderEpoch !== null && learnerAccepted > leaderEpoch;
}

/** A replica's history as discovery compares it: its currentEpoch, then its last zxid. */
export interface HistorySummary {
  currentEpoch: number;
  lastZxid: Zxid;
}

/**
 * Discovery (ZooKeeper's Leader.waitForEpochAck): a learner whose currentEpoch is newer, or whose
 * last zxid is newer in the same currentEpoch, has history the leader lacks, so the election was
 * wrong and the leader must go back to looking.
 */
export function isLearnerAhead(learner: HistorySummary, leader: HistorySummary): boolean {
  if (learner.currentEpoch !== leader.currentEpoch) {
    return learner.currentEpoch > leader.currentEpoch;
  }
  return learner.lastZxid > leader.lastZxid;
}

/** What the leader knows about its own log when it plans a learner's synchronization. */
export interface LeaderLog {
  /** The first zxid the log still holds (0 when the log is empty); older ones were purged. */
  firstZxid: Zxid;
  /** The last zxid the log holds (committed or still proposed). */
  lastZxid: Zxid;
  /** Everything up to here is committed. */
  committedZxid: Zxid;
  /** The last zxid of each epoch in the log, ascending (at least the one of lastZxid's epoch). */
  epochEnds: readonly Zxid[];
}

/** How a learner is brought up to date; the stream then carries the log after the point. */
export type SyncPlan =
  /** The learner's history is a prefix of the leader's: send the log after `afterZxid`. */
  | { mode: 'diff'; afterZxid: Zxid }
  /** The learner logged txns the leader never had: drop them, then send the log after. */
  | { mode: 'trunc'; truncateToZxid: Zxid }
  /** The learner is behind what the log still holds (or empty): send the whole tree. */
  | { mode: 'snap' };

/**
 * Synchronization (ZooKeeper's LearnerHandler.syncFollower). Within one epoch every replica's log
 * is a prefix of that epoch's leader's proposals, so a learner's last zxid lies on the leader's
 * history exactly when it does not pass the leader's last zxid in the same epoch. A learner whose
 * zxid is not on that history has a tail a dead leader proposed and nobody committed: TRUNC to
 * the leader's last zxid before it. Anything the retained log cannot continue gets SNAP.
 */
export function syncModeFor(learnerLastZxid: Zxid, leaderLog: LeaderLog): SyncPlan {
  if (learnerLastZxid === leaderLog.lastZxid) return { mode: 'diff', afterZxid: learnerLastZxid };
  const learnerEpoch = epochOfZxid(learnerLastZxid);
  const sameEpochEnd = leaderLog.epochEnds.find((end) => epochOfZxid(end) === learnerEpoch);
  if (sameEpochEnd !== undefined && learnerLastZxid <= sameEpochEnd) {
    const isRetained = learnerLastZxid >= leaderLog.firstZxid && leaderLog.firstZxid > 0;
    return isRetained ? { mode: 'diff', afterZxid: learnerLastZxid } : { mode: 'snap' };
  }
  // Not on the leader's history: the last point before it that is.
  const earlierEnds = leaderLog.epochEnds.filter((end) => epochOfZxid(end) < learnerEpoch);
  const truncateToZxid = sameEpochEnd ?? earlierEnds[earlierEnds.length - 1];
  if (truncateToZxid === undefined) {
    return leaderLog.lastZxid === 0 ? { mode: 'trunc', truncateToZxid: 0 } : { mode: 'snap' };
  }
  const canContinue =
    truncateToZxid === leaderLog.lastZxid ||
    (truncateToZxid >= leaderLog.firstZxid && leaderLog.firstZxid > 0);
  return canContinue ? { mode: 'trunc', truncateToZxid } : { mode: 'snap' };
}
