// The ZooKeeper 3.9 keys table: every key the administrator's guide lists is classified, each
// "honoured" key is read by parseZooCfg, each refused value stops parsing with a ConfigError
// naming the key, and each equivalent key is accepted without a warning.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, readerOf } from '../../../actors/config/config.js';
import { zooKeeperKeyTable } from '../../../actors/config/zookeeper-key-table.js';
import { zooKeeperKeyEntry, type KeyTreatment } from '../../../actors/config/zookeeper-keys.js';

/** The keys of zookeeperAdmin.md at release-3.9.5 ("Configuration Parameters" through "Metrics
 * Providers"), plus the two data-dir switches its prose names as system properties. */
const guideKeys = [
  'clientPort', 'secureClientPort', 'observerMasterPort', 'dataDir', 'tickTime', 'dataLogDir',
  'globalOutstandingLimit', 'preAllocSize', 'snapCount', 'commitLogCount', 'snapSizeLimitInKb',
  'txnLogSizeLimitInKb', 'maxCnxns', 'maxClientCnxns', 'clientPortAddress', 'minSessionTimeout',
  'maxSessionTimeout', 'fsync.warningthresholdms', 'maxResponseCacheSize',
  'maxGetChildrenResponseCacheSize', 'autopurge.snapRetainCount', 'autopurge.purgeInterval',
  'syncEnabled', 'extendedTypesEnabled', 'emulate353TTLNodes', 'watchManagerName',
  'watcherCleanThreadsNum', 'watcherCleanThreshold', 'watcherCleanIntervalInSeconds',
  'maxInProcessingDeadWatchers', 'bitHashCacheSize', 'fastleader.minNotificationInterval',
  'fastleader.maxNotificationInterval', 'connectionMaxTokens', 'connectionTokenFillTime',
  'connectionTokenFillCount', 'connectionFreezeTime', 'connectionDropIncrease',
  'connectionDropDecrease', 'connectionDecreaseRatio',
  'zookeeper.connection_throttle_weight_enabled',
  'zookeeper.connection_throttle_global_session_weight',
  'zookeeper.connection_throttle_local_session_weight',
  'zookeeper.connection_throttle_renew_session_weight', 'clientPortListenBacklog',
  'serverCnxnFactory', 'flushDelay', 'maxWriteQueuePollTime', 'maxBatchSize', 'enforceQuota',
  'requestThrottleLimit', 'requestThrottleStallTime', 'requestThrottleDropStale',
  'requestStaleLatencyCheck', 'requestStaleConnectionCheck',
  'zookeeper.request_throttler.shutdownTimeout', 'advancedFlowControlEnabled',
  'enableEagerACLCheck', 'maxConcurrentSnapSyncs', 'maxConcurrentDiffSyncs', 'digest.enabled',
  'snapshot.compression.method', 'snapshot.trust.empty', 'audit.enable', 'audit.impl.class',
  'largeRequestMaxBytes', 'largeRequestThreshold', 'outstandingHandshake.limit',
  'netty.server.earlyDropSecureConnectionHandshakes', 'throttledOpWaitTime',
  'learner.closeSocketAsync', 'leader.closeSocketAsync', 'learner.asyncSending',
  'forward_learner_requests_to_commit_processor_disabled', 'serializeLastProcessedZxid.enabled',
  'electionAlg', 'maxTimeToWaitForEpoch', 'initLimit', 'connectToLearnerMasterLimit',
  'leaderServes', 'server.x', 'syncLimit', 'group.x', 'weight.x', 'cnxTimeout',
  'quorumCnxnTimeoutMs', 'standaloneEnabled', 'reconfigEnabled', '4lw.commands.whitelist',
  'tcpKeepAlive', 'clientTcpKeepAlive', 'electionPortBindRetry', 'observer.reconnectDelayMs',
  'observer.election.DelayMs', 'localSessionsEnabled', 'localSessionsUpgradingEnabled',
  'DigestAuthenticationProvider.enabled', 'DigestAuthenticationProvider.superDigest',
  'DigestAuthenticationProvider.digestAlg', 'IPAuthenticationProvider.usexforwardedfor',
  'X509AuthenticationProvider.superUser', 'zookeeper.superUser', 'ssl.authProvider',
  'zookeeper.ensembleAuthName', 'sessionRequireClientSASLAuth', 'enforce.auth.enabled',
  'enforce.auth.schemes', 'sslQuorum', 'ssl.keyStore.location', 'ssl.keyStore.password',
  'ssl.quorum.keyStore.location', 'ssl.quorum.keyStore.password', 'ssl.keyStore.passwordPath',
  'ssl.quorum.keyStore.passwordPath', 'ssl.keyStore.type', 'ssl.quorum.keyStore.type',
  'ssl.trustStore.location', 'ssl.trustStore.password', 'ssl.quorum.trustStore.location',
  'ssl.quorum.trustStore.password', 'ssl.trustStore.passwordPath',
  'ssl.quorum.trustStore.passwordPath', 'ssl.trustStore.type', 'ssl.quorum.trustStore.type',
  'ssl.protocol', 'ssl.quorum.protocol', 'ssl.enabledProtocols', 'ssl.quorum.enabledProtocols',
  'ssl.ciphersuites', 'ssl.quorum.ciphersuites', 'ssl.context.supplier.class',
  'ssl.quorum.context.supplier.class', 'ssl.hostnameVerification',
  'ssl.quorum.hostnameVerification', 'ssl.clientHostnameVerification',
  'ssl.quorum.clientHostnameVerification', 'ssl.allowReverseDnsLookup',
  'ssl.quorum.allowReverseDnsLookup', 'ssl.crl', 'ssl.quorum.crl', 'ssl.ocsp', 'ssl.quorum.ocsp',
  'ssl.clientAuth', 'ssl.quorum.clientAuth', 'ssl.handshakeDetectionTimeoutMillis',
  'ssl.quorum.handshakeDetectionTimeoutMillis', 'ssl.sslProvider', 'sslQuorumReloadCertFiles',
  'client.certReload', 'client.portUnification', 'authProvider.x',
  'kerberos.removeHostFromPrincipal', 'kerberos.removeRealmFromPrincipal',
  'kerberos.canonicalizeHostNames', 'multiAddress.enabled',
  'multiAddress.reachabilityCheckTimeoutMs', 'fips-mode', 'readonlymode.enabled',
  'zookeeper.follower.skipLearnerRequestToNextProcessor', 'forceSync', 'jute.maxbuffer',
  'jute.maxbuffer.extrasize', 'skipACL', 'quorumListenOnAllIPs',
  'multiAddress.reachabilityCheckEnabled', 'zookeeper.nio.numSelectorThreads',
  'zookeeper.nio.numWorkerThreads', 'zookeeper.commitProcessor.numWorkerThreads',
  'zookeeper.commitProcessor.maxReadBatchSize', 'zookeeper.commitProcessor.maxCommitBatchSize',
  'znode.container.checkIntervalMs', 'znode.container.maxPerMinute',
  'znode.container.maxNeverUsedIntervalMs', 'zookeeper.messageTracker.BufferSize',
  'zookeeper.messageTracker.Enabled', 'admin.rateLimiterIntervalInMS', 'admin.snapshot.enabled',
  'admin.restore.enabled', 'admin.needClientAuth', 'admin.forceHttps', 'admin.portUnification',
  'admin.enableServer', 'admin.serverAddress', 'admin.serverPort', 'admin.idleTimeout',
  'admin.commandURL', 'metricsProvider.className', 'metricsProvider.httpHost',
  'metricsProvider.httpPort', 'metricsProvider.exportJvmInfo', 'metricsProvider.numWorkerThreads',
  'metricsProvider.maxQueueSize', 'metricsProvider.workerShutdownTimeoutMs',
  'zookeeper.datadir.autocreate', 'zookeeper.db.autocreate',
];

/** Spellings the table holds beside the guide's (named so by other changes' briefs), and keys
 * ZooKeeper 3.9's QuorumPeerConfig reads from zoo.cfg that the guide does not list. */
const aliases = ['enforce.quota', 'zookeeper.digest.enabled'];
const quorumPeerConfigOnly = ['dynamicConfigFile', 'oraclePath', 'quorum.cnxn.threads.size',
  'jvm.pause.monitor', 'jvm.pause.sleep.time.ms', 'jvm.pause.warn-threshold.ms',
  'jvm.pause.info-threshold.ms'];

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';

/** A concrete key for a pattern entry (`server.x` → `server.1`). */
function concrete(key: string): string {
  return key.replace(/\.x$/, '.1');
}

function entries(kind: KeyTreatment['kind']): Array<[string, KeyTreatment]> {
  return Object.entries(zooKeeperKeyTable).filter(([, treatment]) => treatment.kind === kind);
}

/** A value the entry refuses: the first of these it does not accept. */
function refusedValue(treatment: KeyTreatment): string {
  const accepts = treatment.kind === 'refused' ? treatment.accepts : [];
  return ['true', 'false', 'no', '1', 'x'].find((value) => !accepts.includes(value))!;
}

function refusal(line: string): ConfigError {
  try {
    parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${line} was not refused`);
}

describe('ZooKeeper 3.9 keys table', () => {
  it.each(guideKeys)('classifies %s', (key) => {
    expect(zooKeeperKeyEntry(concrete(key))?.name).toBe(key);
  });

  it('holds no key the guide does not list, apart from aliases and QuorumPeerConfig\'s own',
    () => {
      const extra = Object.keys(zooKeeperKeyTable).filter((key) => !guideKeys.includes(key));
      expect(extra.sort()).toEqual([...aliases, ...quorumPeerConfigOnly].sort());
    });

  it.each(entries('honoured'))('honoured %s is read by parseZooCfg', (key) => {
    expect(readerOf(concrete(key))).toBeDefined();
  });

  it.each(entries('refused'))('refuses %s=<value it cannot honour>, naming the key', (key,
    treatment) => {
    const error = refusal(`${key}=${refusedValue(treatment)}`);
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });

  it.each(entries('refused').filter(([, treatment]) =>
    treatment.kind === 'refused' && treatment.accepts.length > 0))(
    'accepts %s set to what corral does, without a warning', (key, treatment) => {
      const accepted = treatment.kind === 'refused' ? treatment.accepts[0]! : '';
      const parsed = parseZooCfg(`${minimal}${key}=${accepted}\n`, 'zoo.cfg');
      expect(parsed.ignoredKeys).toEqual([]);
      expect(parsed.equivalentKeys.map((entry) => entry.key)).toEqual([key]);
    });

  it.each(entries('equivalent'))('accepts equivalent %s with its reason, not as ignored',
    (key, treatment) => {
      const parsed = parseZooCfg(`${minimal}${key}=1\n`, 'zoo.cfg');
      expect(parsed.ignoredKeys).toEqual([]);
      expect(parsed.equivalentKeys).toEqual([
        { key, why: treatment.kind === 'equivalent' ? treatment.why : '' },
      ]);
    });

  it.each([
    ['zookeeper.multiAddress.enabled=true', 'zookeeper.multiAddress.enabled'],
    ['multiAddress.enabled=true', 'multiAddress.enabled'],
    ['zookeeper.superUser=admin', 'zookeeper.superUser'],
    ['superUser=admin', 'superUser'],
  ])('refuses %s under either spelling, naming %s', (line, key) => {
    const error = refusal(line);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(/not provided by corral/);
  });

  it.each([
    ['skipAcl=yes', 'skipACL'],
    ['forcesync=no', 'forceSync'],
    ['zookeeper.skipacl=yes', 'zookeeper.skipACL'],
    ['SslQuorum=true', 'sslQuorum'],
    ['ClientPort=2182', 'clientPort'],
    ['leaderserves=no', 'leaderServes'],
  ])('refuses the case typo %s, naming %s', (line, meant) => {
    expect(refusal(line).message).toContain(`did you mean ${meant}?`);
  });

  it('still only warns about a key nobody documents', () => {
    const parsed = parseZooCfg(`${minimal}myTool.retries=3\n`, 'zoo.cfg');
    expect(parsed.ignoredKeys).toEqual(['myTool.retries']);
  });
});
