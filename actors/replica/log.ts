// A replica's log as its runtime drives it: proposals handed to LMDB in group-committed batches
// (the machine hears `storage.appended` only once a batch is durable), epochs, TRUNC and SNAP,
// all through one chain so storage sees them in the order the machine asked; and the txns logged
// but not yet applied, which COMMIT (or INFORM) applies in zxid order.

import type { Logger } from 'pino';
import type { ReplicaEvent } from '../../machines/replica.js';
import type { TreeSnapshot, Zxid } from '../../protocol/peer.js';
import { restoreTree, snapshotPayload, snapshotZxid } from '../../storage/peer-snapshot.js';
import type { ReplicaStorage } from '../../storage/replica-storage.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { Txn } from '../../protocol/txn.js';
import { hex } from '../../protocol/zxid.js';

export interface ReplicaLogHost {
  /** Tells the replica machine what storage finished. */
  notify(event: ReplicaEvent): void;
  /** A new, empty tree with the server's settings. */
  emptyTree(): DataTree;
  /** The tree a SNAP's payload was restored into as it was received, if it was
   * (snap-assembler.ts); handed over once. */
  restoredTree(snapshot: TreeSnapshot): { zxid: Zxid; tree: DataTree } | undefined;
  /** Swaps the server's tree (TRUNC rebuilt it, or SNAP replaced it). */
  replaceTree(tree: DataTree): void;
  /** The server's current tree. */
  currentTree(): DataTree;
  /** Sums a restored tree's node digests a slice per turn of the world, until whole. */
  completeDigestLater(tree: DataTree): void;
  /** Storage failed: the replica cannot go on without lying about durability. */
  fail(error: unknown): void;
}

/** Most txns in one durable LMDB transaction. */
const appendBatchTxnsMax = 1000;

export class ReplicaLog {
  /** Logged (or informed) and not yet applied, in zxid order (Map keeps insertion order). */
  private readonly unapplied = new Map<Zxid, Txn>();
  /** Handed to storage and not yet durable, in zxid order: the sync stream reads them too. */
  private notDurable: Txn[] = [];
  /**
   * The txns of the append step queued last, while it has not started: later appends join it
   * (group commit) as long as no other storage step was asked for after it.
   */
  private openBatch: Txn[] | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The last zxid handed to the log (durable or not): a COMMIT past it names an unknown txn. */
  private lastLoggedZxid: Zxid;

  constructor(
    readonly storage: ReplicaStorage,
    private readonly host: ReplicaLogHost,
    private readonly logger: Logger,
  ) {
    this.lastLoggedZxid = storage.lastZxid();
  }

  get loggedZxid(): Zxid {
    return this.lastLoggedZxid;
  }

  /**
   * Runs storage steps one after another, in the order the machine asked for them. A step other
   * than an append closes the open batch: appends asked for after it are written after it (a
   * proposal logged after a TRUNC must not be written before the truncation deletes the tail).
   */
  private enqueue(step: () => Promise<void>): void {
    this.openBatch = undefined;
    this.chain = this.chain.then(step).catch((error: unknown) => this.host.fail(error));
  }

  persistEpoch(kind: 'accepted' | 'current', epoch: number): void {
    this.enqueue(async () => {
      if (kind === 'accepted') await this.storage.epochs.setAcceptedEpoch(epoch);
      else await this.storage.epochs.setCurrentEpoch(epoch);
      this.host.notify({ type: 'storage.epochPersisted', kind, epoch });
    });
  }

  /** Zab: txns go to the log; their ACK waits for `storage.appended` (durability is an event). */
  append(txns: readonly Txn[]): void {
    const last = txns[txns.length - 1];
    if (last !== undefined) this.lastLoggedZxid = last.zxid;
    const batch = this.openBatch ?? this.queueAppend();
    for (const txn of txns) {
      this.unapplied.set(txn.zxid, txn);
      this.notDurable.push(txn);
      batch.push(txn);
    }
  }

  /**
   * Group commit: one queued step takes every txn appended by the time it starts, so proposals
   * that arrive while the previous commit is being fsynced share the next one (written in
   * transactions of appendBatchTxnsMax at most).
   */
  private queueAppend(): Txn[] {
    const batch: Txn[] = [];
    this.enqueue(async () => {
      if (this.openBatch === batch) this.openBatch = undefined;
      for (let start = 0; start < batch.length; start += appendBatchTxnsMax) {
        const part = batch.slice(start, start + appendBatchTxnsMax);
        await this.storage.append(part);
        const last = part[part.length - 1]!.zxid;
        const durable = this.notDurable.findIndex((txn) => txn.zxid > last);
        this.notDurable = durable === -1 ? [] : this.notDurable.slice(durable);
        this.host.notify({ type: 'storage.appended', zxid: last });
      }
    });
    this.openBatch = batch;
    return batch;
  }

  /** Applies, in order, every unapplied txn through `zxid`; returns them for the pipeline. */
  takeCommitted(zxid: Zxid): Txn[] {
    const ready: Txn[] = [];
    for (const [txnZxid, txn] of this.unapplied) {
      if (txnZxid > zxid) break;
      ready.push(txn);
      this.unapplied.delete(txnZxid);
    }
    return ready;
  }

  /** TRUNC: forget what follows `zxid`, durably, and rebuild the tree without it. */
  truncate(zxid: Zxid): void {
    this.lastLoggedZxid = Math.min(this.lastLoggedZxid, zxid);
    for (const txnZxid of [...this.unapplied.keys()]) {
      if (txnZxid > zxid) this.unapplied.delete(txnZxid);
    }
    // What an unstarted append would write past the point is deleted before it is written.
    const open = this.openBatch;
    if (open !== undefined) open.splice(0, open.length, ...open.filter((txn) => txn.zxid <= zxid));
    // Now, not when the step runs: appends asked for after the TRUNC are not to be forgotten.
    this.notDurable = this.notDurable.filter((txn) => txn.zxid <= zxid);
    this.enqueue(async () => {
      const removed = await this.storage.truncateAfter(zxid);
      if (this.host.currentTree().lastZxid > zxid) {
        const tree = this.host.emptyTree();
        const replayed = await this.storage.rebuildInto(tree);
        this.host.replaceTree(tree);
        this.logger.info({ zxid: hex(zxid), removed, replayed }, 'truncated log (TRUNC)');
      }
      this.host.notify({ type: 'storage.truncated', zxid });
    });
  }

  /** SNAP: the leader's tree replaces ours; durable (snapshot file, empty log) before we say so. */
  loadSnapshot(zxid: Zxid, snapshot: TreeSnapshot): void {
    this.lastLoggedZxid = zxid;
    this.unapplied.clear();
    this.openBatch?.splice(0);
    // Everything logged so far is superseded; what is appended after the SNAP is kept.
    this.notDurable = [];
    const restored = this.host.restoredTree(snapshot);
    this.enqueue(async () => {
      // The payload is stored as the snapshot file it already is, piece after piece as it came.
      // The tree was restored from it as it came (every frame checked), or else is restored
      // from it now, while the file is written; nothing is replaced unless both succeed.
      const asReceived = restored !== undefined;
      const tree = restored?.tree ?? this.host.emptyTree();
      await this.storage.replaceWithSnapshot(snapshotZxid(snapshot), snapshotPayload(snapshot),
        asReceived ? () => undefined : () => restoreTree(tree, snapshot));
      this.host.replaceTree(tree);
      if (asReceived) this.host.completeDigestLater(tree);
      this.logger.info({ zxid: hex(zxid), nodes: tree.nodeCount, restoredAsReceived: asReceived },
        'loaded snapshot (SNAP)');
      this.host.notify({ type: 'storage.snapshotLoaded', zxid });
    });
  }

  /**
   * The leader's sync stream source: every logged txn after `afterZxid` through `throughZxid`,
   * durable ones from LMDB, then those still on their way to it.
   */
  *txnsBetween(afterZxid: Zxid, throughZxid: Zxid): Iterable<Txn> {
    let last = afterZxid;
    for (const txn of this.storage.readFrom(afterZxid)) {
      if (txn.zxid > throughZxid) return;
      last = txn.zxid;
      yield txn;
    }
    for (const txn of this.notDurable) {
      if (txn.zxid <= last) continue;
      if (txn.zxid > throughZxid) return;
      last = txn.zxid;
      yield txn;
    }
  }

  /**
   * The history the log holds now, durable or on its way there: every txn after `fromZxid`
   * (what a snapshot or a purge covers is not listed). For invariant checks and tools.
   */
  history(): { fromZxid: Zxid; txns: Txn[] } {
    const first = this.storage.firstZxid();
    const fromZxid = first > 0 ? first - 1 : (this.storage.newestSnapshot()?.zxid ?? 0);
    return { fromZxid, txns: [...this.txnsBetween(fromZxid, Number.MAX_SAFE_INTEGER)] };
  }

  /** Resolves once every storage step asked for so far is done (shutdown, tests). */
  async settled(): Promise<void> {
    await this.chain;
  }
}

