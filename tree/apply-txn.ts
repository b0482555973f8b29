// How each kind of txn changes a data tree (ZooKeeper's DataTree.processTxn): sessions opened
// and closed, writes and multi (all or nothing, validated against the state before them as
// PrepRequestProcessor would), reconfig, restores, and error txns that only consume their zxid.

import { ErrorCode } from '../protocol/errors.js';
import type { CreateRequest, MultiOp, WriteRequest } from '../protocol/requests.js';
import type { OpResult, ResponseBody } from '../protocol/responses.js';
import { membershipText, type Membership } from '../protocol/membership.js';
import type { AuthContext, RestoreTxnBody, Txn } from '../protocol/txn.js';
import { assertNever } from '../protocol/assert.js';
import { parentOf } from './paths.js';
import { quotaAfterDelete, type QuotaTable } from './quota.js';
import { restoreNodes, restoreRefusal } from './restore.js';
import { applyRestoreBegin, applyRestoreChunk, applyRestoreEnd } from './restore-staging.js';
import type { NodeStore, UndoLog } from './store.js';
import type { ApplyOutcome, ChangeTrigger } from './types.js';
import * as writes from './writes.js';
import type { WriteContext, WriteResult } from './writes.js';
import {
  bodyOf,
  failedResults,
  isMulti,
  isReadOp,
  multiCreate,
  opResultOf,
  type SingleWrite,
} from './write-replies.js';

/** What a txn changes in a tree, and the limits it is checked against (DataTree's parts). */
export interface TxnTarget {
  store: NodeStore;
  quotas: QuotaTable;
  authSchemes: ReadonlySet<string>;
  dataBytesMax: number;
}

const none: ResponseBody = { kind: 'none' };

/** What the leader stamps into a write txn beside the request (protocol/txn.ts). */
interface WriteStamps {
  enforceQuota: boolean;
  localSession: boolean;
}

const noStamps: WriteStamps = { enforceQuota: false, localSession: false };

/** What `txn` does to the tree; the caller keeps the zxids and digests around it. */
export function applyTxnBody(tree: TxnTarget, txn: Txn): ApplyOutcome {
  const body = txn.body;
  switch (body.type) {
    case 'createSession':
      tree.store.sessions.set(body.sessionId, {
        timeoutMs: body.timeoutMs,
        password: body.password,
      });
      return { zxid: txn.zxid, err: ErrorCode.ok, body: none, triggers: [] };
    case 'closeSession':
      return closeSession(tree, txn, body.sessionId);
    case 'write':
      return applyWrite(tree, txn, body.request, body.auth, {
        enforceQuota: body.enforceQuota === true,
        localSession: body.localSession === true,
      });
    case 'deleteContainer': {
      const context = writeContextOf(tree, txn, { ids: [], superUser: true }, undefined);
      const result = writes.applyDeleteContainer(context, body.path);
      return { zxid: txn.zxid, err: result.err, body: none, triggers: context.triggers };
    }
    case 'reconfig':
      return applyReconfig(tree, txn, body.membership);
    case 'restore':
      return applyRestore(tree, txn, body);
    case 'restoreBegin':
      return restoreStep(txn, applyRestoreBegin(tree.store, txn, body));
    case 'restoreChunk':
      return restoreStep(txn, applyRestoreChunk(tree.store, txn, body));
    case 'restoreEnd': {
      const err = applyRestoreEnd(tree.store, txn, body);
      if (err === ErrorCode.ok && body.abandon !== true) tree.quotas.rebuild(tree.store);
      return restoreStep(txn, err);
    }
    case 'error':
      // Rejected before the tree: it only consumes its zxid.
      return { zxid: txn.zxid, err: body.err, body: none, triggers: [] };
    default:
      return assertNever(body);
  }
}

/**
 * ZooKeeper's reconfig txn is a setData of /zookeeper/config with version -1: the node takes
 * the new membership's text (its version the txn's zxid), mzxid and mtime, and version -1.
 * Watchers of the node hear dataChanged. The answer is the node's data and stat (getData's).
 */
function applyReconfig(tree: TxnTarget, txn: Txn, membership: Membership): ApplyOutcome {
  const path = '/zookeeper/config';
  const node = tree.store.node(path);
  if (node === undefined) {
    return { zxid: txn.zxid, err: ErrorCode.noNode, body: none, triggers: [] };
  }
  const data = Buffer.from(membershipText({ ...membership, version: txn.zxid }));
  tree.store.setData(path, node, data, txn.zxid, txn.time, undefined);
  tree.store.forceVersions(node, { version: -1 });
  const stat = tree.store.node(path)?.stat()!;
  return {
    zxid: txn.zxid,
    err: ErrorCode.ok,
    body: { kind: 'data', data, stat },
    triggers: [{ path, type: 'dataChanged', acl: node.acl }],
  };
}

/** A backup's znodes in place of a new tree (tree/restore.ts); refused, changing nothing,
 * when the tree holds znodes of its own. No watch fires: a new tree has none on its data. */
function applyRestore(tree: TxnTarget, txn: Txn, body: RestoreTxnBody): ApplyOutcome {
  const refusal = restoreRefusal(tree.store, body);
  if (refusal !== undefined) return { zxid: txn.zxid, err: refusal, body: none, triggers: [] };
  restoreNodes(tree.store, body);
  tree.quotas.rebuild(tree.store);
  return { zxid: txn.zxid, err: ErrorCode.ok, body: none, triggers: [] };
}

/** A step of a restore of many txns (tree/restore-staging.ts): no watch fires, as for a
 * restore in one txn; its staging znodes are system znodes no client may change. */
function restoreStep(txn: Txn, err: number): ApplyOutcome {
  return { zxid: txn.zxid, err, body: none, triggers: [] };
}

function writeContextOf(
  tree: TxnTarget,
  txn: Txn,
  auth: AuthContext,
  undo: UndoLog | undefined,
  stamps: WriteStamps = noStamps,
): WriteContext {
  return {
    store: tree.store,
    zxid: txn.zxid,
    time: txn.time,
    sessionId: txn.sessionId,
    auth,
    authSchemes: tree.authSchemes,
    dataBytesMax: tree.dataBytesMax,
    undo,
    triggers: [],
    quotas: tree.quotas,
    enforceQuota: stamps.enforceQuota,
    localSession: stamps.localSession,
    quotaExceeded: [],
  };
}

/** Removes the session's ephemerals (in path order, so every replica fires the same
 * triggers) and the session itself (DataTree.killSession). */
function closeSession(tree: TxnTarget, txn: Txn, sessionId: bigint): ApplyOutcome {
  const context = writeContextOf(tree, txn, { ids: [], superUser: true }, undefined);
  const paths = [...(tree.store.ephemerals.get(sessionId) ?? [])].sort();
  for (const path of paths) {
    const node = tree.store.node(path);
    const parent = tree.store.node(parentOf(path));
    if (node === undefined || parent === undefined) continue;
    const { acl, dataLength } = node;
    tree.store.delete(path, parent, node, txn.zxid, undefined);
    quotaAfterDelete(context, path, dataLength);
    context.triggers.push(
      { path, type: 'deleted', acl },
      { path: parentOf(path), type: 'childrenChanged', acl: parent.acl },
    );
  }
  tree.store.sessions.delete(sessionId);
  return {
    zxid: txn.zxid,
    err: ErrorCode.ok,
    body: none,
    triggers: context.triggers,
    closedSession: sessionId,
  };
}

/** Jute refuses a buffer over jute.maxbuffer while decoding the request, before any other
 * check; PrepRequestProcessor then answers MARSHALLINGERROR for the whole request. */
function isOversized(tree: TxnTarget, op: WriteRequest | MultiOp): boolean {
  if (op.kind !== 'create' && op.kind !== 'setData') return false;
  return op.data !== null && op.data.length > tree.dataBytesMax;
}

function applyWrite(
  tree: TxnTarget,
  txn: Txn,
  request: WriteRequest,
  auth: AuthContext,
  stamps: WriteStamps,
): ApplyOutcome {
  const zxid = txn.zxid;
  if (isMulti(request)) {
    if (request.kind === 'multi') return applyMulti(tree, txn, request.ops, auth, stamps);
    return { zxid, err: ErrorCode.marshallingError, body: none, triggers: [] };
  }
  if (isOversized(tree, request)) {
    return { zxid, err: ErrorCode.marshallingError, body: none, triggers: [] };
  }
  const context = writeContextOf(tree, txn, auth, undefined, stamps);
  const result = applyOne(context, request);
  const quotaExceeded = context.quotaExceeded;
  if (result.err !== ErrorCode.ok) {
    return { zxid, err: result.err, body: none, triggers: [], quotaExceeded };
  }
  const body = bodyOf(request, result);
  return { zxid, err: ErrorCode.ok, body, triggers: context.triggers, quotaExceeded };
}

function applyOne(context: WriteContext, op: SingleWrite): WriteResult {
  switch (op.kind) {
    case 'create':
      return writes.applyCreate(context, op);
    case 'delete':
      return writes.applyDelete(context, op);
    case 'setData':
      return writes.applySetData(context, op);
    case 'setACL':
      return writes.applySetAcl(context, op);
    case 'check':
      return writes.applyCheck(context, op);
    default:
      return assertNever(op);
  }
}

/** multi is all or nothing: ops run in order against the state the earlier ops left; when
 * one fails, the earlier ones are rolled back and report 0, the failing one its error, the
 * later ones runtimeInconsistency (DataTree.processTxn). The reply header's err stays 0. */
function applyMulti(
  tree: TxnTarget,
  txn: Txn,
  ops: readonly MultiOp[],
  auth: AuthContext,
  stamps: WriteStamps,
): ApplyOutcome {
  const undo: UndoLog = [];
  const context = writeContextOf(tree, txn, auth, undo, stamps);
  const outcome = (err: number, body: ResponseBody, triggers: ChangeTrigger[]): ApplyOutcome => ({
    zxid: txn.zxid,
    err,
    body,
    triggers,
    quotaExceeded: context.quotaExceeded,
  });
  // A read op, or data over the limit, fails the decoding of the whole multi in ZooKeeper;
  // so does a create that cannot be prepared (see multiCreate).
  const unpreparable = (op: MultiOp) => op.kind === 'create' && multiCreate(op) === undefined;
  if (ops.some((op) => isReadOp(op) || isOversized(tree, op) || unpreparable(op))) {
    return outcome(ErrorCode.marshallingError, none, []);
  }
  const results: OpResult[] = [];
  for (let index = 0; index < ops.length; index++) {
    const sent = ops[index] as SingleWrite;
    const op = sent.kind === 'create' ? (multiCreate(sent) as CreateRequest) : sent;
    const result = applyOne(context, op);
    if (result.err !== ErrorCode.ok) {
      for (let step = undo.length - 1; step >= 0; step--) undo[step]?.();
      // Unreadable quota nodes throw out of ZooKeeper's whole multi, not one op.
      if (result.err === ErrorCode.marshallingError) return outcome(result.err, none, []);
      const failedAt = failedResults(ops.length, index, result.err);
      return outcome(ErrorCode.ok, { kind: 'multi', results: failedAt }, []);
    }
    results.push(opResultOf(op, result));
  }
  return outcome(ErrorCode.ok, { kind: 'multi', results }, context.triggers);
}
