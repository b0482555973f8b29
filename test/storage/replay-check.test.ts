// A standalone server's startup check of its log tail (startupLogCheck 'asReplayed'): only the
// last record is checked as the storage opens; the replay after the newest snapshot checks the
// rest as it reads them. Every outcome must be the one the up-front check gave: a corrupt record
// with valid ones after it refuses the start naming it (nothing from it on applied, nothing cut
// off), a torn tail is cut off and logged.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import type { Txn } from '../../protocol/txn.js';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { CorruptLogError } from '../../storage/recovery.js';
import type { ReplicaStorage, StorageSettings } from '../../storage/replica-storage.js';
import { zxidKey } from '../../storage/txn-codec.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, treeOf, TxnStream, writtenDataDir } from './fixtures.js';

afterEach(removeTempDirs);

// Snapshots every 30 txns, the log keeps every record: the newest snapshot is at or after 90,
// with a tail of records after it.
const written: Partial<StorageSettings> = { snapCount: 30, txnsRetainedMin: 100_000,
  snapRetainCount: 10 };
const asReplayed: Partial<StorageSettings> = { ...written, startupLogCheck: 'asReplayed' };
const txns = new TxnStream(11).take(100);

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { info: () => undefined,
    warn: (_details: object, message: string) => warnings.push(message) } };
}
const quiet = recordingLogger().logger;


function newestSnapshotZxid(dir: string): number {
  return Math.max(...readdirSync(join(dir, 'snapshots'))
    .filter((name) => /^snapshot\.[0-9a-f]{16}$/.test(name))
    .map((name) => Number.parseInt(name.slice(9), 16)));
}

/** Flips a byte in the middle of each record named (the data dir closed); `at` another byte. */
async function flip(dir: string, ...zxids: number[]): Promise<void> {
  return flipAt(dir, (record) => record.length >> 1, ...zxids);
}

async function flipAt(dir: string, at: (record: Buffer) => number, ...zxids: number[]):
  Promise<void> {
  const env = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const log = env.openDB<Buffer, Buffer>({ name: 'log', keyEncoding: 'binary',
    encoding: 'binary' });
  for (const zxid of zxids) {
    const record = Buffer.from(log.getBinary(zxidKey(zxid))!);
    record[at(record)]! ^= 0x5a;
    await log.put(zxidKey(zxid), record);
  }
  await env.close();
}

/** What a standalone server's startup does: restore, then replay the tail into the tree. */
async function recover(storage: ReplicaStorage, tree: DataTree): Promise<void> {
  await storage.restoreInto(tree, { deferDigest: true });
  for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
}

describe("startupLogCheck 'asReplayed' (real LMDB data dir)", () => {
  it.each([
    // The payload damaged: it may or may not decode.
    ['a payload byte', (record: Buffer) => record.length >> 1],
    // The stored checksum damaged: the payload decodes, only the checksum tells.
    ['a checksum byte', () => 1],
  ])('refuses a record in the middle of the tail with %s flipped during the replay, applying ' +
    'nothing from it on and cutting nothing off', async (_name, at) => {
    const dir = await writtenDataDir('corral-replay-check-', written, txns);
    const snapshot = newestSnapshotZxid(dir);
    const corrupt = snapshot + 3;
    expect(corrupt).toBeLessThan(100);
    await flipAt(dir, at, corrupt);
    const storage = await openReplicaStorage(dir, asReplayed, quiet);
    try {
      const tree = new DataTree({ extendedTypesEnabled: true });
      const replay = recover(storage, tree);
      await expect(replay).rejects.toThrow(CorruptLogError);
      await expect(replay).rejects.toThrow(new RegExp(`data dir ${dir}: txn log record zxid ` +
        `0x${corrupt.toString(16)} is corrupt \\(checksum mismatch\\) and valid records follow ` +
        `it \\(from zxid 0x${(corrupt + 1).toString(16)}\\)`));
      // The records before it were applied (the tree is thrown away); it and the rest were not.
      expect(tree.lastZxid).toBe(corrupt - 1);
      expect(tree.digest()).toBe(treeOf(txns.slice(0, corrupt - 1)).digest());
      expect(storage.log.entryCount).toBe(100);
    } finally {
      await storage.close();
    }
    // The up-front check (the setting every other opener uses) says the same, at open.
    await expect(openReplicaStorage(dir, written, quiet)).rejects.toThrow(
      `txn log record zxid 0x${corrupt.toString(16)} is corrupt`);
  });

  it('cuts off a torn tail as it opens, logs it, and replays the rest', async () => {
    const dir = await writtenDataDir('corral-replay-check-', written, txns);
    await flip(dir, 99, 100);
    const { warnings, logger } = recordingLogger();
    const storage = await openReplicaStorage(dir, asReplayed, logger);
    try {
      expect(warnings).toEqual([expect.stringMatching(
        /truncated a corrupt txn log tail of 2 record\(s\) from zxid 0x63/)]);
      expect(storage.lastZxid()).toBe(98);
      const tree = new DataTree({ extendedTypesEnabled: true });
      await recover(storage, tree);
      expect(tree.digest()).toBe(treeOf(txns.slice(0, 98)).digest());
    } finally {
      await storage.close();
    }
  });

  it('refuses at open, as before, a corrupt record in the tail when the last one is torn too',
    async () => {
      const dir = await writtenDataDir('corral-replay-check-', written, txns);
      const corrupt = newestSnapshotZxid(dir) + 2;
      await flip(dir, corrupt, 100);
      await expect(openReplicaStorage(dir, asReplayed, quiet)).rejects.toThrow(CorruptLogError);
      const storage = await openReplicaStorage(dir, { ...asReplayed, startupLogCheck: 'all' },
        quiet).catch((error: unknown) => error);
      expect(String(storage)).toContain(`zxid 0x${corrupt.toString(16)} is corrupt`);
    });

  it('counts the tail as checked only once a replay has read all of it', async () => {
    const dir = await writtenDataDir('corral-replay-check-', written, txns);
    const snapshot = newestSnapshotZxid(dir);
    await flip(dir, snapshot + 4);
    const storage = await openReplicaStorage(dir, asReplayed, quiet);
    try {
      const tree = new DataTree({ extendedTypesEnabled: true });
      await storage.restoreInto(tree);
      const read: Txn[] = [];
      for (const txn of storage.readFrom(tree.lastZxid)) {
        read.push(txn);
        if (read.length === 2) break;
      }
      // The replay stopped before the corrupt record: a DIFF over it still finds it.
      expect(storage.corruptRecordBetween(snapshot, 100)).toEqual(
        { zxid: snapshot + 4, reason: 'checksum mismatch' });
      // A second replay from the snapshot is checked all the same.
      expect(() => [...storage.readFrom(tree.lastZxid)]).toThrow(CorruptLogError);
    } finally {
      await storage.close();
    }
  });
});
