// The admin commands' responses (admin-commands.ts): the four-letter words' figures as JSON
// objects with ZooKeeper's field names, built from a FourLetterSource, one function a response.

import { sep } from 'node:path';
import { javaHashMapOrder } from '../server/auth/java-set-order.js';
import {
  serverState,
  siteOfSource,
  type ConnectionStatistics,
  type FourLetterSource,
} from './four-letter-words.js';

/** A command's response: JSON, as ZooKeeper's CommandResponse serializes it. */
export type AdminResponse = Record<string, unknown>;

/** A Java long as Long.parseLong reads it: an optional sign, decimal digits, in range. */
function parseJavaLong(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

/** SetTraceMaskCommand: the mask from `?traceMask=`, which gtmk / get_trace_mask then report. */
export function setTraceMask(source: FourLetterSource, parameters: URLSearchParams): AdminResponse {
  const text = parameters.get('traceMask');
  const required = 'setTraceMask requires long traceMask argument';
  if (text === null) return { error: required };
  const mask = parseJavaLong(text);
  if (mask === undefined) return { error: `${required}, got ${text}` };
  source.setTraceMask(mask);
  return { tracemask: mask };
}

/** The remote address as ZooKeeper's admin JSON prints it: `127.0.0.1:57130`, no slash. */
function socketAddress(address: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const host = mapped?.[1] ?? address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** ServerCnxn.getConnectionInfo: the session's fields only once the handshake is done, and not
 * in the brief form `stats` lists. */
function connectionInfo(connection: ConnectionStatistics, brief: boolean): AdminResponse {
  const info: AdminResponse = {
    remote_socket_address: socketAddress(connection.remoteAddress, connection.remotePort),
    interest_ops: connection.interestOps,
    outstanding_requests: connection.outstandingRequests,
    packets_received: connection.packetsReceived,
    packets_sent: connection.packetsSent,
  };
  const session = connection.session;
  if (brief || session === undefined || session.sessionId === 0n) return info;
  return {
    ...info,
    session_id: session.sessionId,
    last_operation: session.lastOperation,
    established: session.establishedAtMs,
    session_timeout: session.timeoutMs,
    last_cxid: session.lastCxid,
    last_zxid: session.lastZxid,
    last_response_time: session.lastResponseAtMs,
    last_latency: session.lastLatencyMs,
    min_latency: session.latency.minMs,
    avg_latency: Math.trunc(session.latency.avgMs),
    max_latency: session.latency.maxMs,
  };
}

export function connections(source: FourLetterSource, brief = false): AdminResponse {
  return {
    connections: source.connections.map((connection) => connectionInfo(connection, brief)),
    secure_connections: [],
  };
}

function bufferStats(sizes: FourLetterSource['clientResponseSizes']): AdminResponse {
  return {
    last_buffer_size: sizes.lastBytes,
    min_buffer_size: sizes.minBytes,
    max_buffer_size: sizes.maxBytes,
  };
}

/** SrvrCommand (server_stats, and stats which adds the connections). */
export function serverStats(source: FourLetterSource): AdminResponse {
  const response: AdminResponse = {
    version: source.version,
    read_only: source.readOnly,
    server_stats: {
      packets_sent: source.packetsSent,
      packets_received: source.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: bufferStats(source.clientResponseSizes),
      data_dir_size: source.dataDirSizeBytes,
      log_dir_size: source.dataLogDirSizeBytes,
      provider_null: false,
      server_state: serverState(source),
      last_processed_zxid: source.zxid,
      outstanding_requests: source.outstandingRequests,
      avg_latency: Math.round(source.latency.avgMs * 10000) / 10000,
      max_latency: source.latency.maxMs,
      min_latency: source.latency.minMs,
      num_alive_client_connections: source.connections.length,
      auth_failed_count: source.authFailedCount,
      non_mtlsremote_conn_count: source.nonMtlsRemoteConnections,
      non_mtlslocal_conn_count: source.nonMtlsLocalConnections,
      uptime: source.nowMs - source.startedAtMs,
    },
    client_response: bufferStats(source.clientResponseSizes),
  };
  if (source.role === 'leader' && source.leader !== undefined) {
    const sizes = source.leader.proposalSizes;
    response.proposal_stats = {
      last_buffer_size: sizes.lastBytes,
      min_buffer_size: sizes.minBytes,
      max_buffer_size: sizes.maxBytes,
    };
  }
  response.node_count = source.nodeCount;
  // corral's field, only for a server with a site (zoo.cfg site.N), as srvr's `Site:` line.
  const site = siteOfSource(source);
  if (site !== undefined) response.site = site;
  return response;
}

/** The sessions' expiry buckets and ephemerals (DumpCommand). */
export function dump(source: FourLetterSource): AdminResponse {
  const buckets = new Map<number, bigint[]>();
  for (const { expiresAtMs, sessionId } of source.sessions) {
    buckets.set(expiresAtMs, [...(buckets.get(expiresAtMs) ?? []), sessionId]);
  }
  const expiry: AdminResponse = {};
  for (const time of [...buckets.keys()].sort((left, right) => left - right)) {
    expiry[String(time)] = buckets.get(time);
  }
  const ephemerals: AdminResponse = {};
  for (const session of source.sessions) {
    if (session.ephemeralPaths.length > 0) {
      ephemerals[session.sessionId.toString()] = [...session.ephemeralPaths];
    }
  }
  return { expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: ephemerals };
}

export function watchesBySession(source: FourLetterSource): AdminResponse {
  const view: AdminResponse = {};
  // Each session's paths in its hash set's order, as wchc lists them.
  for (const [sessionId, paths] of source.dataWatchesBySession) {
    view[sessionId.toString()] = javaHashMapOrder(paths, (path) => path);
  }
  return { session_id_to_watched_paths: view };
}

export function watchesByPath(source: FourLetterSource): AdminResponse {
  const view: AdminResponse = {};
  for (const watched of javaHashMapOrder(source.dataWatches, (each) => each.path)) {
    view[watched.path] = [...watched.sessionIds];
  }
  return { path_to_session_ids: view };
}

export function watchSummary(source: FourLetterSource): AdminResponse {
  const sessions = new Set(source.dataWatches.flatMap((watched) => watched.sessionIds));
  const total = source.dataWatches.reduce((sum, watched) => sum + watched.sessionIds.length, 0);
  return {
    num_connections: sessions.size,
    num_paths: source.dataWatches.length,
    num_total_watches: total,
  };
}

export function configuration(source: FourLetterSource): AdminResponse {
  const { config } = source;
  const site = siteOfSource(source);
  return {
    client_port: config.clientPort ?? -1,
    data_dir: config.dataDir,
    data_log_dir: config.dataLogDir ?? config.dataDir,
    tick_time: config.tickTimeMs,
    max_client_cnxns: config.maxClientConnections,
    min_session_timeout: config.minSessionTimeoutMs,
    max_session_timeout: config.maxSessionTimeoutMs,
    server_id: source.serverId,
    client_port_listen_backlog: -1,
    // corral's: this server's site, and every member's (observers too), when zoo.cfg names any.
    ...(site === undefined ? {} : { site }),
    ...(config.sites.size === 0 ? {} : { sites: Object.fromEntries(config.sites) }),
  };
}

/** The zoo.cfg the server started from; for a server started from flags alone, those flags as
 * the zoo.cfg lines they stand for. */
export function initialConfiguration(source: FourLetterSource): string {
  const { config } = source;
  if (config.initialConfiguration !== undefined) return config.initialConfiguration;
  return `tickTime=${config.tickTimeMs}\ndataDir=${config.dataDir}\n` +
    `clientPort=${config.clientPort}\nclientPortAddress=${config.clientPortAddress}\n`;
}

/** The process's properties, as ZooKeeper lists the JVM's system properties. */
export function systemProperties(source: FourLetterSource): AdminResponse {
  const properties: Record<string, string> = {
    'file.separator': sep,
    'line.separator': '\n',
    'node.argv': process.argv.join(' '),
    'node.exec.argv': process.execArgv.join(' '),
    'node.exec.path': process.execPath,
    'node.pid': String(process.pid),
  };
  for (const [name, version] of Object.entries(process.versions)) {
    if (version !== undefined) properties[`node.versions.${name}`] = version;
  }
  for (const [key, value] of source.environment) properties[key] ??= value;
  return Object.fromEntries(Object.entries(properties).sort(([left], [right]) =>
    left < right ? -1 : left > right ? 1 : 0));
}
