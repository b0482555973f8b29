// The settings a replica's storage runs with (zoo.cfg snapCount, autopurge, snapshot
// compression, the startup log check) and what it reports of its work: the snapshots it takes
// and the durations the metrics hear. Apart from ReplicaStorage, which many name only for these.

import type { SnapshotCompression } from './snapshot-compression.js';

export interface StorageSettings {
  /** Txns between snapshots (ZooKeeper's snapCount, zoo.cfg `snapCount`). */
  snapCount: number;
  /** Snapshots kept (zoo.cfg autopurge.snapRetainCount); the log is kept back to the oldest. */
  snapRetainCount: number;
  /** Txns always kept in the log, so a lagging follower can DIFF-sync (`txnsRetainedMin`). */
  txnsRetainedMin: number;
  /** How new snapshot files are written (zoo.cfg snapshot.compression.method); every file is
   * read as its name says it was written. */
  snapshotCompression: SnapshotCompression;
  /**
   * Which log records have their checksum checked as the storage opens: 'all', or only those
   * after the newest snapshot ('afterSnapshot'), the ones recovery replays. Records a snapshot
   * covers are then checked when first read: a learner's DIFF checks its range before it is sent
   * (corruptRecordBetween) and any other read refuses a corrupt record (decodeTxn). A server
   * opens its data dir with 'afterSnapshot' (storage/data-dir.ts): at a million znodes the log
   * kept behind the retained snapshots is some 300k records, most of a second to check.
   * 'asReplayed' (a standalone server's startup): as 'afterSnapshot', but the records recovery
   * replays are checked by that replay, in the one read of them (see checkedReplay).
   */
  startupLogCheck: 'all' | 'afterSnapshot' | 'asReplayed';
}

/**
 * Log bytes appended between two releases of the log's mapped pages (releaseMappedPages): what
 * the process keeps resident of the log file at most, besides what a purge or scan reads.
 */
export const mappedLogBytesMax = 64 * 1024 * 1024;

export const storageSettingsDefaults: StorageSettings = {
  snapCount: 100_000,
  snapRetainCount: 3,
  txnsRetainedMin: 500,
  snapshotCompression: 'none',
  startupLogCheck: 'all',
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

/** What the metrics hear of the storage's work, measured where it is done (times in ms). */
export interface StorageTimings {
  /** A batch of `txns` made durable in `durationMs` (ZooKeeper's fsynctime and batch size). */
  appended(txns: number, durationMs: number): void;
  /** A snapshot captured and written, before its compaction (ZooKeeper's snapshottime). */
  snapshotWritten(durationMs: number): void;
  /** A compaction (autopurge's, or a snapshot's) that deleted `txns` txns. */
  purged(durationMs: number, txns: number): void;
}
