// What the data tree's work adds to ZooKeeper's ServerMetrics: how many watchers each change
// fired (WatchManager.triggerWatch's node_*_watch_count), each applied txn's time since its
// leader stamped it (FinalRequestProcessor's propagation_latency), and the bytes each write and
// read moved per top-level znode (DataTree's write_per_namespace and read_per_namespace).
import { EventType } from '../../protocol/constants.js';
import type { ClientRequest } from '../../protocol/requests.js';
import type { ResponseBody } from '../../protocol/responses.js';
import type { Txn } from '../../protocol/txn.js';
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
  const parts = path.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length > 1 ? parts[1] : undefined;
}

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
        ? body.children.reduce((sum, child) => sum + child.length, 0)
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
  if (err !== 0 || !('path' in request)) return;
  const bytes = readBytes(request, body);
  const namespace = topNamespace(request.path);
  if (bytes === undefined || namespace === undefined) return;
  metrics.summarySets.read_per_namespace.observe(namespace,
    request.path.length + bytes + statOverheadBytes);
}
