// The data tree: a pure, deterministic state machine that applies ordered txns (validating each
// write against the state before it, as ZooKeeper's PrepRequestProcessor would) and answers
// reads. Every replica applies the same txns and ends with the same tree and session table.

import { juteMaxBufferDefault } from '../protocol/constants.js';
import type { MultiOp } from '../protocol/requests.js';
import type { Stat } from '../protocol/records.js';
import { checkPermission, defaultAuthSchemes, openAclUnsafe, readAclUnsafe } from './acl.js';
import { applyTxnBody, type TxnTarget } from './apply-txn.js';
import { digestOf } from './digest.js';
import { DigestHistory, type ZxidDigest } from './digest-history.js';
import { QuotaTable } from './quota.js';
import * as reads from './reads.js';
import { NodeStore } from './store.js';
import { StoreRestorer, captureStore, type TreeCapture } from './snapshot.js';
import { stagedRestoreOf, type StagedRestore } from './restore-staging.js';
import type { AuthContext, Txn, TxnDigest } from '../protocol/txn.js';
import type {
  ApplyOutcome,
  ChangeTrigger,
  DataTreeOptions,
  ReadResult,
  SessionEntry,
} from './types.js';
import * as writes from './writes.js';

export type { ApplyOutcome, ChangeTrigger, DataTreeOptions, ReadResult, SessionEntry };
export type { ZxidDigest };

export class DataTree {
  private readonly store: NodeStore;
  private readonly authSchemes: ReadonlySet<string>;
  /** The paths with a quota: derived from /zookeeper/quota, rebuilt on restore. */
  private readonly quotas = new QuotaTable();
  /** What a txn changes, and the limits it is checked against (tree/apply-txn.ts). */
  private readonly txnTarget: TxnTarget;
  private appliedZxid = 0;
  /** The zxid of the last txn applied (or of the snapshot restored): what a capture names. */
  private lastTxnZxid = 0;
  private readonly digests: DigestHistory;

  constructor(options: DataTreeOptions = {}) {
    this.store = new NodeStore(options.extendedTypesEnabled ?? false,
      options.digestEnabled ?? true);
    this.digests = new DigestHistory(options.digestMismatch);
    this.authSchemes = options.authSchemes ?? defaultAuthSchemes;
    this.txnTarget = {
      store: this.store,
      quotas: this.quotas,
      authSchemes: this.authSchemes,
      dataBytesMax: options.dataBytesMax ?? juteMaxBufferDefault,
    };
    this.addBootstrapNodes();
  }

  private addBootstrapNodes(): void {
    // ZooKeeper's DataTree constructor: /, /zookeeper and /zookeeper/quota open to all with
    // zero stats; /zookeeper/config read-only, set through setACL(…, -1) so its aversion is -1.
    const root = this.store.addBootstrapNode('/', undefined, openAclUnsafe);
    const system = this.store.addBootstrapNode('/zookeeper', root, openAclUnsafe);
    this.store.addBootstrapNode('/zookeeper/quota', system, openAclUnsafe);
    const config = this.store.addBootstrapNode('/zookeeper/config', system, readAclUnsafe);
    this.store.forceVersions(config, { aversion: -1 });
  }

  /**
   * A tree whose restore failed part way (a snapshot found damaged as it was read) back to the
   * nodes of a new one. Only such a tree: nothing else was applied to it, and a failed restore
   * changes only the store (its zxids, quotas and digest history are set once it succeeds).
   */
  resetToNew(): void {
    if (this.appliedZxid !== 0) throw new Error('resetToNew: the tree holds applied txns');
    this.store.clear();
    this.addBootstrapNodes();
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
    const node = this.store.node('/zookeeper/config');
    if (node === undefined) return;
    this.store.setData('/zookeeper/config', node, data, configVersion, time, undefined);
    this.store.forceVersions(node, { version: -1 });
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
    if (this.store.digestPending) {
      // A deferred restore's digest is not whole yet (restore, completeDigest): nothing to keep
      // or compare until it is.
    } else if (this.store.digestEnabled) {
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
    return applyTxnBody(this.txnTarget, txn);
  }

  /** /zookeeper/config's data: the membership text (undefined when the node is missing). */
  getConfigData(): Buffer | null | undefined {
    return this.store.node('/zookeeper/config')?.dataCopy();
  }

  /** Does `auth` hold any bit of `perm` on `path` (false when the node does not exist)? */
  permits(path: string, perm: number, auth: AuthContext): boolean {
    const node = this.store.node(path);
    return node !== undefined && checkPermission(node.acl, perm, auth, this.authSchemes);
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
    const node = this.store.node(path);
    return node === undefined ? undefined : { mzxid: node.mzxid, pzxid: node.pzxid };
  }

  /** The node's stat without any permission check (four-letter words, tests, sync helpers). */
  statOf(path: string): Stat | undefined {
    return this.store.node(path)?.stat();
  }

  hasNode(path: string): boolean {
    return this.store.has(path);
  }

  // State the server reports or acts on.

  /** Znodes including the root. ZooKeeper's own count is one higher: it indexes the root
   * twice ("" and "/"). */
  get nodeCount(): number {
    return this.store.nodeCount;
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
        const node = this.store.node(path);
        if (node === undefined || node.childCount > 0) continue;
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

  /**
   * Replaces the whole state with a snapshot's: `fill` feeds the records, parents first.
   * `deferDigest` (a server's startup): the nodes' digests are summed later, by completeDigest
   * in the background once the server serves, or at once when the digest is first read; until
   * then applied txns keep no digest and compare none (digestToStamp has none to give).
   */
  restore(zxid: number, fill: (restorer: StoreRestorer) => void, deferDigest = false): void {
    const restorer = this.beginRestore(deferDigest);
    fill(restorer);
    this.finishRestore(restorer, zxid);
  }

  /**
   * restore() in steps, for records that arrive over many event-loop turns (a SNAP restored
   * piece by piece as it is received): the restorer is fed the records, parents first, and
   * finishRestore ends it as restore() does. Nothing else may use the tree in between.
   */
  beginRestore(deferDigest = false): StoreRestorer {
    const restorer = new StoreRestorer(this.store);
    if (deferDigest) this.store.beginDeferredDigests();
    return restorer;
  }

  /** Ends a restore begun by beginRestore; the tree is then current to `zxid`. */
  finishRestore(restorer: StoreRestorer, zxid: number): void {
    restorer.finish();
    this.store.endDeferredDigests();
    // ZooKeeper also recounts every quota's stats here (setupQuota); corral's snapshots are
    // exact, not fuzzy, so the stats they hold are already those a live replica has.
    this.quotas.rebuild(this.store);
    this.appliedZxid = zxid;
    this.lastTxnZxid = zxid;
    if (this.store.digestEnabled && !this.store.digestPending) {
      this.digests.record(zxid, this.store.digest);
    }
  }

  /**
   * Sums up to `nodes` of a deferred restore's node digests; true once the tree's digest is
   * whole again, which is then kept for the last txn applied, as after a restore.
   */
  completeDigest(nodes: number): boolean {
    if (!this.store.digestPending) return true;
    if (!this.store.completeDigests(nodes)) return false;
    this.digests.record(this.lastTxnZxid, this.store.digest);
    return true;
  }

  /** ZooKeeper's tree digest now (DataTree.getTreeDigest); 0 with digests off. */
  get treeDigest(): bigint {
    this.completeDigest(Number.POSITIVE_INFINITY);
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
