// The txn log on LMDB: one environment under the data dir, txns keyed by 8-byte big-endian zxid
// with a checksum, and a format version that refuses data written by an incompatible corral.
// Appends made while a commit is in flight are grouped into the next durable LMDB transaction.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { Txn } from '../tree/txn.js';
import type { TxnLog } from './log.js';
import { decodeTxn, encodeTxn, zxidKey, zxidOfKey } from './txn-codec.js';

export const storageFormatVersion = 1;

export class IncompatibleDataDirError extends Error {
  constructor(dataDir: string, found: unknown) {
    super(
      `data dir ${dataDir} holds corral storage format ${String(found)}; ` +
        `this corral reads format ${storageFormatVersion}`,
    );
    this.name = 'IncompatibleDataDirError';
  }
}

export class LmdbTxnLog implements TxnLog {
  private readonly root: RootDatabase;
  private readonly log: Database<Buffer, Buffer>;
  private last: number;
  readonly location: string;

  constructor(dataDir: string) {
    this.location = join(dataDir, 'corral.lmdb');
    mkdirSync(dataDir, { recursive: true });
    this.root = open({ path: this.location, maxDbs: 8, noSubdir: false });
    const meta = this.root.openDB<unknown, string>({ name: 'meta' });
    const version = meta.get('formatVersion');
    if (version === undefined) meta.putSync('formatVersion', storageFormatVersion);
    else if (version !== storageFormatVersion) throw new IncompatibleDataDirError(dataDir, version);
    this.log = this.root.openDB<Buffer, Buffer>({ name: 'log', keyEncoding: 'binary', encoding: 'binary' });
    this.last = 0;
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) this.last = zxidOfKey(key);
  }

  async append(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0) return;
    for (const txn of txns) {
      if (txn.zxid <= this.last) throw new Error(`append out of order: ${txn.zxid} after ${this.last}`);
      this.last = txn.zxid;
    }
    // One LMDB write transaction, committed with fsync before the promise resolves.
    await this.log.transaction(() => {
      for (const txn of txns) void this.log.put(zxidKey(txn.zxid), encodeTxn(txn));
    });
  }

  lastZxid(): number {
    return this.last;
  }

  *readFrom(afterZxid: number): Iterable<Txn> {
    for (const { key, value } of this.log.getRange({ start: zxidKey(afterZxid + 1) })) {
      const zxid = zxidOfKey(key);
      yield decodeTxn(value, zxid, this.location);
    }
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
