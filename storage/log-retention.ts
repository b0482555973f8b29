// What a replica's storage keeps of its log and snapshots (ZooKeeper's PurgeTxnLog), what keeps
// it (a learner's DIFF read over many turns holds the txns it has yet to read), and when the
// log's mapped pages are released from memory: the three meet at the readers of the log.

import type { BackendSession } from './backend.js';
import type { DurableTxnLog } from './durable-log.js';
import type { StorageLogger } from './recovery.js';
import { listSnapshots } from './snapshot-file.js';
import { mappedLogBytesMax, type StorageSettings } from './storage-settings.js';

export class LogRetention {
  /** The log is (being) purged through here: decided, perhaps not yet durable. */
  private purgingThroughZxid = 0;
  /** Told, as a purge is decided, the first zxid the log will still hold (see onPurge). */
  private purgeListener: ((firstZxid: number) => void) | undefined;
  /** Readers that need the log after a zxid kept (holdLogAfter). */
  private readonly readHolds = new Set<{ afterZxid: number }>();
  /** log.appendedBytes when the mapped pages were last released. */
  private appendedBytesAtRelease = 0;
  private releasing: Promise<void> | undefined;

  constructor(
    private readonly session: BackendSession,
    private readonly log: DurableTxnLog,
    private readonly settings: StorageSettings,
    private readonly logger: StorageLogger,
    private readonly snapshotDir: string,
    /** The storage is closing: no release starts, and one under way gives up. */
    private readonly closing: () => boolean,
  ) {}

  /**
   * `listener` hears the log's new first zxid each time compaction decides to purge its head,
   * before the purge is durable (a replica's leader must stop planning DIFFs from it at once).
   */
  onPurge(listener: (firstZxid: number) => void): void {
    this.purgeListener = listener;
  }

  /** The first zxid the log holds (0 when empty): older txns were purged or never logged. */
  firstZxid(): number {
    // A purge decided and not yet durable counts as done: nobody may plan to read what it takes.
    if (this.purgingThroughZxid > 0) return this.log.firstZxidAfter(this.purgingThroughZxid);
    return this.log.firstZxid();
  }

  /** The work of ReplicaStorage.compact: old snapshots go, then the log before the oldest kept
   * one, short of txnsRetainedMin and of what readers hold. Returns the txns deleted. */
  async compactLog(): Promise<number> {
    const files = this.session.files;
    const snapshots = await listSnapshots(files, this.snapshotDir);
    const kept = snapshots.slice(0, this.settings.snapRetainCount);
    for (const old of snapshots.slice(this.settings.snapRetainCount)) {
      await files.remove(old.file);
    }
    if (snapshots.length > kept.length) await files.syncDirectory(this.snapshotDir);
    const oldestKept = kept.at(-1);
    if (oldestKept === undefined) return 0;
    const retainedFromZxid = this.log.zxidBeforeLast(this.settings.txnsRetainedMin - 1);
    let throughZxid = Math.min(oldestKept.zxid, retainedFromZxid - 1);
    // A learner's DIFF still being read from the log keeps what it reads.
    for (const hold of this.readHolds) throughZxid = Math.min(throughZxid, hold.afterZxid);
    if (throughZxid <= 0) return 0;
    // Said before the purge is durable: a leader that planned a DIFF from the txns it takes, in
    // the window before it is, would stream that DIFF with a gap (found by the simulator, seed
    // 1072: a learner was sent the log from 0x200000018 for a DIFF after 0x20000000a).
    this.purgingThroughZxid = Math.max(this.purgingThroughZxid, throughZxid);
    this.purgeListener?.(this.firstZxid());
    return this.log.purgeThrough(throughZxid);
  }

  /** A batch was appended: past mappedLogBytesMax since the last release, the pages go. */
  appended(): void {
    if (this.log.appendedBytes - this.appendedBytesAtRelease >= mappedLogBytesMax) {
      this.releaseMappedPagesSoon();
    }
  }

  /**
   * Drops the log's pages from this process's memory (BackendSession.releaseMappedPages), in
   * the background, once no reader holds the log (a lazy read must not span the reopening).
   */
  releaseMappedPagesSoon(): void {
    const release = this.session.releaseMappedPages;
    if (release === undefined || this.releasing !== undefined || this.closing()) return;
    if (this.readHolds.size > 0) return;
    this.appendedBytesAtRelease = this.log.appendedBytes;
    this.releasing = release.call(this.session, () => this.readHolds.size === 0 && !this.closing())
      .catch((error: unknown) => {
        this.logger.warn({ error: String(error) }, 'releasing the log\'s mapped pages failed');
      })
      .finally(() => {
        this.releasing = undefined;
      });
  }

  /** Resolves when no release of the mapped pages is under way (closing). */
  async released(): Promise<void> {
    await this.releasing;
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
}
