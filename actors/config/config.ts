// Server configuration: the ServerConfig a replica runs with, read from ZooKeeper's zoo.cfg format
// and validated with ZooKeeper's defaults and cross-field rules (QuorumPeerConfig), so an existing
// zoo.cfg starts corral unchanged and every bad value fails fast with the key that holds it.
import { readJavaProperties } from '../../protocol/config/java-properties.js';
import {
  isFourLetterWordEnabled,
  knownFourLetterWords,
} from '../operations/four-letter-words.js';
import {
  ConfigError,
  parseMyId,
  parseQuorumServer,
  parseValue,
  serverId,
  valueParsers,
  type PeerType,
  type QuorumServerAddress,
  type ValueParser,
} from '../../protocol/config/values.js';
import {
  checkQuorumShape,
  checkServerLines,
  isEnsemble,
  readMyIdFile,
  resolveSelf,
} from './ensemble.js';
import { unhonouredSecurityKey } from './security-keys.js';
import {
  quorumSecurityDefaults,
  quorumSecurityKeyName,
  readQuorumSecurityKeys,
  requireStores,
  type QuorumSecurityConfig,
} from './quorum-security.js';
import {
  clientSecurityKeyName,
  isClientSecurityKey,
  readClientSecurityKeys,
  resolveClientSecurity,
  type ClientSecurityConfig,
} from './client-security.js';
import {
  checkQuorumSasl,
  quorumSaslDefaults,
  quorumSaslKeyRules,
  type QuorumSaslConfig,
} from './quorum-sasl.js';
import { storageConfigDefaults, storageKeyRules, type StorageConfig } from './storage-keys.js';
import { loggingDefaults, loggingKeyRules, type LoggingConfig } from './logging-keys.js';
import { unsafeDefaults, unsafeKeyRules, type UnsafeConfig } from './unsafe-keys.js';
import { unreadKey } from './zookeeper-keys.js';
import {
  checkQuorumHierarchy,
  isQuorumGroupKey,
  QuorumHierarchyReader,
  type QuorumGroupsConfig,
} from './quorum-groups.js';

export {
  ConfigError,
  isEnsemble,
  parseMyId,
  parseQuorumServer,
  parseValue,
  readMyIdFile,
  valueParsers,
  type PeerType,
  type QuorumServerAddress,
};

export interface ServerConfig
  extends ClientSecurityConfig, QuorumSecurityConfig, QuorumSaslConfig, StorageConfig,
  LoggingConfig, UnsafeConfig, QuorumGroupsConfig {
  /** The plaintext client port; undefined when only secureClientPort serves clients. */
  clientPort: number | undefined;
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
  /** ZooKeeper's maxCnxns: client connections to this server in all, 0 = unlimited. */
  connectionsMax: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** 4lw.commands.whitelist as written (trimmed words, or `*`); srvr is always answered. */
  fourLetterWordWhitelist: readonly string[];
  extendedTypesEnabled: boolean;
  reconfigEnabled: boolean;
  juteMaxBufferBytes: number;
  /** ZooKeeper's globalOutstandingLimit: requests in flight on this server above which a
   * connection with requests of its own in flight stops being read (connection-throttle.ts). */
  outstandingRequestsMax: number;
  /** `client.sendQueueBytesThrottle` (corral's own key): a connection whose replies wait unsent
   * beyond this many bytes is not read until they are sent. */
  clientSendQueueBytesThrottle: number;
  /** `client.sendQueueBytesMax` (corral's own key): beyond this many unsent bytes it is closed. */
  clientSendQueueBytesMax: number;
  /** authProvider.N class names, in file order. */
  authProviders: readonly string[];
  /** DigestAuthenticationProvider.superDigest: `super:<base64 sha1("super:password")>`. */
  superDigest: string | undefined;
  /** JAAS login configuration holding the SASL `Server` section. */
  jaasFile: string | undefined;
  /** SASL DIGEST-MD5 users (name → password) from the JAAS file's Server section. */
  digestUsers: ReadonlyMap<string, string>;
  /** The admin HTTP server (actors/admin-server.ts): on when zoo.cfg sets admin.enableServer=true
   * or names admin.serverPort (or `--admin-port`), off otherwise; see serverConfigDefaults. */
  adminServerEnabled: boolean;
  adminServerAddress: string;
  adminServerPort: number;
  adminCommandUrl: string;
  /** admin.forceHttps: the admin server speaks HTTPS only (with the ssl.quorum.* stores). */
  adminForceHttps: boolean;
  /** admin.portUnification: the admin port takes HTTP and HTTPS. */
  adminPortUnification: boolean;
  /** admin.needClientAuth: an HTTPS client must present a certificate the trust store vouches
   * for; its subject is the `x509` scheme's id for admin credentials. */
  adminNeedClientAuth: boolean;
  /** The zoo.cfg text the server started from (the admin server's initial_configuration). */
  initialConfiguration: string | undefined;
  autopurgeSnapRetainCount: number;
  autopurgePurgeIntervalHours: number;
  /** Txns between snapshots of the data tree (ZooKeeper's snapCount). */
  snapCount: number;
  /** zoo.cfg `txnsRetainedMin` (corral's own key): txns the log always keeps after compaction,
   * whatever the snapshots cover, so a lagging follower can still catch up by DIFF. */
  txnsRetainedMin: number;
  /** The ensemble (`server.N`), empty for a standalone server; see isEnsemble. */
  servers: ReadonlyMap<number, QuorumServerAddress>;
  /** This server's id: `--myid`, else `<dataDir>/myid`; undefined without server.N lines. */
  myId: number | undefined;
  /** This server's role: its own server.N line's type when it has one (ZooKeeper reads the
   * server line and only warns about a different zoo.cfg peerType), else zoo.cfg peerType. */
  peerType: PeerType;
  /** With one server.N line, true runs it standalone (ZooKeeper's default), false as a replica. */
  standaloneEnabled: boolean;
  /** zoo.cfg leaderServes: false keeps clients off the leader (ZooKeeper's default is yes). */
  leaderServes: boolean;
  /** How often empty containers and expired TTL nodes are looked for (ZooKeeper's
   * znode.container.checkIntervalMs system property, accepted here as a zoo.cfg key). */
  containerCheckIntervalMs: number;
  /** Serve the machines to the Stately inspector: on with `--inspect`, or when a port is named
   * (`--inspect-port`, zoo.cfg `inspect.port`, corral's own keys). */
  inspect: boolean;
  /** Where the inspect bridge listens (zoo.cfg inspect.address, inspect.port). */
  inspectAddress: string;
  inspectPort: number;
  /** readonlymode.enabled: a replica cut off from its quorum serves read-only clients
   * (ZooKeeper reads it as the JVM system property; machines/read-only.ts). */
  readOnlyModeEnabled: boolean;
  /** ZooKeeper's audit.enable: write the audit log (actors/server/audit.ts). */
  auditEnabled: boolean;
  /** zoo.cfg `audit.logFile` (corral's own key): the audit log's path; `<dataDir>/audit.log`
   * when unset (ZooKeeper names its file in its log4j/logback configuration instead). */
  auditLogFile: string | undefined;
  /** ZooKeeper's enforceQuota: a create or setData past a quota's hard limit fails with
   * QuotaExceeded, and passed soft limits are logged (tree/quota.ts). The leader's setting
   * decides, stamped into each write txn. */
  enforceQuota: boolean;
  /** ZooKeeper's localSessionsEnabled: a replica of an ensemble creates sessions without a txn,
   * tracked and expired by itself alone (actors/server/local-sessions.ts). */
  localSessionsEnabled: boolean;
  /** ZooKeeper's localSessionsUpgradingEnabled: a local session's first ephemeral create makes
   * it global (a createSession txn); off, that create fails with EphemeralOnLocalSession. */
  localSessionsUpgradingEnabled: boolean;
}

export interface ConfigLogger {
  info(message: string): void;
  warn(message: string): void;
}

interface KeyRule {
  field: keyof ServerConfig | undefined;
  parse: ValueParser;
  /** The field's value in zoo.cfg's spelling, when String(value) is not (see revalidate). */
  format?: (value: unknown) => string;
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
  ...withZooKeeperPrefix({
    maxCnxns: { field: 'connectionsMax', parse: valueParsers.nonNegativeInteger },
    // ZooKeeper keeps this many committed proposals for DIFF sync: corral's txnsRetainedMin.
    commitLogCount: { field: 'txnsRetainedMin', parse: valueParsers.positiveInteger },
  }),
  minSessionTimeout: { field: 'minSessionTimeoutMs', parse: valueParsers.sessionTimeout },
  maxSessionTimeout: { field: 'maxSessionTimeoutMs', parse: valueParsers.sessionTimeout },
  '4lw.commands.whitelist': { field: 'fourLetterWordWhitelist', parse: valueParsers.whitelist },
  extendedTypesEnabled: { field: 'extendedTypesEnabled', parse: valueParsers.boolean },
  reconfigEnabled: { field: 'reconfigEnabled', parse: valueParsers.boolean },
  'jute.maxbuffer': { field: 'juteMaxBufferBytes', parse: valueParsers.positiveInteger },
  ...withZooKeeperPrefix({
    globalOutstandingLimit: {
      field: 'outstandingRequestsMax',
      parse: valueParsers.positiveInteger,
    },
    'client.sendQueueBytesThrottle': {
      field: 'clientSendQueueBytesThrottle',
      parse: valueParsers.positiveInteger,
    },
    'client.sendQueueBytesMax': {
      field: 'clientSendQueueBytesMax',
      parse: valueParsers.positiveInteger,
    },
    'readonlymode.enabled': { field: 'readOnlyModeEnabled', parse: valueParsers.boolean },
  }),
  'DigestAuthenticationProvider.superDigest': {
    field: 'superDigest',
    parse: valueParsers.superDigest,
  },
  jaasLoginConfig: { field: 'jaasFile', parse: valueParsers.text },
  ...quorumSaslKeyRules,
  ...storageKeyRules,
  'admin.enableServer': { field: 'adminServerEnabled', parse: valueParsers.boolean },
  'admin.serverAddress': { field: 'adminServerAddress', parse: valueParsers.text },
  'admin.serverPort': { field: 'adminServerPort', parse: valueParsers.port },
  'admin.commandURL': { field: 'adminCommandUrl', parse: valueParsers.text },
  'admin.forceHttps': { field: 'adminForceHttps', parse: valueParsers.boolean },
  'admin.portUnification': { field: 'adminPortUnification', parse: valueParsers.boolean },
  'admin.needClientAuth': { field: 'adminNeedClientAuth', parse: valueParsers.boolean },
  'inspect.address': { field: 'inspectAddress', parse: valueParsers.text },
  'inspect.port': { field: 'inspectPort', parse: valueParsers.port },
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
  leaderServes: { field: 'leaderServes', parse: valueParsers.yesNo },
  // QuorumPeerConfig reads these two by their bare names only.
  localSessionsEnabled: { field: 'localSessionsEnabled', parse: valueParsers.boolean },
  localSessionsUpgradingEnabled: {
    field: 'localSessionsUpgradingEnabled',
    parse: valueParsers.boolean,
  },
  electionAlg: { field: undefined, parse: valueParsers.electionAlgorithm },
  // ZooKeeper reads zoo.cfg's audit.enable as the system property zookeeper.audit.enable.
  'audit.enable': { field: 'auditEnabled', parse: valueParsers.boolean },
  'zookeeper.audit.enable': { field: 'auditEnabled', parse: valueParsers.boolean },
  'audit.logFile': { field: 'auditLogFile', parse: valueParsers.text },
  // ZooKeeper's key is enforceQuota (its system property zookeeper.enforceQuota). enforce.quota
  // is corral's alias: ZooKeeper would take it silently and not enforce, corral enforces.
  ...withZooKeeperPrefix({
    enforceQuota: { field: 'enforceQuota', parse: valueParsers.boolean },
    'enforce.quota': { field: 'enforceQuota', parse: valueParsers.boolean },
  }),
  'znode.container.checkIntervalMs': {
    field: 'containerCheckIntervalMs',
    parse: valueParsers.positiveInteger,
  },
  ...loggingKeyRules,
  ...unsafeKeyRules,
};

/**
 * The rules under their own names and under `zookeeper.`: ZooKeeper reads a zoo.cfg key it does
 * not know as the system property `zookeeper.<key>`, so either spelling is met in the wild.
 */
function withZooKeeperPrefix(rules: Record<string, KeyRule>): Record<string, KeyRule> {
  const prefixed = Object.entries(rules).map(([key, rule]) => [`zookeeper.${key}`, rule]);
  return { ...rules, ...Object.fromEntries(prefixed) };
}

/** Which part of parseZooCfg reads a key; undefined for a key no part reads. */
type KeyReader =
  'quorumSecurity' | 'clientSecurity' | 'rule' | 'authProvider' | 'server' | 'quorumGroup';

/** The part of parseZooCfg that reads `key` (the ZooKeeper keys table's "honoured" keys). */
export function readerOf(key: string): KeyReader | undefined {
  if (quorumSecurityKeyName(key) !== undefined) return 'quorumSecurity';
  if (isClientSecurityKey(clientSecurityKeyName(key))) return 'clientSecurity';
  if (Object.hasOwn(zooCfgKeys, key)) return 'rule';
  if (key.startsWith('authProvider.')) return 'authProvider';
  if (/^server\./.test(key)) return 'server';
  if (isQuorumGroupKey(key)) return 'quorumGroup';
  return undefined;
}

export interface ParsedZooCfg {
  config: Partial<ServerConfig>;
  /** Keys neither corral nor ZooKeeper's guide knows, once each, in file order. */
  ignoredKeys: string[];
  /** The guide's keys corral accepts without acting on, and why (zookeeper-key-table.ts). */
  equivalentKeys: Array<{ key: string; why: string }>;
}

/**
 * Reads zoo.cfg text into the fields it sets. Later keys win, as with Properties.load; values are
 * trimmed as QuorumPeerConfig does. A key that asks for what corral lacks stops here.
 */
export function parseZooCfg(text: string, sourceName: string): ParsedZooCfg {
  const config: Partial<Record<keyof ServerConfig, unknown>> = {};
  const ignored = new Set<string>();
  const equivalent = new Map<string, string>();
  const authProviders = new Map<string, string>();
  const servers = new Map<number, QuorumServerAddress>();
  const serverKeys = new Map<number, string>();
  const securityEntries: { name: string; value: string; where: string }[] = [];
  const quorumEntries: { name: string; value: string; where: string }[] = [];
  const quorumGroups = new QuorumHierarchyReader();
  for (const entry of readJavaProperties(text)) {
    const key = entry.key.trim();
    const value = entry.value.trim();
    const where = `${sourceName}:${entry.line}`;
    const unhonoured = unhonouredSecurityKey(key, value);
    if (unhonoured !== undefined) {
      throw new ConfigError(`${key}=${value} (${where}) cannot be honoured: ${unhonoured}`, key);
    }
    const reader = readerOf(key);
    if (reader === 'quorumSecurity') {
      quorumEntries.push({ name: quorumSecurityKeyName(key)!, value, where });
    } else if (reader === 'clientSecurity') {
      securityEntries.push({ name: clientSecurityKeyName(key), value, where });
    } else if (reader === 'rule') {
      const rule = zooCfgKeys[key]!;
      const parsed = parseValue(rule.parse, key, value, where);
      if (rule.field !== undefined) config[rule.field] = parsed;
    } else if (reader === 'authProvider') {
      authProviders.set(key, parseValue(valueParsers.text, key, value, where));
    } else if (reader === 'quorumGroup') {
      quorumGroups.read(key, value, where);
    } else if (reader === 'server') {
      const address = parseQuorumServer(key, value, where);
      // `server.1` twice is one key (the later wins); `server.01` beside it is a second entry.
      const earlierKey = serverKeys.get(address.id);
      if (earlierKey !== undefined && earlierKey !== key) {
        throw new ConfigError(`invalid ${key}: ${earlierKey} already has id ${address.id}`, key);
      }
      serverKeys.set(address.id, key);
      servers.set(address.id, address);
    } else {
      const why = unreadKey(key, value, where, Object.keys(zooCfgKeys));
      if (why === undefined) ignored.add(key);
      else equivalent.set(key, why);
    }
  }
  if (authProviders.size > 0) config.authProviders = [...authProviders.values()];
  if (servers.size > 0) config.servers = servers;
  const quorumHierarchy = quorumGroups.result();
  if (quorumHierarchy !== undefined) config.quorumHierarchy = quorumHierarchy;
  readClientSecurityKeys(securityEntries, config as Partial<ClientSecurityConfig>, parseValue);
  Object.assign(config, readQuorumSecurityKeys(quorumEntries, parseValue));
  return {
    config: config as Partial<ServerConfig>,
    ignoredKeys: [...ignored],
    equivalentKeys: [...equivalent].map(([key, why]) => ({ key, why })),
  };
}

/** ZooKeeper's defaults (QuorumPeerConfig, ZKConfig), except where a comment says otherwise. */
export const serverConfigDefaults = {
  clientPortAddress: '0.0.0.0',
  tickTimeMs: 2000,
  // ZooKeeper has no defaults and refuses an ensemble without them; these are zoo_sample.cfg's.
  initLimit: 10,
  syncLimit: 5,
  maxClientConnections: 60,
  connectionsMax: 0,
  fourLetterWordWhitelist: ['srvr'],
  extendedTypesEnabled: false,
  reconfigEnabled: false,
  juteMaxBufferBytes: 0xfffff,
  outstandingRequestsMax: 1000,
  // ZooKeeper has no such limits (its getData replies share one cached copy of the data, which
  // is why it stays small when a client pipelines reads of one node without reading); these
  // hold a few of the largest replies (jute.maxbuffer) and never slow a client that reads.
  clientSendQueueBytesThrottle: 4 * 1024 * 1024,
  clientSendQueueBytesMax: 64 * 1024 * 1024,
  // ZooKeeper starts its admin server unasked, on 0.0.0.0:8080; corral only when asked (a port
  // or admin.enableServer=true): an unauthenticated HTTP port on every interface should not
  // appear by default, and 8080 would collide between the replicas `npm start` runs on one host.
  adminServerEnabled: false,
  adminServerAddress: '0.0.0.0',
  adminServerPort: 8080,
  adminCommandUrl: '/commands',
  adminForceHttps: false,
  adminPortUnification: false,
  adminNeedClientAuth: false,
  autopurgeSnapRetainCount: 3,
  autopurgePurgeIntervalHours: 0,
  snapCount: 100_000,
  // ZooKeeper keeps zookeeper.commitLogCount (500) committed proposals for DIFF sync.
  txnsRetainedMin: 500,
  peerType: 'participant',
  standaloneEnabled: true,
  leaderServes: true,
  containerCheckIntervalMs: 60_000,
  inspect: false,
  inspectAddress: '127.0.0.1',
  // Not 8080, the port of @statelyai/inspect's own bridge and of ZooKeeper's AdminServer.
  inspectPort: 8082,
  auditEnabled: false,
  readOnlyModeEnabled: false,
  enforceQuota: false,
  localSessionsEnabled: false,
  // QuorumPeerConfig's default (QuorumPeer's own field says true, but the config's value wins).
  localSessionsUpgradingEnabled: false,
} as const;

/** PurgeTxnLog never keeps fewer snapshots than this; ZooKeeper raises smaller values to it. */
const snapRetainCountMinimum = 3;

export interface ResolveOptions {
  log: ConfigLogger;
  /**
   * Reads `<dataDir>/myid`, undefined when there is none; readMyIdFile reads it from disk. Left
   * out (reports, tests), an ensemble without myId resolves with myId undefined and no error.
   */
  readMyId?: (dataDir: string) => number | undefined;
}

/**
 * Fills defaults and applies ZooKeeper's cross-field rules. Values set in code (not read from
 * zoo.cfg) are checked with the same parsers, so every error names the zoo.cfg key.
 */
export function resolveConfig(
  partial: Partial<ServerConfig>,
  options: ResolveOptions,
): ServerConfig {
  const { log } = options;
  revalidate(partial);
  const dataDir = required(partial.dataDir, 'dataDir', '--data-dir');
  const servers = partial.servers ?? new Map<number, QuorumServerAddress>();
  const standaloneEnabled = partial.standaloneEnabled ?? serverConfigDefaults.standaloneEnabled;
  checkServerLines(servers, partial.extendedTypesEnabled ?? false);
  checkQuorumShape(servers, standaloneEnabled, log);
  if (partial.quorumHierarchy !== undefined) checkQuorumHierarchy(servers, partial.quorumHierarchy);
  const self = resolveSelf(partial, dataDir, servers, options);
  const security = resolveClientSecurity(partial, partial.authProviders ?? []);
  checkQuorumSasl(partial, partial.jaasFile);
  // ZooKeeper serves with secureClientPort alone; one of the two ports must be set.
  const clientPort = security.secureClientPort === undefined
    ? required(self.clientPort, 'clientPort', '--client-port')
    : self.clientPort;
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
    ...quorumSecurityDefaults,
    ...quorumSaslDefaults,
    ...storageConfigDefaults,
    ...loggingDefaults,
    ...unsafeDefaults,
    dataLogDir: undefined,
    auditLogFile: undefined,
    authProviders: [],
    superDigest: undefined,
    jaasFile: undefined,
    digestUsers: new Map(),
    initialConfiguration: undefined,
    quorumHierarchy: undefined,
    ...withoutUndefined(partial),
    ...security,
    adminServerEnabled: partial.adminServerEnabled ?? partial.adminServerPort !== undefined,
    inspect: partial.inspect ?? partial.inspectPort !== undefined,
    servers,
    myId: self.myId,
    peerType: self.peerType ?? serverConfigDefaults.peerType,
    clientPort,
    clientPortAddress: self.clientPortAddress ?? serverConfigDefaults.clientPortAddress,
    dataDir,
    tickTimeMs,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
  };
  checkSendQueueLimits(config);
  const whitelist = config.fourLetterWordWhitelist;
  if (config.readOnlyModeEnabled && !isFourLetterWordEnabled('isro', whitelist)) {
    // FourLetterCommands: readonlymode.enabled whitelists isro, which clients ask when probing.
    config.fourLetterWordWhitelist = [...whitelist, 'isro'];
  }
  if (config.adminServerEnabled && (config.adminForceHttps || config.adminPortUnification)) {
    // ZooKeeper's admin server takes its HTTPS material from the quorum's stores.
    requireStores(config.quorumTls, 'the admin server\'s HTTPS (admin.forceHttps or ' +
      'admin.portUnification)');
  }
  applyAdvisoryRules(config, partial, log);
  return config;
}

/** A connection must be able to hold more unsent bytes than those at which it stops reading. */
function checkSendQueueLimits(config: ServerConfig): void {
  if (config.clientSendQueueBytesMax > config.clientSendQueueBytesThrottle) return;
  throw new ConfigError(
    `invalid client.sendQueueBytesMax "${config.clientSendQueueBytesMax}": must be larger ` +
      `than client.sendQueueBytesThrottle (${config.clientSendQueueBytesThrottle})`,
    'client.sendQueueBytesMax',
  );
}

/** Rules that adjust a value or only warn, after the config is complete. */
function applyAdvisoryRules(
  config: ServerConfig,
  partial: Partial<ServerConfig>,
  log: ConfigLogger,
): void {
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
    const text = rule.format?.(value) ?? (Array.isArray(value) ? value.join(',')
      : typeof value === 'boolean' && rule.parse === valueParsers.yesNo ? (value ? 'yes' : 'no')
        : String(value));
    parseValue(rule.parse, key, text);
  }
  if (partial.myId !== undefined) parseValue(serverId, 'myid', String(partial.myId));
}

