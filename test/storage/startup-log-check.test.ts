// Which log records a real data dir's startup checks (storage settings startupLogCheck): only
// those after the newest snapshot, the ones recovery replays. A corrupt record that snapshot
// covers is found when something reads it: a DIFF's range check, or the replay after an older
// snapshot when the newest is damaged (a CorruptLogError before anything is applied).

import { readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { CorruptLogError } from '../../storage/recovery.js';
import type { StorageSettings } from '../../storage/replica-storage.js';
import { zxidKey } from '../../storage/txn-codec.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, treeOf, TxnStream, writtenDataDir } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };
// Snapshots every 30 txns; every record stays in the log.
const settings: Partial<StorageSettings> = { snapCount: 30, txnsRetainedMin: 100_000,
  snapRetainCount: 10 };
const txns = new TxnStream(7).take(100);


/** Snapshot zxids of a closed data dir, newest first. */
function snapshotZxids(dir: string): number[] {
  return readdirSync(join(dir, 'snapshots'))
    .filter((name) => /^snapshot\.[0-9a-f]{16}$/.test(name))
    .map((name) => Number.parseInt(name.slice(9), 16))
    .sort((a, b) => b - a);
}

async function flip(dir: string, zxid: number): Promise<void> {
  const env = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const log = env.openDB<Buffer, Buffer>({ name: 'log', keyEncoding: 'binary',
    encoding: 'binary' });
  const record = Buffer.from(log.getBinary(zxidKey(zxid))!);
  record[record.length >> 1]! ^= 0x5a;
  await log.put(zxidKey(zxid), record);
  await env.close();
}

async function recovered(dir: string): Promise<DataTree> {
  const storage = await openReplicaStorage(dir, settings, quiet);
  try {
    const tree = new DataTree({ extendedTypesEnabled: true });
    await storage.restoreInto(tree);
    for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
    return tree;
  } finally {
    await storage.close();
  }
}

describe('the startup log check (real LMDB data dir)', () => {
  it('skips records the newest snapshot covers; a DIFF range check finds them', async () => {
    const dir = await writtenDataDir('corral-startup-check-', settings, txns);
    const [newest, older] = snapshotZxids(dir);
    expect(older).toBeDefined();
    const covered = older! + 3;
    expect(covered).toBeLessThan(newest!);
    await flip(dir, covered);
    // 'all' (the simulator's default) still refuses, as before.
    await expect(openReplicaStorage(dir, { ...settings, startupLogCheck: 'all' }, quiet))
      .rejects.toThrow(CorruptLogError);
    expect((await recovered(dir)).digest()).toBe(treeOf(txns).digest());

    const storage = await openReplicaStorage(dir, settings, quiet);
    try {
      const tree = new DataTree({ extendedTypesEnabled: true });
      await storage.restoreInto(tree);
      // A DIFF from after it needs nothing checked; one across it finds it, every time asked.
      expect(storage.corruptRecordBetween(covered, 100)).toBeUndefined();
      expect(storage.corruptRecordBetween(older!, 100)).toEqual(
        { zxid: covered, reason: 'checksum mismatch' });
      expect(storage.corruptRecordBetween(older!, 100)?.zxid).toBe(covered);
      expect(storage.corruptRecordBetween(0, covered - 1)).toBeUndefined();
      // Any other read refuses it too: the whole log read from before it.
      expect(() => [...storage.readFrom(covered - 1)]).toThrow(/corrupt/);
    } finally {
      await storage.close();
    }
  });

  it('checks the records between an older snapshot and a damaged newest before replay',
    async () => {
      const dir = await writtenDataDir('corral-startup-check-', settings, txns);
      const [newest, older] = snapshotZxids(dir);
      const between = older! + 5;
      expect(between).toBeLessThan(newest!);
      await flip(dir, between);
      // The newest snapshot torn: recovery falls back to the older one and must replay the
      // corrupt record, which it refuses before applying anything.
      truncateSync(join(dir, 'snapshots', `snapshot.${newest!.toString(16).padStart(16, '0')}`),
        100);
      const storage = await openReplicaStorage(dir, settings, quiet);
      try {
        const tree = new DataTree({ extendedTypesEnabled: true });
        await expect(storage.restoreInto(tree)).rejects.toThrow(
          new RegExp(`txn log record zxid 0x${between.toString(16)} is corrupt`));
        expect(tree.lastZxid).toBe(older);
      } finally {
        await storage.close();
      }
    });
});
