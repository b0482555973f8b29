// Every configuration key ZooKeeper 3.9's administrator's guide lists, and what corral does with
// it: acts on it, fulfils its purpose another way (tuning of ZooKeeper's JVM, threads and Netty
// internals, never safety or security), or refuses to start on a value it cannot honour.
import type { KeyTreatment } from './zookeeper-keys.js';

const honoured = (by: string): KeyTreatment => ({ kind: 'honoured', by });
const equivalent = (why: string): KeyTreatment => ({ kind: 'equivalent', why });
/** Refused unless the value (compared lower-cased) is one of `accepts`: those ask for nothing
 * corral lacks. With no `accepts`, every value is refused. */
const refused = (why: string, accepts: readonly string[] = []): KeyTreatment =>
  ({ kind: 'refused', why, accepts });

const securityTable = 'actors/config/security-keys.ts';
const clientSecurity = 'actors/config/client-security.ts';
const quorumSecurity = 'actors/config/quorum-security.ts';

const threads = 'a JVM thread-pool size; corral runs on one Node event loop';
const watchManager = "tunes ZooKeeper's watch-manager implementation; corral's watch table " +
  'is its own';
const connectionThrottle = 'tunes connectionMaxTokens\'s throttle, which is refused unless off';
const requestThrottle = "tunes ZooKeeper's RequestThrottler; corral bounds requests in flight " +
  'with globalOutstandingLimit and per-connection backpressure';
const prometheusWorkers = "sizes the Prometheus provider's summary worker threads; corral " +
  'observes summaries inline on its one event loop';
const multiAddress = 'only has an effect with multiAddress.enabled=true, which is refused';
const noKerberos = 'Kerberos (GSSAPI) is not provided; SASL is DIGEST-MD5 only';

/** Both `ssl.X` and `ssl.quorum.X`, as the guide lists them together. */
function bothTlsPorts(suffix: string, treatment: KeyTreatment): Record<string, KeyTreatment> {
  return { [`ssl.${suffix}`]: treatment, [`ssl.quorum.${suffix}`]: treatment };
}

const tlsStoreKeys = ['keyStore.location', 'keyStore.password', 'keyStore.passwordPath',
  'keyStore.type', 'trustStore.location', 'trustStore.password', 'trustStore.passwordPath',
  'trustStore.type', 'protocol', 'enabledProtocols', 'ciphersuites', 'hostnameVerification',
  'clientAuth', 'handshakeDetectionTimeoutMillis'];

const tlsKeys: Record<string, KeyTreatment> = Object.assign(
  {},
  ...tlsStoreKeys.map((suffix) => bothTlsPorts(suffix, honoured('transport/tls/settings.ts'))),
  bothTlsPorts('context.supplier.class', refused('a custom SSLContext supplier is Java code')),
  bothTlsPorts('clientHostnameVerification',
    refused("verifying the connecting peer's host name is not provided")),
  bothTlsPorts('allowReverseDnsLookup', refused('reverse DNS lookups are not provided')),
  { 'ssl.crl': refused('certificate revocation lists are not checked', ['false']) },
  { 'ssl.ocsp': refused('OCSP is not checked', ['false']) },
  // The quorum's security table knows no crl/ocsp key at all: any value is refused there.
  { 'ssl.quorum.crl': refused('certificate revocation lists are not checked') },
  { 'ssl.quorum.ocsp': refused('OCSP is not checked') },
) as Record<string, KeyTreatment>;

/** The guide's keys; a pattern key (`server.x`) stands for every `server.N`. */
export const zooKeeperKeyTable: Readonly<Record<string, KeyTreatment>> = {
  // Minimum and advanced configuration.
  clientPort: honoured('config.ts'),
  secureClientPort: honoured(clientSecurity),
  observerMasterPort: equivalent('observers sync from the leader, as ZooKeeper\'s do without it; ' +
    'the port only moves that load to followers'),
  dataDir: honoured('config.ts'),
  tickTime: honoured('config.ts'),
  dataLogDir: honoured('config.ts'),
  globalOutstandingLimit: honoured('config.ts'),
  preAllocSize: equivalent('preallocates txn-log files; LMDB sizes its own file'),
  snapCount: honoured('config.ts'),
  commitLogCount: honoured('config.ts (sets txnsRetainedMin)'),
  snapSizeLimitInKb: equivalent('a second snapshot trigger by log bytes; corral snapshots ' +
    'every snapCount txns and compacts the log after each'),
  txnLogSizeLimitInKb: equivalent('caps the log bytes ZooKeeper sends as a DIFF before it ' +
    'sends a SNAP; corral DIFFs whenever its log holds the learner\'s zxid (txnsRetainedMin)'),
  maxCnxns: honoured('actors/server/server.ts'),
  maxClientCnxns: honoured('config.ts'),
  clientPortAddress: honoured('config.ts'),
  minSessionTimeout: honoured('config.ts'),
  maxSessionTimeout: honoured('config.ts'),
  'fsync.warningthresholdms': equivalent('only sets when ZooKeeper logs a slow-fsync warning; ' +
    'corral does not time single fsyncs'),
  maxResponseCacheSize: equivalent('a cache of serialized getData replies; corral copies a ' +
    'value into its reply once, which costs no more than copying a cached reply'),
  maxGetChildrenResponseCacheSize: honoured('actors/server/sliced-replies.ts (wide nodes\' ' +
    'lists only)'),
  'autopurge.snapRetainCount': honoured('config.ts'),
  'autopurge.purgeInterval': honoured('storage/purge-timer.ts'),
  syncEnabled: equivalent('observers always log txns to disk (the default, and the safer choice)'),
  extendedTypesEnabled: honoured('config.ts'),
  emulate353TTLNodes: refused('ZooKeeper 3.5.3\'s TTL encoding is not provided', ['false']),
  watchManagerName: equivalent(watchManager),
  watcherCleanThreadsNum: equivalent(watchManager),
  watcherCleanThreshold: equivalent(watchManager),
  watcherCleanIntervalInSeconds: equivalent(watchManager),
  maxInProcessingDeadWatchers: equivalent(watchManager),
  bitHashCacheSize: equivalent(watchManager),
  'fastleader.minNotificationInterval': equivalent('corral\'s election paces notifications in ' +
    'ticks'),
  'fastleader.maxNotificationInterval': equivalent('corral\'s election paces notifications in ' +
    'ticks'),
  connectionMaxTokens: refused('throttling new connections is not provided; maxClientCnxns and ' +
    'maxCnxns limit them', ['0']),
  connectionTokenFillTime: equivalent(connectionThrottle),
  connectionTokenFillCount: equivalent(connectionThrottle),
  connectionFreezeTime: equivalent(connectionThrottle),
  connectionDropIncrease: equivalent(connectionThrottle),
  connectionDropDecrease: equivalent(connectionThrottle),
  connectionDecreaseRatio: equivalent(connectionThrottle),
  'zookeeper.connection_throttle_weight_enabled': equivalent(connectionThrottle),
  'zookeeper.connection_throttle_global_session_weight': equivalent(connectionThrottle),
  'zookeeper.connection_throttle_local_session_weight': equivalent(connectionThrottle),
  'zookeeper.connection_throttle_renew_session_weight': equivalent(connectionThrottle),
  clientPortListenBacklog: equivalent('Node\'s listen backlog (511) serves'),
  serverCnxnFactory: honoured('actors/config/zoo-cfg-key-rules.ts (one connection layer ' +
    'serves both; Netty counts plaintext connections in non_mtls_*_conn_count)'),
  flushDelay: equivalent('group-commit tuning; corral batches appends into one LMDB ' +
    'transaction'),
  maxWriteQueuePollTime: equivalent('group-commit tuning; corral batches appends into one LMDB ' +
    'transaction'),
  maxBatchSize: equivalent('group-commit tuning; corral batches appends into one LMDB ' +
    'transaction'),
  enforceQuota: honoured('config.ts (quotas)'),
  'enforce.quota': honoured('config.ts (quotas)'),
  requestThrottleLimit: equivalent(requestThrottle),
  requestThrottleStallTime: equivalent(requestThrottle),
  requestThrottleDropStale: equivalent(requestThrottle),
  requestStaleLatencyCheck: equivalent(requestThrottle),
  requestStaleConnectionCheck: equivalent(requestThrottle),
  'zookeeper.request_throttler.shutdownTimeout': equivalent(requestThrottle),
  advancedFlowControlEnabled: equivalent('Netty flow control; corral always stops reading a ' +
    'connection whose replies are not read'),
  enableEagerACLCheck: equivalent('when ACLs are checked, not whether: a refused write answers ' +
    'NOAUTH either way'),
  maxConcurrentSnapSyncs: equivalent('a throttle on ZooKeeper\'s learner syncs; corral streams ' +
    'each sync under the peer connection\'s memory bound'),
  maxConcurrentDiffSyncs: equivalent('a throttle on ZooKeeper\'s learner syncs; corral streams ' +
    'each sync under the peer connection\'s memory bound'),
  'digest.enabled': honoured('actors/config/storage-keys.ts'),
  'zookeeper.digest.enabled': honoured('actors/config/storage-keys.ts'),
  'snapshot.compression.method': honoured('actors/config/storage-keys.ts'),
  'snapshot.trust.empty': equivalent('corral refuses a log whose purged start no snapshot covers ' +
    'and starts empty only from an empty log, whatever this says'),
  'audit.enable': honoured('config.ts'),
  'audit.impl.class': refused('corral writes its own audit log (audit.logFile); other audit ' +
    'classes are Java code', ['org.apache.zookeeper.audit.log4jauditlogger']),
  largeRequestMaxBytes: equivalent('a JVM memory bound; corral bounds each connection\'s bytes ' +
    '(jute.maxbuffer, client.sendQueueBytesMax)'),
  largeRequestThreshold: equivalent('a JVM memory bound; corral bounds each connection\'s bytes ' +
    '(jute.maxbuffer, client.sendQueueBytesMax)'),
  'outstandingHandshake.limit': equivalent('a Netty TLS-handshake throttle; corral bounds each ' +
    'handshake by ssl.handshakeDetectionTimeoutMillis'),
  'netty.server.earlyDropSecureConnectionHandshakes': equivalent('a Netty TLS-handshake ' +
    'throttle; corral bounds each handshake by ssl.handshakeDetectionTimeoutMillis'),
  throttledOpWaitTime: refused('marking throttled requests (error -127) is not provided', ['0']),
  'learner.closeSocketAsync': equivalent('a JVM thread choice; Node closes sockets ' +
    'asynchronously'),
  'leader.closeSocketAsync': equivalent('a JVM thread choice; Node closes sockets ' +
    'asynchronously'),
  'learner.asyncSending': equivalent('a JVM thread choice; Node sends asynchronously'),
  forward_learner_requests_to_commit_processor_disabled: equivalent('routing inside ' +
    'ZooKeeper\'s request processors'),
  'serializeLastProcessedZxid.enabled': equivalent('corral\'s snapshots always record their ' +
    'zxid'),
  // Cluster options.
  electionAlg: honoured('config.ts (3 only)'),
  maxTimeToWaitForEpoch: equivalent('corral\'s discovery phase is bounded by initLimit ticks'),
  initLimit: honoured('config.ts'),
  connectToLearnerMasterLimit: equivalent('corral bounds a learner\'s connect and sync by ' +
    'initLimit ticks'),
  leaderServes: honoured('config.ts (no: the leader keeps clients off)'),
  'server.x': honoured('config.ts'),
  syncLimit: honoured('config.ts'),
  'group.x': honoured('actors/config/quorum-groups.ts'),
  'weight.x': honoured('actors/config/quorum-groups.ts'),
  cnxTimeout: equivalent('corral\'s peer dials time out by their own bounded backoff'),
  quorumCnxnTimeoutMs: equivalent('corral bounds quorum handshakes by ' +
    'ssl.quorum.handshakeDetectionTimeoutMillis and its peer backoff'),
  standaloneEnabled: honoured('config.ts'),
  reconfigEnabled: honoured('config.ts'),
  '4lw.commands.whitelist': honoured('config.ts'),
  tcpKeepAlive: equivalent('peers ping every tick and are dropped after syncLimit ticks'),
  clientTcpKeepAlive: equivalent('sessions ping and expire by their timeout'),
  electionPortBindRetry: equivalent('a replica that cannot bind exits, and its supervisor (or ' +
    '`corral ensemble`) restarts it'),
  'observer.reconnectDelayMs': equivalent('corral\'s observers reconnect with their own ' +
    'bounded backoff'),
  'observer.election.DelayMs': equivalent('corral\'s observers reconnect with their own ' +
    'bounded backoff'),
  localSessionsEnabled: honoured('config.ts (local sessions)'),
  localSessionsUpgradingEnabled: honoured('config.ts (local sessions)'),
  // Encryption, authentication, authorization.
  'DigestAuthenticationProvider.enabled': refused('digest authentication cannot be switched ' +
    'off', ['true']),
  'DigestAuthenticationProvider.superDigest': honoured('config.ts'),
  'DigestAuthenticationProvider.digestAlg': refused('digests are SHA1 only', ['sha1', 'sha-1']),
  'IPAuthenticationProvider.usexforwardedfor': refused('ip identities come from the socket only',
    ['false']),
  'X509AuthenticationProvider.superUser': honoured(clientSecurity),
  'zookeeper.superUser': refused('a SASL super user is not provided (use superDigest or ' +
    'X509AuthenticationProvider.superUser)'),
  'ssl.authProvider': honoured(clientSecurity),
  'zookeeper.ensembleAuthName': refused('the ensemble-name authentication provider is not ' +
    'provided'),
  sessionRequireClientSASLAuth: honoured(clientSecurity),
  'enforce.auth.enabled': honoured(clientSecurity),
  'enforce.auth.schemes': honoured(clientSecurity),
  sslQuorum: honoured(quorumSecurity),
  ...tlsKeys,
  'ssl.sslProvider': refused(`not a TLS key corral knows (${securityTable}); TLS is OpenSSL's`),
  sslQuorumReloadCertFiles: honoured(quorumSecurity),
  'client.certReload': honoured(clientSecurity),
  'client.portUnification': honoured(clientSecurity),
  'authProvider.x': honoured(`${securityTable} (built-in providers only)`),
  'kerberos.removeHostFromPrincipal': refused(noKerberos, ['false']),
  'kerberos.removeRealmFromPrincipal': refused(noKerberos, ['false']),
  'kerberos.canonicalizeHostNames': refused(noKerberos, ['false']),
  'multiAddress.enabled': refused('one address per server line', ['false']),
  'multiAddress.reachabilityCheckTimeoutMs': equivalent(multiAddress),
  'fips-mode': refused('ZooKeeper\'s own trust manager (fips-mode=false) is not provided; ' +
    'corral\'s TLS is the platform\'s, as with fips-mode=true', ['true']),
  'readonlymode.enabled': honoured('config.ts (read-only mode)'),
  'zookeeper.follower.skipLearnerRequestToNextProcessor': equivalent('routing inside ' +
    'ZooKeeper\'s request processors'),
  // Unsafe options.
  forceSync: honoured('storage/lmdb-backend.ts'),
  'jute.maxbuffer': honoured('config.ts'),
  'jute.maxbuffer.extrasize': equivalent('slack the JVM adds when reading txn logs; corral\'s ' +
    'log records carry their own lengths and checksums'),
  skipACL: honoured('tree/acl.ts through actors/server'),
  quorumListenOnAllIPs: refused('the quorum port binds the address of this server\'s server.N ' +
    'line', ['false']),
  'multiAddress.reachabilityCheckEnabled': equivalent(multiAddress),
  // Data directory checks.
  'zookeeper.datadir.autocreate': honoured('cli/server-command.ts'),
  'zookeeper.db.autocreate': refused('joining as a non-voter until synced is not provided',
    ['true']),
  // Performance tuning and debug observability.
  'zookeeper.nio.numSelectorThreads': equivalent(threads),
  'zookeeper.nio.numWorkerThreads': equivalent(threads),
  'zookeeper.commitProcessor.numWorkerThreads': equivalent(threads),
  'zookeeper.commitProcessor.maxReadBatchSize': equivalent('batching inside ZooKeeper\'s ' +
    'CommitProcessor threads'),
  'zookeeper.commitProcessor.maxCommitBatchSize': equivalent('batching inside ZooKeeper\'s ' +
    'CommitProcessor threads'),
  'znode.container.checkIntervalMs': honoured('config.ts'),
  'znode.container.maxPerMinute': equivalent('corral deletes at most 1,000 containers and TTL ' +
    'nodes per check'),
  'znode.container.maxNeverUsedIntervalMs': refused('deleting containers that never had ' +
    'children is not provided', ['0']),
  'zookeeper.messageTracker.BufferSize': equivalent('a debugging buffer of peer messages; ' +
    'corral\'s --inspect shows the machines\' events'),
  'zookeeper.messageTracker.Enabled': equivalent('a debugging buffer of peer messages; ' +
    'corral\'s --inspect shows the machines\' events'),
  // AdminServer.
  'admin.rateLimiterIntervalInMS': honoured('actors/operations/admin-backup.ts'),
  'admin.snapshot.enabled': honoured('actors/operations/admin-backup.ts'),
  'admin.restore.enabled': honoured('actors/operations/admin-backup.ts'),
  'admin.needClientAuth': honoured('config.ts'),
  'admin.forceHttps': honoured('config.ts'),
  'admin.portUnification': honoured('config.ts'),
  'admin.enableServer': honoured('config.ts'),
  'admin.serverAddress': honoured('config.ts'),
  'admin.serverPort': honoured('config.ts'),
  'admin.idleTimeout': equivalent('Node\'s HTTP server closes idle connections itself'),
  'admin.commandURL': honoured('config.ts'),
  // Read by ZooKeeper's QuorumPeerConfig though the guide does not list them.
  dynamicConfigFile: honoured('actors/config/dynamic-config.ts (the membership and its version)'),
  oraclePath: refused('the quorum oracle of two-server ensembles is not provided'),
  'quorum.cnxn.threads.size': equivalent('a JVM thread pool for quorum SASL handshakes; corral ' +
    'runs them on its event loop'),
  'jvm.pause.monitor': equivalent('ZooKeeper\'s JVM garbage-collection pause monitor'),
  'jvm.pause.sleep.time.ms': equivalent('ZooKeeper\'s JVM garbage-collection pause monitor'),
  'jvm.pause.warn-threshold.ms': equivalent('ZooKeeper\'s JVM garbage-collection pause monitor'),
  'jvm.pause.info-threshold.ms': equivalent('ZooKeeper\'s JVM garbage-collection pause monitor'),
  // Metrics providers.
  'metricsProvider.className': honoured('actors/config/metrics-keys.ts'),
  'metricsProvider.httpHost': honoured('actors/config/metrics-keys.ts'),
  'metricsProvider.httpPort': honoured('actors/config/metrics-keys.ts'),
  'metricsProvider.exportJvmInfo': honoured('actors/config/metrics-keys.ts'),
  'metricsProvider.numWorkerThreads': equivalent(prometheusWorkers),
  'metricsProvider.maxQueueSize': equivalent(prometheusWorkers),
  'metricsProvider.workerShutdownTimeoutMs': equivalent(prometheusWorkers),
};
