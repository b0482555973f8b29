// The txn log over a storage backend: txns keyed by 8-byte big-endian zxid with a checksum (so
// key order is zxid order), the purge mark, and a format version that refuses data written by an
// incompatible corral. Appends made while a commit is in flight are grouped into the next one.

import { pack, unpack } from 'msgpackr';
import type { Txn } from '../protocol/txn.js';
import type { BackendSession, Table, TableWrite } from './backend.js';
import type { TxnLog } from './log.js';
import { decodeTxn, decodeTxnCopying, encodeTxn, recordProblem, recordTxn, zxidKey, zxidOfKey }
  from './txn-codec.js';
import { epochOfZxid, makeZxid } from '../protocol/zxid.js';

/** 2: log records may be compact (storage/txn-compact.ts), which a corral reading only format
 * 1 (msgpack records) cannot decode; it refuses the data dir instead. Format 1 data dirs open
 * and are marked 2, their msgpack records read as before. */
export const storageFormatVersion = 2;
const readableFormatVersions: ReadonlySet<unknown> = new Set([1, 2]);

/** Log entries deleted per write transaction when purging: one transaction holds LMDB's single
 * write lock while it commits, and the appends queued behind it (and their ACKs) wait for it. */
const purgeKeysPerTransactionMax = 1_000;

/** Meta keys; the values are msgpack, as lmdb-js's default encoding stored them. */
const formatVersionKey = Buffer.from('formatVersion');
const purgedThroughZxidKey = Buffer.from('purgedThroughZxid');

export class IncompatibleDataDirError extends Error {
  constructor(dataDir: string, found: unknown) {
    super(
      `data dir ${dataDir} holds corral storage format ${String(found)}; ` +
        `this corral reads formats ${[...readableFormatVersions].join(' and ')}`,
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

function metaValue(meta: Table, key: Uint8Array): unknown {
  const bytes = meta.get(key);
  return bytes === undefined ? undefined : unpack(bytes);
}

/** The storage format a session's tables were written in (undefined when new). */
export function storedFormatVersion(session: BackendSession): unknown {
  return metaValue(session.table('meta'), formatVersionKey);
}

/** The highest zxid ever purged from a session's log (0 when none). */
export function storedPurgedThroughZxid(session: BackendSession): number {
  const value = metaValue(session.table('meta'), purgedThroughZxidKey);
  return typeof value === 'number' ? value : 0;
}

export class DurableTxnLog implements TxnLog {
  private readonly log: Table;
  private readonly meta: Table;
  private last: number;
  /** Bytes of records appended by this process (what the map has taken in since it opened). */
  appendedBytes = 0;
  readonly dataDir: string;
  readonly location: string;

  private constructor(readonly session: BackendSession) {
    this.dataDir = session.dataDir;
    this.location = session.tablesLocation;
    this.meta = session.table('meta');
    this.log = session.table('log');
    this.last = this.lastKeyZxid();
  }

  /** Opens the log of a session, writing the format version into a new one (and into one of
   * format 1, whose records are a subset of format 2's). */
  static async open(session: BackendSession): Promise<DurableTxnLog> {
    const version = storedFormatVersion(session);
    if (version === undefined || (version !== storageFormatVersion &&
      readableFormatVersions.has(version))) {
      const meta = session.table('meta');
      await session.write([
        { table: meta, key: formatVersionKey, value: pack(storageFormatVersion) },
      ]);
    } else if (version !== storageFormatVersion) {
      throw new IncompatibleDataDirError(session.dataDir, version);
    }
    return new DurableTxnLog(session);
  }

  private lastKeyZxid(): number {
    for (const key of this.log.keys({ reverse: true, limit: 1 })) return zxidOfKey(key);
    return 0;
  }

  async append(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0) return;
    let last = this.last;
    for (const txn of txns) {
      if (txn.zxid <= last) throw new Error(`append out of order: ${txn.zxid} after ${last}`);
      last = txn.zxid;
    }
    // One write transaction, durable before the promise resolves.
    const log = this.log;
    const writes = new Array<TableWrite>(txns.length);
    for (let index = 0; index < txns.length; index++) {
      const txn = txns[index]!;
      // The same bytes either way: the one-pass writer where it can, msgpackr otherwise.
      const value = encodeTxn(txn);
      this.appendedBytes += value.length;
      writes[index] = { table: log, key: zxidKey(txn.zxid), value };
    }
    await this.session.write(writes);
    this.last = Math.max(this.last, last);
  }

  lastZxid(): number {
    return this.last;
  }

  firstZxid(): number {
    for (const key of this.log.keys({ limit: 1 })) return zxidOfKey(key);
    return 0;
  }

  /** True when the log holds a record for `zxid`. */
  holds(zxid: number): boolean {
    return this.log.get(zxidKey(zxid)) !== undefined;
  }

  /** Why the record of `zxid` cannot be trusted (recordProblem), or undefined when it holds
   * its checksum or is not there. */
  problemOf(zxid: number): string | undefined {
    const record = this.log.get(zxidKey(zxid));
    return record === undefined ? undefined : recordProblem(record);
  }

  /** The first zxid the log holds after `afterZxid` (0 when none). */
  firstZxidAfter(afterZxid: number): number {
    for (const key of this.log.keys({ start: zxidKey(afterZxid + 1), limit: 1 })) {
      return zxidOfKey(key);
    }
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
      for (const key of this.log.keys({ start: zxidKey(below), reverse: true, limit: 1 })) {
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
    return this.log.count();
  }

  /** Records with zxid > afterZxid. */
  countAfter(afterZxid: number): number {
    return this.log.count({ start: zxidKey(afterZxid + 1) });
  }

  *readFrom(afterZxid: number): Iterable<Txn> {
    const range = { start: zxidKey(afterZxid + 1) };
    // Each record decoded where the backend read it, when it can (a replay's long tail).
    const decoded = this.log.decodedEntries?.(range, decodeTxnCopying);
    if (decoded !== undefined) {
      for (const { key, value } of decoded) yield recordTxn(value, zxidOfKey(key), this.location);
      return;
    }
    for (const { key, value } of this.log.entries(range)) {
      yield decodeTxn(value, zxidOfKey(key), this.location);
    }
  }

  /** Checks the checksum of every record after `afterZxid` through `throughZxid` (startup:
   * corrupt records are found before any replay; a learner's DIFF before it is sent). */
  scan(afterZxid = 0, throughZxid = Number.MAX_SAFE_INTEGER): LogScan {
    const scan: LogScan = {
      entries: 0,
      firstZxid: 0,
      lastZxid: 0,
      corrupt: [],
      validAfterCorruptZxid: undefined,
    };
    const range = throughZxid >= Number.MAX_SAFE_INTEGER
      ? { start: zxidKey(afterZxid + 1) }
      : { start: zxidKey(afterZxid + 1), end: zxidKey(throughZxid + 1) };
    for (const { key, value } of this.log.entries(range)) {
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

  /** Deletes every record with zxid >= fromZxid (a torn tail), durably, in one transaction. */
  async truncateFrom(fromZxid: number): Promise<number> {
    const log = this.log;
    const keys = [...log.keys({ start: zxidKey(fromZxid) })];
    if (keys.length > 0) {
      await this.session.write(keys.map((key) => ({ table: log, key, value: undefined })));
    }
    this.last = this.lastKeyZxid();
    return keys.length;
  }

  /** The highest zxid ever purged: recovery needs a snapshot at or after it. */
  purgedThroughZxid(): number {
    return storedPurgedThroughZxid(this.session);
  }

  /** Deletes records with zxid <= throughZxid, in short transactions; resolves with the count.
   * The purge mark is written in the same transaction as each batch of deletes. */
  async purgeThrough(throughZxid: number): Promise<number> {
    const log = this.log;
    let purged = 0;
    for (;;) {
      const keys = [
        ...log.keys({ end: zxidKey(throughZxid + 1), limit: purgeKeysPerTransactionMax }),
      ];
      if (keys.length === 0) return purged;
      const batchLastZxid = zxidOfKey(keys[keys.length - 1]!);
      const writes: TableWrite[] = keys.map((key) => ({ table: log, key, value: undefined }));
      if (batchLastZxid > this.purgedThroughZxid()) {
        writes.push({ table: this.meta, key: purgedThroughZxidKey, value: pack(batchLastZxid) });
      }
      await this.session.write(writes);
      purged += keys.length;
    }
  }

  /** The zxid of the record `count` places before the last one (0 when there are fewer). */
  zxidBeforeLast(count: number): number {
    for (const key of this.log.keys({ reverse: true, offset: count, limit: 1 })) {
      return zxidOfKey(key);
    }
    return 0;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
