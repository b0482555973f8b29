// ZooKeeper's four-letter words (ruok, srvr, stat, mntr, ...) answered on the client port, in
// ZooKeeper 3.8's exact text, so zkServer.sh status, kazoo, monitoring agents and operators'
// `echo srvr | nc` scripts read corral as they read ZooKeeper. Pure formatting over the data the
// server provides (FourLetterSource); the listener owns the socket.
import type { ServerConfig } from '../config/server-config.js';
import { ownSite } from '../config/sites.js';
import type { ZxidDigest } from '../../tree/data-tree.js';
import type { ServerMetrics } from '../server/statistics.js';
import {
  formatConnection,
  formatConf,
  formatDump,
  formatEnvironment,
  formatMonitor,
  formatWatches,
  javaDouble,
  zxidHex,
} from './four-letter-word-reports.js';

export { collectEnvironment } from './four-letter-word-reports.js';

export type ServerRole = 'standalone' | 'leader' | 'follower' | 'observer';
export type ZabPhase = 'election' | 'discovery' | 'synchronization' | 'broadcast';

export interface LatencyStatistics {
  minMs: number;
  avgMs: number;
  maxMs: number;
}

/** Sizes of recent messages; -1 each when there has been none (ZooKeeper's BufferStats). */
export interface BufferSizeStatistics {
  lastBytes: number;
  minBytes: number;
  maxBytes: number;
}

/** What `cons` shows of a connection's session once the handshake is done. */
export interface ConnectionSession {
  sessionId: bigint;
  /** ZooKeeper's short operation name of the last request (`GETD`, `EXIS`, `PING`, `NA` ...). */
  lastOperation: string;
  establishedAtMs: number;
  timeoutMs: number;
  /** -1 when no request has been answered since the statistics were reset. */
  lastCxid: number;
  /** -1n when no request has been answered since the statistics were reset. */
  lastZxid: bigint;
  lastResponseAtMs: number;
  lastLatencyMs: number;
  latency: LatencyStatistics;
}

export interface ConnectionStatistics {
  remoteAddress: string;
  remotePort: number;
  /** ZooKeeper prints its NIO interest set: 1 while reading requests, 0 otherwise. */
  interestOps: number;
  outstandingRequests: number;
  packetsReceived: number;
  packetsSent: number;
  session: ConnectionSession | undefined;
  /** When the connection's idle timer fires (ZooKeeper's connection expiry queue, for `dump`). */
  expiresAtMs: number;
}

export interface SessionSummary {
  sessionId: bigint;
  timeoutMs: number;
  /** The session's expiry bucket (a multiple of tickTime). */
  expiresAtMs: number;
  ephemeralPaths: readonly string[];
}

/** A path with data watches and the sessions that set them (ZooKeeper's wch* list only these). */
export interface WatchedPath {
  path: string;
  sessionIds: readonly bigint[];
}

export interface LeaderStatistics {
  learnerCount: number;
  syncedFollowerCount: number;
  syncedNonVotingFollowerCount: number;
  syncedObserverCount: number;
  pendingSyncCount: number;
  leadingSinceMs: number;
  proposalSizes: BufferSizeStatistics;
  proposalCount: number;
}

/** Everything the four-letter words report; the server builds one per answer. */
export interface FourLetterSource {
  /** Reported as ZooKeeper's version; clients (kazoo) parse `major.minor.patch` from its start. */
  version: string;
  /** False while the replica has no running request pipeline (looking, syncing). */
  serving: boolean;
  readOnly: boolean;
  role: ServerRole;
  zabPhase: ZabPhase | undefined;
  serverId: number;
  /** The leader this replica follows or is; undefined while looking and when standalone. */
  leaderId: number | undefined;
  zxid: bigint;
  nodeCount: number;
  approximateDataSizeBytes: number;
  packetsReceived: number;
  packetsSent: number;
  outstandingRequests: number;
  latency: LatencyStatistics;
  authFailedCount: number;
  /** Plaintext connections accepted, from this machine and from others (ZooKeeper's Netty
   * layer counts them; 0 with its NIO layer). */
  nonMtlsLocalConnections: number;
  nonMtlsRemoteConnections: number;
  /** Whether connections are ZooKeeper's Netty layer's (serverCnxnFactory, or a secure port):
   * `dump` then lists no connections, as there. */
  nettyConnectionLayer: boolean;
  clientResponseSizes: BufferSizeStatistics;
  /** All client-port connections, including the one asking. */
  connections: readonly ConnectionStatistics[];
  dataWatches: readonly WatchedPath[];
  /** The same watches by session, each session's paths in the order it set them (wchc). */
  dataWatchesBySession: ReadonlyMap<bigint, readonly string[]>;
  /** Data plus child watches, as mntr's zk_watch_count counts them. */
  watchCount: number;
  sessions: readonly SessionSummary[];
  /** How many of `sessions` are local ones (local-sessions.ts), in no tree. */
  localSessionCount: number;
  dataDirSizeBytes: number;
  dataLogDirSizeBytes: number;
  startedAtMs: number;
  nowMs: number;
  config: ServerConfig;
  /** envi's lines after zookeeper.version, e.g. from collectEnvironment(). */
  environment: ReadonlyArray<readonly [string, string]>;
  /** Voting members of the ensemble; undefined when standalone. */
  quorumSize: number | undefined;
  membershipVersion: bigint;
  leader: LeaderStatistics | undefined;
  openFileDescriptorCount: number | undefined;
  /** The tree digests `hash` reports (every 128th zxid), oldest first. */
  digestLog: readonly ZxidDigest[];
  /** Txns whose stamped digest differed from this replica's (digest_mismatches_count). */
  digestMismatches: number;
  maxFileDescriptorCount: number | undefined;
  /** ZooKeeper's ServerMetrics as corral measures them: mntr prints them after the values
   * above (absent in reports rebuilt from captures). */
  metrics?: ServerMetrics;
  resetConnectionStatistics(): void;
  resetServerStatistics(): void;
  traceMask: bigint;
  setTraceMask(mask: bigint): void;
}

/** The words corral answers: all of ZooKeeper 3.8's. */
export const knownFourLetterWords: readonly string[] = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst',
  'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
];

/** ZooKeeper's AbstractFourLetterCommand.ZK_NOT_SERVING. */
export const notServingMessage = 'This ZooKeeper instance is not currently serving requests';

/**
 * The word, when a connection's first 4 bytes are one (ZooKeeper checks them in place of the
 * length prefix). Anything else is a length prefix; an unknown word read as a length is too
 * large, and ZooKeeper closes the connection without a reply.
 */
export function isFourLetterWord(first4Bytes: Buffer): string | undefined {
  if (first4Bytes.length !== 4) return undefined;
  const word = first4Bytes.toString('latin1');
  return knownFourLetterWords.includes(word) ? word : undefined;
}

/** FourLetterCommands.isEnabled: `*` enables all, srvr is always on (zkServer.sh needs it). */
export function isFourLetterWordEnabled(word: string, whitelist: readonly string[]): boolean {
  return word === 'srvr' || whitelist.includes('*') || whitelist.includes(word);
}

/**
 * The full reply to a four-letter word, after which the server closes the connection. An unknown
 * word yields '' (ZooKeeper closes without replying). crst and srst reset statistics.
 */
export function answerFourLetterWord(
  word: string,
  source: FourLetterSource,
  whitelist: readonly string[],
  /** The bytes after the word that arrived with it: stmk's 8-byte (big-endian) mask. */
  argument: Buffer = Buffer.alloc(0),
): string {
  if (!knownFourLetterWords.includes(word)) return '';
  if (!isFourLetterWordEnabled(word, whitelist)) {
    return `${word} is not executed because it is not in the whitelist.\n`;
  }
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'envi':
      return formatEnvironment(source);
    case 'gtmk':
      return String(source.traceMask);
    case 'stmk': {
      // ZooKeeper reads the mask that came with the word; without it, it closes saying nothing.
      if (argument.length < 8) return '';
      const mask = argument.readBigInt64BE(0);
      source.setTraceMask(mask);
      return String(mask);
    }
    case 'isro':
      if (!source.serving) return 'null';
      return source.readOnly ? 'ro' : 'rw';
    case 'hash':
      // DigestCommand prints the message without a line end.
      if (!source.serving) return notServingMessage;
      return formatDigestLog(source.digestLog);
  }
  if (!source.serving) return `${notServingMessage}\n`;
  return answerServingWord(word, source);
}

function answerServingWord(word: string, source: FourLetterSource): string {
  switch (word) {
    case 'srvr':
    case 'stat':
      return formatStat(source, word === 'stat');
    case 'cons':
      return source.connections.map((connection) => formatConnection(connection, false) + '\n')
        .join('') + '\n';
    case 'crst':
      source.resetConnectionStatistics();
      return 'Connection stats reset.\n';
    case 'srst':
      source.resetServerStatistics();
      return 'Server stats reset.\n';
    case 'dirs':
      return (
        `datadir_size: ${source.dataDirSizeBytes}\n` +
        `logdir_size: ${source.dataLogDirSizeBytes}\n`
      );
    case 'dump':
      return formatDump(source);
    case 'conf':
      return formatConf(source);
    case 'mntr':
      return formatMonitor(source);
    case 'wchs':
    case 'wchc':
    case 'wchp':
      return formatWatches(word, source.dataWatches, source.dataWatchesBySession);
    default:
      return '';
  }
}

/** DigestCommand: each kept digest as `<zxid in hex>: <digest as a signed decimal long>`. */
export function formatDigestLog(log: readonly ZxidDigest[]): string {
  return log.map((entry) => `${entry.zxid.toString(16)}: ${entry.digest}\n`).join('');
}

/** This server's site (zoo.cfg site.N for its id), undefined when it is in none. */
export function siteOfSource(source: FourLetterSource): string | undefined {
  return ownSite(source.config);
}

/** ZooKeeper's Mode / zk_server_state: the role, or read-only for a partitioned replica. */
export function serverState(source: FourLetterSource): string {
  return source.readOnly ? 'read-only' : source.role;
}

/** StatCommand: srvr, and stat which adds the brief connection list. */
function formatStat(source: FourLetterSource, withClients: boolean): string {
  const lines = [`Zookeeper version: ${source.version}`];
  if (source.readOnly) lines.push('READ-ONLY mode; serving only read-only clients');
  if (withClients) {
    lines.push('Clients:');
    for (const connection of source.connections) lines.push(formatConnection(connection, true));
    lines.push('');
  }
  const { latency } = source;
  lines.push(
    `Latency min/avg/max: ${latency.minMs}/${javaDouble(latency.avgMs)}/${latency.maxMs}`,
    `Received: ${source.packetsReceived}`,
    `Sent: ${source.packetsSent}`,
    `Connections: ${source.connections.length}`,
    `Outstanding: ${source.outstandingRequests}`,
    `Zxid: 0x${zxidHex(source.zxid)}`,
    `Mode: ${serverState(source)}`,
    `Node count: ${source.nodeCount}`,
  );
  if (source.role === 'leader' && source.leader !== undefined) {
    const sizes = source.leader.proposalSizes;
    lines.push(
      `Proposal sizes last/min/max: ${sizes.lastBytes}/${sizes.minBytes}/${sizes.maxBytes}`,
    );
  }
  // corral's one addition, last and only with a site: ZooKeeper's readers of srvr (zkServer.sh
  // status, corral status, monitoring scripts) pick lines by prefix, so a new line is passed over.
  const site = siteOfSource(source);
  if (site !== undefined) lines.push(`Site: ${site}`);
  return lines.join('\n') + '\n';
}
