// The longer four-letter-word reports (cons lines, dump, wchs/wchc/wchp, conf, mntr, envi) and the
// Java value formats they print (Long.toHexString, Double.toString, Date.toString,
// InetSocketAddress), kept apart from the dispatch in four-letter-words.ts.
import { hostname, arch, release, type, userInfo, homedir } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { ensembleConfigText } from '../config/ensemble.js';
import { javaHashMapOrder } from '../server/auth/java-set-order.js';
import { zooKeeperCounterNames, type ServerMetrics } from '../server/statistics.js';
import { quotaGaugeNames } from '../server/tree-metrics.js';
import {
  siteOfSource,
  type ConnectionStatistics,
  type FourLetterSource,
  type WatchedPath,
} from './four-letter-words.js';

/** Long.toHexString: two's complement for negatives (-1 prints as ffffffffffffffff). */
export function zxidHex(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

/** Double.toString after AvgMinMaxCounter's rounding to 4 decimals: 0.0, 2.8571, 12.0. */
export function javaDouble(value: number): string {
  const rounded = Math.round(value * 10000) / 10000;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** java.util.Date.toString in UTC: `Mon Nov 23 18:44:26 UTC 2026`. */
export function javaDate(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  const time = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()].map(two).join(':');
  return `${weekdays[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${two(date.getUTCDate())} ` +
    `${time} UTC ${date.getUTCFullYear()}`;
}

/** InetSocketAddress.toString for an unresolved peer: `/127.0.0.1:40958`, IPv6 uncompressed. */
export function javaSocketAddress(address: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return `/${mapped[1]}:${port}`;
  if (!address.includes(':')) return `/${address}:${port}`;
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const missing = address.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return `/${groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':')}:${port}`;
}

/** ServerCnxn.dumpConnectionInfo: the brief form for stat, the full one for cons. */
export function formatConnection(connection: ConnectionStatistics, brief: boolean): string {
  const interest = connection.interestOps === 0 ? '0' : connection.interestOps.toString(16);
  let text = ` ${javaSocketAddress(connection.remoteAddress, connection.remotePort)}[${interest}]` +
    `(queued=${connection.outstandingRequests},recved=${connection.packetsReceived},` +
    `sent=${connection.packetsSent}`;
  const session = connection.session;
  if (!brief && session !== undefined && session.sessionId !== 0n) {
    text += `,sid=0x${zxidHex(session.sessionId)},lop=${session.lastOperation}` +
      `,est=${session.establishedAtMs},to=${session.timeoutMs}`;
    if (session.lastCxid >= 0) text += `,lcxid=0x${session.lastCxid.toString(16)}`;
    text += `,lzxid=0x${zxidHex(session.lastZxid)},lresp=${session.lastResponseAtMs}` +
      `,llat=${session.lastLatencyMs},minlat=${session.latency.minMs}` +
      `,avglat=${Math.trunc(session.latency.avgMs)},maxlat=${session.latency.maxMs}`;
  }
  return text + ')';
}

/** ExpiryQueue.dump: `Sets (buckets)/(elements):` then each bucket in time order. */
function formatExpiryQueue<T extends { expiresAtMs: number }>(
  elements: readonly T[],
  describe: (element: T) => string,
): string {
  const buckets = new Map<number, T[]>();
  for (const element of elements) {
    buckets.set(element.expiresAtMs, [...(buckets.get(element.expiresAtMs) ?? []), element]);
  }
  let text = `Sets (${buckets.size})/(${elements.length}):\n`;
  for (const time of [...buckets.keys()].sort((left, right) => left - right)) {
    const bucket = buckets.get(time) ?? [];
    text += `${bucket.length} expire at ${javaDate(time)}:\n`;
    for (const element of bucket) text += `\t${describe(element)}\n`;
  }
  return text;
}

/** DumpCommand: sessions (the leader's expiry queue, or a learner's global list), ephemerals and
 * connections. */
export function formatDump(source: FourLetterSource): string {
  let text = 'SessionTracker dump:\n';
  if (source.role === 'follower' || source.role === 'observer') {
    // LearnerSessionTracker lists global sessions with their timeouts instead of expiry buckets.
    text += `Global Sessions(${source.sessions.length}):\n`;
    for (const session of source.sessions) {
      text += `0x${zxidHex(session.sessionId)}\t${session.timeoutMs}ms\n`;
    }
  } else {
    text += 'Session ' +
      formatExpiryQueue(source.sessions, (session) => `0x${zxidHex(session.sessionId)}`);
  }
  const withEphemerals = source.sessions.filter((session) => session.ephemeralPaths.length > 0);
  text += `ephemeral nodes dump:\nSessions with Ephemerals (${withEphemerals.length}):\n`;
  for (const session of withEphemerals) {
    text += `0x${zxidHex(session.sessionId)}:\n`;
    for (const path of session.ephemeralPaths) text += `\t${path}\n`;
  }
  text += 'Connections dump:\n';
  // ZooKeeper's Netty layer keeps no connection expiry queue, and dumps nothing here.
  if (source.nettyConnectionLayer) return text;
  text += 'Connections ' + formatExpiryQueue(source.connections, (connection) =>
    `ip: ${javaSocketAddress(connection.remoteAddress, connection.remotePort)} sessionId: 0x` +
    zxidHex(connection.session?.sessionId ?? 0n));
  return text;
}

/** WatchCommand over the data watches: summary, by session (wchc) or by path (wchp). */
export function formatWatches(word: string, watches: readonly WatchedPath[],
  bySession: ReadonlyMap<bigint, readonly string[]>): string {
  if (word === 'wchs') {
    const sessions = new Set(watches.flatMap((watched) => watched.sessionIds));
    const total = watches.reduce((sum, watched) => sum + watched.sessionIds.length, 0);
    return `${sessions.size} connections watching ${watches.length} paths\n` +
      `Total watches:${total}\n`;
  }
  if (word === 'wchp') {
    return javaHashMapOrder(watches, (watched) => watched.path).map((watched) =>
      `${watched.path}\n` +
      watched.sessionIds.map((sessionId) => `\t0x${zxidHex(sessionId)}\n`).join('')).join('') +
      '\n';
  }
  return [...bySession].map(([sessionId, paths]) => `0x${zxidHex(sessionId)}\n` +
    javaHashMapOrder(paths, (path) => path).map((path) => `\t${path}\n`).join('')).join('') +
    '\n';
}

/** ZooKeeperServer.dumpConf, plus QuorumZooKeeperServer's ensemble lines when replicated. */
export function formatConf(source: FourLetterSource): string {
  const { config } = source;
  const dataLogDir = config.dataLogDir ?? config.dataDir;
  let text = `clientPort=${config.clientPort ?? -1}\n` +
    `secureClientPort=${config.secureClientPort ?? -1}\n` +
    `dataDir=${config.dataDir}\ndataDirSize=${source.dataDirSizeBytes}\n` +
    `dataLogDir=${dataLogDir}\ndataLogSize=${source.dataLogDirSizeBytes}\n` +
    `tickTime=${config.tickTimeMs}\nmaxClientCnxns=${config.maxClientConnections}\n` +
    `minSessionTimeout=${config.minSessionTimeoutMs}\n` +
    `maxSessionTimeout=${config.maxSessionTimeoutMs}\n` +
    `clientPortListenBacklog=-1\nserverId=${source.serverId}\n`;
  const self = config.servers.get(source.serverId);
  if (source.role === 'standalone' || self === undefined) return text;
  text += `initLimit=${config.initLimit}\nsyncLimit=${config.syncLimit}\nelectionAlg=3\n` +
    `electionPort=${self.electionPort}\nquorumPort=${self.quorumPort}\n` +
    `peerType=${self.peerType === 'observer' ? 1 : 0}\nmembership: \n`;
  // The quorum verifier's toString: server lines, group./weight. lines, and the version line
  // with no newline after it.
  return text +
    ensembleConfigText(config.servers, source.membershipVersion, config.quorumHierarchy,
      config.sites);
}

/** mntr values that ZooKeeper prints as Java doubles (0.0, 2.8571) rather than integers: the
 * averages (avg_latency, every summary's avg_) and the drop probability. */
function isMonitorDouble(key: string): boolean {
  return key.startsWith('avg_') || key === 'connection_drop_probability';
}

/** Dropwizard's percentiles ZooKeeper's advanced summaries report in mntr. */
const monitorPercentiles = [['p50', 0.5], ['p95', 0.95], ['p99', 0.99], ['p999', 0.999]] as const;

/**
 * ServerMetrics as ZooKeeper's DefaultMetricsProvider dumps them after the basic values: each
 * counter by its name, each summary as avg_/min_/max_/cnt_/sum_<name>, and an advanced one's
 * p50_..p999_<name> (rounded, as ZooKeeper rounds them), then each summary set's series.
 * proposal_count is among the basic values.
 */
function metricsValues(metrics: ServerMetrics): Array<[string, number]> {
  const entries: Array<[string, number]> = [];
  for (const name of zooKeeperCounterNames) {
    if (name !== 'proposal_count') entries.push([name, metrics.counters[name]]);
  }
  // A counter set's series, each named <key>_<name> (SimpleCounterSet's values).
  for (const [key, count] of metrics.counterSets.quota_exceeded_error_per_namespace) {
    entries.push([`${key}_quota_exceeded_error_per_namespace`, count]);
  }
  // A gauge set's values as DefaultMetricsProvider dumps them: <key>_<name>.
  const quotas = metrics.quotaFigures?.();
  for (const name of quotaGaugeNames) {
    for (const [key, value] of quotas?.[name] ?? []) entries.push([`${key}_${name}`, value]);
  }
  // A summary set's series follow, each named <key>_<name> (AvgMinMaxCounterSet's values).
  const sets = Object.values(metrics.summarySets).flatMap((set) => [...set.byKey.values()]);
  for (const summary of [...Object.values(metrics.summaries), ...sets]) {
    const { name } = summary;
    entries.push([`avg_${name}`, summary.avg], [`min_${name}`, summary.min],
      [`max_${name}`, summary.max], [`cnt_${name}`, summary.count], [`sum_${name}`, summary.sum]);
    if (summary.detail !== 'advanced') continue;
    for (const [prefix, quantile] of monitorPercentiles) {
      entries.push([`${prefix}_${name}`, Math.round(summary.percentile(quantile))]);
    }
  }
  return entries;
}

/**
 * MonitorCommand's basic values in ZooKeeper 3.8's order, the role-only ones in place and absent
 * where this role has none: as numbers and strings, for mntr's text and the admin server's JSON.
 */
export function monitorValues(source: FourLetterSource): Array<[string, string | number]> {
  const leader = source.role === 'leader' ? source.leader : undefined;
  const state = source.readOnly ? 'read-only' : source.role;
  const peerStates = { leader: 'leading', follower: 'following', observer: 'observing' };
  const ephemerals = source.sessions.reduce(
    (sum, session) => sum + session.ephemeralPaths.length,
    0,
  );
  const responses = source.clientResponseSizes;
  // The leader's proposal sizes as its host measured them (PROPOSAL frames it sent).
  const proposalSizes = leader === undefined ? undefined
    : source.metrics?.proposalSizes ?? leader.proposalSizes;
  const entries: Array<[string, string | number | undefined]> = [
    ['version', source.version],
    ['server_state', state],
    ['peer_state', source.role === 'standalone' ? undefined
      : `${peerStates[source.role]} - ${source.zabPhase ?? 'broadcast'}`],
    ['ephemerals_count', ephemerals],
    ['num_alive_connections', source.connections.length],
    ['avg_latency', source.latency.avgMs],
    ['min_proposal_size', proposalSizes?.minBytes],
    ['outstanding_requests', source.outstandingRequests],
    ['znode_count', source.nodeCount],
    ['global_sessions', source.sessions.length - source.localSessionCount],
    ['non_mtls_remote_conn_count', source.nonMtlsRemoteConnections],
    ['last_client_response_size', responses.lastBytes],
    ['packets_sent', source.packetsSent],
    ['packets_received', source.packetsReceived],
    ['max_proposal_size', proposalSizes?.maxBytes],
    ['max_client_response_size', responses.maxBytes],
    ['synced_followers', leader?.syncedFollowerCount],
    ['connection_drop_probability', 0],
    ['watch_count', source.watchCount],
    ['synced_non_voting_followers', leader?.syncedNonVotingFollowerCount],
    ['synced_observers', leader?.syncedObserverCount],
    ['auth_failed_count', source.authFailedCount],
    ['min_latency', source.latency.minMs],
    ['max_file_descriptor_count', source.maxFileDescriptorCount],
    ['approximate_data_size', source.approximateDataSizeBytes],
    ['open_file_descriptor_count', source.openFileDescriptorCount],
    ['last_proposal_size', proposalSizes?.lastBytes],
    ['pending_syncs', leader?.pendingSyncCount],
    ['leader_uptime', leader === undefined ? undefined : source.nowMs - leader.leadingSinceMs],
    ['local_sessions', source.localSessionCount],
    ['uptime', source.nowMs - source.startedAtMs],
    ['max_latency', source.latency.maxMs],
    ['outstanding_tls_handshake', 0],
    ['learners', leader?.learnerCount],
    ['min_client_response_size', responses.minBytes],
    ['non_mtls_local_conn_count', source.nonMtlsLocalConnections],
    ['quorum_size', source.quorumSize],
    ['proposal_count', source.metrics?.counters.proposal_count ?? leader?.proposalCount ?? 0],
    ['digest_mismatches_count', source.digestMismatches],
  ];
  const basic = entries.filter((entry): entry is [string, string | number] =>
    entry[1] !== undefined);
  const all = source.metrics === undefined ? basic : [...basic, ...metricsValues(source.metrics)];
  // corral's own key, after all of ZooKeeper's and only with a site, so a server without one
  // prints exactly ZooKeeper's keys (test/interop/metrics-mntr.test.ts holds corral to that).
  const site = siteOfSource(source);
  return site === undefined ? all : [...all, ['site', site]];
}

/** MonitorCommand as mntr prints it: `zk_<key>\t<value>` lines. */
export function formatMonitor(source: FourLetterSource): string {
  return monitorValues(source)
    .map(([key, value]) => {
      const text = isMonitorDouble(key) ? javaDouble(value as number) : String(value);
      return `zk_${key}\t${text}\n`;
    })
    .join('');
}

/** EnvCommand: `Environment:` then key=value lines. */
export function formatEnvironment(source: FourLetterSource): string {
  const lines = [`zookeeper.version=${source.version}`];
  for (const [key, value] of source.environment) lines.push(`${key}=${value}`);
  return `Environment:\n${lines.join('\n')}\n`;
}

const javaArchitectures: Readonly<Record<string, string>> = { x64: 'amd64', ia32: 'x86' };

/**
 * envi's lines for this process, under ZooKeeper's key names where they still mean something
 * (os.*, user.*, memory in MB); java.* become node.* since there is no JVM.
 */
export function collectEnvironment(): Array<[string, string]> {
  const heap = getHeapStatistics();
  const megabytes = (bytes: number): string => `${Math.floor(bytes / 1024 / 1024)}MB`;
  return [
    ['host.name', hostname()],
    ['node.version', process.versions.node],
    ['node.path', process.execPath],
    ['os.name', type()],
    ['os.arch', javaArchitectures[arch()] ?? arch()],
    ['os.version', release()],
    ['user.name', userInfo().username],
    ['user.home', homedir()],
    ['user.dir', process.cwd()],
    ['os.memory.free', megabytes(heap.total_heap_size - heap.used_heap_size)],
    ['os.memory.max', megabytes(heap.heap_size_limit)],
    ['os.memory.total', megabytes(heap.total_heap_size)],
  ];
}
