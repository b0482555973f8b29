// Weighted and hierarchical quorums in npm test's simulator slice: zoo.cfg weight.N (one group,
// weight 0 included) and group.N (two or three groups, some weighing nothing) drawn per seed,
// under every fault the simulator injects, heavy-side isolations among them.
import { describe, expect, it } from 'vitest';
import { quorumRuleForSeed } from '../../sim/quorum-shapes.js';
import { describeQuorumRule } from '../../machines/quorum.js';
import { runSeeds, seedRange } from './simulation-support.js';

describe('deterministic simulation, weighted and hierarchical quorums', () => {
  it('draws one configuration per seed, the same every time', () => {
    const drawn = seedRange(1, 4).map((seed) =>
      describeQuorumRule(quorumRuleForSeed('hierarchical', [1, 2, 3, 4, 5], seed)));
    expect(new Set(drawn).size).toBeGreaterThan(1);
    expect(describeQuorumRule(quorumRuleForSeed('hierarchical', [1, 2, 3, 4, 5], 1)))
      .toBe(drawn[0]);
    expect(describeQuorumRule(quorumRuleForSeed('majority', [1, 2, 3], 1)))
      .toBe('majority of 1,2,3');
  });

  it('keeps every invariant with weights (3 voters, seeds 1..20)', async () => {
    const slice = await runSeeds(seedRange(1, 20), { quorum: 'weighted' });
    expect(slice.failures).toEqual([]);
    expect(slice.operations).toBeGreaterThan(200);
  }, 120_000);

  it('keeps every invariant with groups (5 voters, seeds 1..15)', async () => {
    const slice = await runSeeds(seedRange(1, 15), { quorum: 'hierarchical', voters: 5 });
    expect(slice.failures).toEqual([]);
    expect(slice.operations).toBeGreaterThan(100);
  }, 120_000);
});
