// The zoo.cfg keys config.ts reads with one value parser each, and the ServerConfig field each
// sets: ZooKeeper's own keys under their zoo.cfg names (and `zookeeper.`-prefixed where ZooKeeper
// reads them as system properties), then corral's own keys. Kept apart from parseZooCfg so the
// table can be read at a glance.
import { ValueProblem, valueParsers, type ValueParser } from '../../protocol/config/values.js';
import type { ServerConfig } from './server-config.js';
import { quorumSaslKeyRules } from './quorum-sasl.js';
import { storageKeyRules } from './storage-keys.js';
import { loggingKeyRules } from './logging-keys.js';
import { unsafeKeyRules } from './unsafe-keys.js';
import { peerWireKeyRules } from './peer-wire-keys.js';
import { metricsKeyRules } from './metrics-keys.js';
import { machineEventsKeyRules } from './machine-events-keys.js';

export interface KeyRule {
  field: keyof ServerConfig | undefined;
  parse: ValueParser;
  /** The field's value in zoo.cfg's spelling, when String(value) is not (see revalidate). */
  format?: (value: unknown) => string;
}

/** The zoo.cfg keys corral acts on; every other key is reported as ignored. */
export const zooCfgKeys: Readonly<Record<string, KeyRule>> = {
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
  treeBroadcast: { field: 'treeBroadcast', parse: valueParsers.boolean },
  treeBroadcastDirectAcks: { field: 'treeBroadcastDirectAcks', parse: valueParsers.boolean },
  siteSync: { field: 'siteSync', parse: valueParsers.boolean },
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
    serverCnxnFactory: {
      field: 'connectionFactory',
      parse: parseConnectionFactory,
      format: (value) => connectionFactoryClasses[value as 'nio' | 'netty'],
    },
    'nio.sessionlessCnxnTimeout': {
      field: 'sessionlessConnectionMs',
      parse: valueParsers.positiveInteger,
    },
    'readonlymode.enabled': { field: 'readOnlyModeEnabled', parse: valueParsers.boolean },
    maxGetChildrenResponseCacheSize: {
      field: 'childListRepliesKept',
      parse: valueParsers.integer,
    },
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
  // ZooKeeper 3.9 reads these as zookeeper.-prefixed system properties (admin-backup.ts).
  ...withZooKeeperPrefix({
    'admin.snapshot.enabled': { field: 'adminSnapshotEnabled', parse: valueParsers.boolean },
    'admin.restore.enabled': { field: 'adminRestoreEnabled', parse: valueParsers.boolean },
    'admin.rateLimiterIntervalInMS': {
      field: 'adminRateLimiterIntervalMs',
      parse: valueParsers.nonNegativeInteger,
    },
  }),
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
  // The dynamic configuration file (dynamic-config.ts) holds the membership when named.
  dynamicConfigFile: { field: 'dynamicConfigFile', parse: valueParsers.text },
  ...loggingKeyRules,
  ...unsafeKeyRules,
  ...peerWireKeyRules,
  ...metricsKeyRules,
  ...machineEventsKeyRules,
};

/**
 * The rules under their own names and under `zookeeper.`: ZooKeeper reads a zoo.cfg key it does
 * not know as the system property `zookeeper.<key>`, so either spelling is met in the wild.
 */
/** The class names of ZooKeeper's two connection layers (serverCnxnFactory). */
const connectionFactoryClasses = {
  nio: 'org.apache.zookeeper.server.NIOServerCnxnFactory',
  netty: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
} as const;

function parseConnectionFactory(value: string): 'nio' | 'netty' {
  const name = value.trim();
  if (name === connectionFactoryClasses.nio) return 'nio';
  if (name === connectionFactoryClasses.netty) return 'netty';
  throw new ValueProblem(`expected ${Object.values(connectionFactoryClasses).join(' or ')}`);
}

function withZooKeeperPrefix(rules: Record<string, KeyRule>): Record<string, KeyRule> {
  const prefixed = Object.entries(rules).map(([key, rule]) => [`zookeeper.${key}`, rule]);
  return { ...rules, ...Object.fromEntries(prefixed) };
}
