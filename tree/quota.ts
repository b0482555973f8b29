// Quotas, kept as ZooKeeper's DataTree keeps them: a quota on path P is the node
// /zookeeper/quota/P/zookeeper_limits, and every create, delete and setData below P updates the
// count and bytes in /zookeeper/quota/P/zookeeper_stats as part of applying the txn, on every
// replica alike. With enforceQuota, a write past a hard limit fails (ZooKeeperServer.checkQuota).

import { ErrorCode } from '../protocol/errors.js';
import { basenameOf, childPath, parentOf } from './paths.js';
import type { NodeStore, UndoLog } from './store.js';
import { dataLengthOf } from './znode.js';
import {
  addLong,
  formatStats,
  parseStats,
  statValue,
  statsKeys,
  type Stats,
} from './stats-track.js';

/** Quotas.quotaZookeeper and the names of its two nodes per quota. */
export const quotaRoot = '/zookeeper/quota';
export const limitNodeName = 'zookeeper_limits';
export const statNodeName = 'zookeeper_stats';

/** Quotas.limitPath / statPath: the nodes of the quota on `path`. */
export function limitPathOf(path: string): string {
  return `${quotaRoot}${path}/${limitNodeName}`;
}

export function statPathOf(path: string): string {
  return `${quotaRoot}${path}/${statNodeName}`;
}

/**
 * The quota path a limits or stats node stands for ("/a/b" for
 * /zookeeper/quota/a/b/zookeeper_stats), or undefined for any other node. A node directly under
 * /zookeeper/quota would stand for the root, on which ZooKeeper never counts (its
 * getMaxPrefixWithQuota ignores "/"), so it stands for nothing here.
 */
export function quotaPathOf(path: string, nodeName: string): string | undefined {
  if (basenameOf(path) !== nodeName) return undefined;
  const parent = parentOf(path);
  return parent.startsWith(`${quotaRoot}/`) ? parent.slice(quotaRoot.length) : undefined;
}

/**
 * The paths that have a quota: those whose zookeeper_limits node exists (ZooKeeper's PathTrie
 * pTrie). Derived from the tree, so a restored snapshot rebuilds it (rebuild) and it never
 * needs to be written anywhere.
 */
export class QuotaTable {
  private readonly paths = new Set<string>();

  get size(): number {
    return this.paths.size;
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /**
   * DataTree.getMaxPrefixWithQuota: the deepest quota path that is `path` or one of its
   * ancestors, or undefined.
   */
  quotaPathFor(path: string): string | undefined {
    if (this.paths.size === 0) return undefined;
    for (let prefix = path; prefix.length > 1; prefix = prefix.slice(0, prefix.lastIndexOf('/'))) {
      if (this.paths.has(prefix)) return prefix;
    }
    return undefined;
  }

  add(path: string, undo: UndoLog | undefined): void {
    if (this.paths.has(path)) return;
    this.paths.add(path);
    undo?.push(() => this.paths.delete(path));
  }

  remove(path: string, undo: UndoLog | undefined): void {
    if (!this.paths.delete(path)) return;
    undo?.push(() => this.paths.add(path));
  }

  /** DataTree.setupQuota after a snapshot load: every limits node under /zookeeper/quota. */
  rebuild(store: NodeStore): void {
    this.paths.clear();
    const pending = [quotaRoot];
    for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
      const node = store.node(path);
      if (node === undefined) continue;
      for (const name of node.childNamesCopy()) {
        const child = childPath(path, name);
        const quotaPath = quotaPathOf(child, limitNodeName);
        if (quotaPath !== undefined) this.paths.add(quotaPath);
        pending.push(child);
      }
    }
  }
}

/** What the quota bookkeeping of one write needs (a WriteContext has all of it). */
export interface QuotaScope {
  store: NodeStore;
  quotas: QuotaTable;
  undo: UndoLog | undefined;
}

/** DataTree.updateQuotaStat: adds to the stats node's count and bytes. The node's stat does
 * not change (no new version or mzxid); a missing or unreadable stats node is left alone. */
function addToStats(scope: QuotaScope, quotaPath: string, bytes: number, count: number): void {
  const node = scope.store.node(statPathOf(quotaPath));
  if (node === undefined) return;
  const stats = parseStats(node.data);
  if (stats === undefined) return;
  stats.set(statsKeys.count, addLong(statValue(stats, statsKeys.count), BigInt(count)));
  stats.set(statsKeys.bytes, addLong(statValue(stats, statsKeys.bytes), BigInt(bytes)));
  scope.store.rewriteData(node, formatStats(stats), scope.undo);
}

/** DataTree.updateQuotaForPath: the stats of `quotaPath` counted from its subtree (itself
 * included), replacing whatever the stats node held. */
function countSubtree(scope: QuotaScope, quotaPath: string): void {
  const statNode = scope.store.node(statPathOf(quotaPath));
  if (statNode === undefined) return;
  let count = 0n;
  let bytes = 0n;
  const pending = [quotaPath];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const node = scope.store.node(path);
    if (node === undefined) continue;
    count += 1n;
    bytes += BigInt(dataLengthOf(node.data));
    for (const name of node.childNamesCopy()) pending.push(childPath(path, name));
  }
  const stats: Stats = new Map([[statsKeys.count, count], [statsKeys.bytes, bytes]]);
  scope.store.rewriteData(statNode, formatStats(stats), scope.undo);
}

/**
 * After a create (DataTree.createNode): a limits node starts a quota, a stats node is filled
 * from the subtree it measures (the server computes it; zkCli writes zeros), then the node is
 * counted in the quota above it, with the data it was created with.
 */
export function quotaAfterCreate(scope: QuotaScope, path: string, dataBytes: number): void {
  const limited = quotaPathOf(path, limitNodeName);
  if (limited !== undefined) scope.quotas.add(limited, scope.undo);
  const measured = quotaPathOf(path, statNodeName);
  if (measured !== undefined) countSubtree(scope, measured);
  const quotaPath = scope.quotas.quotaPathFor(path);
  if (quotaPath !== undefined) addToStats(scope, quotaPath, dataBytes, 1);
}

/** After a delete (DataTree.deleteNode): removing a limits node ends its quota. */
export function quotaAfterDelete(scope: QuotaScope, path: string, dataBytes: number): void {
  const limited = quotaPathOf(path, limitNodeName);
  if (limited !== undefined) scope.quotas.remove(limited, scope.undo);
  const quotaPath = scope.quotas.quotaPathFor(path);
  if (quotaPath !== undefined) addToStats(scope, quotaPath, -dataBytes, -1);
}

/** After a setData (DataTree.setData): the change in data length. */
export function quotaAfterSetData(scope: QuotaScope, path: string, bytesChange: number): void {
  const quotaPath = scope.quotas.quotaPathFor(path);
  if (quotaPath !== undefined) addToStats(scope, quotaPath, bytesChange, 0);
}

/** One limit a write would pass: ZooKeeper logs it as "Quota exceeded: …" (soft or hard). */
export interface QuotaExceeded {
  quotaPath: string;
  measure: 'count' | 'bytes';
  current: bigint;
  limit: bigint;
  hard: boolean;
}

/** ZooKeeper's log line for an exceeded limit, e.g.
 * `Quota exceeded: /app [current count=5, hardCountLimit=4]`. */
export function quotaExceededMessage(exceeded: QuotaExceeded): string {
  const kind = exceeded.hard ? 'hard' : 'soft';
  const limitName = exceeded.measure === 'count' ? 'CountLimit' : 'ByteLimit';
  return `Quota exceeded: ${exceeded.quotaPath} [current ${exceeded.measure}=` +
    `${exceeded.current}, ${kind}${limitName}=${exceeded.limit}]`;
}

/** One measure of ZooKeeperServer.checkQuota: the hard limit when set, else the soft one. */
function checkMeasure(
  quotaPath: string,
  measure: 'count' | 'bytes',
  limits: Stats,
  current: bigint,
  exceeded: QuotaExceeded[],
): number {
  const hardKey = measure === 'count' ? statsKeys.countHardLimit : statsKeys.byteHardLimit;
  const hardLimit = statValue(limits, hardKey);
  const hard = hardLimit > -1n;
  const limit = hard ? hardLimit : statValue(limits, measure);
  if (current <= limit) return ErrorCode.ok;
  exceeded.push({ quotaPath, measure, current, limit, hard });
  return hard ? ErrorCode.quotaExceeded : ErrorCode.ok;
}

/**
 * ZooKeeperServer.checkQuota, which PrepRequestProcessor runs for create and setData when
 * enforceQuota is on: quotaExceeded when the write would take the quota above it past a hard
 * limit (count first, then bytes); a soft limit passed is only reported in `exceeded`. Limits
 * or stats ZooKeeper cannot parse fail its request with marshallingError, and so here.
 */
export function checkQuota(
  scope: QuotaScope,
  path: string,
  bytesChange: number,
  countChange: number,
  exceeded: QuotaExceeded[],
): number {
  const quotaPath = scope.quotas.quotaPathFor(path);
  if (quotaPath === undefined) return ErrorCode.ok;
  const limitNode = scope.store.node(limitPathOf(quotaPath));
  if (limitNode === undefined) return ErrorCode.ok;
  const limits = parseStats(limitNode.data);
  if (limits === undefined) return ErrorCode.marshallingError;
  const limited = (measure: 'count' | 'bytes', hardKey: string) =>
    statValue(limits, measure) > -1n || statValue(limits, hardKey) > -1n;
  const checkCount = countChange !== 0 && limited('count', statsKeys.countHardLimit);
  const checkBytes = bytesChange !== 0 && limited('bytes', statsKeys.byteHardLimit);
  if (!checkCount && !checkBytes) return ErrorCode.ok;
  const statNode = scope.store.node(statPathOf(quotaPath));
  if (statNode === undefined) return ErrorCode.ok;
  const stats = parseStats(statNode.data);
  if (stats === undefined) return ErrorCode.marshallingError;
  if (checkCount) {
    const count = addLong(statValue(stats, statsKeys.count), BigInt(countChange));
    const err = checkMeasure(quotaPath, 'count', limits, count, exceeded);
    if (err !== ErrorCode.ok) return err;
  }
  if (!checkBytes) return ErrorCode.ok;
  const bytes = addLong(statValue(stats, statsKeys.bytes), BigInt(bytesChange));
  return checkMeasure(quotaPath, 'bytes', limits, bytes, exceeded);
}
