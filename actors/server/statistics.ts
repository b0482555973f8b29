// Counters the four-letter words and metrics report: packets, request latency (min/avg/max as
// ZooKeeper's ServerStats keeps them), per connection and per server, resettable by crst/srst;
// and ZooKeeper's ServerMetrics (counters and summaries), which mntr and /metrics both read.
import type { StorageTimings } from '../../storage/replica-storage.js';
import { SummarySetStatistic, SummaryStatistic, type SummaryDetail } from './summary-statistics.js';
import type { QuotaFigures } from './tree-metrics.js';

export class LatencyTracker {
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = 0;
  private total = 0;
  private count = 0;
  last = 0;

  record(latencyMs: number): void {
    this.last = latencyMs;
    this.minimum = Math.min(this.minimum, latencyMs);
    this.maximum = Math.max(this.maximum, latencyMs);
    this.total += latencyMs;
    this.count++;
  }

  get minMs(): number {
    return this.count === 0 ? 0 : this.minimum;
  }

  get maxMs(): number {
    return this.maximum;
  }

  get avgMs(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.minimum = Number.POSITIVE_INFINITY;
    this.maximum = 0;
    this.total = 0;
    this.count = 0;
    this.last = 0;
  }
}

/** ZooKeeper's BufferStats: the last, smallest and largest size seen, -1 before the first. */
export class BufferSizeTracker {
  lastBytes = -1;
  minBytes = -1;
  maxBytes = -1;

  record(bytes: number): void {
    this.lastBytes = bytes;
    this.minBytes = this.minBytes === -1 ? bytes : Math.min(this.minBytes, bytes);
    this.maxBytes = Math.max(this.maxBytes, bytes);
  }

  reset(): void {
    this.lastBytes = -1;
    this.minBytes = -1;
    this.maxBytes = -1;
  }
}

export class ServerStatistics {
  packetsReceived = 0;
  packetsSent = 0;
  authFailedCount = 0;
  /** Connections accepted without TLS, from this machine and from others, counted as
   * ZooKeeper's Netty connection layer counts them (non_mtls_local/remote_conn_count). */
  nonMtlsLocalConnections = 0;
  nonMtlsRemoteConnections = 0;
  /** Whether plaintext connections count as non-mTLS ones, as ZooKeeper's Netty layer counts
   * them (serverCnxnFactory names it, or a secure client port needs it). */
  nettyConnectionLayer = false;
  /** Txns whose stamped tree digest differed from this replica's (digest_mismatches_count). */
  digestMismatches = 0;
  readonly latency = new LatencyTracker();
  /** Sizes of replies and notifications without the 4-byte length (ZooKeeper counts what its
   * sendResponse serializes; the connect response, sent around it, is not counted). */
  readonly clientResponseSizes = new BufferSizeTracker();
  /** ZooKeeper's ServerMetrics (mntr's counters and summaries). */
  readonly metrics = new ServerMetrics();
  /**
   * Whether srst resets the metrics too. ZooKeeper's ServerStats.reset asks the metrics provider
   * to reset all its values: the default provider (mntr's) does, the Prometheus provider does
   * nothing, since a Prometheus counter never goes back. So false when /metrics is served.
   */
  resetsMetrics = true;

  /** srst (stat_reset): ZooKeeper's ServerStats.reset, and the leader's proposal sizes. The
   * authentication failures and non-TLS connections stay (ZooKeeper resets them only through
   * JMX). */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latency.reset();
    this.clientResponseSizes.reset();
    this.metrics.proposalSizes.reset();
    if (!this.resetsMetrics) return;
    this.metrics.resetValues();
    this.digestMismatches = 0;
  }
}

/** The ZooKeeper counters corral measures (ServerMetrics' getCounter names). */
export const zooKeeperCounterNames = [
  'looking_count', 'diff_count', 'snap_count', 'commit_count', 'proposal_count',
  'connection_request_count', 'connection_rejected', 'bytes_received_count',
  'learner_proposal_received_count', 'learner_commit_received_count',
  // FinalRequestProcessor's reply sizes and ServerCnxn.process's notification sizes (each
  // frame's length without its 4-byte prefix, the connect response aside).
  'response_bytes', 'watch_bytes',
  // Clients asking to renew a session (connect with its id), and the leader's REVALIDATEs from
  // learners whose clients did.
  'connection_revalidate_count', 'revalidate_count',
  // Name-list replies answered from a wide node's kept encoding, and those encoded to be kept
  // (sliced-replies.ts; ZooKeeper counts its getChildren2 response cache).
  'response_packet_get_children_cache_hits', 'response_packet_get_children_cache_misses',
  // Connections the client dropped (its socket closed before the server closed it), and those
  // closed for opening no session within the sessionless limit (NIOServerCnxnFactory's
  // ConnectionExpirer).
  'connection_drop_count', 'sessionless_connections_expired',
  // TLS handshakes on the secure client port that failed, a certificate the trust store
  // refused included (NettyServerCnxnFactory's CertificateVerifier).
  'unsuccessful_handshake',
  // Sessions the session tracker expired (no ping within their timeout): the leader's or a
  // standalone server's global ones, and each server's local ones.
  'stale_sessions_expired',
] as const;
export type ZooKeeperCounterName = (typeof zooKeeperCounterNames)[number];

/** The ZooKeeper summaries corral measures, with ZooKeeper's detail level for each. */
export const zooKeeperSummaryDetails = {
  fsynctime: 'basic',
  snapshottime: 'basic',
  dbinittime: 'basic',
  readlatency: 'advanced',
  updatelatency: 'advanced',
  follower_sync_time: 'basic',
  observer_sync_time: 'basic',
  election_time: 'basic',
  quorum_ack_latency: 'advanced',
  proposal_latency: 'advanced',
  commit_propagation_latency: 'advanced',
  unavailable_time: 'basic',
  leader_unavailable_time: 'basic',
  sync_processor_batch_size: 'basic',
  startup_txns_loaded: 'basic',
  startup_txns_load_time: 'basic',
  startup_snap_load_time: 'basic',
  // The leader's learner syncs in progress, SNAP and DIFF apart, as each begins and ends
  // (LearnerHandler with its LearnerSyncThrottlers).
  inflight_snap_count: 'basic',
  inflight_diff_count: 'basic',
  // The time from the leader's stamp to this voter's ACK of the txn (Ack/SendAckRequestProcessor).
  proposal_ack_creation_latency: 'advanced',
  // The time from the leader's stamp to this server applying the txn (FinalRequestProcessor).
  propagation_latency: 'advanced',
  // How many watchers one change fired, per event type (WatchManager.triggerWatch).
  node_created_watch_count: 'basic',
  node_deleted_watch_count: 'basic',
  node_changed_watch_count: 'basic',
  node_children_watch_count: 'basic',
} as const satisfies Record<string, SummaryDetail>;
export type ZooKeeperSummaryName = keyof typeof zooKeeperSummaryDetails;

/** The ZooKeeper summary sets corral measures (label `key`), with ZooKeeper's detail level. */
export const zooKeeperSummarySetDetails = {
  // Bytes each write or read moved, by the path's top-level znode (DataTree's update*Stat).
  write_per_namespace: 'basic',
  read_per_namespace: 'basic',
  // The leader's time from stamping a proposal to each voter's ACK of it, keyed by the voter's
  // server id (Leader.processAck, for sampled zxids that are not yet committed).
  ack_latency: 'advanced',
} as const satisfies Record<string, SummaryDetail>;
export type ZooKeeperSummarySetName = keyof typeof zooKeeperSummarySetDetails;

/** corral's own summaries (exported as `corral_<name>_seconds`, observed in ms). */
export const corralSummaryNames = ['snapshot_duration', 'purge_duration'] as const;
export type CorralSummaryName = (typeof corralSummaryNames)[number];

/**
 * ZooKeeper's ServerMetrics for one server, as far as corral measures them: counters bumped and
 * summaries observed at the point of measurement. Unlike ServerStatistics, srst leaves these
 * alone (ZooKeeper's srst resets ServerStats only).
 */
export class ServerMetrics {
  readonly counters: Record<ZooKeeperCounterName, number> = Object.fromEntries(
    zooKeeperCounterNames.map((name) => [name, 0]),
  ) as Record<ZooKeeperCounterName, number>;
  readonly summaries: Record<ZooKeeperSummaryName, SummaryStatistic>;
  readonly summarySets: Record<ZooKeeperSummarySetName, SummarySetStatistic>;
  readonly corralSummaries: Record<CorralSummaryName, SummaryStatistic>;
  /** Proposal sizes the leader sent (mntr's last/min/max_proposal_size): PROPOSAL frames. */
  readonly proposalSizes = new BufferSizeTracker();
  /** Each hosted machine's current state (machine → state), as corral_machine_state shows. */
  readonly machineStates = new Map<string, string>();
  /** Entries into each state (`machine` → state → count), as corral_machine_transitions. */
  readonly machineTransitions = new Map<string, Map<string, number>>();
  /** ZooKeeper's CounterSets (label `key`): writes refused at a hard quota, by namespace. */
  readonly counterSets = { quota_exceeded_error_per_namespace: new Map<string, number>() };
  /** The quotas' limits and usage by namespace, read on demand (the server core sets it). */
  quotaFigures: (() => QuotaFigures) | undefined;
  /** The leader's sampled proposals awaiting ACKs (replica-metrics.ts): zxid → stamped time and
   * the voters that acked it. Empty unless leading with ack sampling on. */
  readonly ackSamples = new Map<number, { stampedMs: number; acked: Set<number> }>();
  /** A serving voter's logged txns not yet made durable (zxid, stamped time), in order: its
   * ACK covers them (proposal_ack_creation_latency). */
  readonly awaitingAck: Array<{ zxid: number; stampedMs: number }> = [];
  /** The leader's learner syncs begun and not yet acknowledged (NEWLEADER's ACK), by learner. */
  readonly syncsInFlight = new Map<number, 'snap' | 'diff'>();
  /** leader.ackLoggingFrequency: zxids that are multiples of it are sampled (0: none). */
  ackLoggingFrequency = 0;
  /** Bytes queued for each peer's link, read on demand (a replica's host sets it). */
  peerQueues: (() => ReadonlyArray<PeerLinkFigures>) | undefined;
  /** Frames from ids outside the configuration that a replica dropped so far
   * (corral_peer_stranger_frames_dropped_total), read on demand (a replica's host sets it). */
  strangerFramesDropped: (() => number) | undefined;
  /** Sync from the same site (corral_sync_*; actors/replica/site-sync-metrics.ts): a learner's
   * syncs by `source/kind`, the leader's SNAPFROMs and the SNAPs it sent after one. */
  readonly siteSync = { sources: new Map<string, number>(), delegations: 0, fallbacks: 0 };

  /** `machine` is in `state` now: counted as a transition when it was elsewhere. */
  enterState(machine: string, state: string): void {
    if (this.machineStates.get(machine) === state) return;
    this.machineStates.set(machine, state);
    let counts = this.machineTransitions.get(machine);
    if (counts === undefined) {
      counts = new Map();
      this.machineTransitions.set(machine, counts);
    }
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }

  /**
   * DefaultMetricsProvider.resetAllValues: every counter to 0, every summary emptied; the keys of
   * counter and summary sets stay, at 0. corral's own summaries (exported to Prometheus only)
   * and the machines' figures are not ZooKeeper's metrics, and stay.
   */
  resetValues(): void {
    for (const name of zooKeeperCounterNames) this.counters[name] = 0;
    for (const summary of Object.values(this.summaries)) summary.reset();
    for (const set of Object.values(this.summarySets)) {
      for (const summary of set.byKey.values()) summary.reset();
    }
    const refusals = this.counterSets.quota_exceeded_error_per_namespace;
    for (const key of refusals.keys()) refusals.set(key, 0);
  }

  constructor(random: () => number = Math.random) {
    this.summaries = Object.fromEntries(Object.entries(zooKeeperSummaryDetails).map(
      ([name, detail]) => [name, new SummaryStatistic(name, detail, random)],
    )) as Record<ZooKeeperSummaryName, SummaryStatistic>;
    this.summarySets = Object.fromEntries(Object.entries(zooKeeperSummarySetDetails).map(
      ([name, detail]) => [name, new SummarySetStatistic(name, detail, random)],
    )) as Record<ZooKeeperSummarySetName, SummarySetStatistic>;
    this.corralSummaries = Object.fromEntries(corralSummaryNames.map(
      (name) => [name, new SummaryStatistic(name, 'basic', random)],
    )) as Record<CorralSummaryName, SummaryStatistic>;
  }
}

/** What the storage's timings add to the metrics (ZooKeeper counts whole milliseconds). */
export function storageTimingsFor(metrics: ServerMetrics): StorageTimings {
  const { summaries, corralSummaries } = metrics;
  return {
    appended: (txns, durationMs) => {
      summaries.fsynctime.observe(Math.trunc(durationMs));
      summaries.sync_processor_batch_size.observe(txns);
    },
    snapshotWritten: (durationMs) => {
      summaries.snapshottime.observe(Math.trunc(durationMs));
      corralSummaries.snapshot_duration.observe(durationMs);
    },
    purged: (durationMs) => corralSummaries.purge_duration.observe(durationMs),
  };
}

/** ZooKeeper's ZKDatabase.loadDataBase figures: the snapshot's load, the txns replayed after it
 * and their time, and the whole (dbinittime), in milliseconds. */
export function recordStartup(
  metrics: ServerMetrics,
  loaded: { snapshotMs: number; txns: number; txnsMs: number },
): void {
  const { summaries } = metrics;
  summaries.startup_snap_load_time.observe(Math.trunc(loaded.snapshotMs));
  summaries.startup_txns_loaded.observe(loaded.txns);
  summaries.startup_txns_load_time.observe(Math.trunc(loaded.txnsMs));
  summaries.dbinittime.observe(Math.trunc(loaded.snapshotMs + loaded.txnsMs));
}

/** One peer link's figures (a replica's host): bytes queued, and the machine's frames sent on it
 * (PROPOSAL, COMMIT, RELAY, PING...; not the sync streams), which show tree broadcast's saving. */
export interface PeerLinkFigures {
  peer: number;
  queuedBytes: number;
  framesSent?: number;
  bytesSent?: number;
}
