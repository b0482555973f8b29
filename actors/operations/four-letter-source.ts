// Builds the four-letter words' view of a running server (FourLetterSource) from its core:
// role, connections, sessions, watches, statistics. Read on demand, never on the hot path.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectEnvironment, type FourLetterSource } from './four-letter-words.js';
import type { CorralServer } from '../server/server.js';

/** What corral reports as its ZooKeeper-compatible version (clients parse major.minor.patch). */
export const reportedVersion = '3.8.0-corral, built on 2026-11-23 00:00 UTC';

function directoryBytes(path: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      total += entry.isDirectory() ? directoryBytes(child) : statSync(child).size;
    }
  } catch {
    // A missing data dir has size 0.
  }
  return total;
}

/** This process's open file descriptors (ZooKeeper's UnixOperatingSystemMXBean figure), where
 * /proc tells; undefined elsewhere, and mntr then leaves the line out. */
function openFileDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft limit on open files (`Max open files` in /proc/self/limits), where /proc tells. */
function maxFileDescriptors(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line === null ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

export function fourLetterSource(server: CorralServer): FourLetterSource {
  const { core, settings } = server;
  const now = Date.now();
  const ephemerals = core.tree.ephemeralsBySession();
  const connections = [...core.connections.values()].map((connection) => {
    const sessionId = connection.sessionId;
    return {
      remoteAddress: connection.remoteAddress,
      remotePort: connection.remotePort,
      interestOps: connection.interestOps,
      outstandingRequests: connection.queue.length,
      packetsReceived: connection.packetsReceived,
      packetsSent: connection.packetsSent,
      expiresAtMs: now + settings.tickTimeMs,
      session:
        sessionId === undefined
          ? undefined
          : {
              sessionId,
              lastOperation: connection.lastOperation,
              establishedAtMs: connection.establishedAt,
              timeoutMs: core.sessions.timeoutOf(sessionId),
              lastCxid: connection.lastCxid,
              lastZxid: BigInt(connection.lastZxid),
              lastResponseAtMs: connection.lastResponseAtMs,
              lastLatencyMs: connection.latency.last,
              latency: {
                minMs: connection.latency.minMs,
                avgMs: connection.latency.avgMs,
                maxMs: connection.latency.maxMs,
              },
            },
    };
  });
  const tick = settings.tickTimeMs;
  const sessions = [...core.sessions.ids()].map((sessionId) => ({
    sessionId,
    timeoutMs: core.sessions.timeoutOf(sessionId),
    expiresAtMs: Math.ceil((now + core.sessions.timeoutOf(sessionId)) / tick) * tick,
    ephemeralPaths: ephemerals.get(sessionId) ?? [],
  }));
  const statistics = core.statistics;
  return {
    version: reportedVersion,
    serving: core.role.serving,
    readOnly: core.role.readOnly === true,
    role: core.role.role,
    zabPhase: core.role.role === 'standalone' ? undefined : core.role.zabPhase,
    serverId: core.role.serverId,
    leaderId: core.role.leaderId,
    zxid: BigInt(core.tree.lastZxid),
    // ZooKeeper's DataTree holds the root twice (as "" and "/"), and every count it reports
    // (srvr's Node count, mntr's znode_count) includes both.
    nodeCount: core.tree.nodeCount + 1,
    digestLog: core.tree.digestLog(),
    digestMismatches: core.statistics.digestMismatches,
    approximateDataSizeBytes: core.tree.approximateDataSize,
    packetsReceived: statistics.packetsReceived,
    packetsSent: statistics.packetsSent,
    outstandingRequests: core.pipeline.outstanding,
    latency: {
      minMs: statistics.latency.minMs,
      avgMs: statistics.latency.avgMs,
      maxMs: statistics.latency.maxMs,
    },
    authFailedCount: statistics.authFailedCount,
    nonMtlsLocalConnections: statistics.nonMtlsLocalConnections,
    nonMtlsRemoteConnections: statistics.nonMtlsRemoteConnections,
    nettyConnectionLayer: statistics.nettyConnectionLayer,
    clientResponseSizes: {
      lastBytes: statistics.clientResponseSizes.lastBytes,
      minBytes: statistics.clientResponseSizes.minBytes,
      maxBytes: statistics.clientResponseSizes.maxBytes,
    },
    connections,
    // Watches are keyed by connection; the words report the connection's session.
    dataWatches: core.watches.dataWatchedPaths().map(({ path, sessionIds }) => ({
      path,
      sessionIds: sessionIds.map(
        (watcher) => core.connections.get(Number(watcher))?.sessionId ?? watcher,
      ),
    })),
    dataWatchesBySession: new Map([...core.watches.dataWatchesBySession()].map(
      ([watcher, paths]) => [core.connections.get(Number(watcher))?.sessionId ?? watcher, paths])),
    watchCount: core.watches.watchCount,
    sessions,
    localSessionCount: core.localSessions.size,
    dataDirSizeBytes: directoryBytes(settings.dataDir),
    dataLogDirSizeBytes: directoryBytes(settings.dataLogDir ?? settings.dataDir),
    startedAtMs: server.startedAt,
    nowMs: now,
    config: settings,
    environment: collectEnvironment(),
    quorumSize: core.role.quorumSize,
    membershipVersion: 0n,
    leader: core.role.leaderStatistics?.(),
    openFileDescriptorCount: openFileDescriptors(),
    maxFileDescriptorCount: maxFileDescriptors(),
    metrics: core.statistics.metrics,
    resetConnectionStatistics: () => {
      for (const connection of core.connections.values()) connection.resetStatistics();
    },
    resetServerStatistics: () => statistics.reset(),
    traceMask: core.traceMask,
    setTraceMask: (mask) => {
      core.traceMask = mask;
    },
  };
}
