// A replica's durable state under its data dir: the LMDB txn log and epochs, periodic snapshots
// of the applied tree, recovery (newest whole snapshot + the log after it) and compaction. It is
// the TxnLog the proposer appends through, so snapshots follow the write load with no other hook.

import { mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataTree } from '../tree/data-tree.js';
import type { Txn } from '../protocol/txn.js';
import { LmdbEpochStore, type EpochStore } from './epochs.js';
import { LmdbTxnLog } from './lmdb-log.js';
import type { TxnLog } from './log.js';
import {
  checkLog,
  restoreNewestSnapshot,
  type RestoredSnapshot,
  type StorageLogger,
} from './recovery.js';
import {
  listSnapshots,
  SnapshotAbortedError,
  snapshotName,
  syncDirectory,
  writeSnapshot,
  writeSnapshotBytes,
} from './snapshot-file.js';
import { epochOfZxid } from '../protocol/zxid.js';

export interface StorageSettings {
  /** Txns between snapshots (ZooKeeper's snapCount, zoo.cfg `snapCount`). */
  snapCount: number;
  /** Snapshots kept (zoo.cfg autopurge.snapRetainCount); the log is kept back to the oldest. */
  snapRetainCount: number;
  /** Txns always kept in the log, so a lagging follower can DIFF-sync (`txnsRetainedMin`). */
  txnsRetainedMin: number;
}

export const storageSettingsDefaults: StorageSettings = {
  snapCount: 100_000,
  snapRetainCount: 3,
  txnsRetainedMin: 500,
};

export interface SnapshotTaken {
  zxid: number;
  file: string;
  bytes: number;
  /** How long beginning the capture held the event loop (TreeCapture: copy-on-write, so only
   * the path index's references are copied). */
  captureMs: number;
  totalMs: number;
  purgedTxns: number;
}

export class ReplicaStorage implements TxnLog {
  readonly snapshotDir: string;
  readonly epochs: EpochStore;
  private tree: DataTree | undefined;
  private txnsSinceSnapshot = 0;
  private snapshotting: Promise<SnapshotTaken | undefined> | undefined;
  private closing = false;
  private latestSnapshotZxid = 0;
  /** Readers that need the log after a zxid kept (holdLogAfter). */
  private readonly readHolds = new Set<{ afterZxid: number }>();

  private constructor(
    readonly dataDir: string,
    readonly log: LmdbTxnLog,
    readonly settings: StorageSettings,
    private readonly logger: StorageLogger,
    /** Told after each snapshot (tests, metrics). */
    private readonly snapshotTaken: (taken: SnapshotTaken) => void,
  ) {
    this.snapshotDir = join(dataDir, 'snapshots');
    mkdirSync(this.snapshotDir, { recursive: true });
    this.epochs = new LmdbEpochStore(log.root, log.location);
  }

  /** Opens the data dir and checks the log (see checkLog); the tree is restored separately. */
  static async open(
    dataDir: string,
    settings: Partial<StorageSettings>,
    logger: StorageLogger,
    snapshotTaken: (taken: SnapshotTaken) => void = () => undefined,
  ): Promise<ReplicaStorage> {
    const log = new LmdbTxnLog(dataDir);
    const resolved = { ...storageSettingsDefaults, ...settings };
    // The newest txn is never purged: the next zxid is derived from it.
    resolved.txnsRetainedMin = Math.max(1, resolved.txnsRetainedMin);
    resolved.snapCount = Math.max(1, resolved.snapCount);
    try {
      await checkLog(log, logger);
    } catch (error) {
      await log.close();
      throw error;
    }
    const storage = new ReplicaStorage(dataDir, log, resolved, logger, snapshotTaken);
    storage.latestSnapshotZxid = (await listSnapshots(storage.snapshotDir))[0]?.zxid ?? 0;
    return storage;
  }

  /**
   * Loads the newest usable snapshot into a fresh tree and snapshots that tree from now on. The
   * caller then replays readFrom(tree.lastZxid) (ServerCore.recover) for the tail.
   */
  async restoreInto(tree: DataTree): Promise<RestoredSnapshot | undefined> {
    const snapshots = await listSnapshots(this.snapshotDir);
    const restored = restoreNewestSnapshot(tree, snapshots, this.log, this.logger);
    // Count from the snapshot, not from this start: a server restarted more often than every
    // snapCount txns must still snapshot (and compact).
    this.txnsSinceSnapshot = this.log.countAfter(restored?.zxid ?? 0);
    this.attach(tree);
    return restored;
  }

  /** The tree snapshots are taken from (the applied state, updated after each append). */
  attach(tree: DataTree): void {
    this.tree = tree;
  }

  /**
   * No snapshots until attach() again: a replica that is not serving may hold a replayed tail
   * nobody committed (TRUNC will take it back), which a snapshot must never capture.
   */
  detach(): void {
    this.tree = undefined;
  }

  /**
   * TRUNC (Zab synchronization): durably drops every logged txn after `zxid`, and the snapshots
   * that cover any of them. The caller rebuilds its tree with rebuildInto.
   */
  async truncateAfter(zxid: number): Promise<number> {
    await this.settled();
    const removed = await this.log.truncateFrom(zxid + 1);
    const snapshots = await listSnapshots(this.snapshotDir);
    const newer = snapshots.filter((snapshot) => snapshot.zxid > zxid);
    for (const snapshot of newer) await rm(snapshot.file, { force: true });
    if (newer.length > 0) await syncDirectory(this.snapshotDir);
    this.latestSnapshotZxid = snapshots.find((snapshot) => snapshot.zxid <= zxid)?.zxid ?? 0;
    this.txnsSinceSnapshot = this.log.countAfter(this.latestSnapshotZxid);
    return removed;
  }

  /** Rebuilds a fresh tree from the newest snapshot and the whole log after it (as at startup). */
  async rebuildInto(tree: DataTree): Promise<number> {
    const snapshots = await listSnapshots(this.snapshotDir);
    restoreNewestSnapshot(tree, snapshots, this.log, this.logger);
    let replayed = 0;
    for (const txn of this.log.readFrom(tree.lastZxid)) {
      tree.apply(txn);
      replayed++;
    }
    return replayed;
  }

  /**
   * SNAP (Zab synchronization): the leader's tree replaces this replica's state. It is written as
   * a durable snapshot first, then every other snapshot and the whole log go, so a restart
   * recovers exactly this tree and the proposals logged after it.
   */
  async replaceWith(tree: DataTree): Promise<void> {
    await this.settled();
    const { file } = await writeSnapshot(this.snapshotDir, tree.capture());
    await this.keepOnly(file, tree.lastZxid);
  }

  /**
   * As replaceWith, from a SNAP's payload, written out as the snapshot file it already is
   * instead of encoding the tree again. `restore` (which must check every frame, as restoreTree
   * does) runs while the file is written; if it throws, nothing is replaced.
   */
  async replaceWithSnapshot(zxid: number, snapshot: Buffer, restore: () => void): Promise<void> {
    await this.settled();
    const { file } = await writeSnapshotBytes(this.snapshotDir, zxid, snapshot, restore);
    await this.keepOnly(file, zxid);
  }

  /** The snapshot `file` (at `zxid`) becomes the whole durable state: other snapshots and the
   * log go. */
  private async keepOnly(file: string, zxid: number): Promise<void> {
    for (const snapshot of await listSnapshots(this.snapshotDir)) {
      if (snapshot.file !== file) await rm(snapshot.file, { force: true });
    }
    await syncDirectory(this.snapshotDir);
    await this.log.truncateFrom(0);
    this.latestSnapshotZxid = zxid;
    this.txnsSinceSnapshot = 0;
  }

  /** The newest snapshot on disk and when its file was written (the admin server's
   * last_snapshot); undefined before the first. */
  newestSnapshot(): { zxid: number; modifiedAtMs: number } | undefined {
    const zxid = this.latestSnapshotZxid;
    if (zxid === 0) return undefined;
    try {
      return { zxid, modifiedAtMs: statSync(join(this.snapshotDir, snapshotName(zxid))).mtimeMs };
    } catch {
      return undefined;
    }
  }

  /** The first zxid the log holds (0 when empty): older txns were purged or never logged. */
  firstZxid(): number {
    return this.log.firstZxid();
  }

  /** The last zxid of each epoch among the log and the newest snapshot, ascending. */
  epochEnds(): number[] {
    const ends = this.log.epochEnds();
    const snapshotZxid = this.latestSnapshotZxid;
    const epochOf = epochOfZxid;
    if (snapshotZxid > 0 && !ends.some((end) => epochOf(end) >= epochOf(snapshotZxid))) {
      ends.push(snapshotZxid);
    }
    return ends;
  }

  async append(txns: readonly Txn[]): Promise<void> {
    await this.log.append(txns);
    this.txnsSinceSnapshot += txns.length;
    if (this.txnsSinceSnapshot >= this.settings.snapCount && this.snapshotting === undefined) {
      // The proposer applies this batch as soon as the promise resolves, in the same turn; the
      // snapshot is captured on the next turn, from a tree that holds it.
      this.snapshotting = new Promise((resolve) => setImmediate(resolve)).then(() =>
        this.snapshotInBackground(),
      );
    }
  }

  private async snapshotInBackground(): Promise<SnapshotTaken | undefined> {
    try {
      return await this.snapshot();
    } catch (error) {
      // A failed snapshot costs disk (the log is not purged) but not correctness: recovery
      // uses an older snapshot and a longer tail. Try again after another snapCount txns.
      if (!(error instanceof SnapshotAbortedError)) {
        this.logger.warn({ error: String(error) }, 'snapshot failed');
      }
      return undefined;
    } finally {
      this.snapshotting = undefined;
    }
  }

  /** Writes a snapshot of the attached tree now, then compacts. */
  async snapshot(): Promise<SnapshotTaken | undefined> {
    const tree = this.tree;
    if (tree === undefined || this.closing) return undefined;
    const startedAt = performance.now();
    // The only synchronous step: the path index's references copied (TreeCapture); later txns
    // keep applying while the capture is written, which copies a node only when one changes it.
    const capture = tree.capture();
    const captureMs = performance.now() - startedAt;
    this.txnsSinceSnapshot = 0;
    if (capture.zxid <= this.latestSnapshotZxid) {
      capture.release();
      return undefined;
    }
    const { file, bytes } = await writeSnapshot(this.snapshotDir, capture, () => this.closing);
    this.latestSnapshotZxid = capture.zxid;
    const purgedTxns = await this.compact();
    const taken = {
      zxid: capture.zxid,
      file,
      bytes,
      captureMs,
      totalMs: performance.now() - startedAt,
      purgedTxns,
    };
    this.logger.info({ ...taken, nodes: capture.nodeCount }, 'snapshot written');
    this.snapshotTaken(taken);
    return taken;
  }

  /**
   * ZooKeeper's PurgeTxnLog with the log in LMDB: keep the newest snapRetainCount snapshots,
   * and the log after the oldest of them (so any kept snapshot can be recovered from), and at
   * least txnsRetainedMin txns whatever the snapshots cover. Returns the txns deleted.
   */
  async compact(): Promise<number> {
    const snapshots = await listSnapshots(this.snapshotDir);
    const kept = snapshots.slice(0, this.settings.snapRetainCount);
    for (const old of snapshots.slice(this.settings.snapRetainCount)) {
      await rm(old.file, { force: true });
    }
    if (snapshots.length > kept.length) await syncDirectory(this.snapshotDir);
    const oldestKept = kept.at(-1);
    if (oldestKept === undefined) return 0;
    const retainedFromZxid = this.log.zxidBeforeLast(this.settings.txnsRetainedMin - 1);
    let throughZxid = Math.min(oldestKept.zxid, retainedFromZxid - 1);
    // A learner's DIFF still being read from the log keeps what it reads.
    for (const hold of this.readHolds) throughZxid = Math.min(throughZxid, hold.afterZxid);
    if (throughZxid <= 0) return 0;
    return this.log.purgeThrough(throughZxid);
  }

  /**
   * Keeps every txn after `afterZxid` from being purged until the returned release is called:
   * a leader streams a DIFF from the log over many event-loop turns, and a snapshot's compaction
   * meanwhile must not take the txns it has yet to read.
   */
  holdLogAfter(afterZxid: number): () => void {
    const hold = { afterZxid };
    this.readHolds.add(hold);
    return () => {
      this.readHolds.delete(hold);
    };
  }

  lastZxid(): number {
    return Math.max(this.log.lastZxid(), this.latestSnapshotZxid, this.log.purgedThroughZxid());
  }

  readFrom(afterZxid: number): Iterable<Txn> {
    return this.log.readFrom(afterZxid);
  }

  /** Resolves when no snapshot is in progress (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.snapshotting !== undefined) await this.snapshotting;
  }

  /** Waits for a snapshot in progress to stop (it is abandoned, its temporary file removed). */
  async close(): Promise<void> {
    this.closing = true;
    await this.snapshotting;
    await this.log.close();
  }
}
