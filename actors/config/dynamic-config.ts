// ZooKeeper 3.5+'s dynamic configuration file, read: zoo.cfg's `dynamicConfigFile=PATH` names a
// file holding the membership (server.N, group.N, weight.N, and corral's site.N) whose version
// is its name's hex suffix (`zoo.cfg.dynamic.100000000`), and `<zoo.cfg>.dynamic.next` holds a
// proposed, uncommitted one.
// The rules are QuorumPeerConfig.parse's and parseDynamicConfig's, so a ZooKeeper config starts
// corral unchanged; every error names the key and the file holding it.
import { existsSync, readFileSync } from 'node:fs';
import { readJavaProperties } from '../../protocol/config/java-properties.js';
import {
  ConfigError,
  parseQuorumServer,
  type QuorumServerAddress,
} from '../../protocol/config/values.js';
import { checkServerLines } from './ensemble.js';
import {
  checkQuorumHierarchy,
  isQuorumGroupKey,
  QuorumHierarchyReader,
  type QuorumHierarchy,
} from './quorum-groups.js';
import { checkSites, isSiteKey, SiteReader } from './sites.js';

/** The membership a configuration version names: what /zookeeper/config shows. */
export interface Membership {
  servers: ReadonlyMap<number, QuorumServerAddress>;
  /** group.N / weight.N; undefined for a majority of participants. */
  quorumHierarchy?: QuorumHierarchy | undefined;
  /** site.N: server id → its site; undefined (or empty) when no server names one. */
  sites?: ReadonlyMap<number, string> | undefined;
  /** The configuration's version, a zxid (0 for a configuration never committed). */
  version: bigint;
}

export interface DynamicConfigFields {
  /** The configuration's version: the dynamic file's, 0 for a static zoo.cfg. */
  configVersion: bigint;
  /** zoo.cfg `dynamicConfigFile`, as written there; undefined for a static zoo.cfg. */
  dynamicConfigFile: string | undefined;
  /** The zoo.cfg path the configuration came from (`--config`), which a reconfiguration
   * rewrites; undefined when it came from flags alone. */
  configPath: string | undefined;
  /** `<zoo.cfg>.dynamic.next`: a membership proposed but not known to be committed when this
   * replica stopped (ZooKeeper's lastSeenQuorumVerifier). Set only with reconfigEnabled and a
   * version above configVersion, the only case in which ZooKeeper acts on it. */
  lastSeenMembership: Membership | undefined;
}

/** ZooKeeper's QuorumPeerConfig.nextDynamicConfigFileSuffix, appended to the zoo.cfg path. */
export const nextDynamicConfigSuffix = '.dynamic.next';

/**
 * The keys that belong in the dynamic file. ZooKeeper matches them by prefix (`group`, `weight`
 * without the dot), both when it refuses them in zoo.cfg beside dynamicConfigFile and when it
 * drops them from zoo.cfg on a reconfiguration. corral's site.N lines go with them: a site line
 * left in zoo.cfg would outlive the server a reconfig removed, and refuse the next start.
 */
export function isMembershipKey(key: string): boolean {
  return key.startsWith('server.') || key.startsWith('group') || key.startsWith('weight') ||
    isSiteKey(key);
}

/** Where QuorumPeer writes the committed membership of `version`: beside zoo.cfg. */
export function dynamicConfigPathFor(configPath: string, version: bigint): string {
  return `${configPath}.dynamic.${version.toString(16)}`;
}

/** Where QuorumPeer writes a proposed membership: `<zoo.cfg path>.dynamic.next`. */
export function nextDynamicConfigPath(configPath: string): string {
  return `${configPath}${nextDynamicConfigSuffix}`;
}

/**
 * A version in Java's Long.parseLong(text, 16) form (an optional sign, hex digits, within a
 * signed 64-bit long), as the unsigned 64 bits Long.toHexString prints; undefined otherwise.
 */
export function parseHexVersion(text: string): bigint | undefined {
  const match = /^([+-]?)([0-9a-fA-F]+)$/.exec(text);
  if (match === null) return undefined;
  const magnitude = BigInt(`0x${match[2]}`);
  const value = match[1] === '-' ? -magnitude : magnitude;
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return undefined;
  return BigInt.asUintN(64, value);
}

/**
 * QuorumPeerConfig.getVersionFromFilename: the hex after the path's last dot, undefined when
 * that is not hex (`zoo.cfg.dynamic`), which ZooKeeper reads as version 0.
 */
export function versionFromFileName(path: string): bigint | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return undefined;
  return parseHexVersion(path.slice(dot + 1));
}

/**
 * The committed dynamic file's text. It holds server.N, group.N and weight.N (and corral's
 * site.N) only: ZooKeeper refuses a `version` line in it (the version is the file name's) and
 * any other key.
 */
export function parseDynamicConfigText(text: string, sourceName: string): Membership {
  return readMembership(text, sourceName, (key, where) => {
    if (key === 'version') {
      throw new ConfigError(`version (${where}) is not allowed in a dynamic config file: ` +
        'its version is the hex suffix of its name, as ZooKeeper requires', key);
    }
    throw new ConfigError(`unrecognised parameter ${key} (${where}): a dynamic config file ` +
      'holds only server.N, group.N, weight.N and site.N', key);
  }, versionFromFileName(sourceName) ?? 0n);
}

/**
 * The `.next` file's text, as QuorumPeer writes it: the membership and its `version=` line.
 * ZooKeeper's verifiers read it without checking other keys, so they are passed over here too.
 */
export function parseNextDynamicConfigText(text: string, sourceName: string): Membership {
  let version = 0n;
  const membership = readMembership(text, sourceName, (key, where, value) => {
    if (key !== 'version') return;
    const parsed = parseHexVersion(value);
    if (parsed === undefined) {
      throw new ConfigError(`invalid version "${value}" (${where}): expected a hex zxid`, key);
    }
    version = parsed;
  }, 0n);
  return { ...membership, version };
}

type OtherKey = (key: string, where: string, value: string) => void;

/** server.N, group./weight. and site. lines as parseZooCfg reads them (later lines win). */
function readMembership(
  text: string,
  sourceName: string,
  otherKey: OtherKey,
  version: bigint,
): Membership {
  const servers = new Map<number, QuorumServerAddress>();
  const serverKeys = new Map<number, string>();
  const groups = new QuorumHierarchyReader();
  const sites = new SiteReader();
  for (const entry of readJavaProperties(text)) {
    const key = entry.key.trim();
    const value = entry.value.trim();
    const where = `${sourceName}:${entry.line}`;
    if (key.startsWith('server.')) {
      const address = parseQuorumServer(key, value, where);
      const earlierKey = serverKeys.get(address.id);
      if (earlierKey !== undefined && earlierKey !== key) {
        throw new ConfigError(`invalid ${key} (${where}): ${earlierKey} already has id ` +
          `${address.id}`, key);
      }
      serverKeys.set(address.id, key);
      servers.set(address.id, address);
    } else if (isQuorumGroupKey(key)) {
      groups.read(key, value, where);
    } else if (isSiteKey(key)) {
      sites.read(key, value, where);
    } else {
      otherKey(key, where, value);
    }
  }
  const quorumHierarchy = groups.result();
  return { servers, quorumHierarchy, sites: sites.result(), version };
}

/** The per-line and hierarchy rules resolveConfig applies to zoo.cfg's own membership. */
export function checkMembership(membership: Membership, extendedTypesEnabled: boolean): void {
  checkServerLines(membership.servers, extendedTypesEnabled);
  if (membership.quorumHierarchy !== undefined) {
    checkQuorumHierarchy(membership.servers, membership.quorumHierarchy);
  }
  if (membership.sites !== undefined) checkSites(membership.servers, membership.sites);
}

/**
 * The membership files a zoo.cfg at `configPath` names: its dynamic file (a relative path is
 * taken from the working directory, as ZooKeeper's FileInputStream takes it) and, beside zoo.cfg,
 * a `.next` file when one exists (ZooKeeper reads it only when zoo.cfg names a dynamic file).
 */
export function readMembershipFiles(
  configPath: string,
  dynamicConfigFile: string,
): { committed: Membership; lastSeen: Membership | undefined } {
  const committed = parseDynamicConfigText(
    readConfigText(dynamicConfigFile, 'dynamicConfigFile'), dynamicConfigFile);
  const nextPath = nextDynamicConfigPath(configPath);
  const lastSeen = existsSync(nextPath)
    ? parseNextDynamicConfigText(readConfigText(nextPath, 'dynamicConfigFile'), nextPath)
    : undefined;
  return { committed, lastSeen };
}

function readConfigText(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read dynamic config file ${path} (${key}): ${reason}`, key);
  }
}
