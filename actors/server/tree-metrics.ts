// What the data tree's work adds to ZooKeeper's ServerMetrics: how many watchers each change
// fired (WatchManager.triggerWatch's node_*_watch_count), each applied txn's time since its
// leader stamped it (FinalRequestProcessor's propagation_latency), and the bytes each write and
// read moved per top-level znode (DataTree's write_per_namespace and read_per_namespace), and
// the quotas' limits and usage per namespace (QuotaMetricsUtils' GaugeSets).
import { EventType } from '../../protocol/constants.js';
import type { ClientRequest } from '../../protocol/requests.js';
import type { ResponseBody } from '../../protocol/responses.js';
import type { AuthContext, Txn } from '../../protocol/txn.js';
import {
  limitNodeName,
  quotaRoot,
  statNodeName,
  type QuotaExceeded,
} from '../../tree/quota.js';
import { parseStats, statValue, statsKeys } from '../../tree/stats-track.js';
import type { ApplyOutcome } from '../../tree/types.js';
import type { WatchersFired } from '../../tree/watches.js';
import type { ServerMetrics, ZooKeeperSummaryName } from './statistics.js';

/** DataTree.STAT_OVERHEAD_BYTES: what a read's Stat is taken to cost (6 longs, 5 ints). */
export const statOverheadBytes = 6 * 8 + 5 * 4;

const watchSummaries = new Map<number, ZooKeeperSummaryName>([
  [EventType.nodeCreated, 'node_created_watch_count'],
  [EventType.nodeDeleted, 'node_deleted_watch_count'],
  [EventType.nodeDataChanged, 'node_changed_watch_count'],
  [EventType.nodeChildrenChanged, 'node_children_watch_count'],
]);

/** The watch table's counter: each table that fired, into its event type's summary. */
export function watchersFiredInto(metrics: ServerMetrics): WatchersFired {
  return (eventType, watchers) => {
    const name = watchSummaries.get(eventType);
    if (name !== undefined) metrics.summaries[name].observe(watchers);
  };
}

/** PathUtils.getTopNamespace: the first component of a path (Java's split drops trailing
 * empty parts, so `/` has none). */
export function topNamespace(path: string): string | undefined {
  // Every applied write asks this: found by scanning, without splitting the whole path.
  const first = path.indexOf('/');
  if (first < 0) return undefined;
  const end = path.indexOf('/', first + 1);
  const component = end < 0 ? path.slice(first + 1) : path.slice(first + 1, end);
  if (component !== '') return component;
  // An empty component ('//a') counts only when a non-empty one follows it: Java's split drops
  // trailing empty parts.
  for (let index = first + 1; index < path.length; index++) {
    if (path.charCodeAt(index) !== slash) return '';
  }
  return undefined;
}

const slash = 0x2f;

/**
 * One committed txn applied: its propagation latency (the header's time is the leader's wall
 * clock, so a clock behind it gives no figure), and DataTree.updateWriteStat for each node it
 * created, changed or deleted (path length plus the data's bytes; 0 for a delete). The bytes
 * are the node's data once the txn is applied: two changes of one node in one multi count its
 * final data twice.
 */
export function observeApplied(
  metrics: ServerMetrics,
  txn: Txn,
  outcome: ApplyOutcome,
  dataLengthOf: (path: string) => number | undefined,
  nowMs: number,
): void {
  const latency = nowMs - txn.time;
  if (latency >= 0) metrics.summaries.propagation_latency.observe(latency);
  const writes = metrics.summarySets.write_per_namespace;
  for (const trigger of outcome.triggers) {
    if (trigger.type === 'childrenChanged') continue;
    const namespace = topNamespace(trigger.path);
    if (namespace === undefined) continue;
    const bytes = trigger.type === 'deleted' ? 0 : dataLengthOf(trigger.path) ?? 0;
    writes.observe(namespace, trigger.path.length + bytes);
  }
}

/** The names' characters added up: a plain loop, run on every getChildren of 100k names. */
function lengthOfNames(names: readonly string[]): number {
  let sum = 0;
  for (let index = 0; index < names.length; index++) sum += names[index]!.length;
  return sum;
}

/** The bytes one successful read moved, as DataTree.updateReadStat counts them. */
function readBytes(request: ClientRequest, body: ResponseBody): number | undefined {
  switch (request.kind) {
    case 'exists':
      return 0;
    case 'getData':
      return body.kind === 'data' ? body.data?.length ?? 0 : undefined;
    case 'getChildren':
    case 'getChildren2':
      return body.kind === 'children' || body.kind === 'childrenStat'
        ? lengthOfNames(body.children)
        : undefined;
    default:
      return undefined;
  }
}

/** A read answered: DataTree.updateReadStat for getData, exists and getChildren that found
 * their node (path length, the data or the children's names, and the Stat's overhead). */
export function observeRead(
  metrics: ServerMetrics,
  request: ClientRequest,
  err: number,
  body: ResponseBody,
): void {
  if (request.kind === 'multiRead' && body.kind === 'multi') {
    // Each op of a multiRead reads through the same DataTree calls: those that succeeded count.
    request.ops.forEach((op, index) => {
      const result = body.results[index];
      if (op.kind !== 'getData' && op.kind !== 'getChildren') return;
      if (result?.kind === 'getData') {
        observeRead(metrics, op, 0, { kind: 'data', data: result.data, stat: result.stat });
      } else if (result?.kind === 'getChildren') {
        observeRead(metrics, op, 0, { kind: 'children', children: result.children });
      }
    });
    return;
  }
  if (err !== 0 || !('path' in request)) return;
  observeReadBytes(metrics, request.path, readBytes(request, body));
}

/** A read of `path` that moved `bytes` (a sliced getChildren reply counts its names' characters
 * as it encodes them, sparing the pass over 100k names observeRead would make). */
export function observeReadBytes(metrics: ServerMetrics, path: string, bytes: number | undefined):
  void {
  const namespace = topNamespace(path);
  if (bytes === undefined || namespace === undefined) return;
  metrics.summarySets.read_per_namespace.observe(namespace,
    path.length + bytes + statOverheadBytes);
}

/** ZooKeeper's quota GaugeSets (QuotaMetricsUtils), each a value per namespace. */
export const quotaGaugeNames = [
  'quota_count_limit_per_namespace', 'quota_bytes_limit_per_namespace',
  'quota_count_usage_per_namespace', 'quota_bytes_usage_per_namespace',
] as const;
export type QuotaGaugeName = (typeof quotaGaugeNames)[number];
export type QuotaFigures = Record<QuotaGaugeName, Map<string, number>>;

/** What the quota walk reads of the tree: a node's children and data, as a super user. */
export interface QuotaTree {
  getChildren(path: string, auth: AuthContext): { err: number; body: ResponseBody };
  getData(path: string, auth: AuthContext): { err: number; body: ResponseBody };
}

const superUser: AuthContext = { ids: [], superUser: true };
/** How many nodes of the quota subtree one scrape walks at most. */
export const quotaNodesWalkedMax = 100_000;

/** The namespace's value plus a quota's, as QuotaMetricsUtils sums a namespace's quotas. */
function add(figures: Map<string, number>, namespace: string, value: bigint): void {
  figures.set(namespace, (figures.get(namespace) ?? 0) + Number(value));
}

/** One leaf of the quota subtree: a limits node gives the limits (the hard one when set), a
 * stats node the usage, each under the namespace of the path its quota is on. */
function collectQuotaLeaf(figures: QuotaFigures, path: string, data: Buffer | null): void {
  const namespace = topNamespace(path.slice(quotaRoot.length));
  const stats = data === null ? undefined : parseStats(data);
  if (namespace === undefined || stats === undefined) return;
  const value = (key: string) => statValue(stats, key);
  const limit = (hard: bigint, soft: bigint) => (hard > -1n ? hard : soft);
  if (path.endsWith(`/${limitNodeName}`)) {
    add(figures.quota_count_limit_per_namespace, namespace,
      limit(value(statsKeys.countHardLimit), value(statsKeys.count)));
    add(figures.quota_bytes_limit_per_namespace, namespace,
      limit(value(statsKeys.byteHardLimit), value(statsKeys.bytes)));
  } else if (path.endsWith(`/${statNodeName}`)) {
    add(figures.quota_count_usage_per_namespace, namespace, value(statsKeys.count));
    add(figures.quota_bytes_usage_per_namespace, namespace, value(statsKeys.bytes));
  }
}

/** QuotaMetricsUtils: every leaf of /zookeeper/quota read, read at each scrape. */
export function quotaFiguresOf(tree: QuotaTree): QuotaFigures {
  const figures = Object.fromEntries(quotaGaugeNames.map((name) => [name, new Map()])) as
    QuotaFigures;
  const pending = [quotaRoot];
  for (let walked = 0; pending.length > 0 && walked < quotaNodesWalkedMax; walked++) {
    const path = pending.pop()!;
    const children = tree.getChildren(path, superUser);
    if (children.err !== 0 || children.body.kind !== 'children') continue;
    if (children.body.children.length > 0) {
      for (const child of children.body.children) pending.push(`${path}/${child}`);
      continue;
    }
    const data = tree.getData(path, superUser);
    if (data.err !== 0 || data.body.kind !== 'data') continue;
    collectQuotaLeaf(figures, path, data.body.data);
  }
  return figures;
}

/** ZooKeeperServer.updateQuotaExceededMetrics: each write the leader refused at a hard limit,
 * under its namespace (a quota path's, which the write's path shares). */
export function countQuotaRefusals(
  metrics: ServerMetrics,
  exceeded: readonly QuotaExceeded[] | undefined,
): void {
  const counts = metrics.counterSets.quota_exceeded_error_per_namespace;
  for (const { quotaPath, hard } of exceeded ?? []) {
    const namespace = topNamespace(quotaPath);
    if (hard && namespace !== undefined) counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
  }
}
