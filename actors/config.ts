// Server configuration: the ServerConfig a replica runs with, read from ZooKeeper's zoo.cfg format
// and validated with ZooKeeper's defaults and cross-field rules (QuorumPeerConfig), so an existing
// zoo.cfg starts corral unchanged and every bad value fails fast with the key that holds it.
import { readJavaProperties } from './java-properties.js';
import { knownFourLetterWords } from './four-letter-words.js';
import {
  ConfigError,
  parseValue,
  serverId,
  valueParsers,
  type PeerType,
  type ValueParser,
} from './config-values.js';

export { ConfigError, parseValue, valueParsers, type PeerType };

/** One `server.N` line: where replica N listens for the leader (quorum) and for votes. */
export interface QuorumServerAddress {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  peerType: PeerType;
  /** From the optional `;[clientHost:]clientPort` part; ZooKeeper's default host is 0.0.0.0. */
  client?: { host: string; port: number };
}

export interface ServerConfig {
  clientPort: number;
  clientPortAddress: string;
  dataDir: string;
  /** ZooKeeper's transaction-log directory; the data dir when unset. */
  dataLogDir: string | undefined;
  tickTimeMs: number;
  /** Ticks a follower may take to connect and sync to the leader. */
  initLimit: number;
  /** Ticks a follower may lag behind the leader before it is dropped. */
  syncLimit: number;
  /** ZooKeeper's maxClientCnxns: connections per client IP address, 0 = unlimited. */
  maxClientConnections: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** 4lw.commands.whitelist as written (trimmed words, or `*`); srvr is always answered. */
  fourLetterWordWhitelist: readonly string[];
  extendedTypesEnabled: boolean;
  reconfigEnabled: boolean;
  juteMaxBufferBytes: number;
  /** authProvider.N class names, in file order. */
  authProviders: readonly string[];
  /** DigestAuthenticationProvider.superDigest: `super:<base64 sha1("super:password")>`. */
  superDigest: string | undefined;
  /** JAAS login configuration holding the SASL `Server` section. */
  jaasFile: string | undefined;
  /** SASL DIGEST-MD5 users (name → password) from the JAAS file's Server section. */
  digestUsers: ReadonlyMap<string, string>;
  adminServerEnabled: boolean;
  adminServerAddress: string;
  adminServerPort: number;
  adminCommandUrl: string;
  autopurgeSnapRetainCount: number;
  autopurgePurgeIntervalHours: number;
  /** Txns between snapshots of the data tree (ZooKeeper's snapCount). */
  snapCount: number;
  /** zoo.cfg `txnsRetainedMin` (corral's own key): txns the log always keeps after compaction,
   * whatever the snapshots cover, so a lagging follower can still catch up by DIFF. */
  txnsRetainedMin: number;
  /** The ensemble (`server.N`), empty for a standalone server. Parsed now, used by replication. */
  servers: ReadonlyMap<number, QuorumServerAddress>;
  peerType: PeerType;
  standaloneEnabled: boolean;
  /** How often empty containers and expired TTL nodes are looked for (ZooKeeper's
   * znode.container.checkIntervalMs system property, accepted here as a zoo.cfg key). */
  containerCheckIntervalMs: number;
  /** Serve the machines to the Stately inspector. */
  inspect: boolean;
}

export interface ConfigLogger {
  info(message: string): void;
  warn(message: string): void;
}

interface KeyRule {
  field: keyof ServerConfig | undefined;
  parse: ValueParser;
}

/** The zoo.cfg keys corral acts on; every other key is reported as ignored. */
const zooCfgKeys: Readonly<Record<string, KeyRule>> = {
  clientPort: { field: 'clientPort', parse: valueParsers.port },
  clientPortAddress: { field: 'clientPortAddress', parse: valueParsers.text },
  dataDir: { field: 'dataDir', parse: valueParsers.text },
  dataLogDir: { field: 'dataLogDir', parse: valueParsers.text },
  tickTime: { field: 'tickTimeMs', parse: valueParsers.positiveInteger },
  initLimit: { field: 'initLimit', parse: valueParsers.positiveInteger },
  syncLimit: { field: 'syncLimit', parse: valueParsers.positiveInteger },
  maxClientCnxns: { field: 'maxClientConnections', parse: valueParsers.nonNegativeInteger },
  minSessionTimeout: { field: 'minSessionTimeoutMs', parse: valueParsers.sessionTimeout },
  maxSessionTimeout: { field: 'maxSessionTimeoutMs', parse: valueParsers.sessionTimeout },
  '4lw.commands.whitelist': { field: 'fourLetterWordWhitelist', parse: valueParsers.whitelist },
  extendedTypesEnabled: { field: 'extendedTypesEnabled', parse: valueParsers.boolean },
  reconfigEnabled: { field: 'reconfigEnabled', parse: valueParsers.boolean },
  'jute.maxbuffer': { field: 'juteMaxBufferBytes', parse: valueParsers.positiveInteger },
  'DigestAuthenticationProvider.superDigest': {
    field: 'superDigest',
    parse: valueParsers.superDigest,
  },
  jaasLoginConfig: { field: 'jaasFile', parse: valueParsers.text },
  'admin.enableServer': { field: 'adminServerEnabled', parse: valueParsers.boolean },
  'admin.serverAddress': { field: 'adminServerAddress', parse: valueParsers.text },
  'admin.serverPort': { field: 'adminServerPort', parse: valueParsers.port },
  'admin.commandURL': { field: 'adminCommandUrl', parse: valueParsers.text },
  'autopurge.snapRetainCount': {
    field: 'autopurgeSnapRetainCount',
    parse: valueParsers.positiveInteger,
  },
  'autopurge.purgeInterval': {
    field: 'autopurgePurgeIntervalHours',
    parse: valueParsers.nonNegativeInteger,
  },
  snapCount: { field: 'snapCount', parse: valueParsers.positiveInteger },
  txnsRetainedMin: { field: 'txnsRetainedMin', parse: valueParsers.positiveInteger },
  peerType: { field: 'peerType', parse: valueParsers.peerType },
  standaloneEnabled: { field: 'standaloneEnabled', parse: valueParsers.boolean },
  electionAlg: { field: undefined, parse: valueParsers.electionAlgorithm },
  'znode.container.checkIntervalMs': {
    field: 'containerCheckIntervalMs',
    parse: valueParsers.positiveInteger,
  },
};

/**
 * Reads zoo.cfg text into the fields it sets. Later keys win, as with Properties.load; values are
 * trimmed as QuorumPeerConfig does. `ignoredKeys` lists, once each, the keys corral does not use.
 */
export function parseZooCfg(
  text: string,
  sourceName: string,
): { config: Partial<ServerConfig>; ignoredKeys: string[] } {
  const config: Partial<Record<keyof ServerConfig, unknown>> = {};
  const ignored = new Set<string>();
  const authProviders = new Map<string, string>();
  const servers = new Map<number, QuorumServerAddress>();
  for (const entry of readJavaProperties(text)) {
    const key = entry.key.trim();
    const value = entry.value.trim();
    const where = `${sourceName}:${entry.line}`;
    const rule = Object.hasOwn(zooCfgKeys, key) ? zooCfgKeys[key] : undefined;
    if (rule !== undefined) {
      const parsed = parseValue(rule.parse, key, value, where);
      if (rule.field !== undefined) config[rule.field] = parsed;
    } else if (key.startsWith('authProvider.')) {
      authProviders.set(key, parseValue(valueParsers.text, key, value, where));
    } else if (/^server\./.test(key)) {
      const address = parseQuorumServer(key, value, where);
      servers.set(address.id, address);
    } else {
      ignored.add(key);
    }
  }
  if (authProviders.size > 0) config.authProviders = [...authProviders.values()];
  if (servers.size > 0) config.servers = servers;
  return { config: config as Partial<ServerConfig>, ignoredKeys: [...ignored] };
}

const serverFormat =
  'expected host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]';

/** Splits `host:port...`, keeping a bracketed IPv6 host whole, as QuorumServer does. */
function splitHostAndPorts(text: string): string[] | undefined {
  if (!text.startsWith('[')) return text.split(':');
  const close = text.indexOf(']:');
  if (close < 0) return undefined;
  return [text.slice(1, close), ...text.slice(close + 2).split(':')];
}

/** Parses `server.N` per ZooKeeper's QuorumServer forms (one address; no `|` multi-address). */
export function parseQuorumServer(key: string, value: string, where?: string): QuorumServerAddress {
  const id = parseValue(serverId, key, key.slice('server.'.length), where);
  const fail = (): never => {
    const place = where === undefined ? '' : ` (${where})`;
    throw new ConfigError(`invalid ${key} "${value}": ${serverFormat}${place}`, key);
  };
  const [serverPart = '', clientPart, ...extra] = value.split(';');
  const parts = splitHostAndPorts(serverPart);
  if (extra.length > 0 || parts === undefined || parts.length < 3 || parts.length > 4) fail();
  const [host = '', quorumText = '', electionText = '', typeText] = parts ?? [];
  const portOf = (text: string): number => {
    try {
      return valueParsers.port(text);
    } catch {
      return fail();
    }
  };
  if (host === '') fail();
  const address: QuorumServerAddress = {
    id,
    host,
    quorumPort: portOf(quorumText),
    electionPort: portOf(electionText),
    peerType:
      typeText === undefined
        ? 'participant'
        : parseValue(valueParsers.peerType, key, typeText, where),
  };
  if (clientPart !== undefined) {
    const clientParts = splitHostAndPorts(clientPart);
    if (clientParts === undefined || clientParts.length > 2) fail();
    const [first = '', second] = clientParts ?? [];
    address.client =
      second === undefined
        ? { host: '0.0.0.0', port: portOf(first) }
        : { host: first === '' ? fail() : first, port: portOf(second) };
  }
  return address;
}

/** Reads a `myid` file: one line holding this replica's server id. */
export function parseMyId(text: string, sourceName: string): number {
  const firstLine = (text.split(/\r?\n/)[0] ?? '').trim();
  return parseValue(serverId, 'myid', firstLine, sourceName);
}

/** ZooKeeper's defaults (QuorumPeerConfig, ZKConfig), except where a comment says otherwise. */
export const serverConfigDefaults = {
  clientPortAddress: '0.0.0.0',
  tickTimeMs: 2000,
  // ZooKeeper has no defaults and refuses an ensemble without them; these are zoo_sample.cfg's.
  initLimit: 10,
  syncLimit: 5,
  maxClientConnections: 60,
  fourLetterWordWhitelist: ['srvr'],
  extendedTypesEnabled: false,
  reconfigEnabled: false,
  juteMaxBufferBytes: 0xfffff,
  adminServerEnabled: true,
  adminServerAddress: '0.0.0.0',
  adminServerPort: 8080,
  adminCommandUrl: '/commands',
  autopurgeSnapRetainCount: 3,
  autopurgePurgeIntervalHours: 0,
  snapCount: 100_000,
  // ZooKeeper keeps zookeeper.commitLogCount (500) committed proposals for DIFF sync.
  txnsRetainedMin: 500,
  peerType: 'participant',
  standaloneEnabled: true,
  containerCheckIntervalMs: 60_000,
  inspect: false,
} as const;

/** PurgeTxnLog never keeps fewer snapshots than this; ZooKeeper raises smaller values to it. */
const snapRetainCountMinimum = 3;

/**
 * Fills defaults and applies ZooKeeper's cross-field rules. Values set in code (not read from
 * zoo.cfg) are checked with the same parsers, so every error names the zoo.cfg key.
 */
export function resolveConfig(
  partial: Partial<ServerConfig>,
  options: { log: ConfigLogger },
): ServerConfig {
  const { log } = options;
  revalidate(partial);
  const clientPort = required(partial.clientPort, 'clientPort', '--client-port');
  const dataDir = required(partial.dataDir, 'dataDir', '--data-dir');
  const tickTimeMs = partial.tickTimeMs ?? serverConfigDefaults.tickTimeMs;
  const minSessionTimeoutMs = partial.minSessionTimeoutMs ?? 2 * tickTimeMs;
  const maxSessionTimeoutMs = partial.maxSessionTimeoutMs ?? 20 * tickTimeMs;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new ConfigError(
      `invalid minSessionTimeout "${minSessionTimeoutMs}": must not be larger than ` +
        `maxSessionTimeout (${maxSessionTimeoutMs})`,
      'minSessionTimeout',
    );
  }
  const config: ServerConfig = {
    ...serverConfigDefaults,
    dataLogDir: undefined,
    authProviders: [],
    superDigest: undefined,
    jaasFile: undefined,
    digestUsers: new Map(),
    servers: new Map(),
    ...withoutUndefined(partial),
    clientPort,
    dataDir,
    tickTimeMs,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
  };
  checkServers(config);
  if (config.autopurgeSnapRetainCount < snapRetainCountMinimum) {
    log.warn(
      `autopurge.snapRetainCount ${config.autopurgeSnapRetainCount} is below ` +
        `${snapRetainCountMinimum}; using ${snapRetainCountMinimum}`,
    );
    config.autopurgeSnapRetainCount = snapRetainCountMinimum;
  }
  const unknownWords = config.fourLetterWordWhitelist.filter(
    (word) => word !== '*' && !knownFourLetterWords.includes(word),
  );
  if (unknownWords.length > 0) {
    log.warn(`4lw.commands.whitelist names words corral does not know: ${unknownWords.join(',')}`);
  }
  if (Object.keys(partial).some((field) => field.startsWith('admin'))) {
    log.info(
      'admin.* settings accepted, but corral has no admin HTTP server yet; none is started',
    );
  }
  return config;
}

function required<T>(value: T | undefined, key: string, flag: string): T {
  if (value === undefined) {
    throw new ConfigError(`${key} is not set: set it in zoo.cfg or with ${flag}`, key);
  }
  return value;
}

function withoutUndefined(partial: Partial<ServerConfig>): Partial<ServerConfig> {
  return Object.fromEntries(
    Object.entries(partial).filter(([, value]) => value !== undefined),
  ) as Partial<ServerConfig>;
}

/** Re-runs each field's zoo.cfg parser on values that did not come through parseZooCfg. */
function revalidate(partial: Partial<ServerConfig>): void {
  for (const [key, rule] of Object.entries(zooCfgKeys)) {
    if (rule.field === undefined) continue;
    const value = partial[rule.field];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parseValue(rule.parse, key, text);
  }
}

/** The ensemble rules that can be checked without the network. */
function checkServers(config: ServerConfig): void {
  for (const [id, address] of config.servers) {
    if (config.extendedTypesEnabled && id === 255) {
      // TTL session ids use the top byte of the server id; 255 would collide with them.
      throw new ConfigError(
        `invalid server.${id}: with extendedTypesEnabled a server id must be 1-254`,
        `server.${id}`,
      );
    }
    if (address.id !== id) {
      throw new ConfigError(`invalid server.${id}: entry holds id ${address.id}`, `server.${id}`);
    }
  }
}
