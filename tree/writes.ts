// Validation and effect of each write, checked against the state that precedes the txn in the
// order ZooKeeper's PrepRequestProcessor checks it (so the same request gets the same error),
// then applied the way DataTree.processTxn applies it. Failures change nothing.

import { Perm, createModeOf } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/errors.js';
import type { Stat } from '../protocol/records.js';
import type {
  CheckRequest,
  CreateRequest,
  DeleteRequest,
  SetACLRequest,
  SetDataRequest,
} from '../protocol/requests.js';
import { checkPermission, fixupAcl } from './acl.js';
import { isValidPath, sequenceSuffix } from './paths.js';
import {
  checkQuota,
  quotaAfterCreate,
  quotaAfterDelete,
  quotaAfterSetData,
  type QuotaExceeded,
  type QuotaTable,
} from './quota.js';
import type { NodeStore, UndoLog } from './store.js';
import type { AuthContext } from '../protocol/txn.js';
import type { ChangeTrigger } from './types.js';
import {
  containerEphemeralOwner,
  type Znode,
  dataLengthOf,
  ephemeralKindOf,
  ttlEphemeralOwner,
  ttlMaxMs,
  ttlOf,
} from './znode.js';

/** Everything one write needs besides its request. */
export interface WriteContext {
  store: NodeStore;
  zxid: number;
  time: number;
  sessionId: bigint;
  auth: AuthContext;
  authSchemes: ReadonlySet<string>;
  dataBytesMax: number;
  /** Present inside multi: records inverses so a later failing op can roll this one back. */
  undo: UndoLog | undefined;
  triggers: ChangeTrigger[];
  /** The paths with a quota, whose stats every write keeps current (tree/quota.ts). */
  quotas: QuotaTable;
  /** The leader's enforceQuota, carried by the txn: create and setData check hard limits. */
  enforceQuota: boolean;
  /** The txn's localSession stamp: the writer may be a session the tree does not hold. */
  localSession: boolean;
  /** Limits the checks found passed, for the server to log as ZooKeeper does. */
  quotaExceeded: QuotaExceeded[];
}

export interface WriteResult {
  err: number;
  /** The created path (create), or the request path. */
  path: string;
  stat: Stat | undefined;
}

/** Paths DataTree.isSpecialPath protects from delete (BadArguments). */
const specialPaths: ReadonlySet<string> = new Set([
  '/',
  '/zookeeper',
  '/zookeeper/quota',
  '/zookeeper/config',
]);

function failure(err: number, path: string): WriteResult {
  return { err, path, stat: undefined };
}

/** ZooKeeperServer.checkQuota runs only with enforceQuota, soft limits included. */
function enforcedQuotaError(
  context: WriteContext,
  path: string,
  bytesChange: number,
  countChange: number,
): number {
  if (!context.enforceQuota) return ErrorCode.ok;
  return checkQuota(context, path, bytesChange, countChange, context.quotaExceeded);
}

/** SessionTracker.checkSession as an ensemble leader answers it: a session that is unknown or
 * already closing is expired. (A standalone ZooKeeper says unknownSession for non-ephemeral
 * writes; corral's single server is an ensemble of one.) A local session the leader passes
 * (LeaderSessionTracker.checkSession) writes, but may own no ephemeral: it is in no tree. */
function sessionError(context: WriteContext, ownsNode = false): number {
  if (context.store.sessions.has(context.sessionId)) return ErrorCode.ok;
  return context.localSession && !ownsNode ? ErrorCode.ok : ErrorCode.sessionExpired;
}

/** A version check: -1 matches any version. */
function versionMatches(expected: number, current: number): boolean {
  return expected === -1 || expected === current;
}

/** CreateMode.fromFlag, the extendedTypesEnabled gate and EphemeralType.validateTTL. */
function createModeError(request: CreateRequest, extendedTypesEnabled: boolean): number {
  const mode = createModeOf(request.flags);
  if (mode === undefined) return ErrorCode.badArguments;
  if (mode.ttl && !extendedTypesEnabled) return ErrorCode.unimplemented;
  // Only createTTL carries a ttl; every other create is read with ttl = -1.
  const ttl = request.opcode === 21 ? request.ttl : -1;
  if (mode.ttl) return ttl <= 0 || ttl > ttlMaxMs ? ErrorCode.badArguments : ErrorCode.ok;
  if (request.opcode === 21) return ErrorCode.badArguments;
  return ttl >= 0 ? ErrorCode.badArguments : ErrorCode.ok;
}

/** The ephemeralOwner a create gives its node. ZooKeeper picks container and TTL from the
 * txn type (createContainer / createTTL); a container flag alone also makes a container here,
 * as it does inside multi, where ZooKeeper derives the op type from the flags. */
function ownerFor(request: CreateRequest, sessionId: bigint): bigint {
  const mode = createModeOf(request.flags);
  if (request.opcode === 19 || mode?.container === true) return containerEphemeralOwner;
  if (mode?.ttl === true) return ttlEphemeralOwner(request.ttl);
  return mode?.ephemeral === true ? sessionId : 0n;
}

export function applyCreate(context: WriteContext, request: CreateRequest): WriteResult {
  const { store, auth } = context;
  const modeError = createModeError(request, store.extendedTypesEnabled);
  if (modeError !== ErrorCode.ok) return failure(modeError, request.path);
  const ownsNode = createModeOf(request.flags)?.ephemeral === true;
  const sessionErr = sessionError(context, ownsNode);
  if (sessionErr !== ErrorCode.ok) return failure(sessionErr, request.path);
  const lastSlash = request.path.lastIndexOf('/');
  if (lastSlash === -1 || request.path.includes('\0')) {
    return failure(ErrorCode.badArguments, request.path);
  }
  const acl = fixupAcl(request.acl, auth, context.authSchemes);
  if (acl === undefined) return failure(ErrorCode.invalidACL, request.path);
  const parentPath = lastSlash === 0 ? '/' : request.path.slice(0, lastSlash);
  const parent = store.node(parentPath);
  if (parent === undefined) return failure(ErrorCode.noNode, request.path);
  if (!checkPermission(parent.acl, Perm.create, auth, context.authSchemes)) {
    return failure(ErrorCode.noAuth, request.path);
  }
  // The sequence number is the parent's stored cversion: its earlier child creates.
  const sequential = createModeOf(request.flags)?.sequential === true;
  const path = sequential ? request.path + sequenceSuffix(parent.cversion) : request.path;
  if (!isValidPath(path)) return failure(ErrorCode.badArguments, path);
  if (store.has(path)) return failure(ErrorCode.nodeExists, path);
  if (ephemeralKindOf(parent.ephemeralOwner, store.extendedTypesEnabled) === 'normal') {
    return failure(ErrorCode.noChildrenForEphemerals, path);
  }
  const quotaErr = enforcedQuotaError(context, path, dataLengthOf(request.data), 1);
  if (quotaErr !== ErrorCode.ok) return failure(quotaErr, path);
  const owner = ownerFor(request, context.sessionId);
  const ownerIsSession = owner === context.sessionId && owner !== 0n;
  const node = store.create(parentPath, parent, path, { data: request.data,
    acl, ephemeralOwner: owner, ownerIsSession, zxid: context.zxid, time: context.time },
  context.undo);
  quotaAfterCreate(context, path, dataLengthOf(request.data));
  context.triggers.push(
    { path, type: 'created', acl },
    { path: parentPath, type: 'childrenChanged', acl: parent.acl },
  );
  return { err: ErrorCode.ok, path, stat: node.stat() };
}

/** PrepRequestProcessor.getParentPathAndValidate: delete checks only the last slash, null
 * characters and the special paths, not the full path syntax. */
function deletableParent(path: string): string | undefined {
  const lastSlash = path.lastIndexOf('/');
  if (lastSlash === -1 || path.includes('\0') || specialPaths.has(path)) return undefined;
  return lastSlash === 0 ? '/' : path.slice(0, lastSlash);
}

export function applyDelete(context: WriteContext, request: DeleteRequest): WriteResult {
  const { store, auth } = context;
  const path = request.path;
  const sessionErr = sessionError(context);
  if (sessionErr !== ErrorCode.ok) return failure(sessionErr, path);
  const parentPath = deletableParent(path);
  if (parentPath === undefined) return failure(ErrorCode.badArguments, path);
  const parent = store.node(parentPath);
  if (parent === undefined) return failure(ErrorCode.noNode, path);
  if (!checkPermission(parent.acl, Perm.delete, auth, context.authSchemes)) {
    return failure(ErrorCode.noAuth, path);
  }
  const node = store.node(path);
  if (node === undefined) return failure(ErrorCode.noNode, path);
  if (!versionMatches(request.version, node.version)) return failure(ErrorCode.badVersion, path);
  if (node.childCount > 0) return failure(ErrorCode.notEmpty, path);
  const { acl, dataLength } = node;
  store.delete(path, parent, node, context.zxid, context.undo);
  quotaAfterDelete(context, path, dataLength);
  context.triggers.push(
    { path, type: 'deleted', acl },
    { path: parentPath, type: 'childrenChanged', acl: parent.acl },
  );
  return { err: ErrorCode.ok, path, stat: undefined };
}

/** Leader housekeeping (ContainerManager → deleteContainer). Re-checked at apply time, since
 * the tree may have changed since the leader chose the node: it must still be an empty
 * container that has had children, or an empty TTL node whose TTL has elapsed. */
export function applyDeleteContainer(context: WriteContext, path: string): WriteResult {
  const { store } = context;
  const parentPath = deletableParent(path);
  if (parentPath === undefined) return failure(ErrorCode.badArguments, path);
  const node = store.node(path);
  if (node === undefined) return failure(ErrorCode.noNode, path);
  if (node.childCount > 0) return failure(ErrorCode.notEmpty, path);
  if (!isExpiredContainer(node, context.time, store.extendedTypesEnabled)) {
    return failure(ErrorCode.badVersion, path);
  }
  const parent = store.node(parentPath);
  if (parent === undefined) return failure(ErrorCode.noNode, path);
  const { acl, dataLength } = node;
  store.delete(path, parent, node, context.zxid, context.undo);
  quotaAfterDelete(context, path, dataLength);
  context.triggers.push(
    { path, type: 'deleted', acl },
    { path: parentPath, type: 'childrenChanged', acl: parent.acl },
  );
  return { err: ErrorCode.ok, path, stat: undefined };
}

/** ContainerManager.getCandidates' rule for a childless node. */
export function isExpiredContainer(node: Znode, now: number, extendedTypes: boolean): boolean {
  switch (ephemeralKindOf(node.ephemeralOwner, extendedTypes)) {
    case 'container':
      return node.cversion > 0;
    case 'ttl': {
      const ttl = ttlOf(node.ephemeralOwner);
      return ttl !== 0 && now - node.mtime > ttl;
    }
    case 'normal':
    case 'void':
      return false;
  }
}

export function applySetData(context: WriteContext, request: SetDataRequest): WriteResult {
  const { store, auth } = context;
  const path = request.path;
  const sessionErr = sessionError(context);
  if (sessionErr !== ErrorCode.ok) return failure(sessionErr, path);
  if (!isValidPath(path)) return failure(ErrorCode.badArguments, path);
  const node = store.node(path);
  if (node === undefined) return failure(ErrorCode.noNode, path);
  if (!checkPermission(node.acl, Perm.write, auth, context.authSchemes)) {
    return failure(ErrorCode.noAuth, path);
  }
  // ZooKeeper checks the quota before the version.
  const bytesChange = dataLengthOf(request.data) - node.dataLength;
  const quotaErr = enforcedQuotaError(context, path, bytesChange, 0);
  if (quotaErr !== ErrorCode.ok) return failure(quotaErr, path);
  if (!versionMatches(request.version, node.version)) return failure(ErrorCode.badVersion, path);
  store.setData(path, node, request.data, context.zxid, context.time, context.undo);
  quotaAfterSetData(context, path, bytesChange);
  context.triggers.push({ path, type: 'dataChanged', acl: node.acl });
  return { err: ErrorCode.ok, path, stat: node.stat() };
}

export function applySetAcl(context: WriteContext, request: SetACLRequest): WriteResult {
  const { store, auth } = context;
  const path = request.path;
  const sessionErr = sessionError(context);
  if (sessionErr !== ErrorCode.ok) return failure(sessionErr, path);
  if (!isValidPath(path)) return failure(ErrorCode.badArguments, path);
  const acl = fixupAcl(request.acl, auth, context.authSchemes);
  if (acl === undefined) return failure(ErrorCode.invalidACL, path);
  const node = store.node(path);
  if (node === undefined) return failure(ErrorCode.noNode, path);
  if (!checkPermission(node.acl, Perm.admin, auth, context.authSchemes)) {
    return failure(ErrorCode.noAuth, path);
  }
  if (!versionMatches(request.version, node.aversion)) return failure(ErrorCode.badVersion, path);
  store.setAcl(path, node, acl);
  return { err: ErrorCode.ok, path, stat: node.stat() };
}

export function applyCheck(context: WriteContext, request: CheckRequest): WriteResult {
  const { store, auth } = context;
  const path = request.path;
  const sessionErr = sessionError(context);
  if (sessionErr !== ErrorCode.ok) return failure(sessionErr, path);
  if (!isValidPath(path)) return failure(ErrorCode.badArguments, path);
  const node = store.node(path);
  if (node === undefined) return failure(ErrorCode.noNode, path);
  if (!checkPermission(node.acl, Perm.read, auth, context.authSchemes)) {
    return failure(ErrorCode.noAuth, path);
  }
  if (!versionMatches(request.version, node.version)) return failure(ErrorCode.badVersion, path);
  return { err: ErrorCode.ok, path, stat: undefined };
}
