// The quorum verifier every count in Zab asks — election, discovery, synchronization, commit and
// the leader's liveness check — as one pure value: ZooKeeper's QuorumMaj (a strict majority of
// the voters) or QuorumHierarchical (zoo.cfg group.N / weight.N), so no caller counts on its own.
import type { ServerId } from '../protocol/peer.js';
import { participantsOf, type Membership } from '../protocol/membership.js';

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`quorum rule violated: ${message}`);
}

/** One zoo.cfg `group.N=a:b:c` line: the group's id and its servers. */
export interface QuorumGroup {
  id: number;
  members: readonly ServerId[];
}

export type QuorumRule =
  /** QuorumMaj: more than half of the voters; every voter weighs 1. */
  | { kind: 'majority'; voters: readonly ServerId[] }
  /**
   * QuorumHierarchical: disjoint groups, each server with a weight (1 unless zoo.cfg says
   * otherwise, 0 allowed). A set is a quorum when, in more than half of the groups that weigh
   * anything, its servers hold more than half of that group's weight.
   */
  | {
      kind: 'hierarchical';
      groups: readonly QuorumGroup[];
      /** Every grouped server's weight, defaults filled in. */
      weights: Readonly<Record<ServerId, number>>;
    }
  /**
   * Two configurations at once: the active one and a reconfig seen in the log but not yet
   * active (ZooKeeper's lastSeenQuorumVerifier). A set is a quorum only when it is one of each,
   * so whichever of the two turns out to be committed, every quorum counted meanwhile held.
   */
  | { kind: 'joint'; rules: readonly [QuorumRule, QuorumRule] };

/** Both rules at once (see the joint kind); the same rule twice is just that rule. */
export function jointRule(active: QuorumRule, seen: QuorumRule): QuorumRule {
  if (describeQuorumRule(active) === describeQuorumRule(seen)) return active;
  return { kind: 'joint', rules: [active, seen] };
}

const ascending = (first: number, second: number) => first - second;

/** ZooKeeper's default verifier. */
export function majorityRule(voters: readonly ServerId[]): QuorumRule {
  assert(voters.length > 0, 'an ensemble has at least one voter');
  assert(new Set(voters).size === voters.length, 'voters are distinct');
  return { kind: 'majority', voters: [...voters].sort(ascending) };
}

/**
 * A hierarchical verifier from groups and the weights zoo.cfg gave (a grouped server without
 * one weighs 1, as in QuorumHierarchical.parse). Configuration refuses what would trip these.
 */
export function hierarchicalRule(
  groups: readonly QuorumGroup[],
  weights: Readonly<Record<ServerId, number>> = {},
): QuorumRule {
  const members = groups.flatMap((group) => [...group.members]);
  assert(groups.length > 0 && groups.every((group) => group.members.length > 0),
    'hierarchical quorums need non-empty groups');
  assert(new Set(members).size === members.length, 'a server is in one group only');
  assert(new Set(groups.map((group) => group.id)).size === groups.length, 'group ids differ');
  const filled: Record<ServerId, number> = {};
  for (const member of members) {
    const weight = weights[member] ?? 1;
    assert(Number.isSafeInteger(weight) && weight >= 0, `weight of ${member} is ${weight}`);
    filled[member] = weight;
  }
  const sorted = [...groups]
    .map((group) => ({ id: group.id, members: [...group.members].sort(ascending) }))
    .sort((first, second) => first.id - second.id);
  const rule: QuorumRule = { kind: 'hierarchical', groups: sorted, weights: filled };
  assert(countedGroups(rule) > 0, 'some group weighs more than 0');
  return rule;
}

/** The participants: every server that votes, weight 0 included; observers are not listed. */
export function votersOf(rule: QuorumRule): ServerId[] {
  if (rule.kind === 'majority') return [...rule.voters];
  if (rule.kind === 'joint') {
    return [...new Set(rule.rules.flatMap((each) => votersOf(each)))].sort(ascending);
  }
  return rule.groups.flatMap((group) => [...group.members]).sort(ascending);
}

export function isVoterOf(rule: QuorumRule, id: ServerId): boolean {
  if (rule.kind === 'majority') return rule.voters.includes(id);
  if (rule.kind === 'joint') return rule.rules.some((each) => isVoterOf(each, id));
  return Object.hasOwn(rule.weights, id);
}

/**
 * QuorumVerifier.getWeight: what a server's agreement counts for. Fast leader election never
 * adopts a vote for a server of weight 0, so such a server never leads.
 */
export function weightOf(rule: QuorumRule, id: ServerId): number {
  if (rule.kind === 'majority') return rule.voters.includes(id) ? 1 : 0;
  if (rule.kind === 'joint') return Math.max(...rule.rules.map((each) => weightOf(each, id)));
  return rule.weights[id] ?? 0;
}

function groupWeight(rule: QuorumRule & { kind: 'hierarchical' }, group: QuorumGroup): number {
  return group.members.reduce((sum, member) => sum + (rule.weights[member] ?? 0), 0);
}

/** Groups that weigh anything: ZooKeeper leaves zero-weight groups out of the count. */
function countedGroups(rule: QuorumRule & { kind: 'hierarchical' }): number {
  return rule.groups.filter((group) => groupWeight(rule, group) > 0).length;
}

/**
 * QuorumVerifier.containsQuorum over `servers` (duplicates and non-voters ignored): a strict
 * majority of voters, or a strict majority of the weighted groups each holding more than half
 * of its own weight. The empty set is never a quorum.
 */
export function containsQuorum(rule: QuorumRule, servers: Iterable<ServerId>): boolean {
  const present = new Set(servers);
  if (rule.kind === 'joint') return rule.rules.every((each) => containsQuorum(each, present));
  if (rule.kind === 'majority') {
    const voting = rule.voters.filter((voter) => present.has(voter)).length;
    return voting > Math.floor(rule.voters.length / 2);
  }
  let heldGroups = 0;
  for (const group of rule.groups) {
    const held = group.members
      .filter((member) => present.has(member))
      .reduce((sum, member) => sum + (rule.weights[member] ?? 0), 0);
    // Integer halves, as ZooKeeper's long division: more than half of the group's weight.
    if (held > Math.floor(groupWeight(rule, group) / 2)) heldGroups++;
  }
  return heldGroups > Math.floor(countedGroups(rule) / 2);
}

/** Can the voters other than `excluded` still make a quorum on their own? */
export function survivesLossOf(rule: QuorumRule, excluded: Iterable<ServerId>): boolean {
  const gone = new Set(excluded);
  return containsQuorum(rule, votersOf(rule).filter((voter) => !gone.has(voter)));
}

/** One line for logs and traces: `majority of 1,2,3` or `groups 1:2:3|4:5 weights 1=2,…`. */
export function describeQuorumRule(rule: QuorumRule): string {
  if (rule.kind === 'majority') return `majority of ${rule.voters.join(',')}`;
  if (rule.kind === 'joint') return rule.rules.map(describeQuorumRule).join(' and ');
  const groups = rule.groups.map((group) => group.members.join(':')).join('|');
  const weights = votersOf(rule).map((id) => `${id}=${weightOf(rule, id)}`).join(',');
  return `groups ${groups} weights ${weights}`;
}

/**
 * The rule a machine's input names, or a majority of `voters` when it names none. Both given,
 * they must list the same voters: the rule is the one source of who counts for how much.
 */
export function quorumRuleOf(voters: readonly ServerId[], rule?: QuorumRule): QuorumRule {
  if (rule === undefined) return majorityRule(voters);
  const listed = [...voters].sort(ascending).join(',');
  assert(votersOf(rule).join(',') === listed, `voters ${listed} differ from the rule's`);
  return rule;
}

/**
 * The verifier a membership defines: hierarchical when it has groups, else a majority of its
 * participants (QuorumPeerConfig.parseDynamicConfig's choice).
 */
export function membershipRule(membership: Membership): QuorumRule {
  if (membership.groups === undefined) return majorityRule(participantsOf(membership));
  return hierarchicalRule(membership.groups, membership.weights ?? {});
}
