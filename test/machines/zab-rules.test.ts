// Table tests for Zab's pure rules: zxid packing and rollover, vote order, quorums, trusted
// leaders and the committed zxid. Each row is one case a guard relies on.
import { describe, expect, it } from 'vitest';
import type { Vote } from '../../protocol/peer.js';
import {
  committedZxid,
  compareVotes,
  hasQuorumOfVotesFor,
  isBetterVote,
  isLeaderConfirmed,
  nextProposalZxid,
  type CastVote,
} from '../../machines/zab-rules.js';
import { hierarchicalRule, majorityRule } from '../../machines/quorum.js';
import {
  counterOfZxid,
  epochOfZxid,
  makeZxid,
  zxidCounterMax,
  zxidEpochLimit,
} from '../../protocol/zxid.js';

const vote = (leaderId: number, zxid: number, peerEpoch: number): Vote => ({
  leaderId,
  zxid,
  peerEpoch,
});

describe('zxid packing', () => {
  it.each([
    [0, 0, 0],
    [0, 1, 1],
    [1, 0, 0x1_0000_0000],
    [1, 5, 0x1_0000_0005],
    [3, zxidCounterMax, 3 * 2 ** 32 + 0xffff_ffff],
    [zxidEpochLimit - 1, zxidCounterMax, Number.MAX_SAFE_INTEGER],
  ])('packs epoch %d counter %d as %d and unpacks it', (epoch, counter, zxid) => {
    expect(makeZxid(epoch, counter)).toBe(zxid);
    expect(Number.isSafeInteger(zxid)).toBe(true);
    expect(epochOfZxid(zxid)).toBe(epoch);
    expect(counterOfZxid(zxid)).toBe(counter);
  });

  it.each([
    ['epoch 2^21 (no longer a safe integer)', zxidEpochLimit, 0],
    ['negative epoch', -1, 0],
    ['fractional epoch', 1.5, 0],
    ['counter 2^32', 1, 2 ** 32],
    ['negative counter', 1, -1],
  ])('refuses %s', (_case, epoch, counter) => {
    expect(() => makeZxid(epoch, counter)).toThrow(/zxid: /);
  });

  it.each([[-1], [2 ** 53], [0.5]])('refuses to unpack zxid %d', (zxid) => {
    expect(() => epochOfZxid(zxid)).toThrow(/zxid: bad zxid/);
  });
});

describe('nextProposalZxid', () => {
  it.each([
    ['first txn of an epoch', makeZxid(2, 0), makeZxid(2, 1)],
    ['mid-epoch', makeZxid(2, 41), makeZxid(2, 42)],
    ['last counter usable', makeZxid(2, zxidCounterMax - 1), makeZxid(2, zxidCounterMax)],
    ['counter spent: rollover forces a new epoch', makeZxid(2, zxidCounterMax), 'newEpochRequired'],
  ])('%s', (_case, lastZxid, expected) => {
    expect(nextProposalZxid(lastZxid)).toBe(expected);
  });
});

describe('vote order (epoch, then zxid, then server id)', () => {
  it.each([
    ['epoch beats zxid', vote(1, makeZxid(2, 5), 3), vote(2, makeZxid(2, 9), 2), true],
    ['zxid wins at equal epoch', vote(1, makeZxid(2, 9), 2), vote(3, makeZxid(2, 5), 2), true],
    ['higher id breaks a full tie', vote(3, 100, 2), vote(2, 100, 2), true],
    ['lower id loses a full tie', vote(2, 100, 2), vote(3, 100, 2), false],
    ['an identical vote is not better', vote(2, 100, 2), vote(2, 100, 2), false],
    ['lower epoch loses', vote(3, makeZxid(1, 9), 1), vote(1, makeZxid(1, 1), 2), false],
  ])('%s', (_case, candidate, current, better) => {
    expect(compareVotes(candidate, current) > 0).toBe(better);
    expect(isBetterVote(candidate, current, majorityRule([1, 2, 3]))).toBe(better);
  });

  it.each([
    ['a vote for a non-voter never wins', vote(4, 999, 9), vote(1, 0, 0), false],
    ['any voter beats an observer voting for itself', vote(1, 0, 0), vote(4, 999, 9), true],
  ])('%s', (_case, candidate, current, better) => {
    expect(isBetterVote(candidate, current, majorityRule([1, 2, 3]))).toBe(better);
  });

  // group.1=1:2:3 with weight.3=0: 3 votes but is never adopted as leader (FLE's weight check).
  const weighted = hierarchicalRule([{ id: 1, members: [1, 2, 3] }], { 3: 0 });
  it.each([
    ['a vote for a weight-0 voter never wins', vote(3, 999, 9), vote(1, 0, 0), false],
    ['any weighted voter beats a weight-0 one', vote(1, 0, 0), vote(3, 999, 9), true],
    ['weighted voters compare as usual', vote(2, 9, 1), vote(1, 8, 1), true],
  ])('%s (weights)', (_case, candidate, current, better) => {
    expect(isBetterVote(candidate, current, weighted)).toBe(better);
  });
});

describe('hasQuorumOfVotesFor and isLeaderConfirmed', () => {
  const forOne = vote(1, 50, 2);
  const cast = (castVote: Vote, state: CastVote['state'] = 'looking'): CastVote => ({
    vote: castVote,
    state,
  });
  it.each([
    ['two exact votes of three', { 1: cast(forOne), 2: cast(forOne) }, 'exact', true],
    ['one vote of three', { 2: cast(forOne) }, 'exact', false],
    ['exact needs the same zxid', { 1: cast(forOne), 2: cast(vote(1, 49, 2)) }, 'exact', false],
    [
      'settled peers agree on leader and epoch',
      { 2: cast(forOne), 3: cast(vote(1, 7, 2)) },
      'sameLeader',
      true,
    ],
    [
      'settled peers on another epoch disagree',
      { 2: cast(forOne), 3: cast(vote(1, 50, 3)) },
      'sameLeader',
      false,
    ],
    ['observer votes do not count', { 2: cast(forOne), 4: cast(forOne) }, 'exact', false],
  ] as const)('%s', (_case, votes, match, expected) => {
    expect(hasQuorumOfVotesFor(votes, forOne, majorityRule([1, 2, 3]), match)).toBe(expected);
  });

  it.each([
    ['another leader that says it leads', { 1: cast(forOne, 'leading') }, 1, 2, false, true],
    ['another leader only followed', { 1: cast(forOne, 'following') }, 1, 2, true, false],
    ['another leader never heard from', {}, 1, 2, true, false],
    ['this replica, in its own round', {}, 2, 2, true, true],
    ['this replica, in another round', {}, 2, 2, false, false],
  ] as const)('%s', (_case, votes, leaderId, myId, roundsMatch, expected) => {
    expect(isLeaderConfirmed(votes, leaderId, myId, roundsMatch)).toBe(expected);
  });
});

describe('committedZxid', () => {
  const acks = (entries: Array<[number, number]>) => new Map(entries);
  it.each([
    ['nothing acknowledged', acks([]), [1, 2, 3], 0],
    ['leader alone is no quorum', acks([[1, 9]]), [1, 2, 3], 0],
    ['the second highest of three', acks([[1, 9], [2, 7], [3, 4]]), [1, 2, 3], 7],
    ['a lagging follower does not hold it back', acks([[1, 9], [2, 9], [3, 1]]), [1, 2, 3], 9],
    ['third highest of five', acks([[1, 9], [2, 8], [3, 7], [4, 6], [5, 5]]), [1, 2, 3, 4, 5], 7],
    ['observer ACKs are ignored', acks([[1, 9], [4, 9], [5, 9]]), [1, 2, 3], 0],
    ['an ensemble of one commits what it logged', acks([[1, 3]]), [1], 3],
  ])('%s', (_case, acked, voters, expected) => {
    expect(committedZxid(acked, majorityRule(voters))).toBe(expected);
  });

  // group.1=1:2:3 weight.1=3: replica 1 (3 of 5) is a quorum alone; 2 and 3 together are not.
  const heavy = hierarchicalRule([{ id: 1, members: [1, 2, 3] }], { 1: 3 });
  // ZooKeeper's example: group.1=1:2:3 group.2=4:5:6 group.3=7:8:9, every weight 1.
  const nine = hierarchicalRule([
    { id: 1, members: [1, 2, 3] },
    { id: 2, members: [4, 5, 6] },
    { id: 3, members: [7, 8, 9] },
  ]);
  it.each([
    ['the heavy replica alone commits', acks([[1, 9], [2, 3], [3, 2]]), heavy, 9],
    ['the light ones lag behind the heavy one', acks([[1, 2], [2, 9], [3, 9]]), heavy, 2],
    // A sorted median would answer 9 (5 of 9 servers) and 0 (4 of 9) for these two.
    ['5 of 9 holding one group only', acks([[1, 9], [2, 9], [3, 9], [4, 9], [7, 9], [5, 2]]),
      nine, 2],
    ['4 of 9: two in each of two groups', acks([[1, 9], [2, 9], [4, 8], [5, 8]]), nine, 8],
  ])('%s (hierarchical)', (_case, acked, rule, expected) => {
    expect(committedZxid(acked, rule)).toBe(expected);
  });
});
