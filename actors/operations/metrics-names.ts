// Which of ZooKeeper 3.8's metrics corral exports, under ZooKeeper's names and Prometheus types
// (ZooKeeperServer's and LeaderZooKeeperServer's gauges, ServerMetrics' counters and summaries),
// and corral's own under corral_. Every gauge's value is the one mntr prints (monitorValues).
import {
  zooKeeperCounterNames,
  zooKeeperSummaryDetails,
  zooKeeperSummarySetDetails,
} from '../server/statistics.js';
import { quotaGaugeNames } from '../server/tree-metrics.js';

/**
 * ZooKeeper's registerGauge names corral measures, read from mntr's values at each scrape. A
 * gauge mntr leaves out (the leader's while following, quorum_size standalone) is absent, as
 * ZooKeeper unregisters it.
 */
export const zooKeeperGaugeNames = [
  'avg_latency', 'max_latency', 'min_latency', 'packets_received', 'packets_sent',
  'num_alive_connections', 'outstanding_requests', 'uptime', 'znode_count', 'watch_count',
  'ephemerals_count', 'approximate_data_size', 'global_sessions', 'local_sessions',
  'open_file_descriptor_count', 'max_file_descriptor_count', 'connection_drop_probability',
  'last_client_response_size', 'max_client_response_size', 'min_client_response_size',
  'outstanding_tls_handshake', 'auth_failed_count', 'non_mtls_remote_conn_count',
  'non_mtls_local_conn_count', 'quorum_size',
  // LeaderZooKeeperServer's, while leading.
  'learners', 'synced_followers', 'synced_non_voting_followers', 'synced_observers',
  'pending_syncs', 'leader_uptime', 'last_proposal_size', 'max_proposal_size',
  'min_proposal_size',
] as const;

/**
 * Gauges ZooKeeper registers in a role where mntr has no value for them: a follower's
 * FollowerZooKeeperServer registers synced_observers (observers a follower serves as their
 * observer master), null there unless observerMasterPort is set, which Prometheus's provider
 * exports as 0 and mntr leaves out. corral's observers always sync from the leader, so 0 is
 * the count.
 */
export const gaugesRegisteredEmpty: Readonly<Record<string, readonly string[]>> = {
  follower: ['synced_observers'],
};

/** ServerMetrics' counters corral counts (digest_mismatches_count is kept by ServerStatistics). */
export const zooKeeperExportedCounterNames = [
  ...zooKeeperCounterNames,
  'digest_mismatches_count',
] as const;

/** Every ZooKeeper metric name corral exports, with its Prometheus type: what the tests hold
 * against ZooKeeper 3.8's own table. */
export function zooKeeperExportedTypes(): Map<string, 'gauge' | 'counter' | 'summary'> {
  const types = new Map<string, 'gauge' | 'counter' | 'summary'>();
  for (const name of zooKeeperGaugeNames) types.set(name, 'gauge');
  for (const name of zooKeeperExportedCounterNames) types.set(name, 'counter');
  for (const name of Object.keys(zooKeeperSummaryDetails)) types.set(name, 'summary');
  // SummarySets, GaugeSets and CounterSets: their series carry the label `key`.
  for (const name of Object.keys(zooKeeperSummarySetDetails)) types.set(name, 'summary');
  for (const name of quotaGaugeNames) types.set(name, 'gauge');
  types.set('quota_exceeded_error_per_namespace', 'counter');
  return types;
}

/** Prometheus quantiles per ZooKeeper detail level (PrometheusMetricsProvider's). */
export const summaryQuantiles = {
  basic: [0.5],
  advanced: [0.5, 0.9, 0.99],
} as const;
