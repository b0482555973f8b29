// Which log records a replica's storage left unchecked as it opened (StorageSettings
// .startupLogCheck), and their check when first read: before recovery replays them, by the replay
// itself ('asReplayed'), or before a leader streams them to a learner (corruptRecordBetween).

import type { DurableTxnLog } from './durable-log.js';
import {
  checkedReplay,
  checkLog,
  checkLogBetween,
  lastRecordWhole,
  type StorageLogger,
} from './recovery.js';
import type { StorageSettings } from './storage-settings.js';
import type { Txn } from '../protocol/txn.js';

export class StartupLogCheck {
  /** Records at or below this were not checked as the storage opened (startupLogCheck). */
  private uncheckedThroughZxid = 0;
  /** 'asReplayed': the zxid restoreInto left the replay to check from (see readFrom). */
  private replayChecksAfterZxid: number | undefined;

  constructor(
    private readonly log: DurableTxnLog,
    private readonly mode: StorageSettings['startupLogCheck'],
  ) {}

  /** The check as the storage opens (see checkLog); `newestSnapshotZxid` 0 when none. */
  async atOpen(logger: StorageLogger, newestSnapshotZxid: number): Promise<void> {
    // Recovery replays the log after the snapshot it loads, the newest whole one; if that one
    // is damaged, restoreInto checks the records between the older snapshot it uses and this.
    const checkedAfterZxid = this.mode === 'all' ? 0 : newestSnapshotZxid;
    this.uncheckedThroughZxid = checkedAfterZxid;
    if (this.mode === 'asReplayed' && lastRecordWhole(this.log, checkedAfterZxid)) {
      // No torn tail to cut: the replay checks the rest (a corrupt record it meets has a
      // whole one after it, so it refuses the start, as checkLog would have).
      this.uncheckedThroughZxid = Math.max(checkedAfterZxid, this.log.lastZxid());
    } else {
      await checkLog(this.log, logger, checkedAfterZxid);
    }
  }

  /** Recovery (restoreInto) replays the log after `replayFrom`: its records are checked now, or
   * with 'asReplayed' by the replay that reads them (readFrom). */
  beforeReplay(replayFrom: number): void {
    if (this.mode === 'asReplayed' && replayFrom < this.uncheckedThroughZxid) {
      this.replayChecksAfterZxid = replayFrom;
    } else {
      this.checkReplayedRecords(replayFrom);
    }
  }

  /**
   * Recovery replays every record after `fromZxid`: those not yet checked are checked before any
   * is applied, so a corrupt one refuses the start (or the TRUNC's rebuild) with CorruptLogError
   * instead of stopping a replay halfway.
   */
  checkReplayedRecords(fromZxid: number): void {
    if (fromZxid >= this.uncheckedThroughZxid) return;
    checkLogBetween(this.log, fromZxid, this.uncheckedThroughZxid);
    this.uncheckedThroughZxid = fromZxid;
  }

  /**
   * The first corrupt record after `afterZxid` through `throughZxid`, or undefined: a leader
   * asks before it streams a DIFF (or a TRUNC's tail) of that range to a learner, and sends a
   * SNAP instead of a corrupt record. Only records the startup check skipped are read, once.
   */
  corruptRecordBetween(afterZxid: number, throughZxid: number):
    { zxid: number; reason: string } | undefined {
    const unchecked = this.uncheckedThroughZxid;
    if (afterZxid >= unchecked || throughZxid <= afterZxid) return undefined;
    const scan = this.log.scan(afterZxid, Math.min(throughZxid, unchecked));
    const first = scan.corrupt[0];
    if (first !== undefined) return first;
    // Everything after afterZxid is checked now (through the unchecked end, and past it at
    // startup); a range that stopped short of it leaves the rest for a later DIFF.
    if (throughZxid >= unchecked) this.uncheckedThroughZxid = afterZxid;
    return undefined;
  }

  /** A SNAP emptied the log: no record in it is left unchecked. */
  logEmptied(): void {
    this.uncheckedThroughZxid = 0;
  }

  /** The txns after `afterZxid`. The replay restoreInto leaves to its caller checks, with
   * 'asReplayed', the records it reads (checkedReplay); once it has read them all they count as
   * checked, as if the startup had. */
  readFrom(afterZxid: number): Iterable<Txn> {
    if (afterZxid !== this.replayChecksAfterZxid) return this.log.readFrom(afterZxid);
    return checkedReplay(this.log, afterZxid, () => {
      if (this.replayChecksAfterZxid !== afterZxid) return;
      this.replayChecksAfterZxid = undefined;
      this.uncheckedThroughZxid = Math.min(this.uncheckedThroughZxid, afterZxid);
    });
  }
}
