// The ServerConfig a replica runs with: every setting, named as corral names it, with the zoo.cfg
// key each comes from. config.ts reads and resolves it; the parts with rules of their own
// (security, SASL, storage, logging, groups, the dynamic file) declare their fields beside them.
import type { PeerType, QuorumServerAddress } from '../../protocol/config/values.js';
import type { ClientSecurityConfig } from './client-security.js';
import type { DynamicConfigFields } from './dynamic-config.js';
import type { LoggingConfig } from './logging-keys.js';
import type { MachineEventsConfig } from './machine-events-keys.js';
import type { MetricsConfig } from './metrics-keys.js';
import type { PeerWireConfig } from './peer-wire-keys.js';
import type { QuorumGroupsConfig } from './quorum-groups.js';
import type { QuorumSaslConfig } from './quorum-sasl.js';
import type { QuorumSecurityConfig } from './quorum-security.js';
import type { SitesConfig } from './sites.js';
import type { StorageConfig } from './storage-keys.js';
import type { UnsafeConfig } from './unsafe-keys.js';

export interface ServerConfig
  extends ClientSecurityConfig, QuorumSecurityConfig, QuorumSaslConfig, StorageConfig,
  LoggingConfig, UnsafeConfig, QuorumGroupsConfig, PeerWireConfig, DynamicConfigFields,
  MetricsConfig, MachineEventsConfig, SitesConfig {
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
  /** ZooKeeper's maxGetChildrenResponseCacheSize: the encoded child lists of wide nodes a
   * server keeps to answer getChildren again without encoding (sliced-replies.ts); 0 or less
   * keeps none. */
  childListRepliesKept: number;
  /** `client.sendQueueBytesThrottle` (corral's own key): a connection whose replies wait unsent
   * beyond this many bytes is not read until they are sent. */
  clientSendQueueBytesThrottle: number;
  /** `client.sendQueueBytesMax` (corral's own key): beyond this many unsent bytes it is closed. */
  clientSendQueueBytesMax: number;
  /**
   * ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout (ms): a connection still without a session
   * this long after it was accepted (or a TLS handshake not done by then) is closed, so idle
   * sockets and half-sent connect frames (each up to jute.maxbuffer of buffered bytes) cannot be
   * held open forever.
   */
  sessionlessConnectionMs: number;
  /**
   * serverCnxnFactory: ZooKeeper's NIO or Netty connection layer. corral has one layer for both;
   * the choice decides only whether plaintext connections are counted in
   * non_mtls_local/remote_conn_count, as ZooKeeper's Netty layer counts them (with a secure
   * client port ZooKeeper needs Netty, so they are counted then too).
   */
  connectionFactory: 'nio' | 'netty';
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
  /** admin.snapshot.enabled: the admin `snapshot` command (a backup) runs; 503 otherwise. */
  adminSnapshotEnabled: boolean;
  /** admin.restore.enabled: the admin `restore` command runs; 503 otherwise. */
  adminRestoreEnabled: boolean;
  /** admin.rateLimiterIntervalInMS: one snapshot, and one restore, per this many ms. */
  adminRateLimiterIntervalMs: number;
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
  /** zoo.cfg treeBroadcast (corral's own key, default true): the leader sends broadcast traffic
   * once per remote site, through a relay there (machines/leading/relaying.ts). */
  treeBroadcast: boolean;
  /** zoo.cfg treeBroadcastDirectAcks (corral's own key, default true): a relayed follower sends
   * its ACKs straight to the leader; false sends them back through its relay, batched. */
  treeBroadcastDirectAcks: boolean;
  /** zoo.cfg siteSync (corral's own key, default true): a learner needing a SNAP takes it from a
   * synced follower of its own site (machines/leading/site-sync.ts). */
  siteSync: boolean;
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
