// The ensemble's membership as a value the replicas agree on: the server lines (address and role
// of every member), the optional hierarchical groups and weights, each member's site (corral's
// site.N, which tree broadcast and client locality read), and the version — the zxid of
// the reconfig txn that made it (0 for the configuration a replica started with). It travels in
// the reconfig txn, is written into /zookeeper/config as ZooKeeper's QuorumVerifier.toString
// writes it, and is read back from there. resolveReconfig turns a client's reconfig request into
// the next membership the way ZooKeeper's PrepRequestProcessor does, or into its error code.
import { ErrorCode } from './errors.js';
import {
  parseQuorumServer,
  siteName,
  ValueProblem,
  type QuorumServerAddress,
} from './config/values.js';
import type { Zxid } from './zxid.js';

/** One `group.N=a:b:c` line: the group's id and its servers. */
export interface MembershipGroup {
  id: number;
  members: readonly number[];
}

export interface Membership {
  /** Every member in id order, observers included. */
  servers: readonly QuorumServerAddress[];
  /** QuorumHierarchical's groups; absent for a majority quorum. */
  groups?: readonly MembershipGroup[];
  /** Weights zoo.cfg gave (a grouped server without one weighs 1); only with groups. */
  weights?: Readonly<Record<number, number>>;
  /** site.N: member id → its site; absent when no member names one. Members absent from it
   * are in no site. */
  sites?: Readonly<Record<number, string>>;
}

export interface VersionedMembership extends Membership {
  /** The zxid of the reconfig txn that made it; 0 for a static configuration. */
  version: Zxid;
}

/** The participants' ids, ascending: every server that votes (weight 0 included). */
export function participantsOf(membership: Membership): number[] {
  return membership.servers
    .filter((server) => server.peerType === 'participant')
    .map((server) => server.id)
    .sort((first, second) => first - second);
}

export function memberIdsOf(membership: Membership): number[] {
  return membership.servers.map((server) => server.id).sort((first, second) => first - second);
}

/** `server.N=host:quorumPort:electionPort:role[;clientHost:clientPort]`, as ZooKeeper prints it. */
export function serverLine(server: QuorumServerAddress): string {
  const client = server.client === undefined ? '' : `;${server.client.host}:${server.client.port}`;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return `server.${server.id}=${host}:${server.quorumPort}:${server.electionPort}:` +
    `${server.peerType}${client}`;
}

/** The membership's lines without `version=`: server lines, group and weight lines, sites. */
export function membershipLines(membership: Membership): string[] {
  const servers = [...membership.servers].sort((first, second) => first.id - second.id);
  const lines = servers.map(serverLine);
  if (membership.groups !== undefined) {
    const groups = [...membership.groups].sort((first, second) => first.id - second.id);
    lines.push(...groups.map((group) => `group.${group.id}=${group.members.join(':')}`));
    const weights = Object.entries(membership.weights ?? {})
      .map(([id, weight]) => [Number(id), weight] as const)
      .sort(([first], [second]) => first - second);
    lines.push(...weights.map(([id, weight]) => `weight.${id}=${weight}`));
  }
  const sites = Object.entries(membership.sites ?? {})
    .map(([id, site]) => [Number(id), site] as const)
    .sort(([first], [second]) => first - second);
  lines.push(...sites.map(([id, site]) => `site.${id}=${site}`));
  return lines;
}

/**
 * Whether two memberships have the same members in the same roles, groups, weights and sites,
 * whatever addresses they give: two replicas may reach the same peer by different addresses
 * (a proxy in between, a NAT), and neither view is wrong.
 */
export function sameMembers(first: Membership, second: Membership): boolean {
  const withoutAddresses = (membership: Membership): string => membershipLines({
    ...membership,
    servers: membership.servers.map((server) => ({
      ...server, host: '', quorumPort: 0, electionPort: 0, client: undefined,
    })),
  }).join('\n');
  return withoutAddresses(first) === withoutAddresses(second);
}

/** /zookeeper/config's text: the lines, then `version=` and the version in hex. */
export function membershipText(membership: VersionedMembership): string {
  return [...membershipLines(membership), `version=${membership.version.toString(16)}`].join('\n');
}

export class MembershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MembershipError';
  }
}

/**
 * Reads membership lines (newline- or comma-separated `key=value`): server, group, weight and
 * site lines, and `version=` when `allowVersion`. Anything else is an error, as in ZooKeeper's
 * parseDynamicConfig.
 */
export function parseMembershipLines(
  text: string,
  allowVersion: boolean,
): { membership: Membership; version: Zxid | undefined } {
  const servers = new Map<number, QuorumServerAddress>();
  const groups = new Map<number, number[]>();
  const weights: Record<number, number> = {};
  const sites: Record<number, string> = {};
  let version: Zxid | undefined;
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals < 0) throw new MembershipError(`not a key=value line: ${line}`);
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (key.startsWith('server.')) {
      let server: QuorumServerAddress;
      try {
        server = parseQuorumServer(key, value);
      } catch (error) {
        throw new MembershipError(error instanceof Error ? error.message : String(error));
      }
      servers.set(server.id, server);
    } else if (key.startsWith('group.')) {
      groups.set(integerOf(key, key.slice('group.'.length)), value.split(':')
        .map((member) => integerOf(key, member.trim())));
    } else if (key.startsWith('weight.')) {
      weights[integerOf(key, key.slice('weight.'.length))] = integerOf(key, value);
    } else if (key.startsWith('site.')) {
      sites[integerOf(key, key.slice('site.'.length))] = siteNameOf(key, value);
    } else if (key === 'version' && allowVersion) {
      if (!/^[0-9a-fA-F]{1,16}$/.test(value)) throw new MembershipError(`bad version ${value}`);
      version = Number.parseInt(value, 16);
    } else {
      throw new MembershipError(`unexpected key ${key}`);
    }
  }
  const membership: Membership = {
    servers: [...servers.values()].sort((first, second) => first.id - second.id),
    ...(groups.size === 0
      ? {}
      : { groups: [...groups].map(([id, members]) => ({ id, members })), weights }),
    ...(Object.keys(sites).length === 0 ? {} : { sites }),
  };
  if (groups.size === 0 && Object.keys(weights).length > 0) {
    throw new MembershipError('weight.N lines need group.N lines');
  }
  checkMembership(membership);
  return { membership, version };
}

function siteNameOf(key: string, text: string): string {
  try {
    return siteName(text);
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    throw new MembershipError(`invalid ${key}: ${error.message}`);
  }
}

function integerOf(key: string, text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new MembershipError(`invalid ${key}: ${text} is not a number`);
  return Number(text);
}

/** /zookeeper/config's text back into a membership. */
export function parseMembershipText(text: string): VersionedMembership {
  const { membership, version } = parseMembershipLines(text, true);
  return { ...membership, version: version ?? 0 };
}

/** Two members may not share a quorum or election endpoint (QuorumServer.checkAddressDuplicate). */
function checkMembership(membership: Membership): void {
  const endpoints = new Map<string, number>();
  for (const server of membership.servers) {
    for (const port of [server.quorumPort, server.electionPort]) {
      const endpoint = `${server.host}:${port}`;
      const holder = endpoints.get(endpoint);
      if (holder !== undefined && holder !== server.id) {
        throw new MembershipError(`server.${server.id} reuses ${endpoint} of server.${holder}`);
      }
      endpoints.set(endpoint, server.id);
    }
    if (server.quorumPort === server.electionPort) {
      throw new MembershipError(`server.${server.id}: quorum and election ports are equal`);
    }
  }
  checkSites(membership);
  if (membership.groups === undefined) return;
  const participants = new Set(participantsOf(membership));
  const grouped = new Set<number>();
  for (const group of membership.groups) {
    for (const member of group.members) {
      if (!participants.has(member)) {
        throw new MembershipError(`group.${group.id} lists ${member}, not a participant`);
      }
      if (grouped.has(member)) throw new MembershipError(`server ${member} is in two groups`);
      grouped.add(member);
    }
  }
  const ungrouped = [...participants].find((id) => !grouped.has(id));
  if (ungrouped !== undefined) throw new MembershipError(`server ${ungrouped} is in no group`);
}

/** Every site line names a member, voter or observer. */
function checkSites(membership: Membership): void {
  const members = new Set(memberIdsOf(membership));
  for (const id of Object.keys(membership.sites ?? {}).map(Number)) {
    if (!members.has(id)) throw new MembershipError(`site.${id} names ${id}, not a member`);
  }
}

/** What a client's reconfig asks (ZooKeeper's ReconfigRequest). */
export interface ReconfigAsk {
  /** Incremental: `server.N=…` entries, comma-separated. */
  joining: string | null;
  /** Incremental: server ids, comma-separated. */
  leaving: string | null;
  /** Non-incremental: the whole new membership (comma- or newline-separated lines). */
  newMembers: string | null;
}

/**
 * The membership a reconfig asks for, from the last one seen, or ZooKeeper's BadArguments.
 * A non-incremental request replaces the membership (sites included); an incremental one removes
 * `leaving` and adds (or replaces) `joining`, and needs a majority quorum system. Members it
 * keeps keep their sites; a joining `site.N=NAME` entry (corral's) sets or moves N's site. The
 * checks that need the leader's state (in progress, version, synced quorum, ACL) are the
 * caller's.
 */
export function resolveReconfig(
  current: Membership,
  ask: ReconfigAsk,
  standaloneEnabled: boolean,
): { ok: true; membership: Membership } | { ok: false; err: number; why: string } {
  const bad = (why: string) => ({ ok: false as const, err: ErrorCode.badArguments, why });
  let next: Membership;
  try {
    if (ask.newMembers !== null) {
      next = parseMembershipLines(ask.newMembers, false).membership;
    } else {
      if (current.groups !== undefined) {
        return bad('Incremental reconfiguration requested but last configuration seen has a ' +
          'non-majority quorum system');
      }
      const servers = new Map(current.servers.map((server) => [server.id, server] as const));
      const sites = new Map(Object.entries(current.sites ?? {}).map(([id, site]) =>
        [Number(id), site] as const));
      for (const leaving of splitList(ask.leaving)) {
        if (!/^\d+$/.test(leaving)) return bad(`leaving server id ${leaving} is not a number`);
        servers.delete(Number(leaving));
        sites.delete(Number(leaving));
      }
      for (const joiner of splitList(ask.joining)) {
        const parts = joiner.split('=');
        if (parts.length !== 2) return bad('Wrong format of server string');
        const key = parts[0]!.trim();
        if (key.startsWith('site.')) {
          sites.set(integerOf(key, key.slice('site.'.length)), siteNameOf(key, parts[1]!.trim()));
          continue;
        }
        const server = parseQuorumServer(`server.${key.slice(key.lastIndexOf('.') + 1)}`,
          parts[1]!.trim());
        if (server.client === undefined) {
          return bad('Wrong format of server string - each server should have at least 3 ' +
            'ports specified');
        }
        servers.set(server.id, server);
      }
      next = {
        servers: [...servers.values()].sort((first, second) => first.id - second.id),
        ...(sites.size === 0 ? {} : { sites: Object.fromEntries(sites) }),
      };
      checkMembership(next);
    }
  } catch (error) {
    return bad(error instanceof Error ? error.message : String(error));
  }
  const voters = participantsOf(next).length;
  if (standaloneEnabled && voters < 2) {
    return bad('Reconfig failed - new configuration must include at least 2 followers');
  }
  if (voters < 1) {
    return bad('Reconfig failed - new configuration must include at least 1 follower');
  }
  return { ok: true, membership: next };
}

function splitList(text: string | null): string[] {
  if (text === null) return [];
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** A membership for tests and hand-built hosts that know only the voters' ids. */
export function membershipOfIds(
  voters: readonly number[],
  observers: readonly number[] = [],
): Membership {
  const server = (id: number, peerType: 'participant' | 'observer'): QuorumServerAddress => ({
    id,
    host: `replica-${id}`,
    quorumPort: 2888,
    electionPort: 3888,
    peerType,
  });
  return {
    servers: [
      ...voters.map((id) => server(id, 'participant')),
      ...observers.map((id) => server(id, 'observer')),
    ].sort((first, second) => first.id - second.id),
  };
}
