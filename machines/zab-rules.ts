// Zab's pure rules — zxid rollover (packing is protocol/zxid.ts), vote order, quorums, the
// committed zxid — kept apart from the machines so each has a table test (the etcd-io/raft
// habit) and guards only call them; who counts for a quorum is machines/quorum.ts's rule.
import type { PeerState, ServerId, Vote } from '../protocol/peer.js';
import { counterOfZxid, zxidCounterMax, type Zxid } from '../protocol/zxid.js';
import { containsQuorum, weightOf, type QuorumRule } from './quorum.js';

/**
 * The zxid the leader gives its next proposal, or 'newEpochRequired' when the counter is spent:
 * ZooKeeper's leader then gives up leadership (XidRolloverException) so that a new election
 * starts a new epoch, whose counter restarts at 1.
 */
export function nextProposalZxid(lastZxid: Zxid): Zxid | 'newEpochRequired' {
  const counter = counterOfZxid(lastZxid);
  if (counter >= zxidCounterMax) return 'newEpochRequired';
  return lastZxid + 1;
}

/**
 * ZooKeeper's totalOrderPredicate: votes order by the proposed leader's epoch, then its last
 * zxid, then its server id. Positive when `candidate` is the better vote.
 */
export function compareVotes(candidate: Vote, current: Vote): number {
  return (
    candidate.peerEpoch - current.peerEpoch ||
    candidate.zxid - current.zxid ||
    candidate.leaderId - current.leaderId
  );
}

/**
 * Should a replica holding `current` adopt `candidate`? FLE's totalOrderPredicate adopts no vote
 * for a server of weight 0 (an observer, or a voter zoo.cfg weighs 0), and any vote for a
 * weighted server beats one for a weightless one (which starts out voting for itself).
 */
export function isBetterVote(candidate: Vote, current: Vote, quorum: QuorumRule): boolean {
  if (weightOf(quorum, candidate.leaderId) === 0) return false;
  if (weightOf(quorum, current.leaderId) === 0) return true;
  return compareVotes(candidate, current) > 0;
}

/** Looking votes must match exactly; settled peers agree when leader and epoch match. */
export function isSameVote(first: Vote, second: Vote): boolean {
  return (
    first.leaderId === second.leaderId &&
    first.zxid === second.zxid &&
    first.peerEpoch === second.peerEpoch
  );
}

export function isSameLeader(first: Vote, second: Vote): boolean {
  return first.leaderId === second.leaderId && first.peerEpoch === second.peerEpoch;
}

/** A vote some server cast, with the state it was in when it cast it. */
export interface CastVote {
  vote: Vote;
  state: PeerState;
}

export type VoteMatch = 'exact' | 'sameLeader';

/**
 * ZooKeeper's vote tracker: has a quorum of voters cast a vote matching `vote`? In an election
 * round votes must match exactly; peers that already follow or lead agree on leader and epoch.
 */
export function hasQuorumOfVotesFor(
  votesBySender: Readonly<Record<ServerId, CastVote>>,
  vote: Vote,
  quorum: QuorumRule,
  match: VoteMatch,
): boolean {
  const matches = match === 'exact' ? isSameVote : isSameLeader;
  const agreeing = Object.entries(votesBySender)
    .filter(([, cast]) => matches(cast.vote, vote))
    .map(([sender]) => Number(sender));
  return containsQuorum(quorum, agreeing);
}

/**
 * ZooKeeper's checkLeader: a quorum naming another replica is only trusted once that replica
 * itself says it is leading (so a dead leader's followers cannot elect it again); a quorum
 * naming this replica is trusted only in its own current round.
 */
export function isLeaderConfirmed(
  votesBySender: Readonly<Record<ServerId, CastVote>>,
  leaderId: ServerId,
  myId: ServerId,
  roundsMatch: boolean,
): boolean {
  if (leaderId === myId) return roundsMatch;
  return votesBySender[leaderId]?.state === 'leading';
}

/**
 * The highest zxid a quorum has made durable, from each server's highest ACKed zxid (Zab's FIFO
 * links make an ACK cover everything before it; the leader counts its own log): the largest z
 * whose ackers (ACKed ≥ z) the verifier calls a quorum. With weights and groups no sorted median
 * gives it, so each acked zxid is tried from the highest. 0 when no quorum acknowledged anything.
 */
export function committedZxid(
  ackedZxidByServer: ReadonlyMap<ServerId, Zxid>,
  quorum: QuorumRule,
): Zxid {
  const descending = (first: Zxid, second: Zxid) => second - first;
  const candidates = [...new Set(ackedZxidByServer.values())].sort(descending);
  for (const zxid of candidates) {
    if (zxid <= 0) break;
    const ackers = [...ackedZxidByServer].filter(([, acked]) => acked >= zxid).map(([id]) => id);
    if (containsQuorum(quorum, ackers)) return zxid;
  }
  return 0;
}
