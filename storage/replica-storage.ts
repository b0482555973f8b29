// A replica's durable state over a storage backend: the txn log and epochs, periodic snapshots
// of the applied tree, recovery (newest whole snapshot + the log after it) and compaction. It is
// the TxnLog the proposer appends through, so snapshots follow the write load with no other hook.
// Production runs it over LMDB and node:fs, the simulator over a faulty disk in memory.

import type { DataTree } from '../tree/data-tree.js';
import type { TreeCapture } from '../tree/snapshot.js';
import type { Txn } from '../protocol/txn.js';
import { nextTurnOf, type BackendSession, type StorageBackend } from './backend.js';
import { DurableTxnLog } from './durable-log.js';
import { DurableEpochStore, type EpochStore } from './epochs.js';
import type { TxnLog } from './log.js';
import { LogRetention } from './log-retention.js';
import { dropHistoryReplacedBySnap, type RestoredSnapshot, type StorageLogger } from
  './recovery.js';
import { SnapshotAbortedError } from './snapshot-file.js';
import { SnapshotDirectory } from './snapshot-directory.js';
import { StartupLogCheck } from './startup-log-check.js';
import {
  storageSettingsDefaults,
  type SnapshotTaken,
  type StorageSettings,
  type StorageTimings,
} from './storage-settings.js';
import { epochOfZxid } from '../protocol/zxid.js';

export {
  mappedLogBytesMax,
  storageSettingsDefaults,
  type SnapshotTaken,
  type StorageSettings,
  type StorageTimings,
} from './storage-settings.js';

export class ReplicaStorage implements TxnLog {
  readonly dataDir: string;
  readonly snapshotDir: string;
  readonly epochs: EpochStore;
  private tree: DataTree | undefined;
  private txnsSinceSnapshot = 0;
  private snapshotting: Promise<SnapshotTaken | undefined> | undefined;
  private closing = false;
  /** The snapshot files and which is newest. */
  private readonly snapshots: SnapshotDirectory;
  /** A TRUNC or SNAP rewrote the history since the last snapshot before serving. */
  private historyRewritten = false;
  /** Told the durations of appends, snapshots and purges (observeTimings). */
  private timings: StorageTimings | undefined;
  /** The records the startup check left, checked when first read. */
  private readonly logCheck: StartupLogCheck;
  /** Compaction, readers' holds on the log, and the release of its mapped pages. */
  private readonly retention: LogRetention;

  private constructor(
    private readonly session: BackendSession,
    readonly log: DurableTxnLog,
    readonly settings: StorageSettings,
    private readonly logger: StorageLogger,
    /** Told after each snapshot (tests, metrics). */
    private readonly snapshotTaken: (taken: SnapshotTaken) => void,
  ) {
    this.dataDir = session.dataDir;
    this.snapshots = new SnapshotDirectory(session);
    this.snapshotDir = this.snapshots.path;
    this.epochs = new DurableEpochStore(session);
    this.logCheck = new StartupLogCheck(log, settings.startupLogCheck);
    this.retention = new LogRetention(session, log, settings, logger, this.snapshotDir,
      () => this.closing);
  }

  /** Opens the backend and checks the log (see checkLog); the tree is restored separately. */
  static async open(
    backend: StorageBackend,
    settings: Partial<StorageSettings>,
    logger: StorageLogger,
    snapshotTaken: (taken: SnapshotTaken) => void = () => undefined,
  ): Promise<ReplicaStorage> {
    const resolved = { ...storageSettingsDefaults, ...settings };
    // The newest txn is never purged: the next zxid is derived from it.
    resolved.txnsRetainedMin = Math.max(1, resolved.txnsRetainedMin);
    resolved.snapCount = Math.max(1, resolved.snapCount);
    const session = await backend.open();
    try {
      const log = await DurableTxnLog.open(session);
      const storage = new ReplicaStorage(session, log, resolved, logger, snapshotTaken);
      const newestZxid = await storage.snapshots.open((files) => logger.warn(
        { dir: storage.snapshotDir, files },
        'removed snapshot files a crash left unfinished (each was written under a temporary name)',
      ));
      await storage.logCheck.atOpen(logger, newestZxid);
      await dropHistoryReplacedBySnap(session.files, storage.snapshotDir, log, logger, newestZxid);
      return storage;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /**
   * Loads the newest usable snapshot into a fresh tree and snapshots that tree from now on. The
   * caller then replays readFrom(tree.lastZxid) (ServerCore.recover) for the tail.
   * `deferDigest`: the snapshot's node digests are summed later (DataTree.restore); the caller
   * then completes the digest (DataTree.completeDigest) once it serves.
   */
  async restoreInto(tree: DataTree, options: { deferDigest?: boolean } = {}):
    Promise<RestoredSnapshot | undefined> {
    const restored = await this.snapshots.restoreNewest(tree, this.log, this.logger,
      options.deferDigest ?? false);
    this.logCheck.beforeReplay(restored?.zxid ?? 0);
    // Count from the snapshot, not from this start: a server restarted more often than every
    // snapCount txns must still snapshot (and compact).
    this.txnsSinceSnapshot = this.log.countAfter(restored?.zxid ?? 0);
    this.attach(tree);
    return restored;
  }

  /** The first corrupt record after `afterZxid` through `throughZxid`, or undefined: a leader
   * asks before it streams that range to a learner (StartupLogCheck.corruptRecordBetween). */
  corruptRecordBetween(afterZxid: number, throughZxid: number):
    { zxid: number; reason: string } | undefined {
    return this.logCheck.corruptRecordBetween(afterZxid, throughZxid);
  }

  /**
   * `listener` hears the log's new first zxid each time compaction decides to purge its head,
   * before the purge is durable (a replica's leader must stop planning DIFFs from it at once).
   */
  onPurge(listener: (firstZxid: number) => void): void {
    this.retention.onPurge(listener);
  }

  /** `timings` hears how long each durable append, snapshot and purge took (the metrics). */
  observeTimings(timings: StorageTimings): void {
    this.timings = timings;
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
    await this.snapshots.removeAfter(zxid);
    this.historyRewritten = true;
    this.txnsSinceSnapshot = this.log.countAfter(this.snapshots.newestZxid);
    return removed;
  }

  /** Rebuilds a fresh tree from the newest snapshot and the whole log after it (as at startup). */
  async rebuildInto(tree: DataTree): Promise<number> {
    const restored = await this.snapshots.restoreNewest(tree, this.log, this.logger);
    this.logCheck.checkReplayedRecords(restored?.zxid ?? 0);
    let replayed = 0;
    for (const txn of this.log.readFrom(tree.lastZxid)) {
      tree.apply(txn);
      replayed++;
    }
    return replayed;
  }

  /**
   * SNAP (Zab synchronization): the leader's tree, from a SNAP's payload, replaces this replica's
   * state; a restart then recovers exactly this tree and the proposals logged after it. The
   * payload is written out as the snapshot file it already is, instead of encoding the tree
   * again. `restore` (which must check every frame, as restoreTree does) runs while the file is
   * written; if it throws, nothing is replaced.
   *
   * A crash at any step recovers the state before, the state after, or the state before cut
   * after `zxid` (a TRUNC to it: the leader holds every committed txn, so nothing of ours after
   * its zxid was committed). The file is written and synced under its temporary name; what the
   * log and the snapshots hold after `zxid` goes; only then is the file renamed into place, so
   * that a restart from it replays no txn of the old history; then the rest of the old state goes
   * (cut before that, the next open takes it: recovery.ts, dropHistoryReplacedBySnap).
   */
  async replaceWithSnapshot(zxid: number, snapshot: Buffer | readonly Buffer[],
    restore: () => void): Promise<void> {
    await this.settled();
    const pieces = Buffer.isBuffer(snapshot) ? [snapshot] : snapshot;
    const prepared = await this.snapshots.prepare(zxid, pieces, restore,
      this.settings.snapshotCompression);
    try {
      await this.truncateAfter(zxid);
    } catch (error) {
      await prepared.discard();
      throw error;
    }
    await this.snapshots.installAlone(prepared);
    await this.log.truncateFrom(0);
    this.logCheck.logEmptied();
    this.snapshots.becameNewest(zxid, prepared.file);
    this.txnsSinceSnapshot = 0;
  }

  /** The newest snapshot on disk and when its file was written (the admin server's
   * last_snapshot); undefined before the first. */
  newestSnapshot(): { zxid: number; modifiedAtMs: number } | undefined {
    return this.snapshots.newestWritten();
  }

  /** The first zxid the log holds (0 when empty): older txns were purged or never logged. */
  firstZxid(): number {
    return this.retention.firstZxid();
  }

  /** The last zxid of each epoch among the log and the newest snapshot, ascending. */
  epochEnds(): number[] {
    const ends = this.log.epochEnds();
    const snapshotZxid = this.snapshots.newestZxid;
    const epochOf = epochOfZxid;
    if (snapshotZxid > 0 && !ends.some((end) => epochOf(end) >= epochOf(snapshotZxid))) {
      ends.push(snapshotZxid);
    }
    return ends;
  }

  async append(txns: readonly Txn[]): Promise<void> {
    const startedAt = this.timings === undefined ? 0 : performance.now();
    await this.log.append(txns);
    this.timings?.appended(txns.length, performance.now() - startedAt);
    this.retention.appended();
    this.txnsSinceSnapshot += txns.length;
    if (this.txnsSinceSnapshot >= this.settings.snapCount && this.snapshotting === undefined) {
      // The proposer applies this batch as soon as the promise resolves, in the same turn; the
      // snapshot is captured on the next turn, from a tree that holds it.
      this.snapshotting = nextTurnOf(this.session).then(() => this.snapshotInBackground());
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

  /**
   * The snapshot ZooKeeper takes before it serves: after loading the data and replaying the log
   * (ZooKeeperServer.loadData, a standalone server's start and every new leader's), and on a
   * learner after a TRUNC or SNAP sync (Learner.syncWithLeader; after a DIFF the log already
   * holds what it was sent). `leading`: this replica starts leading, or serves standalone.
   * Captured at once (the capture is what the snapshot holds); written meanwhile unless awaited.
   * Skipped when the newest snapshot already covers the tree.
   */
  async snapshotBeforeServing(leading: boolean): Promise<SnapshotTaken | undefined> {
    const due = leading || this.historyRewritten;
    this.historyRewritten = false;
    const tree = this.tree;
    if (!due || tree === undefined || tree.lastZxid <= this.snapshots.newestZxid) {
      // Recovery scanned and replayed the log through the map: none of it needs to stay.
      this.releaseMappedPagesSoon();
      return undefined;
    }
    const previous = this.snapshotting ?? Promise.resolve(undefined);
    // Captured now, not after a snapshot in progress ends, so that it is the state this replica
    // starts serving from; its write waits for the one in progress (one at a time).
    const startedAt = performance.now();
    const capture = tree.capture();
    const captureMs = performance.now() - startedAt;
    this.txnsSinceSnapshot = 0;
    const written = previous.then(() => this.writeCaptured(capture, startedAt, captureMs));
    const tracked: Promise<SnapshotTaken | undefined> = written
      .catch(() => undefined)
      .finally(() => {
        if (this.snapshotting === tracked) this.snapshotting = undefined;
      });
    this.snapshotting = tracked;
    return written;
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
    return this.writeCaptured(capture, startedAt, captureMs);
  }

  private async writeCaptured(
    capture: TreeCapture,
    startedAt: number,
    captureMs: number,
  ): Promise<SnapshotTaken | undefined> {
    if (capture.zxid <= this.snapshots.newestZxid || this.closing) {
      capture.release();
      return undefined;
    }
    const { file, bytes } = await this.snapshots.write(capture, () => this.closing,
      this.settings.snapshotCompression);
    this.timings?.snapshotWritten(performance.now() - startedAt);
    const purgedTxns = await this.compact();
    // The purge read and freed the log's oldest pages, and the appends since the last release
    // are mapped: ZooKeeper's log files are read only at startup, so here too none stays.
    this.releaseMappedPagesSoon();
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
    const startedAt = performance.now();
    const purgedTxns = await this.retention.compactLog();
    this.timings?.purged(performance.now() - startedAt, purgedTxns);
    return purgedTxns;
  }

  /**
   * The autopurge timer's purge (storage/purge-timer.ts): compact() when no snapshot is being
   * taken, holding off new snapshots meanwhile, so the two never delete the same files at once.
   */
  async purge(): Promise<number> {
    await this.settled();
    if (this.closing || this.snapshotting !== undefined) return 0;
    const purging = this.compact();
    this.snapshotting = purging.then(() => undefined, () => undefined);
    try {
      return await purging;
    } finally {
      this.snapshotting = undefined;
    }
  }

  /** Drops the log's pages from this process's memory once no reader holds the log (see
   * LogRetention.releaseMappedPagesSoon). */
  releaseMappedPagesSoon(): void {
    this.retention.releaseMappedPagesSoon();
  }

  /** Keeps every txn after `afterZxid` from being purged until the returned release is called
   * (a leader's DIFF read over many turns: LogRetention.holdLogAfter). */
  holdLogAfter(afterZxid: number): () => void {
    return this.retention.holdLogAfter(afterZxid);
  }

  lastZxid(): number {
    return Math.max(this.log.lastZxid(), this.snapshots.newestZxid, this.log.purgedThroughZxid());
  }

  /** The txns after `afterZxid`; with 'asReplayed', the replay restoreInto leaves to its caller
   * checks the records it reads (StartupLogCheck.readFrom). */
  readFrom(afterZxid: number): Iterable<Txn> {
    return this.logCheck.readFrom(afterZxid);
  }

  /** Resolves when no snapshot is in progress (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.snapshotting !== undefined) await this.snapshotting;
  }

  /** Waits for a snapshot in progress to stop (it is abandoned, its temporary file removed). */
  async close(): Promise<void> {
    this.closing = true;
    await this.snapshotting;
    await this.retention.released();
    await this.log.close();
  }
}
