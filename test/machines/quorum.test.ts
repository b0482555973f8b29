// Table tests for the quorum verifier (machines/quorum.ts): ZooKeeper's QuorumMaj and
// QuorumHierarchical, including the three-groups-of-three example from ZooKeeper's documentation
// on hierarchical quorums and its rule that groups weighing nothing are left out of the count.
import { describe, expect, it } from 'vitest';
import {
  containsQuorum,
  describeQuorumRule,
  hierarchicalRule,
  isVoterOf,
  majorityRule,
  quorumRuleOf,
  survivesLossOf,
  votersOf,
  weightOf,
  type QuorumGroup,
} from '../../machines/quorum.js';

const groups = (...members: number[][]): QuorumGroup[] =>
  members.map((servers, index) => ({ id: index + 1, members: servers }));

describe('majority (QuorumMaj)', () => {
  it.each([
    ['a majority of 3', [1, 2], [1, 2, 3], true],
    ['a minority of 3', [3], [1, 2, 3], false],
    ['duplicates count once', [2, 2, 2], [1, 2, 3], false],
    ['observers never count', [1, 4, 5], [1, 2, 3], false],
    ['half of 4 is no majority', [1, 2], [1, 2, 3, 4], false],
    ['3 of 4', [1, 2, 4], [1, 2, 3, 4], true],
    ['2 of 5 is a minority', [4, 5], [1, 2, 3, 4, 5], false],
    ['3 of 5 is a majority', [1, 4, 5], [1, 2, 3, 4, 5], true],
    ['an ensemble of one', [1], [1], true],
    ['nobody', [], [1], false],
  ])('%s', (_case, servers, voters, expected) => {
    expect(containsQuorum(majorityRule(voters), servers)).toBe(expected);
  });

  it('refuses an empty or duplicated voter list (a misconfiguration)', () => {
    expect(() => majorityRule([])).toThrow(/quorum rule violated/);
    expect(() => majorityRule([1, 1])).toThrow(/quorum rule violated/);
  });
});

// ZooKeeper's example: group.1=1:2:3 group.2=4:5:6 group.3=7:8:9, every weight 1 — "votes from
// at least two servers from each of two different groups".
const nine = hierarchicalRule(groups([1, 2, 3], [4, 5, 6], [7, 8, 9]));
// The same with group 3 weighing nothing (weight.7=weight.8=weight.9=0): 2 groups count, so
// both are needed, and servers 7-9 never matter.
const twoOfThree = hierarchicalRule(groups([1, 2, 3], [4, 5, 6], [7, 8, 9]), { 7: 0, 8: 0, 9: 0 });
// One group, weighted: group.1=1:2:3 weight.1=3 (total 5): 1 alone holds 3 > 2.5.
const heavyOne = hierarchicalRule(groups([1, 2, 3]), { 1: 3 });
// Even group weight: group.1=1:2:3:4, every weight 1: 2 of 4 is no more than half.
const evenGroup = hierarchicalRule(groups([1, 2, 3, 4]));
// Four groups, the last weighing 0: 3 count, a majority is 2 of them.
const four = hierarchicalRule(groups([1, 2], [3, 4], [5], [6]), { 6: 0 });
// A weight-0 server inside a weighted group: group.1=1:2:3 weight.3=0 (total 2, need 2).
const silentThird = hierarchicalRule(groups([1, 2, 3]), { 3: 0 });

describe('hierarchical (QuorumHierarchical.containsQuorum)', () => {
  it.each([
    ['docs: two of each of two groups', nine, [1, 2, 4, 5], true],
    ['docs: five servers, but a majority in one group only', nine, [1, 2, 3, 4, 7], false],
    ['docs: two of one group and one of each other', nine, [1, 2, 4, 7], false],
    ['docs: every server of two groups', nine, [4, 5, 6, 7, 8, 9], true],
    ['docs: nobody', nine, [], false],
    ['zero-weight group left out: both weighted groups', twoOfThree, [1, 2, 4, 5], true],
    ['zero-weight group left out: one weighted group', twoOfThree, [1, 2, 3, 7, 8, 9], false],
    ['zero-weight group left out: its servers add nothing', twoOfThree, [1, 2, 4, 7, 8, 9], false],
    ['heavy server alone is a quorum', heavyOne, [1], true],
    ['the two light servers are not', heavyOne, [2, 3], false],
    ['heavy plus a light one', heavyOne, [1, 3], true],
    ['even group weight: half is not more than half', evenGroup, [1, 2], false],
    ['even group weight: three of four', evenGroup, [1, 2, 4], true],
    ['four groups, one weightless: two of the three others', four, [1, 2, 5], true],
    ['four groups, one weightless: one and the weightless', four, [1, 2, 6], false],
    ['four groups: one server of each pair does not hold it', four, [1, 3, 5], false],
    ['weight-0 member: the two weighted', silentThird, [1, 2], true],
    ['weight-0 member: one weighted and the weightless', silentThird, [1, 3], false],
    ['unknown ids and duplicates are ignored', heavyOne, [2, 2, 3, 3, 42], false],
  ])('%s', (_case, rule, servers, expected) => {
    expect(containsQuorum(rule, servers)).toBe(expected);
  });

  it.each([
    ['weight-0 voter', silentThird, 3, 0, true],
    ['defaulted weight', silentThird, 1, 1, true],
    ['configured weight', heavyOne, 1, 3, true],
    ['not in any group', heavyOne, 4, 0, false],
    ['majority voter', majorityRule([1, 2, 3]), 2, 1, true],
    ['majority non-voter (observer)', majorityRule([1, 2, 3]), 4, 0, false],
  ])('weight and voting of a %s', (_case, rule, id, weight, voter) => {
    expect(weightOf(rule, id)).toBe(weight);
    expect(isVoterOf(rule, id)).toBe(voter);
  });

  it.each([
    ['losing the heavy server', heavyOne, [1], false],
    ['losing a light server', heavyOne, [2], true],
    ['losing a whole docs group', nine, [7, 8, 9], true],
    ['losing one server of each of two groups', nine, [1, 4], true],
    ['losing two servers of each of two groups', nine, [1, 2, 4, 5], false],
    ['losing the weightless group', twoOfThree, [7, 8, 9], true],
    ['losing one of 3 majority voters', majorityRule([1, 2, 3]), [3], true],
    ['losing two of 3 majority voters', majorityRule([1, 2, 3]), [2, 3], false],
  ])('survivesLossOf: %s', (_case, rule, lost, expected) => {
    expect(survivesLossOf(rule, lost)).toBe(expected);
  });

  it('lists grouped servers as the voters and describes itself', () => {
    expect(votersOf(four)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(describeQuorumRule(heavyOne)).toBe('groups 1:2:3 weights 1=3,2=1,3=1');
    expect(describeQuorumRule(majorityRule([3, 1, 2]))).toBe('majority of 1,2,3');
  });

  it.each([
    ['a server in two groups', () => hierarchicalRule(groups([1, 2], [2, 3]))],
    ['an empty group', () => hierarchicalRule(groups([1, 2], []))],
    ['a negative weight', () => hierarchicalRule(groups([1, 2]), { 1: -1 })],
    ['a fractional weight', () => hierarchicalRule(groups([1, 2]), { 1: 1.5 })],
    ['every group weighing nothing', () => hierarchicalRule(groups([1, 2]), { 1: 0, 2: 0 })],
    ['voters the rule does not list',
      () => quorumRuleOf([1, 2, 3], hierarchicalRule(groups([1, 2])))],
  ])('refuses %s (a programmer error: configuration refuses it first)', (_case, build) => {
    expect(build).toThrow(/quorum rule violated/);
  });
});

/** Every subset of `servers`, as arrays. */
function subsets(servers: readonly number[]): number[][] {
  return Array.from({ length: 2 ** servers.length }, (_, mask) =>
    servers.filter((_, index) => (mask >> index) & 1));
}

describe('any two quorums share a server that weighs something (why Zab is safe with them)', () => {
  it.each([
    ['docs: three groups of three', nine],
    ['a zero-weight group', twoOfThree],
    ['one heavy server', heavyOne],
    ['an even group', evenGroup],
    ['four groups, one weightless', four],
    ['a weight-0 member', silentThird],
    ['majority of 4', majorityRule([1, 2, 3, 4])],
    ['uneven weights in uneven groups',
      hierarchicalRule(groups([1, 2, 3], [4, 5], [6]), { 1: 2, 2: 0, 4: 3, 6: 0 })],
  ])('%s', (_case, rule) => {
    const quorums = subsets(votersOf(rule)).filter((servers) => containsQuorum(rule, servers));
    expect(quorums.length).toBeGreaterThan(0);
    for (const first of quorums) {
      for (const second of quorums) {
        const shared = first.filter((id) => second.includes(id) && weightOf(rule, id) > 0);
        expect(shared, `${first} and ${second}`).not.toEqual([]);
      }
    }
  });
});
