// The real replica storage (storage/replica-storage.ts) over the simulated disk: appends durable
// only when flushed, what a power loss keeps, torn and corrupt records, a full disk, snapshots and
// compaction, and restarts that restore exactly what was durable.

import { describe, expect, it } from 'vitest';
import { CorruptLogError } from '../../storage/recovery.js';
import type { Txn } from '../../protocol/txn.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, treeOf, TxnStream } from '../storage/fixtures.js';
import { DiskDriver, loggedZxids, recover, turns } from './storage-disk.js';

const quietTree = (): DataTree => new DataTree({ extendedTypesEnabled: true });

/** Batches of `size` txns from one seeded stream. */
function batchesOf(txns: readonly Txn[], size: number): Txn[][] {
  const batches: Txn[][] = [];
  for (let start = 0; start < txns.length; start += size) {
    batches.push(txns.slice(start, start + size));
  }
  return batches;
}

describe('replica storage over the simulated disk: appends', () => {
  it('resolves appends only as the disk flushes them, in order, and reads only durable txns',
    async () => {
      const driver = new DiskDriver();
      const storage = await driver.open();
      driver.autoFlush = false;
      const [first, second] = batchesOf(new TxnStream(1).take(5), 3);
      const resolved: number[] = [];
      void storage.append(first!).then(() => resolved.push(3));
      void storage.append(second!).then(() => resolved.push(5));
      await turns();
      expect(resolved).toEqual([]);
      expect([storage.lastZxid(), loggedZxids(storage)]).toEqual([0, []]);
      driver.disk.flush(1);
      await turns();
      expect(resolved).toEqual([3]);
      expect([storage.lastZxid(), loggedZxids(storage)]).toEqual([3, [1, 2, 3]]);
      driver.disk.flush(1);
      await turns();
      expect(resolved).toEqual([3, 5]);
      expect(loggedZxids(storage)).toEqual([1, 2, 3, 4, 5]);
    });

  it.each([0, 1, 3, 5])('keeps exactly the first %i of 5 pending appends through a power loss',
    async (survivors) => {
      const driver = new DiskDriver();
      const storage = await driver.open();
      driver.autoFlush = false;
      const txns = new TxnStream(2).take(10);
      for (const batch of batchesOf(txns, 2)) void storage.append(batch);
      await turns();
      driver.disk.powerLoss({ survivors });
      const reopened = await driver.open();
      const kept = txns.slice(0, 2 * survivors);
      expect(loggedZxids(reopened)).toEqual(kept.map((txn) => txn.zxid));
      expect((await recover(reopened)).digest()).toBe(treeOf(kept).digest());
      expect(driver.warnings).toEqual([]);
    });

  it('persists an epoch only once the disk flushes it (Zab: ACKEPOCH waits for it)', async () => {
    const driver = new DiskDriver();
    const storage = await driver.open();
    driver.autoFlush = false;
    let persisted = false;
    void storage.epochs.setAcceptedEpoch(3).then(() => (persisted = true));
    await turns();
    expect([persisted, storage.epochs.acceptedEpoch()]).toEqual([false, 0]);
    driver.disk.flush();
    await turns();
    expect([persisted, storage.epochs.acceptedEpoch()]).toEqual([true, 3]);
    void storage.epochs.setCurrentEpoch(3);
    driver.disk.powerLoss();
    const reopened = await driver.open();
    expect([reopened.epochs.acceptedEpoch(), reopened.epochs.currentEpoch()]).toEqual([3, 0]);
  });

  it('cuts a torn last append at reopen, logs it, and never applies it', async () => {
    const driver = new DiskDriver();
    const storage = await driver.open();
    driver.autoFlush = false;
    const txns = new TxnStream(3).take(9);
    for (const batch of batchesOf(txns, 3)) void storage.append(batch);
    await turns();
    // The third batch reached the disk as zxid 7 whole and zxid 8 cut to 6 bytes.
    driver.disk.powerLoss({ survivors: 3, tear: { recordsKept: 2, bytesKept: 6 } });
    const reopened = await driver.open();
    expect(driver.warnings).toEqual([expect.stringMatching(/truncated a corrupt txn log tail/)]);
    expect(loggedZxids(reopened)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(reopened.lastZxid()).toBe(7);
    expect((await recover(reopened)).digest()).toBe(treeOf(txns.slice(0, 7)).digest());
  });

  it('refuses to open on a corrupt record with valid records after it, naming the zxid',
    async () => {
      const driver = new DiskDriver();
      const storage = await driver.open();
      await drive(storage, quietTree(), new TxnStream(4).take(100));
      driver.disk.corruptRecord(0x32);
      driver.disk.powerLoss();
      const opening = driver.open();
      await expect(opening).rejects.toThrow(CorruptLogError);
      await expect(opening).rejects.toThrow(
        'data dir /simulated/replica-1: txn log record zxid 0x32 is corrupt');
      // Nothing was cut off: every record is still there to repair from.
      driver.disk.corruptRecord(0x32);
      const repaired = await driver.open();
      expect(loggedZxids(repaired)).toHaveLength(100);
    });

  it('cuts a corrupt last record as a torn tail', async () => {
    const driver = new DiskDriver();
    const storage = await driver.open();
    const txns = new TxnStream(5).take(40);
    await drive(storage, quietTree(), txns);
    driver.disk.corruptRecord(40);
    driver.disk.crash();
    const reopened = await driver.open();
    expect(reopened.lastZxid()).toBe(39);
    expect((await recover(reopened)).digest()).toBe(treeOf(txns.slice(0, 39)).digest());
  });

  it('fails an append on a full disk, applying nothing, and appends again once there is room',
    async () => {
      const driver = new DiskDriver();
      const storage = await driver.open();
      const txns = new TxnStream(6).take(30);
      const tree = quietTree();
      await drive(storage, tree, txns.slice(0, 10));
      driver.disk.setDiskFull(true);
      await expect(storage.append(txns.slice(10, 20))).rejects.toThrow(/ENOSPC/);
      expect([storage.lastZxid(), loggedZxids(storage).length]).toEqual([10, 10]);
      driver.disk.setDiskFull(false);
      await drive(storage, tree, txns.slice(10, 30));
      driver.disk.powerLoss();
      const reopened = await driver.open();
      expect((await recover(reopened)).digest()).toBe(treeOf(txns).digest());
    });
});

describe('replica storage over the simulated disk: snapshots and compaction', () => {
  it('snapshots, purges, and restores the same tree after a power loss (snapCount 200)',
    async () => {
      const driver = new DiskDriver();
      const settings = { snapCount: 200, snapRetainCount: 2, txnsRetainedMin: 50 };
      const storage = await driver.open(settings);
      const tree = quietTree();
      storage.attach(tree);
      const stream = new TxnStream(7);
      for (let round = 0; round < 5; round++) {
        await drive(storage, tree, stream.take(210), 25);
        await storage.settled();
      }
      const snapshots = driver.disk.files.durablePaths();
      expect(snapshots).toHaveLength(2);
      expect(snapshots.every((path) => /snapshots\/snapshot\.[0-9a-f]{16}$/.test(path))).toBe(true);
      // Purged back to the older kept snapshot.
      expect(storage.firstZxid()).toBeGreaterThan(500);
      driver.disk.powerLoss();
      const reopened = await driver.open(settings);
      const recovered = await recover(reopened);
      expect(recovered.digest()).toBe(tree.digest());
      expect(loggedZxids(reopened).length).toBeLessThan(500);
    });

  it('falls back to the older snapshot when the newest is damaged', async () => {
    const driver = new DiskDriver();
    const settings = { snapCount: 300, txnsRetainedMin: 1 };
    const storage = await driver.open(settings);
    const tree = quietTree();
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(8).take(1000));
    await storage.settled();
    driver.disk.corruptFile(driver.disk.files.durablePaths().at(-1)!);
    driver.disk.powerLoss();
    const recovered = await recover(await driver.open(settings));
    expect(recovered.digest()).toBe(tree.digest());
    expect(driver.warnings).toContain('skipping a damaged snapshot');
  });
});
