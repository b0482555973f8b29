// Server configuration: the ServerConfig a replica runs with, read from ZooKeeper's zoo.cfg format
// and validated with ZooKeeper's defaults and cross-field rules (QuorumPeerConfig), so an existing
// zoo.cfg starts corral unchanged and every bad value fails fast with the key that holds it.
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
} from '../../protocol/config/values.js';
import {
  checkQuorumShape,
  checkServerLines,
  isEnsemble,
  readMyIdFile,
  resolveSelf,
} from './ensemble.js';
import { quorumSecurityDefaults, requireStores } from './quorum-security.js';
import { resolveClientSecurity } from './client-security.js';
import { checkQuorumSasl, quorumSaslDefaults } from './quorum-sasl.js';
import { storageConfigDefaults } from './storage-keys.js';
import { metricsConfigDefaults } from './metrics-keys.js';
import { loggingDefaults } from './logging-keys.js';
import { unsafeDefaults } from './unsafe-keys.js';
import { peerWireDefaults } from './peer-wire-keys.js';
import { machineEventsDefaults } from './machine-events-keys.js';
import { zooCfgKeys } from './zoo-cfg-key-rules.js';
import { checkMembership } from './dynamic-config.js';
import type { ServerConfig } from './server-config.js';
import { checkQuorumHierarchy } from './quorum-groups.js';
import { checkSites } from './sites.js';

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
export type { ServerConfig };
export { parseZooCfg, readerOf, type ParsedZooCfg } from './zoo-cfg-parser.js';

export interface ConfigLogger {
  info(message: string): void;
  warn(message: string): void;
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
  // ZooKeeper's ResponseCache.DEFAULT_RESPONSE_CACHE_SIZE.
  childListRepliesKept: 400,
  // ZooKeeper has no such limits (its getData replies share one cached copy of the data, which
  // is why it stays small when a client pipelines reads of one node without reading); these
  // hold a few of the largest replies (jute.maxbuffer) and never slow a client that reads.
  clientSendQueueBytesThrottle: 4 * 1024 * 1024,
  clientSendQueueBytesMax: 64 * 1024 * 1024,
  // ZooKeeper's NIOServerCnxnFactory default.
  sessionlessConnectionMs: 10_000,
  connectionFactory: 'nio',
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
  // ZooKeeper 3.9's defaults: snapshot and restore on, one of each per five minutes.
  adminSnapshotEnabled: true,
  adminRestoreEnabled: true,
  adminRateLimiterIntervalMs: 300_000,
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
  treeBroadcast: true,
  treeBroadcastDirectAcks: true,
  siteSync: true,
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
  if (partial.sites !== undefined) checkSites(servers, partial.sites);
  const lastSeenMembership = pendingMembership(partial);
  const self = resolveSelf(partial, dataDir, servers, options);
  const security = resolveClientSecurity(partial, partial.authProviders ?? []);
  checkQuorumSasl(partial, partial.jaasFile);
  // ZooKeeper serves with secureClientPort alone; one of the two ports must be set.
  const clientPort = security.secureClientPort === undefined
    ? required(self.clientPort, 'clientPort', '--client-port')
    : self.clientPort;
  const { tickTimeMs, minSessionTimeoutMs, maxSessionTimeoutMs } = sessionTimeouts(partial);
  const config: ServerConfig = {
    ...serverConfigDefaults,
    ...quorumSecurityDefaults,
    ...quorumSaslDefaults,
    ...storageConfigDefaults,
    ...loggingDefaults,
    ...metricsConfigDefaults,
    ...unsafeDefaults,
    ...peerWireDefaults,
    ...machineEventsDefaults,
    configVersion: 0n,
    dynamicConfigFile: undefined,
    configPath: undefined,
    dataLogDir: undefined,
    auditLogFile: undefined,
    authProviders: [],
    superDigest: undefined,
    jaasFile: undefined,
    digestUsers: new Map(),
    initialConfiguration: undefined,
    quorumHierarchy: undefined,
    sites: new Map<number, string>(),
    ...withoutUndefined(partial),
    ...security,
    lastSeenMembership,
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
  checkResolved(config, partial, log);
  return config;
}

/** tickTime and the session timeouts it bounds by default (2 and 20 ticks), checked. */
function sessionTimeouts(partial: Partial<ServerConfig>):
  Pick<ServerConfig, 'tickTimeMs' | 'minSessionTimeoutMs' | 'maxSessionTimeoutMs'> {
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
  return { tickTimeMs, minSessionTimeoutMs, maxSessionTimeoutMs };
}

/** What only the whole configuration can tell: queue limits, the four-letter words a setting
 * implies, the admin server's HTTPS material, and the advisory rules' warnings. */
function checkResolved(config: ServerConfig, partial: Partial<ServerConfig>,
  log: ConfigLogger): void {
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
}

/**
 * The `.next` membership a replica goes on with: ZooKeeper's QuorumPeer keeps a last-seen
 * configuration only with reconfigEnabled, and acts on it (completing the reconfiguration when it
 * leads) only while its version is above the committed one's. Checked like the committed one.
 */
function pendingMembership(partial: Partial<ServerConfig>): ServerConfig['lastSeenMembership'] {
  const lastSeen = partial.lastSeenMembership;
  if (lastSeen === undefined || partial.reconfigEnabled !== true) return undefined;
  if (lastSeen.version <= (partial.configVersion ?? 0n)) return undefined;
  checkMembership(lastSeen, partial.extendedTypesEnabled ?? false);
  return lastSeen;
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

