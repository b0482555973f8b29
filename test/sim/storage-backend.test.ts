// The simulated disk's own rules (sim/storage-backend.ts): pending operations made durable in
// order by flush, what a power loss or a crash keeps, torn writes, a full disk, damage, and the
// file model (contents durable by a file's sync, names by its directory's).

import { describe, expect, it } from 'vitest';
import type { BackendSession } from '../../storage/backend.js';
import { zxidKey } from '../../storage/txn-codec.js';
import { DiskDriver, turns } from './storage-disk.js';

const bytes = (text: string): Buffer => Buffer.from(text);

async function manualDisk(): Promise<{ driver: DiskDriver; session: BackendSession }> {
  const driver = new DiskDriver();
  driver.autoFlush = false;
  return { driver, session: await driver.disk.open() };
}

/** Writes `count` one-record batches to the log table, keys 1..count; returns their promises,
 * each recording its key in `resolved` when it resolves. */
function writeRecords(session: BackendSession, count: number, resolved: number[]) {
  const log = session.table('log');
  return Array.from({ length: count }, (_, index) =>
    session.write([{ table: log, key: zxidKey(index + 1), value: bytes(`record ${index + 1}`) }])
      .then(() => void resolved.push(index + 1)));
}

const keysOf = (session: BackendSession): number[] =>
  [...session.table('log').keys()].map((key) => key[7]!);

describe('simulated disk: durability', () => {
  it('makes pending batches durable and visible only when flushed, resolving them in order',
    async () => {
      const { driver, session } = await manualDisk();
      const resolved: number[] = [];
      writeRecords(session, 3, resolved);
      await turns();
      expect(driver.disk.pendingOperations).toBe(3);
      expect(keysOf(session)).toEqual([]);
      expect(driver.disk.flush(2)).toBe(2);
      await turns();
      expect(resolved).toEqual([1, 2]);
      expect(keysOf(session)).toEqual([1, 2]);
      driver.disk.flush();
      await turns();
      expect(resolved).toEqual([1, 2, 3]);
    });

  it.each([0, 1, 2, 4])('keeps exactly the first %i pending batches through a power loss',
    async (survivors) => {
      const { driver, session } = await manualDisk();
      const resolved: number[] = [];
      writeRecords(session, 4, resolved);
      driver.disk.powerLoss({ survivors });
      await turns();
      // Nobody hears how the dead process's writes ended.
      expect(resolved).toEqual([]);
      const reopened = await driver.disk.open();
      expect(keysOf(reopened)).toEqual([1, 2, 3, 4].slice(0, survivors));
    });

  it('tears the last survivor: a prefix of its log records, the last one cut short', async () => {
    const { driver, session } = await manualDisk();
    const log = session.table('log');
    const epochs = session.table('epochs');
    void session.write([1, 2, 3].map((zxid) => ({
      table: log, key: zxidKey(zxid), value: bytes(`record number ${zxid}`),
    })).concat([{ table: epochs, key: bytes('currentEpoch'), value: bytes('epoch') }]));
    driver.disk.powerLoss({ survivors: 1, tear: { recordsKept: 2, bytesKept: 4 } });
    const reopened = await driver.disk.open();
    expect(keysOf(reopened)).toEqual([1, 2]);
    expect(reopened.table('log').get(zxidKey(1))).toEqual(bytes('record number 1'));
    expect(reopened.table('log').get(zxidKey(2))).toEqual(bytes('reco'));
    // What came after the torn record in the batch never reached the disk.
    expect(reopened.table('epochs').get(bytes('currentEpoch'))).toBeUndefined();
  });

  it('drops what a dead process asks for: writes, file changes and turns', async () => {
    const { driver, session } = await manualDisk();
    driver.disk.powerLoss();
    let settled = false;
    let turned = false;
    const log = session.table('log');
    void session.write([{ table: log, key: zxidKey(1), value: bytes('late') }])
      .finally(() => (settled = true));
    void session.files.create('/simulated/replica-1/late').finally(() => (settled = true));
    session.nextTurn(() => (turned = true));
    await turns();
    expect([settled, turned, driver.disk.pendingOperations]).toEqual([false, false, 0]);
    const reopened = await driver.disk.open();
    expect(keysOf(reopened)).toEqual([]);
    expect(driver.disk.files.visiblePaths()).toEqual([]);
  });

  it('refuses a second opening while the first is live', async () => {
    const { driver } = await manualDisk();
    await expect(driver.disk.open()).rejects.toThrow(/already open/);
  });
});

describe('simulated disk: full', () => {
  it('fails a growing batch at commit with ENOSPC, applying none of it; deletes still go',
    async () => {
      const { driver, session } = await manualDisk();
      const log = session.table('log');
      const first = session.write([{ table: log, key: zxidKey(1), value: bytes('one') }]);
      driver.disk.flush();
      await first;
      driver.disk.setDiskFull(true);
      const refused = session.write([
        { table: log, key: zxidKey(2), value: bytes('two') },
        { table: log, key: zxidKey(1), value: undefined },
      ]);
      const removal = session.write([{ table: log, key: zxidKey(1), value: undefined }]);
      driver.disk.flush();
      await expect(refused).rejects.toMatchObject({ code: 'ENOSPC' });
      await removal;
      expect(keysOf(session)).toEqual([]);
      driver.disk.setDiskFull(false);
      const after = session.write([{ table: log, key: zxidKey(3), value: bytes('three') }]);
      driver.disk.flush();
      await after;
      expect(keysOf(session)).toEqual([3]);
    });

  it('refuses a file write that does not fit in the capacity, at once', async () => {
    const { driver, session } = await manualDisk();
    driver.disk.setCapacity(10);
    const file = await session.files.create('/simulated/replica-1/f');
    await file.write(bytes('0123456789'), 0);
    await expect(file.write(bytes('x'), 10)).rejects.toMatchObject({ code: 'ENOSPC' });
    await file.write(bytes('abc'), 0);
    expect(session.files.stat('/simulated/replica-1/f')?.bytes).toBe(10);
  });
});

describe('simulated disk: files (ext4, data=ordered, simplified)', () => {
  const dir = '/simulated/replica-1/snapshots';

  /** Runs `steps` on a session, flushing each sync as it is asked for. */
  async function afterSteps(
    steps: (session: BackendSession) => Promise<void>,
    end: 'powerLoss' | 'crash',
  ): Promise<{ names: string[]; contents: string | undefined }> {
    const driver = new DiskDriver();
    const session = await driver.disk.open();
    await steps(session);
    if (end === 'powerLoss') driver.disk.powerLoss();
    else driver.disk.crash();
    const reopened = await driver.disk.open();
    const names = (await reopened.files.list(dir)).sort();
    const path = `${dir}/${names[0] ?? 'none'}`;
    const stat = reopened.files.stat(path);
    if (stat === undefined) return { names, contents: undefined };
    const into = Buffer.alloc(stat.bytes);
    reopened.files.openForReading(path).read(into, stat.bytes, 0);
    return { names, contents: into.toString() };
  }

  async function write(session: BackendSession, name: string, sync: boolean): Promise<void> {
    const file = await session.files.create(`${dir}/${name}`);
    await file.writev([bytes('whole')]);
    if (sync) await file.sync();
    await file.close();
  }

  it.each<[string, (session: BackendSession) => Promise<void>, string[], string | undefined]>([
    ['written, never synced', (session) => write(session, 'a', false), [], undefined],
    ['synced, its directory never', (session) => write(session, 'a', true), [], undefined],
    ['named by a directory sync, contents never synced', async (session) => {
      await write(session, 'a', false);
      await session.files.syncDirectory(dir);
    }, ['a'], ''],
    ['synced, renamed, directory synced', async (session) => {
      await write(session, 'a.tmp', true);
      await session.files.rename(`${dir}/a.tmp`, `${dir}/a`);
      await session.files.syncDirectory(dir);
    }, ['a'], 'whole'],
    ['renamed without a directory sync', async (session) => {
      await write(session, 'a.tmp', true);
      await session.files.syncDirectory(dir);
      await session.files.rename(`${dir}/a.tmp`, `${dir}/a`);
    }, ['a.tmp'], 'whole'],
    ['removed without a directory sync', async (session) => {
      await write(session, 'a', true);
      await session.files.syncDirectory(dir);
      await session.files.remove(`${dir}/a`);
    }, ['a'], 'whole'],
  ])('after a power loss, a file %s', async (_name, steps, names, contents) => {
    expect(await afterSteps(steps, 'powerLoss')).toEqual({ names, contents });
  });

  it('after a crash of the process alone, keeps every file write (the kernel has them)',
    async () => {
      const kept = await afterSteps((session) => write(session, 'a', false), 'crash');
      expect(kept).toEqual({ names: ['a'], contents: 'whole' });
    });

  it('flips a durable byte of a record and of a file', async () => {
    const driver = new DiskDriver();
    const session = await driver.disk.open();
    const log = session.table('log');
    await session.write([{ table: log, key: zxidKey(5), value: bytes('abcde') }]);
    await write(session, 'a', true);
    await session.files.syncDirectory(dir);
    driver.disk.corruptRecord(5, 1);
    driver.disk.corruptFile(`${dir}/a`, 0);
    expect(log.get(zxidKey(5))?.[1]).toBe('b'.charCodeAt(0) ^ 0xff);
    driver.disk.powerLoss();
    const reopened = await driver.disk.open();
    const into = Buffer.alloc(5);
    reopened.files.openForReading(`${dir}/a`).read(into, 5, 0);
    expect(into[0]).toBe('w'.charCodeAt(0) ^ 0xff);
    expect(() => driver.disk.corruptRecord(6)).toThrow(/no log record/);
  });
});
