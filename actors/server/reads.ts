// Requests answered from the local data tree and watch table, without a txn: reads (with
// their watch registrations), multiRead, sync, watch management and whoAmI. ZooKeeper's
// FinalRequestProcessor answers the same set after earlier requests of the session. Their
// replies are encoded here too, with the read metrics they add to.

import { AddWatchMode, WatcherType } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ReplyHeader, WatcherEvent } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import type { ResponseBody } from '../../protocol/responses.js';
import type { ClientConnection } from './client-connection.js';
import { reply } from './replies.js';
import type { ServerCore } from './server-core.js';
import type { NameListReplies, NameListReply } from './sliced-replies.js';
import type { ServerMetrics } from './statistics.js';
import { observeRead, observeReadBytes } from './tree-metrics.js';
import type { Frame } from '../../protocol/frame-parts.js';

export interface ReadResult {
  err: number;
  body: ResponseBody;
  /** Watch events to deliver before the reply (setWatches catching up a reconnecting client). */
  events?: WatcherEvent[];
}

const none: ResponseBody = { kind: 'none' };

export function readRequest(
  core: ServerCore,
  connection: ClientConnection,
  sessionId: bigint,
  request: ClientRequest,
): ReadResult {
  const { tree, watches } = core;
  const auth = core.aclAuth(connection.auth);
  // ZooKeeper's watcher is the connection (ServerCnxn), not the session: watches end with it,
  // and a client re-registers them with setWatches after reconnecting.
  const watcher = watcherKey(connection);
  switch (request.kind) {
    case 'exists': {
      const result = tree.exists(request.path, auth);
      // An exists watch is set whether or not the node exists (it waits for NodeCreated).
      const watchable = result.err === 0 || result.err === ErrorCode.noNode;
      if (request.watch && watchable) watches.addDataWatch(request.path, watcher);
      return result;
    }
    case 'getData': {
      const result = tree.getData(request.path, auth);
      if (request.watch && result.err === 0) watches.addDataWatch(request.path, watcher);
      return result;
    }
    case 'getChildren':
    case 'getChildren2': {
      const result =
        request.kind === 'getChildren'
          ? tree.getChildren(request.path, auth)
          : tree.getChildren2(request.path, auth);
      if (request.watch && result.err === 0) watches.addChildWatch(request.path, watcher);
      return result;
    }
    case 'getACL':
      return tree.getACL(request.path, auth);
    case 'getAllChildrenNumber':
      return tree.getAllChildrenNumber(request.path, auth);
    case 'getEphemerals':
      return tree.getEphemerals(sessionId, request.path);
    case 'sync':
      // request-handler answers sync through the pipeline (the leader, in an ensemble); this
      // is what a sync amounts to once it has been through it.
      return { err: 0, body: { kind: 'path', path: request.path } };
    case 'multiRead':
      return tree.multiRead(request.ops, auth);
    case 'addWatch': {
      // ZooKeeper's AddWatchMode.fromZooDef rejects other modes: MarshallingError.
      if (!isAddWatchMode(request.mode)) return { err: ErrorCode.marshallingError, body: none };
      const recursive = request.mode === AddWatchMode.persistentRecursive;
      watches.addPersistentWatch(request.path, watcher, recursive);
      // ZooKeeper answers addWatch with an ErrorResponse body (err 0); clients read it.
      return { err: 0, body: { kind: 'number', value: 0 } };
    }
    case 'removeWatches':
    case 'checkWatches': {
      // ZooKeeper's WatcherType.fromInt rejects other types: MarshallingError, not NoWatcher.
      if (!isWatcherType(request.watcherType)) {
        return { err: ErrorCode.marshallingError, body: none };
      }
      const found =
        request.kind === 'removeWatches'
          ? watches.remove(request.path, watcher, request.watcherType)
          : watches.has(request.path, watcher, request.watcherType);
      return { err: found ? 0 : ErrorCode.noWatcher, body: none };
    }
    case 'setWatches':
      return { err: 0, body: none, events: watches.setWatches(tree, watcher, request) };
    case 'whoAmI':
      return {
        err: 0,
        body: {
          kind: 'clientInfo',
          // ZooKeeper reports each provider's user name: a digest id without its hash, and ''
          // for `super`, which has no provider (AuthUtil.getClientInfos).
          entries: auth.ids.map((id) => ({
            authScheme: id.scheme,
            user: id.scheme === 'digest' ? id.id.split(':')[0]!
              : id.scheme === 'super' ? '' : id.id,
          })),
        },
      };
    default:
      throw new Error(`not a read: ${request.kind}`);
  }
}

/** The key a connection's watches are registered under in the WatchManager. */
export function watcherKey(connection: ClientConnection): bigint {
  return BigInt(connection.id);
}

function isAddWatchMode(mode: number): boolean {
  return mode === AddWatchMode.persistent || mode === AddWatchMode.persistentRecursive;
}

function isWatcherType(type: number): boolean {
  return type === WatcherType.children || type === WatcherType.data || type === WatcherType.any;
}

/**
 * A read's reply frame, its bytes counted in the read metrics; a large list of names is encoded
 * over later turns (sliced-replies.ts), and then the connection is told its reply is pending.
 */
export function encodeReadReply(
  nameLists: NameListReplies,
  metrics: ServerMetrics,
  connection: ClientConnection,
  request: ClientRequest,
  header: ReplyHeader,
  body: ResponseBody,
): Frame | Promise<Frame> {
  // Of the lists (getChildren, getEphemerals), ZooKeeper counts only getChildren's bytes in
  // its read metrics; a getChildren list is kept by the path whose children it is.
  const path = request.kind === 'getChildren' || request.kind === 'getChildren2'
    ? request.path : undefined;
  const list = nameLists.encode(header, body, path);
  if (list === undefined) {
    observeRead(metrics, request, header.err, body);
    return reply(header.xid, header.zxid, header.err, body);
  }
  // The encoder counts the names' characters as it copies them.
  const observed = ({ frame, nameChars }: NameListReply): Frame => {
    if (path !== undefined) observeReadBytes(metrics, path, nameChars);
    return frame;
  };
  if (!(list instanceof Promise)) return observed(list);
  connection.replyPending();
  return list.then(observed);
}
