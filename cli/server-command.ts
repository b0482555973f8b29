// `corral server`: builds the configuration from flags and zoo.cfg, opens the data dir, recovers
// the committed state, and serves the client port in the foreground until SIGINT/SIGTERM. With
// server.N lines (and a myid) it runs one replica of an ensemble; otherwise a standalone server.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AdminServer, type AdminTls } from '../actors/operations/admin-server.js';
import { AdminBackup } from '../actors/operations/admin-backup.js';
import { loadSecureContextOptions } from '../transport/tls/index.js';
import { AuditLog, openAuditFile } from '../actors/server/audit.js';
import { answerFourLetterWord, isFourLetterWord } from '../actors/operations/four-letter-words.js';
import type { Inspection } from '../actors/inspection/inspect.js';
import { MachineEventHub } from '../actors/inspection/machine-events.js';
import { MachineEventsEndpoint } from '../actors/inspection/machine-events-sse.js';
import { fourLetterSource } from '../actors/operations/four-letter-source.js';
import type { MetricsServer } from '../actors/operations/metrics-server.js';
import { recordStartup, storageTimingsFor } from '../actors/server/statistics.js';
import { ConfigError, isEnsemble, type ServerConfig } from '../actors/config/config.js';
import type { ReplicaHost } from '../actors/replica/host.js';
import { CorralServer } from '../actors/server/server.js';
import { lockDataDirs, openReplicaStorage } from '../storage/data-dir.js';
import { PurgeTimer } from '../storage/purge-timer.js';
import type { ReplicaStorage } from '../storage/replica-storage.js';
import type { ACL } from '../protocol/records.js';
import { buildServerConfig, parseLoggingFlags, type ServerFlags } from './server-options.js';
import { startHeapCompaction } from '../actors/operations/heap-compaction.js';
import { chooseLogFormat, createServerLogger } from './logging.js';
import { completeDigestInBackground } from '../actors/server/background-digest.js';

/**
 * lmdb-js rejects an internal promise of its own when a commit fails (full disk) and nobody can
 * handle it; the append that failed has already reported the error to its callers. Any other
 * unhandled rejection is a bug: log it and stop, as Node would.
 */
function handleUnhandledRejections(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    const isLmdbCommitEcho =
      reason instanceof Error && 'commitError' in reason && /^Commit failed/.test(reason.message);
    if (isLmdbCommitEcho) return;
    logger.fatal({ error: String(reason) }, 'unhandled rejection');
    process.exit(70);
  });
}

/** A znode's whole ACL, read as the super user would (digest hashes included). */
function aclOf(server: CorralServer, path: string): readonly ACL[] | undefined {
  const result = server.core.tree.getACL(path, { ids: [], superUser: true });
  return result.err === 0 && result.body.kind === 'acl' ? result.body.acl : undefined;
}

/**
 * The audit log when zoo.cfg enables it: its own file (audit.logFile, else audit.log in the data
 * dir), reopened on SIGHUP so logrotate can move it away.
 */
function openAudit(settings: ServerConfig, logger: Logger): AuditLog | undefined {
  if (!settings.auditEnabled) return undefined;
  const file = settings.auditLogFile ?? join(settings.dataDir, 'audit.log');
  const audit = new AuditLog(openAuditFile(file));
  process.on('SIGHUP', () => audit.reopen());
  logger.info({ file }, 'audit log enabled');
  return audit;
}

/**
 * Builds the configuration and the logger it asks for (its level and format may come from
 * zoo.cfg): what the configuration says while it is read is held back, then logged at that level.
 * A configuration that is refused still gets its earlier warnings out, at the flags' level.
 */
function configure(flags: ServerFlags): { settings: ServerConfig; logger: Logger } {
  const said: Array<{ level: 'info' | 'warn'; message: string }> = [];
  let settings: ServerConfig | undefined;
  let logger: Logger | undefined;
  try {
    settings = buildServerConfig(flags, {
      info: (message: string) => said.push({ level: 'info', message }),
      warn: (message: string) => said.push({ level: 'warn', message }),
    });
  } finally {
    const logging = settings ?? { logLevel: 'info', logFormat: 'auto', ...safeLoggingFlags(flags) };
    logger = createServerLogger({
      level: logging.logLevel,
      format: chooseLogFormat(logging.logFormat, process.stdout.isTTY === true),
    });
    for (const { level, message } of said) logger[level](message);
  }
  return { settings, logger };
}

/** The logging flags when they are valid, none otherwise (their error is reported anyway). */
function safeLoggingFlags(flags: ServerFlags): ReturnType<typeof parseLoggingFlags> {
  try {
    return parseLoggingFlags(flags);
  } catch {
    return {};
  }
}

export async function runServer(flags: ServerFlags): Promise<void> {
  const { settings, logger } = configure(flags);
  handleUnhandledRejections(logger);
  logger.debug({ logLevel: settings.logLevel, logFormat: settings.logFormat }, 'logging');
  const ensemble = isEnsemble(settings);
  if (!settings.dataDirAutocreate) requireDataDirs(settings);
  // A second server on the same data dir would hand out the same zxids: refuse, naming the
  // holder, before anything in the directory is opened.
  const locks = await lockDataDirs(settings.dataDir, settings.dataLogDir);
  logger.info({ dataDirs: locks.map((lock) => lock.directory) }, 'data dir locked');
  const { log, purgeTimer } = await openStorage(settings, logger);
  const audit = openAudit(settings, logger);
  const inspection = await startInspection(settings);
  const inspect = inspection.inspect;
  // The machine event stream's hub is given each root actor; it inspects them while listened to.
  const machineEvents = machineEventsEndpoint(settings);
  const trackActor = machineEvents?.hub.track;
  const tracking = trackActor === undefined ? {} : { trackActor };
  let replica: ReplicaHost | undefined;
  if (ensemble) {
    // Imported only for an ensemble: a standalone server's restart loads fewer modules before
    // it recovers.
    const { createTcpReplica } = await import('../actors/replica/tcp-world.js');
    replica = createTcpReplica({
      settings,
      logger,
      storage: log,
      ...(inspect === undefined ? {} : { inspect }),
      ...tracking,
    });
  }
  const server = new CorralServer({
    core: { ...replica?.coreOptions(), ...tracking },
    settings,
    logger,
    log,
    fourLetterWord: (current, word, argument) =>
      isFourLetterWord(Buffer.from(word, 'latin1')) === undefined
        ? undefined
        // On the client port a leader with leaderServes=no is not serving (ZooKeeper's leader
        // keeps its server off the port); the admin server still sees it serve.
        : answerFourLetterWord(word,
          { ...fourLetterSource(current), serving: current.core.role.servesClients },
          settings.fourLetterWordWhitelist, argument),
    ...(inspect === undefined ? {} : { inspect }),
    ...(audit === undefined ? {} : { audit }),
  });
  // Before recovery, so that the startup figures reach Prometheus too and a port in use stops
  // startup before anything is loaded.
  const metricsServer = await startMetricsServer(settings, server, logger);
  if (replica === undefined) {
    const startedAt = performance.now();
    // The digest of the snapshot's nodes is summed once the port is open (actors/server/background-digest.ts).
    const snapshot = await log.restoreInto(server.core.tree, { deferDigest: true });
    const restoredAt = performance.now();
    const recovered = server.core.recover(log);
    const metrics = server.core.statistics.metrics;
    recordStartup(metrics, { snapshotMs: restoredAt - startedAt, txns: recovered,
      txnsMs: performance.now() - restoredAt });
    log.observeTimings(storageTimingsFor(metrics));
    logger.info(
      { snapshot: snapshot?.file, txns: recovered, zxid: server.core.tree.lastZxid },
      'recovered committed state',
    );
    // ZooKeeperServer.loadData: a snapshot of what was recovered, so the next start replays
    // nothing of it. Captured now (before any request), written while the server already
    // serves: what it covers is durable in the log, which is purged only once it is written.
    log.snapshotBeforeServing(true).catch((error: unknown) => {
      logger.warn({ error: String(error) }, 'snapshot of the recovered state failed');
    });
  } else {
    // The replica recovers its logged state itself; its sessions are expired by the leader.
    await replica.start(server.core);
  }
  const { address, port, secure } = await server.listen();
  if (replica === undefined) {
    void completeDigestInBackground(server.core.tree, (work) => setImmediate(work));
  }
  // After recovery: the first purge runs at once, as ZooKeeper's DatadirCleanupManager's does.
  purgeTimer.start();
  // Gives a burst's heap back when the server goes idle (actors/operations/heap-compaction.ts).
  startHeapCompaction();
  audit?.server('serverStart', 'success');
  logger.info(
    { address, port, dataDir: settings.dataDir },
    `corral listening on ${address}:${port} (connect with zkCli.sh -server ${address}:${port})`,
  );
  if (secure !== undefined && (secure.address !== address || secure.port !== port)) {
    logger.info(secure, `corral listening for TLS clients on ${secure.address}:${secure.port}`);
  }
  // Started in the turn the client port opened (no import in between): a client that finds the
  // client port serving finds the admin port listening too.
  const admin = settings.adminServerEnabled
    ? new AdminServer({
        address: settings.adminServerAddress,
        port: settings.adminServerPort,
        commandUrl: settings.adminCommandUrl,
        view: () => ({ source: fourLetterSource(server), lastSnapshot: log.newestSnapshot() }),
        aclOf: (path) => aclOf(server, path),
        superDigest: settings.superDigest,
        backup: adminBackup(server, settings, logger),
        ...(machineEvents === undefined ? {} : { machineEvents }),
        ...adminTls(settings),
      })
    : undefined;
  if (admin !== undefined) {
    const bound = await admin.listen();
    logger.info(
      { address: bound.address, port: bound.port, commandUrl: settings.adminCommandUrl },
      `admin server on ${admin.scheme}://${bound.address}:${bound.port}${settings.adminCommandUrl}`,
    );
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // ZooKeeper's shutdown hook logs serverStop as invoked: written before the server has stopped.
    audit?.server('serverStop', 'invoked');
    void (admin?.close() ?? Promise.resolve())
      .then(() => metricsServer?.close())
      .then(() => purgeTimer.stop())
      .then(() => {
        replica?.halt();
        return replica?.settled();
      })
      .then(() => server.close())
      .then(() => audit?.close())
      .then(() => Promise.all(locks.map((lock) => lock.release())))
      .then(() => {
        inspection.stop();
        process.exit(0);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The machine event stream at <commandURL>/machine_events, whenever the admin server runs: its
 * hub watches every actor of this server (at a call and a check per event while nobody listens).
 */
/** `--inspect`'s bridge. Imported only when asked for: @statelyai/inspect and the websocket code
 * it brings would otherwise stay in every server's heap unused. */
async function startInspection(settings: ServerConfig): Promise<Inspection> {
  if (!settings.inspect) return { ready: Promise.resolve(undefined), stop() {} };
  const { createInspection } = await import('../actors/inspection/inspect.js');
  return createInspection({
    enabled: true,
    host: settings.inspectAddress,
    port: settings.inspectPort,
  });
}

function machineEventsEndpoint(settings: ServerConfig): MachineEventsEndpoint | undefined {
  if (!settings.adminServerEnabled) return undefined;
  const replica = isEnsemble(settings) ? String(settings.myId) : 'standalone';
  const hub = new MachineEventHub({
    replica,
    bufferLimit: settings.machineEventsBuffer,
    queueBytesMax: settings.machineEventsQueueBytes,
    coalesceMs: settings.machineEventsCoalesceMs,
  });
  return new MachineEventsEndpoint({
    hub,
    listenersMax: settings.machineEventsListenersMax,
    allowRemote: settings.machineEventsRemote,
  });
}

/** ZooKeeper's PrometheusMetricsProvider when metricsProvider.className names it. */
async function startMetricsServer(
  settings: ServerConfig,
  server: CorralServer,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  if (settings.metricsProvider !== 'prometheus') return undefined;
  // Imported only when configured: prom-client would otherwise stay in every server's heap.
  const { MetricsServer } = await import('../actors/operations/metrics-server.js');
  const metricsServer = new MetricsServer({
    host: settings.metricsHttpHost,
    port: settings.metricsHttpPort,
    source: () => fourLetterSource(server),
    metrics: server.core.statistics.metrics,
    exportProcessInfo: settings.metricsExportProcessInfo,
    sessionStates: () => server.core.sessions.stateCounts(),
  });
  const bound = await metricsServer.listen();
  logger.info({ ...bound, exportJvmInfo: settings.metricsExportProcessInfo },
    `Prometheus metrics on http://${bound.address}:${bound.port}/metrics`);
  return metricsServer;
}

/**
 * The replica's storage, refusing a data dir with a corrupt log (not a torn tail) or another
 * format, naming both; and the autopurge timer over it (started once the server serves).
 */
async function openStorage(
  settings: ServerConfig,
  logger: Logger,
): Promise<{ log: ReplicaStorage; purgeTimer: PurgeTimer }> {
  const log = await openReplicaStorage(
    settings.dataDir,
    {
      snapCount: settings.snapCount,
      snapRetainCount: settings.autopurgeSnapRetainCount,
      txnsRetainedMin: settings.txnsRetainedMin,
      snapshotCompression: settings.snapshotCompression,
      forceSync: settings.forceSync,
      // A standalone server replays its log tail at once (runServer): that replay checks it.
      ...(isEnsemble(settings) ? {} : { startupLogCheck: 'asReplayed' as const }),
    },
    logger,
  );
  if (!settings.forceSync) {
    logger.warn('forceSync=no: txns are acknowledged before they are fsynced; a power loss ' +
      'may lose acknowledged writes');
  }
  const purgeTimer = new PurgeTimer({
    intervalHours: settings.autopurgePurgeIntervalHours,
    purge: () => log.purge(),
    logger,
  });
  return { log, purgeTimer };
}

/**
 * zookeeper.datadir.autocreate=false, as ZooKeeper's FileTxnSnapLog: a missing data dir (or
 * dataLogDir) stops startup instead of being created, so a mistyped path cannot start a replica
 * with an empty history beside its real one.
 */
function requireDataDirs(settings: ServerConfig): void {
  const key = 'zookeeper.datadir.autocreate';
  for (const directory of [settings.dataDir, settings.dataLogDir]) {
    if (directory === undefined || existsSync(directory)) continue;
    throw new ConfigError(`data directory ${directory} is missing and ${key} is false: create ` +
      'it first', key);
  }
}

/** The admin snapshot and restore commands over this server's tree and pipeline. */
function adminBackup(server: CorralServer, settings: ServerConfig, logger: Logger): AdminBackup {
  return new AdminBackup({
    snapshotEnabled: settings.adminSnapshotEnabled,
    restoreEnabled: settings.adminRestoreEnabled,
    rateLimiterIntervalMs: settings.adminRateLimiterIntervalMs,
    capture: () => server.core.tree.capture(),
    restore: (body) =>
      server.core.pipeline.propose(0n, server.core.nextInternalCxid(), body),
    stagedRestore: () => server.core.tree.stagedRestore(),
    role: () => ({
      role: server.core.role.role,
      ...(server.core.role.leaderId === undefined ? {} : { leaderId: server.core.role.leaderId }),
    }),
    nowMs: () => Date.now(),
    logger,
  });
}

/** The admin server's HTTPS, from the quorum's stores as ZooKeeper's JettyAdminServer takes it. */
function adminTls(settings: ServerConfig): { tls?: AdminTls } {
  if (!settings.adminForceHttps && !settings.adminPortUnification) return {};
  const stores = settings.quorumTls;
  if (stores === undefined) return {};
  return {
    tls: {
      secureContext: loadSecureContextOptions(stores),
      forceHttps: settings.adminForceHttps,
      needClientAuth: settings.adminNeedClientAuth,
    },
  };
}
