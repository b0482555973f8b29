import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { DurableEpochStore } from '../../storage/epochs.js';
import { lmdbStorageBackend } from '../../storage/lmdb-backend.js';
import { UnrecoverableDataDirError } from '../../storage/recovery.js';
import type { ReplicaStorage, StorageSettings } from '../../storage/replica-storage.js';
import { DataTree } from '../../tree/data-tree.js';
import { directoryBytes, drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };

async function openStorage(dir: string, settings: Partial<StorageSettings> = {}) {
  return openReplicaStorage(dir, settings, quiet);
}

/** Restores as the server does: snapshot, then replay of the log after it. */
async function recover(storage: ReplicaStorage): Promise<{ tree: DataTree; replayed: number }> {
  const tree = new DataTree({ extendedTypesEnabled: true });
  await storage.restoreInto(tree);
  let replayed = 0;
  for (const txn of storage.readFrom(tree.lastZxid)) {
    tree.apply(txn);
    replayed++;
  }
  return { tree, replayed };
}

describe('replica storage: snapshots and recovery', () => {
  it('recovers snapshot + log tail to the same digest, replaying only the tail (snapCount 200)',
    async () => {
      const dir = tempDir();
      const storage = await openStorage(dir, { snapCount: 200 });
      const tree = new DataTree({ extendedTypesEnabled: true });
      storage.attach(tree);
      const txns = new TxnStream(21).take(1050);
      await drive(storage, tree, txns);
      await storage.settled();
      await storage.close();
      const reopened = await openStorage(dir, { snapCount: 200 });
      const { tree: recovered, replayed } = await recover(reopened);
      expect(recovered.digest()).toBe(tree.digest());
      expect(recovered.lastZxid).toBe(1050);
      expect(replayed).toBeLessThan(200 + 10);
      expect(reopened.lastZxid()).toBe(1050);
      await reopened.close();
    });

  it('keeps disk bounded under a steady write load (snapCount 500, 20,000 txns)', async () => {
    const dir = tempDir();
    const settings = { snapCount: 500, snapRetainCount: 3, txnsRetainedMin: 100 };
    const storage = await openStorage(dir, settings);
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    const stream = new TxnStream(3);
    const logSizes: number[] = [];
    const entries: number[] = [];
    for (let round = 0; round < 10; round++) {
      await drive(storage, tree, stream.take(2000), 50);
      await storage.settled();
      // The snapshots are left out: this stream's sequential creates grow the tree, and with it
      // each snapshot (bounded by count, checked below). What must not grow is the log's store.
      logSizes.push(directoryBytes(dir) - directoryBytes(join(dir, 'snapshots')));
      entries.push(storage.log.entryCount);
    }
    // The log never holds more than the span of the kept snapshots plus one snapCount.
    for (const count of entries) expect(count).toBeLessThanOrEqual(4 * 500 + 50);
    expect(readdirSync(join(dir, 'snapshots')).length).toBeLessThanOrEqual(3);
    // After warming up, LMDB reuses freed pages: the log's file stops growing (measured flat from
    // the fourth round on; without purging it would grow some 2.5x over the later rounds).
    expect(Math.max(...logSizes.slice(5)))
      .toBeLessThanOrEqual(1.1 * Math.max(...logSizes.slice(2, 5)));
    await storage.close();
    const { tree: recovered } = await recover(await openStorage(dir, settings));
    expect(recovered.digest()).toBe(tree.digest());
  });

  it('keeps the log after a held zxid through compactions until the hold is released', async () => {
    const dir = tempDir();
    const settings = { snapCount: 200, snapRetainCount: 3, txnsRetainedMin: 50 };
    const storage = await openStorage(dir, settings);
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    const stream = new TxnStream(9);
    await drive(storage, tree, stream.take(300), 50);
    await storage.settled();
    expect(storage.firstZxid()).toBeLessThanOrEqual(251);
    // A learner's DIFF is being streamed from zxid 250 on.
    const release = storage.holdLogAfter(250);
    await drive(storage, tree, stream.take(1500), 50);
    await storage.settled();
    expect(storage.firstZxid()).toBeLessThanOrEqual(251);
    expect([...storage.readFrom(250)].map((txn) => txn.zxid).slice(0, 3)).toEqual([251, 252, 253]);
    // Released, the next compaction purges as it would have.
    release();
    await drive(storage, tree, stream.take(400), 50);
    await storage.settled();
    expect(storage.firstZxid()).toBeGreaterThan(1000);
    await storage.close();
  });

  it('falls back to an older snapshot when the newest is damaged', async () => {
    const dir = tempDir();
    const storage = await openStorage(dir, { snapCount: 300, txnsRetainedMin: 1 });
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(8).take(1000));
    await storage.settled();
    await storage.close();
    const snapshots = readdirSync(join(dir, 'snapshots')).sort();
    expect(snapshots.length).toBe(3);
    writeFileSync(join(dir, 'snapshots', snapshots.at(-1)!), 'torn');
    // Snapshots a crash cut off while they were written (under their temporary names) go at
    // the next start; a file of any other name is not corral's to remove.
    writeFileSync(join(dir, 'snapshots', 'snapshot.00000000000003e8.tmp'), 'half');
    writeFileSync(join(dir, 'snapshots', 'snapshot.00000000000003e9.gz.tmp'), 'half');
    writeFileSync(join(dir, 'snapshots', 'operator-notes.tmp'), 'kept');
    const warnings: string[] = [];
    const reopened = await openReplicaStorage(dir, {}, {
      info: () => undefined,
      warn: (_details, message) => warnings.push(message),
    });
    const { tree: recovered } = await recover(reopened);
    expect(recovered.digest()).toBe(tree.digest());
    expect(warnings).toContain('skipping a damaged snapshot');
    expect(warnings.filter((message) => message.startsWith('removed snapshot files a crash')))
      .toHaveLength(1);
    expect(readdirSync(join(dir, 'snapshots')).sort())
      .toEqual([...snapshots, 'operator-notes.tmp'].sort());
    await reopened.close();
  });

  it('refuses to start when the log was purged past every whole snapshot', async () => {
    const dir = tempDir();
    const storage = await openStorage(dir, { snapCount: 300, txnsRetainedMin: 1 });
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(9).take(1000));
    await storage.settled();
    await storage.close();
    for (const name of readdirSync(join(dir, 'snapshots'))) {
      writeFileSync(join(dir, 'snapshots', name), 'gone');
    }
    const reopened = await openStorage(dir);
    await expect(recover(reopened)).rejects.toThrow(UnrecoverableDataDirError);
    await expect(recover(reopened)).rejects.toThrow(dir);
    await reopened.close();
  });

  it('replays the whole log when there is no snapshot yet', async () => {
    const dir = tempDir();
    const txns = new TxnStream(4).take(300);
    const storage = await openStorage(dir);
    await drive(storage, new DataTree({ extendedTypesEnabled: true }), txns);
    await storage.close();
    const { tree, replayed } = await recover(await openStorage(dir));
    expect(replayed).toBe(300);
    expect(tree.digest()).toBe(treeOf(txns).digest());
  });
});

describe('epochs', () => {
  it('keeps acceptedEpoch and currentEpoch across a reopen, checksummed', async () => {
    const dir = tempDir();
    const session = await lmdbStorageBackend(dir).open();
    const epochs = new DurableEpochStore(session);
    expect([epochs.acceptedEpoch(), epochs.currentEpoch()]).toEqual([0, 0]);
    await epochs.setAcceptedEpoch(7);
    await epochs.setCurrentEpoch(6);
    await session.close();
    const reopened = await openStorage(dir);
    expect([reopened.epochs.acceptedEpoch(), reopened.epochs.currentEpoch()]).toEqual([7, 6]);
    await reopened.close();
  });
});

describe('snapshot schedule', () => {
  it('counts txns from the last snapshot across restarts (restarts every 60 txns, snapCount 100)',
    async () => {
      const dir = tempDir();
      const stream = new TxnStream(12);
      for (let restart = 0; restart < 4; restart++) {
        const storage = await openStorage(dir, { snapCount: 100 });
        const { tree } = await recover(storage);
        await drive(storage, tree, stream.take(60));
        await storage.settled();
        await storage.close();
      }
      expect(readdirSync(join(dir, 'snapshots')).length).toBeGreaterThanOrEqual(2);
    });
});
