// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// The data tree: a pure, deterministic state machine that applies ordered txns (validating each
// write against the state before it, as ZooKeeper's PrepRequestProcessor would) and answers
// reads. Every replica applies the same txns and ends with the same tree and session table.

import { juteMaxBufferDefault } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { CreateRequest, MultiOp, WriteRequest } from '../../../protocol/requests.js';
import type { OpResult, ResponseBody } from '../../../protocol/responses.js';
import type { Stat } from '../../../protocol/records.js';
import { checkPermission, defaultAuthSchemes, openAclUnsafe, readAclUnsafe } from
  '../../../tree/acl.js';
import { membershipText, type Membership } from '../../../protocol/membership.js';
import { digestOf } from './digest.js';
import { DigestHistory, type ZxidDigest } from '../../../tree/digest-history.js';
import { parentOf } from '../../../tree/paths.js';
import { dataLengthOf } from './znode.js';
import { QuotaTable, quotaAfterDelete } from './quota.js';
import * as reads from './reads.js';
import { NodeStore, type UndoLog } from './store.js';
import { StoreRestorer, captureStore, type TreeCapture } from './snapshot.js';
import { restoreNodes, restoreRefusal } from './restore.js';
import {
  applyRestoreBegin,
  applyRestoreChunk,
  applyRestoreEnd,
  stagedRestoreOf,
  type StagedRestore,
} from './restore-staging.js';
import type { AuthContext, RestoreTxnBody, Txn, TxnDigest } from '../../../protocol/txn.js';
import type {
  ApplyOutcome,
  ChangeTrigger,
  DataTreeOptions,
  ReadResult,
  SessionEntry,
} from '../../../tree/types.js';
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
import { assertNever } from '../../../protocol/assert.js';

export type { ApplyOutcome, ChangeTrigger, DataTreeOptions, ReadResult, SessionEntry };
export type { ZxidDigest };

const none: ResponseBody = { kind: 'none' };


/** What the leader stamps into a write txn beside the request (protocol/txn.ts). */
interface WriteStamps {
  enforceQuota: boolean;
  localSession: boolean;
}

const noStamps: WriteStamps = { enforceQuota: false, localSession: false };

export class DataTree {
  private readonly store: NodeStore;
  private readonly authSchemes: ReadonlySet<string>;
  private readonly dataBytesMax: number;
  /** The paths with a quota: derived from /zookeeper/quota, rebuilt on restore. */
  private readonly quotas = new QuotaTable();
  private appliedZxid = 0;
  /** The zxid of the last txn applied (or of the snapshot restored): what a capture names. */
  private lastTxnZxid = 0;
  private readonly digests: DigestHistory;

  constructor(options: DataTreeOptions = {}) {
    this.store = new NodeStore(options.extendedTypesEnabled ?? false,
      options.digestEnabled ?? true);
    this.digests = new DigestHistory(options.digestMismatch);
    this.authSchemes = options.authSchemes ?? defaultAuthSchemes;
    this.dataBytesMax = options.dataBytesMax ?? juteMaxBufferDefault;
    // ZooKeeper's DataTree constructor: /, /zookeeper and /zookeeper/quota open to all with
    // zero stats; /zookeeper/config read-only, set through setACL(…, -1) so its aversion is -1.
    const root = this.store.addBootstrapNode('/', undefined, openAclUnsafe);
    const system = this.store.addBootstrapNode('/zookeeper', root, openAclUnsafe);
    this.store.addBootstrapNode('/zookeeper/quota', system, openAclUnsafe);
    const config = this.store.addBootstrapNode('/zookeeper/config', system, readAclUnsafe);
    config.aversion = -1;
  }

  /** The highest zxid applied so far. */
  get lastZxid(): number {
    return this.appliedZxid;
  }

  /**
   * ZooKeeper's ZKDatabase.initConfigInZKDatabase: every replica of an ensemble writes the
   * ensemble's membership into /zookeeper/config when it loads its data (no txn): data version
   * -1 and mzxid the configuration's version, as QuorumPeer leaves them.
   */
  initConfigNode(data: Buffer, configVersion: number, time: number): void {
    const node = this.store.nodes.get('/zookeeper/config');
    if (node === undefined) return;
    this.store.setData('/zookeeper/config', node, data, configVersion, time, undefined);
    node.version = -1;
  }

  /**
   * A new epoch began with nothing applied in it yet: ZooKeeper's replicas report
   * makeZxid(epoch, 0) as their last zxid then (setlastProcessedZxid at NEWLEADER). No txn
   * carries that zxid, so snapshots keep the zxid of the last txn (see capture).
   */
  advanceTo(zxid: number): void {
    if (zxid > this.appliedZxid) this.appliedZxid = zxid;
  }

  /** Applies a txn, then keeps the digest it leaves and checks the one it carries (ZooKeeper's
   * DataTree.processTxn with compareDigest). */
  apply(txn: Txn): ApplyOutcome {
    const outcome = this.applyTxn(txn);
    if (this.store.digestEnabled) {
      this.digests.record(txn.zxid, this.store.digest);
      if (txn.digest !== undefined) this.digests.check(txn.zxid, txn.digest);
    } else {
      // As ZooKeeper's: the zxids are still logged for `hash`, with digest 0.
      this.digests.record(txn.zxid, 0n);
    }
    return outcome;
  }

  private applyTxn(txn: Txn): ApplyOutcome {
    if (txn.zxid > this.appliedZxid) this.appliedZxid = txn.zxid;
    if (txn.zxid > this.lastTxnZxid) this.lastTxnZxid = txn.zxid;
    const body = txn.body;
    switch (body.type) {
      case 'createSession':
        this.store.sessions.set(body.sessionId, {
          timeoutMs: body.timeoutMs,
          password: body.password,
        });
        return { zxid: txn.zxid, err: ErrorCode.ok, body: none, triggers: [] };
      case 'closeSession':
        return this.closeSession(txn, body.sessionId);
      case 'write':
        return this.applyWrite(txn, body.request, body.auth, {
          enforceQuota: body.enforceQuota === true,
          localSession: body.localSession === true,
        });
      case 'deleteContainer': {
        const context = this.context(txn, { ids: [], superUser: true }, undefined);
        const result = writes.applyDeleteContainer(context, body.path);
        return { zxid: txn.zxid, err: result.err, body: none, triggers: context.triggers };
      }
      case 'reconfig':
        return this.applyReconfig(txn, body.membership);
      case 'restore':
        return this.applyRestore(txn, body);
      case 'restoreBegin':
        return this.restoreStep(txn, applyRestoreBegin(this.store, txn, body));
      case 'restoreChunk':
        return this.restoreStep(txn, applyRestoreChunk(this.store, txn, body));
      case 'restoreEnd': {
        const err = applyRestoreEnd(this.store, txn, body);
        if (err === ErrorCode.ok && body.abandon !== true) this.quotas.rebuild(this.store);
        return this.restoreStep(txn, err);
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
  private applyReconfig(txn: Txn, membership: Membership): ApplyOutcome {
    const path = '/zookeeper/config';
    const node = this.store.nodes.get(path);
    if (node === undefined) {
      return { zxid: txn.zxid, err: ErrorCode.noNode, body: none, triggers: [] };
    }
    const data = Buffer.from(membershipText({ ...membership, version: txn.zxid }));
    this.store.setData(path, node, data, txn.zxid, txn.time, undefined);
    node.version = -1;
    const stat = this.statOf(path)!;
    return {
      zxid: txn.zxid,
      err: ErrorCode.ok,
      body: { kind: 'data', data, stat },
      triggers: [{ path, type: 'dataChanged', acl: node.acl }],
    };
  }

  /** A backup's znodes in place of a new tree (tree/restore.ts); refused, changing nothing,
   * when the tree holds znodes of its own. No watch fires: a new tree has none on its data. */
  private applyRestore(txn: Txn, body: RestoreTxnBody): ApplyOutcome {
    const refusal = restoreRefusal(this.store, body);
    if (refusal !== undefined) return { zxid: txn.zxid, err: refusal, body: none, triggers: [] };
    restoreNodes(this.store, body);
    this.quotas.rebuild(this.store);
    return { zxid: txn.zxid, err: ErrorCode.ok, body: none, triggers: [] };
  }

  /** A step of a restore of many txns (tree/restore-staging.ts): no watch fires, as for a
   * restore in one txn; its staging znodes are system znodes no client may change. */
  private restoreStep(txn: Txn, err: number): ApplyOutcome {
    return { zxid: txn.zxid, err, body: none, triggers: [] };
  }

  /** /zookeeper/config's data: the membership text (undefined when the node is missing). */
  getConfigData(): Buffer | null | undefined {
    return this.store.nodes.get('/zookeeper/config')?.data;
  }

  /** Does `auth` hold any bit of `perm` on `path` (false when the node does not exist)? */
  permits(path: string, perm: number, auth: AuthContext): boolean {
    const node = this.store.nodes.get(path);
    return node !== undefined && checkPermission(node.acl, perm, auth, this.authSchemes);
  }

  private context(
    txn: Txn,
    auth: AuthContext,
    undo: UndoLog | undefined,
    stamps: WriteStamps = noStamps,
  ): WriteContext {
    return {
      store: this.store,
      zxid: txn.zxid,
      time: txn.time,
      sessionId: txn.sessionId,
      auth,
      authSchemes: this.authSchemes,
      dataBytesMax: this.dataBytesMax,
      undo,
      triggers: [],
      quotas: this.quotas,
      enforceQuota: stamps.enforceQuota,
      localSession: stamps.localSession,
      quotaExceeded: [],
    };
  }

  /** Removes the session's ephemerals (in path order, so every replica fires the same
   * triggers) and the session itself (DataTree.killSession). */
  private closeSession(txn: Txn, sessionId: bigint): ApplyOutcome {
    const context = this.context(txn, { ids: [], superUser: true }, undefined);
    const paths = [...(this.store.ephemerals.get(sessionId) ?? [])].sort();
    for (const path of paths) {
      const node = this.store.nodes.get(path);
      const parent = this.store.nodes.get(parentOf(path));
      if (node === undefined || parent === undefined) continue;
      this.store.delete(path, parent, node, txn.zxid, undefined);
      quotaAfterDelete(context, path, dataLengthOf(node.data));
      context.triggers.push(
        { path, type: 'deleted', acl: node.acl },
        { path: parentOf(path), type: 'childrenChanged', acl: parent.acl },
      );
    }
    this.store.sessions.delete(sessionId);
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
  private isOversized(op: WriteRequest | MultiOp): boolean {
    if (op.kind !== 'create' && op.kind !== 'setData') return false;
    return op.data !== null && op.data.length > this.dataBytesMax;
  }

  private applyWrite(
    txn: Txn,
    request: WriteRequest,
    auth: AuthContext,
    stamps: WriteStamps,
  ): ApplyOutcome {
    const zxid = txn.zxid;
    if (isMulti(request)) {
      if (request.kind === 'multi') return this.applyMulti(txn, request.ops, auth, stamps);
      return { zxid, err: ErrorCode.marshallingError, body: none, triggers: [] };
    }
    if (this.isOversized(request)) {
      return { zxid, err: ErrorCode.marshallingError, body: none, triggers: [] };
    }
    const context = this.context(txn, auth, undefined, stamps);
    const result = this.applyOne(context, request);
    const quotaExceeded = context.quotaExceeded;
    if (result.err !== ErrorCode.ok) {
      return { zxid, err: result.err, body: none, triggers: [], quotaExceeded };
    }
    const body = bodyOf(request, result);
    return { zxid, err: ErrorCode.ok, body, triggers: context.triggers, quotaExceeded };
  }

  private applyOne(context: WriteContext, op: SingleWrite): WriteResult {
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
  private applyMulti(
    txn: Txn,
    ops: readonly MultiOp[],
    auth: AuthContext,
    stamps: WriteStamps,
  ): ApplyOutcome {
    const undo: UndoLog = [];
    const context = this.context(txn, auth, undo, stamps);
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
    if (ops.some((op) => isReadOp(op) || this.isOversized(op) || unpreparable(op))) {
      return outcome(ErrorCode.marshallingError, none, []);
    }
    const results: OpResult[] = [];
    for (let index = 0; index < ops.length; index++) {
      const sent = ops[index] as SingleWrite;
      const op = sent.kind === 'create' ? (multiCreate(sent) as CreateRequest) : sent;
      const result = this.applyOne(context, op);
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

  // Reads. The server registers watches separately (WatchManager, shouldRegisterWatch).

  /** exists checks no ACL in ZooKeeper; `auth` is accepted for a uniform read signature. */
  exists(path: string, _auth?: AuthContext): ReadResult {
    return reads.readExists(this.store, path);
  }

  getData(path: string, auth: AuthContext): ReadResult {
    return reads.readData(this.store, path, auth, this.authSchemes);
  }

  getChildren(path: string, auth: AuthContext): ReadResult {
    return reads.readChildren(this.store, path, auth, this.authSchemes, false);
  }

  getChildren2(path: string, auth: AuthContext): ReadResult {
    return reads.readChildren(this.store, path, auth, this.authSchemes, true);
  }

  getACL(path: string, auth: AuthContext): ReadResult {
    return reads.readAcl(this.store, path, auth, this.authSchemes);
  }

  getAllChildrenNumber(path: string, auth: AuthContext): ReadResult {
    return reads.readAllChildrenNumber(this.store, path, auth, this.authSchemes);
  }

  getEphemerals(sessionId: bigint, prefixPath: string): ReadResult {
    return reads.readEphemerals(this.store, sessionId, prefixPath);
  }

  multiRead(ops: readonly MultiOp[], auth: AuthContext): ReadResult {
    return reads.readMulti(this.store, ops, auth, this.authSchemes);
  }

  /** The zxids setWatches compares against, or undefined when the node does not exist. */
  peek(path: string): { mzxid: number; pzxid: number } | undefined {
    return this.store.nodes.get(path);
  }

  /** The node's stat without any permission check (four-letter words, tests, sync helpers). */
  statOf(path: string): Stat | undefined {
    return this.store.nodes.get(path)?.stat();
  }

  hasNode(path: string): boolean {
    return this.store.nodes.has(path);
  }

  // State the server reports or acts on.

  /** Znodes including the root. ZooKeeper's own count is one higher: it indexes the root
   * twice ("" and "/"). */
  get nodeCount(): number {
    return this.store.nodes.size;
  }

  /** Sum over znodes of path length plus data length (DataTree.approximateDataSize). */
  get approximateDataSize(): number {
    return this.store.dataSize;
  }

  get sessions(): ReadonlyMap<bigint, SessionEntry> {
    return this.store.sessions;
  }

  /** The restore staged in the tree, if any (tree/restore-staging.ts). */
  stagedRestore(): StagedRestore | undefined {
    return stagedRestoreOf(this.store);
  }

  hasSession(sessionId: bigint): boolean {
    return this.store.sessions.has(sessionId);
  }

  /** The password a session was created with, for reconnects; undefined if unknown. */
  sessionPassword(sessionId: bigint): Buffer | undefined {
    return this.store.sessions.get(sessionId)?.password;
  }

  /** Every open session and its negotiated timeout, e.g. to re-arm expiry after recovery. */
  sessionTimeouts(): Array<[bigint, number]> {
    return [...this.store.sessions].map(([sessionId, entry]) => [sessionId, entry.timeoutMs]);
  }

  /** The session's ephemeral paths, in creation order. */
  ephemeralsOf(sessionId: bigint): string[] {
    return [...(this.store.ephemerals.get(sessionId) ?? [])];
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.store.ephemerals.values()) count += paths.size;
    return count;
  }

  /** Sessions that own ephemerals, with their paths (the dump four-letter word). */
  ephemeralsBySession(): Map<bigint, string[]> {
    const result = new Map<bigint, string[]>();
    for (const [sessionId, paths] of this.store.ephemerals) result.set(sessionId, [...paths]);
    return result;
  }

  /** Paths the leader should remove with deleteContainer txns at `now`, sorted: empty
   * containers that have had children, and empty TTL nodes unmodified for longer than their
   * TTL (ContainerManager.getCandidates). */
  containerCandidates(now: number): string[] {
    const candidates: string[] = [];
    const extended = this.store.extendedTypesEnabled;
    for (const paths of [this.store.containers, this.store.ttls]) {
      for (const path of paths) {
        const node = this.store.nodes.get(path);
        if (node === undefined || node.children.size > 0) continue;
        if (writes.isExpiredContainer(node, now, extended)) candidates.push(path);
      }
    }
    return candidates.sort();
  }

  /**
   * A consistent copy of the state, for a snapshot (tree/snapshot.ts), named by the last txn
   * applied, not by an epoch's start (advanceTo): a snapshot named makeZxid(e, 0) would be
   * deleted by a TRUNC to the end of epoch e - 1, whose state it holds, and the log it let
   * compaction purge would then be lost (found by the simulator: seed 503520).
   */
  capture(): TreeCapture {
    return captureStore(this.store, this.lastTxnZxid);
  }

  /** Replaces the whole state with a snapshot's: `fill` feeds the records, parents first. */
  restore(zxid: number, fill: (restorer: StoreRestorer) => void): void {
    fill(new StoreRestorer(this.store));
    // ZooKeeper also recounts every quota's stats here (setupQuota); corral's snapshots are
    // exact, not fuzzy, so the stats they hold are already those a live replica has.
    this.quotas.rebuild(this.store);
    this.appliedZxid = zxid;
    this.lastTxnZxid = zxid;
    if (this.store.digestEnabled) this.digests.record(zxid, this.store.digest);
  }

  /** ZooKeeper's tree digest now (DataTree.getTreeDigest); 0 with digests off. */
  get treeDigest(): bigint {
    return this.store.digest;
  }

  /** The digest to stamp into a txn being ordered: the newest this tree has, with its zxid;
   * undefined with digests off. */
  digestToStamp(): TxnDigest | undefined {
    return this.store.digestEnabled ? this.digests.latest() : undefined;
  }

  /** The digests kept for `hash` (every 128th zxid), oldest first. */
  digestLog(): readonly ZxidDigest[] {
    return this.digests.log();
  }

  /** Txns whose stamped digest differed from this tree's (ZooKeeper's digest_mismatches_count,
   * for this tree; a replica counts across the trees TRUNC and SNAP replace). */
  get digestMismatches(): number {
    return this.digests.mismatches;
  }

  /** A deterministic hash of every znode and the session table, for comparing replicas. */
  digest(): string {
    return digestOf(this.store);
  }
}
