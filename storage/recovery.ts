// Startup checks and recovery of a data dir: the checksum of every log record the tree will
// replay is verified before anything is applied (a corrupt tail is cut off, corruption with
// valid records after it stops the server), then the newest whole snapshot that the log
// continues is loaded into the tree. Records that snapshot covers are not replayed, so they are
// checked only when something reads them: a learner's DIFF (ReplicaStorage.corruptRecordBetween)
// and every other reader (decodeTxn refuses a corrupt record).

import type { DataTree } from '../tree/data-tree.js';
import type { FileStore } from './backend.js';
import type { DurableTxnLog, LogScan } from './durable-log.js';
import { restoringVisitor, type SnapshotVisitor } from './snapshot-decoding.js';
import { checkSnapshotFile, CorruptSnapshotError, visitCheckedSnapshot, visitSnapshot } from
  './snapshot-file.js';
import { CorruptRecordError } from './txn-codec.js';
import type { Txn } from '../protocol/txn.js';
import { hex } from '../protocol/zxid.js';

/** The part of pino's Logger that storage uses. */
export interface StorageLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export class CorruptLogError extends Error {
  constructor(
    readonly dataDir: string,
    readonly zxid: number,
    reason: string,
    validAfterZxid: number,
  ) {
    super(
      `data dir ${dataDir}: txn log record zxid ${hex(zxid)} is corrupt (${reason}) and valid ` +
        `records follow it (from zxid ${hex(validAfterZxid)}), so it is not a torn tail; ` +
        'refusing to start. Restore the data dir from a backup or resync it from another replica.',
    );
    this.name = 'CorruptLogError';
  }
}

export class UnrecoverableDataDirError extends Error {
  constructor(dataDir: string, purgedThroughZxid: number) {
    super(
      `data dir ${dataDir}: the txn log was purged through zxid ${hex(purgedThroughZxid)} but ` +
        'no whole snapshot at or after it remains; refusing to start with a partial history.',
    );
    this.name = 'UnrecoverableDataDirError';
  }
}

/**
 * Checks every record after `afterZxid` (0: the whole log). A run of corrupt records at the very
 * end is the tail of an append that did not complete: it is deleted, and logged. Anything else
 * corrupt refuses the start; a corrupt txn is never applied (readFrom verifies each record again
 * as it replays).
 */
export async function checkLog(
  log: DurableTxnLog,
  logger: StorageLogger,
  afterZxid = 0,
): Promise<LogScan> {
  const scan = log.scan(afterZxid);
  const first = scan.corrupt[0];
  if (first === undefined) return scan;
  if (scan.validAfterCorruptZxid !== undefined) {
    throw new CorruptLogError(log.dataDir, first.zxid, first.reason, scan.validAfterCorruptZxid);
  }
  const removed = await log.truncateFrom(first.zxid);
  logger.warn(
    {
      dataDir: log.dataDir,
      fromZxid: hex(first.zxid),
      throughZxid: hex(scan.lastZxid),
      records: removed,
      reason: first.reason,
    },
    `truncated a corrupt txn log tail of ${removed} record(s) from zxid ${hex(first.zxid)}`,
  );
  return log.scan(afterZxid);
}

/**
 * Whether the log's last record, when it lies after `afterZxid`, holds its checksum: then no
 * torn tail is there to cut off, and any corrupt record after `afterZxid` has a valid one after
 * it, which refuses the start wherever it is found (checkedReplay).
 */
export function lastRecordWhole(log: DurableTxnLog, afterZxid: number): boolean {
  const last = log.lastZxid();
  return last <= afterZxid || log.problemOf(last) === undefined;
}

/**
 * The txns after `afterZxid`, each record's checksum checked as it is read (decodeTxn), so the
 * startup's replay reads the log tail once instead of scanning it first. A corrupt record stops
 * the replay before it is applied, and fails it as the startup check would have: with
 * CorruptLogError, naming it and the valid record after it (the caller checked that the last
 * record is whole: lastRecordWhole). The records before it may have been applied to the tree
 * being recovered, which the failed start throws away. `readAll` is called once every record
 * was read whole.
 */
export function* checkedReplay(log: DurableTxnLog, afterZxid: number, readAll: () => void):
  Generator<Txn> {
  try {
    yield* log.readFrom(afterZxid);
  } catch (error) {
    // A record whose checksum holds but that does not decode is not what checkLog looks for:
    // that error stays as the replay raised it, unless a corrupt record follows.
    if (error instanceof CorruptRecordError) {
      checkLogBetween(log, error.zxid - 1, Math.max(error.zxid, log.lastZxid()));
    }
    throw error;
  }
  readAll();
}

/**
 * Checks the records after `afterZxid` through `throughZxid`, all of which valid records follow
 * (they lie below a snapshot or below records already checked): any corrupt one refuses, as a
 * corrupt record in the middle of the log does at startup.
 */
export function checkLogBetween(log: DurableTxnLog, afterZxid: number, throughZxid: number): void {
  if (throughZxid <= afterZxid) return;
  const scan = log.scan(afterZxid, throughZxid);
  const first = scan.corrupt[0];
  if (first === undefined) return;
  const next = scan.validAfterCorruptZxid ?? log.firstZxidAfter(first.zxid);
  throw new CorruptLogError(log.dataDir, first.zxid, first.reason, next);
}

/**
 * A SNAP installs the leader's snapshot, then empties the log (replaceWithSnapshot); a crash
 * between the two leaves records of the replaced history at or below the snapshot, with a gap
 * up to it that nothing fills. A leader reading that log would plan a DIFF across the gap. A
 * replica's own snapshots are taken at a txn it logged (and compaction purges only below a
 * snapshot), so a log that holds records below the newest snapshot but not the snapshot's own
 * zxid holds such leftovers: they go, as the SNAP would have taken them.
 */
export async function dropHistoryReplacedBySnap(
  files: FileStore,
  snapshotDir: string,
  log: DurableTxnLog,
  logger: StorageLogger,
  snapshotZxid: number,
): Promise<void> {
  const first = log.firstZxid();
  if (snapshotZxid === 0 || first === 0 || first >= snapshotZxid) return;
  if (log.holds(snapshotZxid)) return;
  // The snapshot's name may not be durable yet: the SNAP renamed it into place and the process
  // died before the directory was synced. A purge made durable before it is would leave, after
  // a later power loss, a log purged past a snapshot that is gone (simulator seed 1108 with
  // reconfig and syncLimitTicks 20: the replica could never start again).
  await files.syncDirectory(snapshotDir);
  const dropped = await log.purgeThrough(snapshotZxid);
  logger.warn(
    { dataDir: log.dataDir, snapshotZxid: hex(snapshotZxid), records: dropped },
    'dropped the log records a SNAP replaced before it was interrupted',
  );
}

export interface RestoredSnapshot {
  zxid: number;
  file: string;
}

/**
 * Loads the newest snapshot that is whole and that the log continues (nothing after it was
 * purged) into `tree`, which must be fresh. Returns undefined when the tree should be rebuilt from
 * the whole log instead.
 */
export function restoreNewestSnapshot(
  files: FileStore,
  tree: DataTree,
  snapshots: ReadonlyArray<{ zxid: number; file: string }>,
  log: DurableTxnLog,
  logger: StorageLogger,
  deferDigest = false,
): RestoredSnapshot | undefined {
  const purgedThroughZxid = log.purgedThroughZxid();
  let filled = false;
  for (const [index, snapshot] of snapshots.entries()) {
    if (snapshot.zxid < purgedThroughZxid) break;
    try {
      if (index === 0) {
        // The newest is checked as it is restored, in one read of the file: it is whole but
        // after a crash in the middle of its write, and then its name is not in place yet.
        filled = true;
        restoreSnapshotFile(files, tree, snapshot.file, snapshot.zxid, deferDigest, true);
        return snapshot;
      }
      checkSnapshotFile(files, snapshot.file, snapshot.zxid);
    } catch (error) {
      if (!(error instanceof CorruptSnapshotError)) throw error;
      logger.warn({ file: snapshot.file, error: error.message }, 'skipping a damaged snapshot');
      continue;
    }
    // Restoring starts from an empty store, whatever the damaged newest left in it.
    restoreSnapshotFile(files, tree, snapshot.file, snapshot.zxid, deferDigest);
    return snapshot;
  }
  if (purgedThroughZxid > 0) throw new UnrecoverableDataDirError(log.dataDir, purgedThroughZxid);
  // The whole log is replayed into a new tree: not one a damaged snapshot half filled.
  if (filled) tree.resetToNew();
  return undefined;
}

/** Streams a (checked) snapshot file into the tree. Small values go straight from the frame
 * into the tree's slab; larger ones (and format 1's) are copied out, so frames can be freed.
 * `deferDigest`: see DataTree.restore (a server's startup). `check`: the file is not checked
 * yet, so it is as it is read (visitCheckedSnapshot); damage then throws CorruptSnapshotError
 * with the tree part filled, which the next restore into it, or resetToNew, empties. */
export function restoreSnapshotFile(
  files: FileStore,
  tree: DataTree,
  file: string,
  zxid: number,
  deferDigest = false,
  check = false,
): void {
  tree.restore(zxid, (restorer) => {
    const visit = check
      ? (visitor: SnapshotVisitor) => visitCheckedSnapshot(files, file, zxid, visitor)
      : (visitor: SnapshotVisitor) => visitSnapshot(files, file, visitor);
    visit(restoringVisitor(restorer));
  }, deferDigest);
}
