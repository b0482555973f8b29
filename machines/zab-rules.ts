// Zab's pure rules — zxid rollover (packing is protocol/zxid.ts), vote order, quorums, the
// committed zxid — kept apart from the machines so each has a table test (the etcd-io/raft
// habit) and guards only call them. Breaking an invariant here is a programmer error and throws.
import type { PeerState, ServerId, Vote } from '../protocol/peer.js';
import { counterOfZxid, zxidCounterMax, type Zxid } from '../protocol/zxid.js';

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`zab rule violated: ${message}`);
}

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
 * Should a replica holding `current` adopt `candidate`? Only a vote for a voter can win (a
 * non-voter has weight 0 in ZooKeeper), and any vote for a voter beats one for a non-voter (an
 * observer starts out voting for itself).
 */
export function isBetterVote(
  candidate: Vote,
  current: Vote,
  voters: readonly ServerId[],
): boolean {
  if (!voters.includes(candidate.leaderId)) return false;
  if (!voters.includes(current.leaderId)) return true;
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

/** A strict majority of the voters; observers never count. */
export function quorumSize(voters: readonly ServerId[]): number {
  assert(voters.length > 0, 'an ensemble has at least one voter');
  assert(new Set(voters).size === voters.length, 'voters are distinct');
  return Math.floor(voters.length / 2) + 1;
}

/** Do these servers (duplicates and non-voters ignored) make a majority of the voters? */
export function isQuorum(servers: Iterable<ServerId>, voters: readonly ServerId[]): boolean {
  const voting = new Set([...servers].filter((server) => voters.includes(server)));
  return voting.size >= quorumSize(voters);
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
  voters: readonly ServerId[],
  match: VoteMatch,
): boolean {
  const matches = match === 'exact' ? isSameVote : isSameLeader;
  const agreeing = Object.entries(votesBySender)
    .filter(([, cast]) => matches(cast.vote, vote))
    .map(([sender]) => Number(sender));
  return isQuorum(agreeing, voters);
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
 * The highest zxid a quorum of voters has made durable, from each server's highest ACKed zxid
 * (Zab's FIFO links make an ACK cover everything before it; the leader counts its own log).
 * 0 when no quorum has acknowledged anything.
 */
export function committedZxid(
  ackedZxidByServer: ReadonlyMap<ServerId, Zxid>,
  voters: readonly ServerId[],
): Zxid {
  const acked = voters
    .map((voter) => ackedZxidByServer.get(voter) ?? 0)
    .sort((first, second) => second - first);
  return acked[quorumSize(voters) - 1] ?? 0;
}
