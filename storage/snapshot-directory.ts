// The directory of a replica's snapshots and which of them is newest (what recovery starts from,
// and what lastZxid and epochEnds count): found at open, moved on by each snapshot written, cut
// back by a TRUNC and replaced by a SNAP. ReplicaStorage keeps one; the newest changes only here.

import { join } from 'node:path';
import type { DataTree } from '../tree/data-tree.js';
import type { TreeCapture } from '../tree/snapshot.js';
import type { BackendSession, FileStore } from './backend.js';
import type { DurableTxnLog } from './durable-log.js';
import { restoreNewestSnapshot, type RestoredSnapshot, type StorageLogger } from './recovery.js';
import type { SnapshotCompression } from './snapshot-compression.js';
import {
  listSnapshots,
  prepareSnapshotBytes,
  writeSnapshot,
  type PreparedSnapshot,
} from './snapshot-file.js';

/** A snapshot is written under a temporary name until it is whole (snapshot-file.ts,
 * prepareSnapshot); one cut off by a crash is left behind under that name. */
const unfinishedSnapshotName = /^snapshot\.[0-9a-f]{16}(\.gz|\.snappy)?\.tmp$/;

export class SnapshotDirectory {
  readonly path: string;
  private readonly files: FileStore;
  private newestZxidSeen = 0;
  /** The newest snapshot's file (its name says its compression). */
  private newestFile: string | undefined;

  constructor(private readonly session: BackendSession) {
    this.path = join(session.dataDir, 'snapshots');
    this.files = session.files;
  }

  /** The newest snapshot's zxid, 0 before the first. */
  get newestZxid(): number {
    return this.newestZxidSeen;
  }

  /**
   * Makes the directory if it is missing, removes what crashes left of snapshots being written
   * (`unfinished`: their names; nothing else writes there before open), and finds the newest
   * snapshot in it (its zxid).
   */
  async open(unfinished: (files: string[]) => void = () => undefined): Promise<number> {
    await this.files.makeDirectory(this.path);
    const leftovers = (await this.files.list(this.path))
      .filter((name) => unfinishedSnapshotName.test(name));
    for (const name of leftovers) await this.files.remove(join(this.path, name));
    if (leftovers.length > 0) {
      await this.files.syncDirectory(this.path);
      unfinished(leftovers);
    }
    const newest = (await this.list())[0];
    this.newestZxidSeen = newest?.zxid ?? 0;
    this.newestFile = newest?.file;
    return this.newestZxidSeen;
  }

  /** The snapshot files, newest first. */
  list(): Promise<Array<{ zxid: number; file: string }>> {
    return listSnapshots(this.files, this.path);
  }

  /** Loads the newest usable snapshot into `tree` (recovery.ts, restoreNewestSnapshot). */
  async restoreNewest(
    tree: DataTree,
    log: DurableTxnLog,
    logger: StorageLogger,
    deferDigest = false,
  ): Promise<RestoredSnapshot | undefined> {
    return restoreNewestSnapshot(this.files, tree, await this.list(), log, logger, deferDigest);
  }

  /** Writes `capture` as the newest snapshot (writeSnapshot: `aborted` gives it up). */
  async write(
    capture: TreeCapture,
    aborted: () => boolean,
    compression: SnapshotCompression,
  ): Promise<{ file: string; bytes: number }> {
    const written = await writeSnapshot(this.session, this.path, capture, aborted, compression);
    this.newestZxidSeen = capture.zxid;
    this.newestFile = written.file;
    return written;
  }

  /** TRUNC's part: the snapshots that cover any txn after `zxid` go. */
  async removeAfter(zxid: number): Promise<void> {
    const snapshots = await this.list();
    const newer = snapshots.filter((snapshot) => snapshot.zxid > zxid);
    for (const snapshot of newer) await this.files.remove(snapshot.file);
    if (newer.length > 0) await this.files.syncDirectory(this.path);
    const kept = snapshots.find((snapshot) => snapshot.zxid <= zxid);
    this.newestZxidSeen = kept?.zxid ?? 0;
    this.newestFile = kept?.file;
  }

  /** A SNAP's payload written and synced under a temporary name (prepareSnapshotBytes). */
  prepare(
    zxid: number,
    snapshot: readonly Buffer[],
    restore: () => void,
    compression: SnapshotCompression,
  ): Promise<PreparedSnapshot> {
    return prepareSnapshotBytes(this.files, this.path, zxid, snapshot, restore, compression);
  }

  /** Renames `prepared` into place and removes every other snapshot; the caller then says it
   * is the newest (becameNewest) once the log that went with the old ones is gone too. */
  async installAlone(prepared: PreparedSnapshot): Promise<void> {
    await prepared.install();
    for (const older of await this.list()) {
      if (older.file !== prepared.file) await this.files.remove(older.file);
    }
    await this.files.syncDirectory(this.path);
  }

  becameNewest(zxid: number, file: string): void {
    this.newestZxidSeen = zxid;
    this.newestFile = file;
  }

  /** The newest snapshot on disk and when its file was written (the admin server's
   * last_snapshot); undefined before the first. */
  newestWritten(): { zxid: number; modifiedAtMs: number } | undefined {
    const zxid = this.newestZxidSeen;
    const file = this.newestFile;
    if (zxid === 0 || file === undefined) return undefined;
    const stat = this.files.stat(file);
    return stat === undefined ? undefined : { zxid, modifiedAtMs: stat.modifiedAtMs };
  }
}
