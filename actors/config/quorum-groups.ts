// zoo.cfg's hierarchical quorums (`group.N=a:b:c`, `weight.N=w`), read and checked as ZooKeeper's
// QuorumHierarchical does, and refused where ZooKeeper would run a quorum its operator did not
// mean (or crash on): each ConfigError names the key. The result is machines/quorum.ts's rule.
import {
  ConfigError,
  parseInteger,
  parseValue,
  memberId,
  ValueProblem,
  type QuorumServerAddress,
} from '../../protocol/config/values.js';
import {
  hierarchicalRule,
  majorityRule,
  type QuorumRule,
} from '../../machines/quorum.js';

/** The group./weight. lines as zoo.cfg gave them; undefined when it gave none (a majority). */
export interface QuorumHierarchy {
  /** group id → its servers, as listed. */
  groups: ReadonlyMap<number, readonly number[]>;
  /** server id → its weight (a grouped server without one weighs 1). */
  weights: ReadonlyMap<number, number>;
}

export interface QuorumGroupsConfig {
  /** zoo.cfg `group.N` / `weight.N` (ZooKeeper's QuorumHierarchical); undefined: a majority. */
  quorumHierarchy: QuorumHierarchy | undefined;
}

/** True for the keys QuorumPeerConfig hands to QuorumHierarchical. */
export function isQuorumGroupKey(key: string): boolean {
  return key.startsWith('group.') || key.startsWith('weight.');
}

/** Gathers group./weight. lines; later lines win per key, as Properties.load does. */
export class QuorumHierarchyReader {
  private readonly groups = new Map<number, readonly number[]>();
  private readonly weights = new Map<number, number>();
  private readonly keys = new Map<string, string>();

  read(key: string, value: string, where: string): void {
    const isGroup = key.startsWith('group.');
    const suffix = key.slice(isGroup ? 'group.'.length : 'weight.'.length);
    const id = isGroup
      ? parseValue((text) => parseInteger(text, 0, 'expected a group id'), key, suffix, where)
      : parseValue(memberId, key, suffix, where);
    // `group.1` twice is one key (the later wins); `group.01` beside it names the same group.
    const canonical = `${isGroup ? 'group' : 'weight'}.${id}`;
    const earlier = this.keys.get(canonical);
    if (earlier !== undefined && earlier !== key) {
      throw new ConfigError(`invalid ${key}: ${earlier} already names ${canonical}`, key);
    }
    this.keys.set(canonical, key);
    if (isGroup) this.groups.set(id, parseValue(groupMembers, key, value, where));
    else this.weights.set(id, parseValue(weight, key, value, where));
  }

  result(): QuorumHierarchy | undefined {
    if (this.groups.size === 0 && this.weights.size === 0) return undefined;
    return { groups: this.groups, weights: this.weights };
  }
}

function groupMembers(value: string): number[] {
  const members = value.split(':').map((text) => memberId(text.trim()));
  const repeated = members.find((member, index) => members.indexOf(member) !== index);
  if (repeated !== undefined) throw new ValueProblem(`server ${repeated} is listed twice`);
  return members;
}

function weight(value: string): number {
  return parseInteger(value, 0, 'expected a non-negative integer weight');
}

type Servers = ReadonlyMap<number, QuorumServerAddress>;

/**
 * QuorumHierarchical.parse's rules and the ones it leaves to a crash or a silent surprise: every
 * participant in exactly one group; groups and weights only for configured participants (an
 * observer never votes); weights need groups; some group must weigh anything.
 */
export function checkQuorumHierarchy(servers: Servers, hierarchy: QuorumHierarchy): void {
  const groupOf = new Map<number, number>();
  for (const [groupId, members] of hierarchy.groups) {
    const key = `group.${groupId}`;
    for (const member of members) {
      requireParticipant(servers, member, key);
      const earlier = groupOf.get(member);
      if (earlier !== undefined) {
        throw new ConfigError(
          `invalid ${key}: server ${member} is already in group.${earlier}; ` +
            'a server belongs to one group',
          key,
        );
      }
      groupOf.set(member, groupId);
    }
  }
  for (const id of hierarchy.weights.keys()) requireParticipant(servers, id, `weight.${id}`);
  for (const server of servers.values()) {
    if (server.peerType !== 'participant' || groupOf.has(server.id)) continue;
    const key = `server.${server.id}`;
    const lines = hierarchy.groups.size === 0 ? 'weight.N lines need group.N lines: ' : '';
    throw new ConfigError(
      `invalid ${key}: ${lines}with group.N/weight.N every participant must be in a group`,
      key,
    );
  }
  const weighs = (members: readonly number[]) =>
    members.some((member) => (hierarchy.weights.get(member) ?? 1) > 0);
  if (![...hierarchy.groups.values()].some(weighs)) {
    const key = `group.${[...hierarchy.groups.keys()][0] ?? 0}`;
    throw new ConfigError(
      `invalid ${key}: every group weighs 0, so no quorum could ever form`,
      key,
    );
  }
}

function requireParticipant(servers: Servers, id: number, key: string): void {
  const server = servers.get(id);
  if (server === undefined) {
    throw new ConfigError(`invalid ${key}: server ${id} has no server.${id} line`, key);
  }
  if (server.peerType === 'observer') {
    throw new ConfigError(
      `invalid ${key}: server.${id} is an observer; observers never vote, so they take no ` +
        'group or weight',
      key,
    );
  }
}

/** The verifier a replica counts with: its groups and weights, or a majority of participants. */
export function quorumRuleOfConfig(
  servers: Servers,
  hierarchy: QuorumHierarchy | undefined,
): QuorumRule {
  if (hierarchy === undefined) {
    const participants = [...servers.values()]
      .filter((server) => server.peerType === 'participant')
      .map((server) => server.id);
    return majorityRule(participants);
  }
  const groups = [...hierarchy.groups].map(([id, members]) => ({ id, members }));
  return hierarchicalRule(groups, Object.fromEntries(hierarchy.weights));
}

/**
 * QuorumHierarchical.toString's lines after the server lines: `group.N=a:b` per group, then
 * `weight.N=w` for every grouped server (defaults filled in), ids ascending.
 */
export function quorumHierarchyLines(rule: QuorumRule): string[] {
  if (rule.kind !== 'hierarchical') return [];
  const groups = rule.groups.map((group) => `group.${group.id}=${group.members.join(':')}`);
  const weights = Object.entries(rule.weights)
    .map(([id, value]) => [Number(id), value] as const)
    .sort(([first], [second]) => first - second)
    .map(([id, value]) => `weight.${id}=${value}`);
  return [...groups, ...weights];
}
