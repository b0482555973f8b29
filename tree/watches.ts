// Watches of one replica (not replicated): ZooKeeper's data table (getData and exists watches)
// and child table (getChildren watches), with addWatch's persistent and recursive watches in
// both. It turns the tree's change triggers into the notifications each session must get.

import { EventType, KeeperState, WatcherType } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ACL, WatcherEvent } from '../protocol/records.js';
import type { SetWatchesRequest } from '../protocol/requests.js';
import type { ChangeTrigger } from './types.js';
import { WatchMode, WatchTable } from './watch-table.js';
import { assertNever } from '../protocol/assert.js';

export interface Notification {
  sessionId: bigint;
  event: WatcherEvent;
}

/** What setWatches needs from the tree: a node's mzxid and pzxid, undefined if absent. */
export interface WatchedTree {
  peek(path: string): { mzxid: number; pzxid: number } | undefined;
}

/** Whether a read with watch=true registers its watch, given the read's error: exists does
 * even for a missing node (it then waits for NodeCreated); getData and getChildren only on
 * success (FinalRequestProcessor checks existence and ACL first). */
export function shouldRegisterWatch(kind: 'exists' | 'getData' | 'getChildren', err: number) {
  return err === ErrorCode.ok || (kind === 'exists' && err === ErrorCode.noNode);
}

/** Told how many watchers one table fired for one change, with the event type (ZooKeeper's
 * node_*_watch_count summaries observe each triggerWatch call that fired any). */
export type WatchersFired = (eventType: number, watchers: number) => void;

/** Whether a watcher may be told of a change to a node with this ACL (READ on it). */
export type WatcherMayRead = (sessionId: bigint, acl: readonly ACL[]) => boolean;

function notify(
  sessions: Iterable<bigint>,
  type: number,
  change: ChangeTrigger,
  mayRead: WatcherMayRead | undefined,
): Notification[] {
  const notifications: Notification[] = [];
  const path = change.path;
  for (const sessionId of sessions) {
    if (mayRead !== undefined && !mayRead(sessionId, change.acl)) continue;
    notifications.push({ sessionId, event: { type, state: KeeperState.syncConnected, path } });
  }
  return notifications;
}

export class WatchManager {
  private readonly dataWatches = new WatchTable();
  private readonly childWatches = new WatchTable();

  /** A one-shot data watch: getData, or exists (whether or not the node exists). */
  addDataWatch(path: string, sessionId: bigint): void {
    this.dataWatches.add(path, sessionId, WatchMode.standard);
  }

  /** A one-shot child watch: getChildren / getChildren2. */
  addChildWatch(path: string, sessionId: bigint): void {
    this.childWatches.add(path, sessionId, WatchMode.standard);
  }

  /** addWatch (mode 0 persistent, 1 recursive): in both tables, as DataTree.addWatch does. */
  addPersistentWatch(path: string, sessionId: bigint, recursive: boolean): void {
    const mode = recursive ? WatchMode.persistentRecursive : WatchMode.persistent;
    this.dataWatches.add(path, sessionId, mode);
    this.childWatches.add(path, sessionId, mode);
  }

  /** The notifications one change causes, each session at most once (DataTree's
   * createNode/deleteNode/setData calls to triggerWatch). Every matching one-shot watch is
   * consumed, but a session `mayRead` refuses (no READ on change.acl) is not told: ZooKeeper's
   * ServerCnxn.process(event, acl) drops the event after triggerWatch removed the watch (the
   * CVE-2024-23944 fix, in 3.8.4+ and Debian's 3.8.0-11+deb12u2). */
  trigger(
    change: ChangeTrigger,
    mayRead?: WatcherMayRead,
    counted?: WatchersFired,
  ): Notification[] {
    const fired = new Set<bigint>();
    /** Collects from one table; a table that fired is counted, as each triggerWatch call is
     * (before the READ check and the `supress` set, as ZooKeeper counts its watcher set). */
    const collect = (table: WatchTable, type: number, childrenChange: boolean): void => {
      if (counted === undefined) {
        table.collect(change.path, childrenChange, fired);
        return;
      }
      const found = new Set<bigint>();
      table.collect(change.path, childrenChange, found);
      for (const sessionId of found) fired.add(sessionId);
      if (found.size > 0) counted(type, found.size);
    };
    switch (change.type) {
      case 'created':
        collect(this.dataWatches, EventType.nodeCreated, false);
        return notify(fired, EventType.nodeCreated, change, mayRead);
      case 'dataChanged':
        collect(this.dataWatches, EventType.nodeDataChanged, false);
        return notify(fired, EventType.nodeDataChanged, change, mayRead);
      case 'childrenChanged':
        collect(this.childWatches, EventType.nodeChildrenChanged, true);
        return notify(fired, EventType.nodeChildrenChanged, change, mayRead);
      case 'deleted':
        // Both tables fire NodeDeleted; a session already told by the data table is not told
        // again by the child table (the `supress` set of triggerWatch).
        collect(this.dataWatches, EventType.nodeDeleted, false);
        collect(this.childWatches, EventType.nodeDeleted, false);
        return notify(fired, EventType.nodeDeleted, change, mayRead);
      default:
        return assertNever(change.type);
    }
  }

  /** removeWatches: children → the child table, data → the data table, any → both; each
   * clears the session's registrations there, persistent ones included. False: noWatcher. */
  remove(path: string, sessionId: bigint, watcherType: number): boolean {
    switch (watcherType) {
      case WatcherType.children:
        return this.childWatches.remove(path, sessionId);
      case WatcherType.data:
        return this.dataWatches.remove(path, sessionId);
      case WatcherType.any: {
        const removedChild = this.childWatches.remove(path, sessionId);
        const removedData = this.dataWatches.remove(path, sessionId);
        return removedChild || removedData;
      }
      default:
        return false;
    }
  }

  /** checkWatches: whether the session has a registration at exactly `path` in the table(s). */
  has(path: string, sessionId: bigint, watcherType: number): boolean {
    switch (watcherType) {
      case WatcherType.children:
        return this.childWatches.has(path, sessionId);
      case WatcherType.data:
        return this.dataWatches.has(path, sessionId);
      case WatcherType.any:
        return this.childWatches.has(path, sessionId) || this.dataWatches.has(path, sessionId);
      default:
        return false;
    }
  }

  removeSession(sessionId: bigint): void {
    this.dataWatches.removeSession(sessionId);
    this.childWatches.removeSession(sessionId);
  }

  /** DataTree.setWatches after a reconnect: a watch whose event the client missed (relative to
   * the last zxid it saw) is answered at once instead of re-registered; persistent watches are
   * re-registered as they are. */
  setWatches(tree: WatchedTree, sessionId: bigint, request: SetWatchesRequest): WatcherEvent[] {
    const missed: WatcherEvent[] = [];
    const event = (type: number, path: string): void => {
      missed.push({ type, state: KeeperState.syncConnected, path });
    };
    for (const path of request.dataWatches) {
      const node = tree.peek(path);
      if (node === undefined) event(EventType.nodeDeleted, path);
      else if (node.mzxid > request.relativeZxid) event(EventType.nodeDataChanged, path);
      else this.addDataWatch(path, sessionId);
    }
    for (const path of request.existWatches) {
      if (tree.peek(path) !== undefined) event(EventType.nodeCreated, path);
      else this.addDataWatch(path, sessionId);
    }
    for (const path of request.childWatches) {
      const node = tree.peek(path);
      if (node === undefined) event(EventType.nodeDeleted, path);
      else if (node.pzxid > request.relativeZxid) event(EventType.nodeChildrenChanged, path);
      else this.addChildWatch(path, sessionId);
    }
    for (const path of request.persistentWatches) this.addPersistentWatch(path, sessionId, false);
    for (const path of request.persistentRecursiveWatches) {
      this.addPersistentWatch(path, sessionId, true);
    }
    return missed;
  }

  // Reports. ZooKeeper's wchs, wchc and wchp describe the data table only.

  /** Paths of the data table with their sessions (wchp; wchs summarises it). */
  dataWatchedPaths(): Array<{ path: string; sessionIds: bigint[] }> {
    return this.dataWatches.paths();
  }

  /** Sessions of the data table with their paths (wchc). */
  dataWatchesBySession(): Map<bigint, string[]> {
    return this.dataWatches.sessions();
  }

  /** Registrations in both tables (mntr's zk_watch_count). */
  get watchCount(): number {
    return this.dataWatches.size + this.childWatches.size;
  }
}

