// The txn log on LMDB: one environment under the data dir, txns keyed by 8-byte big-endian zxid
// with a checksum, and a format version that refuses data written by an incompatible corral.
// Appends made while a commit is in flight are grouped into the next durable LMDB transaction.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Txn } from '../protocol/txn.js';
import type { TxnLog } from './log.js';
import { decodeTxn, encodeTxn, recordProblem, zxidKey, zxidOfKey } from './txn-codec.js';
import { epochOfZxid, makeZxid } from '../protocol/zxid.js';

export const storageFormatVersion = 1;

/** Log entries deleted per LMDB write transaction when purging. lmdb-js runs a transaction's
 * callback on the event loop while its writer thread holds LMDB's one write lock, so each one
 * both pauses request handling and holds back the appends queued behind it: a thousand
 * deletes take about a millisecond; ten thousand paused the loop for 15 ms and more. */
const purgeKeysPerTransactionMax = 1_000;

export class IncompatibleDataDirError extends Error {
  constructor(dataDir: string, found: unknown) {
    super(
      `data dir ${dataDir} holds corral storage format ${String(found)}; ` +
        `this corral reads format ${storageFormatVersion}`,
    );
    this.name = 'IncompatibleDataDirError';
  }
}

/** What a scan of every record's checksum found. */
export interface LogScan {
  entries: number;
  firstZxid: number;
  lastZxid: number;
  /** Records that failed their checksum, in zxid order. */
  corrupt: Array<{ zxid: number; reason: string }>;
  /** The first valid record after the first corrupt one, if any: then the damage is not a
   * tail that can be cut off. */
  validAfterCorruptZxid: number | undefined;
}

/**
 * Durability: `overlappingSync` is switched off. lmdb-js enables it by default on Linux, and then
 * a write's promise resolves when the transaction is committed (visible) while the fsync happens
 * afterwards; with it off, each commit is fsynced (fdatasync) by the writer thread before the
 * promise resolves. `noSync`, `noMetaSync`, `mapAsync` and `useWritemap` stay off (the first three
 * skip or defer the flush, the last lets a stray write corrupt the map). The map size is left to
 * lmdb-js, which grows the map itself when it fills (MDB_MAP_FULL is retried after a resize); only
 * a full disk then fails a commit, which rejects append() and leaves the log as it was.
 */
export const lmdbDurableOptions = {
  maxDbs: 8,
  noSubdir: false,
  overlappingSync: false,
  noSync: false,
  noMetaSync: false,
  useWritemap: false,
} as const;

export class LmdbTxnLog implements TxnLog {
  readonly root: RootDatabase;
  private readonly log: Database<Buffer, Buffer>;
  private readonly meta: Database<unknown, string>;
  private last: number;
  readonly location: string;

  constructor(readonly dataDir: string) {
    this.location = join(dataDir, 'corral.lmdb');
    mkdirSync(dataDir, { recursive: true });
    this.root = open({ path: this.location, ...lmdbDurableOptions });
    this.meta = this.root.openDB<unknown, string>({ name: 'meta' });
    const version = this.meta.get('formatVersion');
    if (version === undefined) this.meta.putSync('formatVersion', storageFormatVersion);
    else if (version !== storageFormatVersion) {
      void this.root.close();
      throw new IncompatibleDataDirError(dataDir, version);
    }
    this.log = this.root.openDB<Buffer, Buffer>({
      name: 'log',
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    this.last = this.lastKeyZxid();
  }

  private lastKeyZxid(): number {
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) return zxidOfKey(key);
    return 0;
  }

  async append(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0) return;
    let last = this.last;
    for (const txn of txns) {
      if (txn.zxid <= last) throw new Error(`append out of order: ${txn.zxid} after ${last}`);
      last = txn.zxid;
    }
    // One LMDB write transaction, committed with fsync before the promise resolves.
    const records = txns.map((txn) => [zxidKey(txn.zxid), encodeTxn(txn)] as const);
    // Puts issued in one synchronous run are committed by lmdb-js as one write transaction,
    // with fsync before their promises resolve (overlappingSync is off). We avoid
    // `transaction()` here: on a failed commit it leaves an internal promise rejected with no
    // handler, which would kill the process exactly when the disk is full.
    const puts = records.map(([key, record]) => this.log.put(key, record));
    try {
      await Promise.all(puts);
    } catch (error) {
      // lmdb-js attaches the cause as a second, already rejected promise (`commitError`).
      const commitError = (error as { commitError?: Promise<unknown> }).commitError;
      if (commitError !== undefined) {
        const cause = await commitError.then(() => undefined, (reason: unknown) => reason);
        throw new Error(`log append failed: ${String(cause)}`, { cause });
      }
      throw error;
    }
    this.last = Math.max(this.last, last);
  }

  lastZxid(): number {
    return this.last;
  }

  firstZxid(): number {
    for (const key of this.log.getKeys({ limit: 1 })) return zxidOfKey(key);
    return 0;
  }

  /**
   * The last zxid of each epoch the log holds, ascending: what a leader's synchronization needs
   * to tell a learner's history from a dead leader's tail. One reverse seek per epoch.
   */
  epochEnds(): number[] {
    const ends: number[] = [];
    let below = Number.MAX_SAFE_INTEGER;
    for (let epochs = 0; epochs < 1_000_000; epochs++) {
      let found: number | undefined;
      for (const key of this.log.getKeys({ start: zxidKey(below), reverse: true, limit: 1 })) {
        found = zxidOfKey(key);
      }
      if (found === undefined || found >= below) break;
      ends.push(found);
      // The next seek starts below the first zxid of this epoch.
      const epochStart = makeZxid(epochOfZxid(found), 0);
      if (epochStart === 0) break;
      below = epochStart - 1;
    }
    return ends.reverse();
  }

  get entryCount(): number {
    return this.log.getCount();
  }

  /** Records with zxid > afterZxid. */
  countAfter(afterZxid: number): number {
    return this.log.getCount({ start: zxidKey(afterZxid + 1) });
  }

  *readFrom(afterZxid: number): Iterable<Txn> {
    for (const { key, value } of this.log.getRange({ start: zxidKey(afterZxid + 1) })) {
      const zxid = zxidOfKey(key);
      yield decodeTxn(value, zxid, this.location);
    }
  }

  /** Checks every record's checksum (startup: corrupt records are found before any replay). */
  scan(): LogScan {
    const scan: LogScan = {
      entries: 0,
      firstZxid: 0,
      lastZxid: 0,
      corrupt: [],
      validAfterCorruptZxid: undefined,
    };
    for (const { key, value } of this.log.getRange({})) {
      const zxid = zxidOfKey(key);
      if (scan.entries === 0) scan.firstZxid = zxid;
      scan.entries++;
      scan.lastZxid = zxid;
      const reason = recordProblem(value);
      if (reason !== undefined) scan.corrupt.push({ zxid, reason });
      else if (scan.corrupt.length > 0) scan.validAfterCorruptZxid ??= zxid;
    }
    return scan;
  }

  /** Deletes every record with zxid >= fromZxid (a torn tail), durably. */
  async truncateFrom(fromZxid: number): Promise<number> {
    const keys = [...this.log.getKeys({ start: zxidKey(fromZxid) })];
    await this.log.transaction(() => {
      for (const key of keys) void this.log.remove(key);
    });
    this.last = this.lastKeyZxid();
    return keys.length;
  }

  /** The highest zxid ever purged: recovery needs a snapshot at or after it. */
  purgedThroughZxid(): number {
    const value = this.meta.get('purgedThroughZxid');
    return typeof value === 'number' ? value : 0;
  }

  /** Deletes records with zxid <= throughZxid, in short transactions; resolves with the count.
   * The purge mark is written in the same transaction as each batch of deletes. */
  async purgeThrough(throughZxid: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const keys = [
        ...this.log.getKeys({ end: zxidKey(throughZxid + 1), limit: purgeKeysPerTransactionMax }),
      ];
      if (keys.length === 0) return purged;
      const batchLastZxid = zxidOfKey(keys[keys.length - 1]!);
      await this.log.transaction(() => {
        for (const key of keys) void this.log.remove(key);
        if (batchLastZxid > this.purgedThroughZxid()) {
          void this.meta.put('purgedThroughZxid', batchLastZxid);
        }
      });
      purged += keys.length;
    }
  }

  /** The zxid of the record `count` places before the last one (0 when there are fewer). */
  zxidBeforeLast(count: number): number {
    for (const key of this.log.getKeys({ reverse: true, offset: count, limit: 1 })) {
      return zxidOfKey(key);
    }
    return 0;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
