// The quorum configurations the simulator runs, besides ZooKeeper's default majority: weighted
// (one group, zoo.cfg weight.N lines, weight 0 included) and hierarchical (two or three groups,
// a group may weigh nothing). Drawn from the seed by a generator of their own, so a seed names
// one configuration and choosing it moves nothing in the run's schedule.
import {
  hierarchicalRule,
  majorityRule,
  votersOf,
  weightOf,
  type QuorumGroup,
  type QuorumRule,
} from '../machines/quorum.js';
import type { ServerId } from '../protocol/peer.js';
import { SeededRandom } from './random.js';

export const quorumShapes = ['majority', 'weighted', 'hierarchical'] as const;
export type QuorumShape = (typeof quorumShapes)[number];

/** The largest weight drawn for a server (1..this, or 0 at weightZeroChance). */
const weightMax = 3;
/** Rare enough that most seeds keep a quorum through a crash or two. */
const weightZeroChance = 0.2;

/** `mixed` in `corral sim --quorum`: the shapes in turn, seed by seed. */
export function shapeOfSeed(seed: number): QuorumShape {
  return quorumShapes[seed % quorumShapes.length] ?? 'majority';
}

/** The rule `shape` gives `voters` under `seed` (a majority whatever the shape for one voter). */
export function quorumRuleForSeed(
  shape: QuorumShape,
  voters: readonly ServerId[],
  seed: number,
): QuorumRule {
  if (shape === 'majority' || voters.length < 2) return majorityRule(voters);
  const random = new SeededRandom((seed ^ 0x51ab_c0de) >>> 0);
  const groups = shape === 'weighted' ? [[...voters]] : splitIntoGroups(voters, random);
  const weights: Record<ServerId, number> = {};
  for (const voter of voters) {
    weights[voter] = random.chance(weightZeroChance) ? 0 : 1 + random.int(weightMax);
  }
  // At least one group must weigh something (configuration refuses anything else).
  const first = groups[0]?.[0] ?? voters[0]!;
  if (voters.every((voter) => weights[voter] === 0)) weights[first] = 1;
  const numbered: QuorumGroup[] = groups.map((members, index) => ({ id: index + 1, members }));
  return hierarchicalRule(numbered, weights);
}

/** Two or three non-empty groups (as many as there are voters, at most). */
function splitIntoGroups(voters: readonly ServerId[], random: SeededRandom): ServerId[][] {
  const count = Math.min(voters.length, 2 + random.int(2));
  const shuffled = [...voters];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = random.int(index + 1);
    [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
  }
  const groups: ServerId[][] = shuffled.slice(0, count).map((voter) => [voter]);
  for (const voter of shuffled.slice(count)) groups[random.int(count)]!.push(voter);
  return groups;
}

/**
 * The side a partition cuts off to put the weights to the test: the heaviest group, or with one
 * group the heaviest server (which may hold the quorum alone: the rest must then wait for it).
 */
export function heaviestSide(rule: QuorumRule): ServerId[] {
  if (rule.kind !== 'hierarchical') return [];
  const weighOf = (members: readonly ServerId[]) =>
    members.reduce((sum, member) => sum + weightOf(rule, member), 0);
  if (rule.groups.length > 1) {
    const heaviest = [...rule.groups].sort((first, second) =>
      weighOf(second.members) - weighOf(first.members))[0];
    return [...(heaviest?.members ?? [])];
  }
  const voters = votersOf(rule);
  const heaviest = [...voters].sort((first, second) =>
    weightOf(rule, second) - weightOf(rule, first))[0];
  return heaviest === undefined ? [] : [heaviest];
}
