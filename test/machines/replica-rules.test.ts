// Table tests for the leader's pure rules: the new epoch, a learner ahead of the leader, and the
// choice of DIFF, TRUNC or SNAP.
import { describe, expect, it } from 'vitest';
import {
  isLearnerAhead,
  newEpochFor,
  syncModeFor,
  type LeaderLog,
} from '../../machines/leading/rules.js';
import { makeZxid } from '../../protocol/zxid.js';

const z = makeZxid;

describe('newEpochFor', () => {
  it.each([
    [[0], 1],
    [[0, 0, 0], 1],
    [[3, 1, 2], 4],
    [[7, 7], 8],
  ])('acceptedEpochs %j → %i', (accepted, expected) => {
    expect(newEpochFor(accepted)).toBe(expected);
  });

  it('throws without any acceptedEpoch', () => {
    expect(() => newEpochFor([])).toThrow(/no acceptedEpoch/);
  });
});

describe('isLearnerAhead', () => {
  const leader = { currentEpoch: 2, lastZxid: z(2, 5) };
  it.each([
    [{ currentEpoch: 3, lastZxid: 0 }, true],
    [{ currentEpoch: 2, lastZxid: z(2, 6) }, true],
    [{ currentEpoch: 2, lastZxid: z(2, 5) }, false],
    [{ currentEpoch: 1, lastZxid: z(1, 99) }, false],
    [{ currentEpoch: 1, lastZxid: z(9, 1) }, false],
  ])('learner %j ahead of leader 2/0x200000005: %s', (learner, expected) => {
    expect(isLearnerAhead(learner, leader)).toBe(expected);
  });
});

describe('syncModeFor', () => {
  const log: LeaderLog = {
    firstZxid: z(1, 1),
    lastZxid: z(3, 2),
    committedZxid: z(3, 1),
    epochEnds: [z(1, 4), z(3, 2)],
  };
  const compacted: LeaderLog = { ...log, firstZxid: z(1, 3) };
  const empty: LeaderLog = { firstZxid: 0, lastZxid: 0, committedZxid: 0, epochEnds: [] };
  it.each([
    ['up to date', z(3, 2), log, { mode: 'diff', afterZxid: z(3, 2) }],
    ['missed commits', z(1, 2), log, { mode: 'diff', afterZxid: z(1, 2) }],
    ['missed an epoch', z(1, 4), log, { mode: 'diff', afterZxid: z(1, 4) }],
    ['holds an outstanding proposal', z(3, 2), log, { mode: 'diff', afterZxid: z(3, 2) }],
    ['uncommitted tail in epoch 1', z(1, 6), log, { mode: 'trunc', truncateToZxid: z(1, 4) }],
    ['tail of an unseen epoch', z(2, 3), log, { mode: 'trunc', truncateToZxid: z(1, 4) }],
    ['empty log', 0, log, { mode: 'snap' }],
    ['behind the compacted log', z(1, 2), compacted, { mode: 'snap' }],
    ['both empty', 0, empty, { mode: 'diff', afterZxid: 0 }],
    ['history the empty leader lacks', z(1, 3), empty, { mode: 'trunc', truncateToZxid: 0 }],
  ] as const)('%s (learner %s)', (_situation, learnerLastZxid, leaderLog, expected) => {
    expect(syncModeFor(learnerLastZxid, leaderLog)).toEqual(expected);
  });
});
