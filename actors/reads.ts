// Requests answered from the local data tree and watch table, without a txn: reads (with
// their watch registrations), multiRead, sync, watch management and whoAmI. ZooKeeper's
// FinalRequestProcessor answers the same set after earlier requests of the session.

import { AddWatchMode } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/errors.js';
import type { WatcherEvent } from '../protocol/records.js';
import type { ClientRequest, MultiOp } from '../protocol/requests.js';
import type { OpResult, ResponseBody } from '../protocol/responses.js';
import type { ClientConnection } from './client-connection.js';
import type { ServerCore } from './server-core.js';

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
  const auth = connection.auth;
  switch (request.kind) {
    case 'exists': {
      const result = tree.exists(request.path, auth);
      // An exists watch is set whether or not the node exists (it waits for NodeCreated).
      const watchable = result.err === 0 || result.err === ErrorCode.noNode;
      if (request.watch && watchable) watches.addDataWatch(request.path, sessionId);
      return result;
    }
    case 'getData': {
      const result = tree.getData(request.path, auth);
      if (request.watch && result.err === 0) watches.addDataWatch(request.path, sessionId);
      return result;
    }
    case 'getChildren':
    case 'getChildren2': {
      const result =
        request.kind === 'getChildren'
          ? tree.getChildren(request.path, auth)
          : tree.getChildren2(request.path, auth);
      if (request.watch && result.err === 0) watches.addChildWatch(request.path, sessionId);
      return result;
    }
    case 'getACL':
      return tree.getACL(request.path, auth);
    case 'getAllChildrenNumber':
      return tree.getAllChildrenNumber(request.path, auth);
    case 'getEphemerals':
      return tree.getEphemerals(sessionId, request.path);
    case 'sync':
      // Standalone: everything committed is applied here, so sync only keeps session order.
      return { err: 0, body: { kind: 'path', path: request.path } };
    case 'multiRead':
      return { err: 0, body: { kind: 'multi', results: request.ops.map((op) => readOp(core, connection, op)) } };
    case 'addWatch': {
      const recursive = request.mode === AddWatchMode.persistentRecursive;
      watches.addPersistentWatch(request.path, sessionId, recursive);
      // ZooKeeper answers addWatch with an ErrorResponse body (err 0); clients read it.
      return { err: 0, body: { kind: 'number', value: 0 } };
    }
    case 'removeWatches':
    case 'checkWatches': {
      const found =
        request.kind === 'removeWatches'
          ? watches.remove(request.path, sessionId, request.watcherType)
          : watches.has(request.path, sessionId, request.watcherType);
      return { err: found ? 0 : ErrorCode.noWatcher, body: none };
    }
    case 'setWatches':
      return { err: 0, body: none, events: watches.setWatches(tree, sessionId, request) };
    case 'whoAmI':
      return {
        err: 0,
        body: {
          kind: 'clientInfo',
          entries: auth.ids.map((id) => ({ authScheme: id.scheme, user: id.id })),
        },
      };
    default:
      throw new Error(`not a read: ${request.kind}`);
  }
}

function readOp(core: ServerCore, connection: ClientConnection, op: MultiOp): OpResult {
  if (op.kind === 'getData') {
    const result = core.tree.getData(op.path, connection.auth);
    if (result.err !== 0 || result.body.kind !== 'data') return { kind: 'error', err: result.err };
    return { kind: 'getData', data: result.body.data, stat: result.body.stat };
  }
  if (op.kind === 'getChildren') {
    const result = core.tree.getChildren(op.path, connection.auth);
    if (result.err !== 0 || result.body.kind !== 'children') return { kind: 'error', err: result.err };
    return { kind: 'getChildren', children: result.body.children };
  }
  return { kind: 'error', err: ErrorCode.badArguments };
}
