// The storage backend contract (storage/backend.ts), checked against both implementations: LMDB
// with node:fs, and the simulator's disk (flushed as it goes). What the storage logic relies on
// must read the same in both, or the simulator would test something production does not run.

import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendSession, KeyRange, StorageBackend } from '../../storage/backend.js';
import { DurableTxnLog, storageFormatVersion, storedFormatVersion } from
  '../../storage/durable-log.js';
import { DurableEpochStore } from '../../storage/epochs.js';
import { lmdbDurableOptions, lmdbStorageBackend } from '../../storage/lmdb-backend.js';
import { encodeTxn, zxidKey } from '../../storage/txn-codec.js';
import { DiskDriver, turns } from '../sim/storage-disk.js';
import { removeTempDirs, tempDir, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const worlds: Array<[string, () => StorageBackend]> = [
  ['LMDB and node:fs', () => lmdbStorageBackend(tempDir())],
  ['the simulated disk', () => new DiskDriver().disk],
];

const key = (byte: number): Buffer => Buffer.from([byte]);
const bytesOf = (keys: Iterable<Uint8Array>): number[] => [...keys].map((each) => each[0]!);

describe.each(worlds)('storage backend contract: %s', (_name, make) => {
  async function withSession(run: (session: BackendSession) => Promise<void>): Promise<void> {
    const session = await make().open();
    try {
      await run(session);
    } finally {
      await session.close();
    }
  }

  it.each<[KeyRange, number[], number]>([
    [{}, [1, 3, 5, 7], 4],
    [{ start: key(3) }, [3, 5, 7], 3],
    [{ start: key(4) }, [5, 7], 2],
    [{ end: key(5) }, [1, 3], 2],
    [{ start: key(3), end: key(7) }, [3, 5], 2],
    [{ reverse: true }, [7, 5, 3, 1], 4],
    [{ reverse: true, start: key(5) }, [5, 3, 1], 3],
    [{ reverse: true, start: key(4) }, [3, 1], 2],
    [{ reverse: true, start: key(6), end: key(3) }, [5], 1],
    [{ reverse: true, start: key(0) }, [], 0],
    [{ reverse: true, offset: 1, limit: 1 }, [5], 4],
    [{ offset: 1, limit: 2 }, [3, 5], 4],
    [{ start: key(3), limit: 0 }, [], 3],
    [{ start: key(9) }, [], 0],
  ])('reads a range as lmdb-js does: %o', async (range, keys, count) => {
    await withSession(async (session) => {
      const table = session.table('ranges');
      await session.write([1, 7, 3, 5].map((byte) => ({
        table, key: key(byte), value: key(byte),
      })));
      expect(bytesOf(table.keys({ ...range }))).toEqual(keys);
      expect([...table.entries({ ...range })].map((entry) => entry.value[0])).toEqual(keys);
      expect(table.count({ start: range.start, end: range.end, reverse: range.reverse }))
        .toBe(count);
    });
  });

  it('applies a batch in order, deletes included, and shows it only once durable', async () => {
    await withSession(async (session) => {
      const table = session.table('batches');
      await session.write([{ table, key: key(1), value: key(10) }]);
      const batch = session.write([
        { table, key: key(2), value: key(20) },
        { table, key: key(1), value: undefined },
        { table, key: key(2), value: key(21) },
      ]);
      // lmdb-js without its cache: a put is not read back before its commit.
      expect(table.get(key(2))).toBeUndefined();
      expect(table.get(key(1))).toEqual(key(10));
      await batch;
      expect(table.get(key(1))).toBeUndefined();
      expect(table.get(key(2))).toEqual(key(21));
      expect(table.count()).toBe(1);
    });
  });

  it('keeps an iteration on the table as it was when the iteration began', async () => {
    await withSession(async (session) => {
      const table = session.table('snapshots');
      await session.write([1, 2, 3].map((byte) => ({ table, key: key(byte), value: key(byte) })));
      const reading = table.keys()[Symbol.iterator]();
      expect(reading.next().value?.[0]).toBe(1);
      await session.write([
        { table, key: key(2), value: undefined },
        { table, key: key(4), value: key(4) },
      ]);
      expect(bytesOf({ [Symbol.iterator]: () => reading })).toEqual([2, 3]);
      expect(bytesOf(table.keys())).toEqual([1, 3, 4]);
    });
  });

  it('writes, renames, lists, reads and removes files', async () => {
    await withSession(async (session) => {
      const { files } = session;
      const dir = join(session.dataDir, 'snapshots');
      await files.makeDirectory(dir);
      const file = await files.create(join(dir, 'a.tmp'));
      await file.writev([Buffer.from('hello '), Buffer.from('world')]);
      expect(await file.write(Buffer.from('W'), 6)).toBe(1);
      await file.sync();
      await file.close();
      await files.rename(join(dir, 'a.tmp'), join(dir, 'a'));
      await files.syncDirectory(dir);
      expect(await files.list(dir)).toEqual(['a']);
      expect(files.stat(join(dir, 'a'))?.bytes).toBe(11);
      const reader = files.openForReading(join(dir, 'a'));
      const into = Buffer.alloc(5);
      expect(reader.read(into, 5, 6)).toBe(5);
      reader.close();
      expect(into.toString()).toBe('World');
      await files.remove(join(dir, 'a'));
      await files.remove(join(dir, 'never-there'));
      expect(await files.list(dir)).toEqual([]);
      expect(files.stat(join(dir, 'a'))).toBeUndefined();
      expect(await files.list(join(dir, 'missing'))).toEqual([]);
    });
  });

  it('keeps what a session wrote for the next one', async () => {
    const backend = make();
    const first = await backend.open();
    await new DurableEpochStore(first).setAcceptedEpoch(9);
    await first.close();
    const second = await backend.open();
    expect(new DurableEpochStore(second).acceptedEpoch()).toBe(9);
    await second.close();
  });
});

describe('on-disk format', () => {
  /** An epoch record as corral has always written it: 8 bytes big-endian, then a CRC-32C. */
  function epochRecord(epoch: number): Buffer {
    const record = Buffer.alloc(12);
    record.writeUInt32BE(epoch, 4);
    record.writeUInt32BE(crc32c(record.subarray(0, 8)), 8);
    return record;
  }

  it('reads a data dir as lmdb-js default encodings wrote it (corral before the backend split)',
    async () => {
      const dataDir = tempDir();
      // Exactly how the log, epochs and meta were opened and written before: meta with lmdb-js's
      // default values (msgpack) and keys, epochs with default keys and binary values.
      const root = open({ path: join(dataDir, 'corral.lmdb'), ...lmdbDurableOptions });
      const meta = root.openDB({ name: 'meta' });
      await meta.put('formatVersion', 1);
      await meta.put('purgedThroughZxid', 0x1_0000_0005);
      await root.openDB({ name: 'epochs', encoding: 'binary' }).put('currentEpoch',
        epochRecord(4));
      const txn = new TxnStream(5).take(7).at(-1)!;
      await root.openDB({ name: 'log', keyEncoding: 'binary', encoding: 'binary' })
        .put(zxidKey(txn.zxid), encodeTxn(txn));
      await root.close();
      const log = await DurableTxnLog.open(await lmdbStorageBackend(dataDir).open());
      // Format 1 opens and is marked as the format now written (its records read unchanged).
      expect(storedFormatVersion(log.session)).toBe(storageFormatVersion);
      expect(log.purgedThroughZxid()).toBe(0x1_0000_0005);
      expect(new DurableEpochStore(log.session).currentEpoch()).toBe(4);
      expect([...log.readFrom(0)]).toEqual([txn]);
      await log.close();
    });

  it('writes what lmdb-js default encodings read back', async () => {
    const dataDir = tempDir();
    const log = await DurableTxnLog.open(await lmdbStorageBackend(dataDir).open());
    await new DurableEpochStore(log.session).setAcceptedEpoch(6);
    await log.close();
    const root = open({ path: join(dataDir, 'corral.lmdb'), ...lmdbDurableOptions });
    expect(root.openDB({ name: 'meta' }).get('formatVersion')).toBe(storageFormatVersion);
    expect(root.openDB({ name: 'epochs', encoding: 'binary' }).get('acceptedEpoch'))
      .toEqual(epochRecord(6));
    await root.close();
  });
});

describe('the simulated disk between turns', () => {
  it('lets the logic see nothing pending when it flushes on the next turn', async () => {
    const driver = new DiskDriver();
    const session = await driver.disk.open();
    const table = session.table('t');
    const writing = session.write([{ table, key: key(1), value: key(1) }]);
    expect(driver.disk.pendingOperations).toBe(1);
    await turns();
    await writing;
    expect(driver.disk.pendingOperations).toBe(0);
    await session.close();
  });
});
