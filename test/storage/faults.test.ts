import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { DurableTxnLog } from '../../storage/durable-log.js';
import { lmdbDurableOptions, lmdbStorageBackend } from '../../storage/lmdb-backend.js';
import { CorruptLogError } from '../../storage/recovery.js';
import { zxidKey } from '../../storage/txn-codec.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

/** Rewrites stored records of a closed data dir in place. */
async function damage(dir: string, edits: Record<number, (record: Buffer) => Buffer>) {
  const raw = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const db = raw.openDB<Buffer, Buffer>({
    name: 'log',
    keyEncoding: 'binary',
    encoding: 'binary',
  });
  for (const [zxid, edit] of Object.entries(edits)) {
    const record = Buffer.from(db.getBinary(zxidKey(Number(zxid)))!);
    await db.put(zxidKey(Number(zxid)), edit(record));
  }
  await raw.close();
}

const flipLastByte = (record: Buffer): Buffer => {
  record[record.length - 1]! ^= 0xff;
  return record;
};
const cutShort = (record: Buffer): Buffer => record.subarray(0, 3);

async function writtenDataDir(count: number): Promise<string> {
  const dir = tempDir();
  const storage = await openReplicaStorage(dir, {}, { info: () => {}, warn: () => {} });
  await drive(storage, new DataTree({ extendedTypesEnabled: true }), new TxnStream(1).take(count));
  await storage.close();
  return dir;
}

function recordingLogger() {
  const warnings: Array<{ details: object; message: string }> = [];
  return {
    warnings,
    logger: {
      info: () => undefined,
      warn: (details: object, message: string) => warnings.push({ details, message }),
    },
  };
}

describe('storage faults at startup', () => {
  it.each([
    ['a bad checksum in the last record', { 100: flipLastByte }, 99],
    ['a truncated last record', { 100: cutShort }, 99],
    ['the last two records damaged', { 99: cutShort, 100: flipLastByte }, 98],
  ])('truncates a corrupt tail (%s) and logs it', async (_name, edits, survivors) => {
    const dir = await writtenDataDir(100);
    await damage(dir, edits);
    const { warnings, logger } = recordingLogger();
    const storage = await openReplicaStorage(dir, {}, logger);
    expect(storage.lastZxid()).toBe(survivors);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/truncated a corrupt txn log tail/);
    const tree = new DataTree({ extendedTypesEnabled: true });
    await storage.restoreInto(tree);
    for (const txn of storage.readFrom(0)) tree.apply(txn);
    expect(tree.digest()).toBe(treeOf(new TxnStream(1).take(survivors)).digest());
    await storage.close();
  });

  it.each([
    ['a bad checksum', flipLastByte],
    ['a truncated value', cutShort],
  ])('refuses to start on %s in the middle of the log, naming data dir and zxid', async (
    _name,
    edit,
  ) => {
    const dir = await writtenDataDir(100);
    await damage(dir, { 0x32: edit });
    const opening = openReplicaStorage(dir, {}, { info: () => {}, warn: () => {} });
    await expect(opening).rejects.toThrow(CorruptLogError);
    await expect(openReplicaStorage(dir, {}, { info: () => {}, warn: () => {} })).rejects.toThrow(
      new RegExp(`data dir ${dir}: txn log record zxid 0x32 is corrupt`),
    );
    // Nothing was cut off: the operator still has every record to repair from.
    const log = await DurableTxnLog.open(await lmdbStorageBackend(dir).open());
    expect(log.entryCount).toBe(100);
    await log.close();
  });
});

describe('append durability', () => {
  it('opens LMDB without the options that resolve a write before its fsync', () => {
    expect(lmdbDurableOptions).toMatchObject({
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
      useWritemap: false,
    });
    expect(lmdbDurableOptions).not.toHaveProperty('mapAsync');
  });

  const strace = spawnSync('strace', ['-V']).status === 0;
  const built = existsSync(join(process.cwd(), 'dist', 'storage', 'durable-log.js'));
  it.skipIf(!strace || !built)(
    'append() resolves only after an fsync of its commit and a synced meta (traced with strace)',
    () => {
      const dir = tempDir();
      const built = (file: string): string => JSON.stringify(join(process.cwd(), 'dist', file));
      const script = `
        import { DurableTxnLog } from ${built('storage/durable-log.js')};
        import { lmdbStorageBackend } from ${built('storage/lmdb-backend.js')};
        const backend = lmdbStorageBackend(${JSON.stringify(dir)});
        const log = await DurableTxnLog.open(await backend.open());
        for (let zxid = 1; zxid <= 5; zxid++) {
          process.stdout.write('OPEN ' + zxid + '\\n');
          await log.append([{ zxid, time: 0, sessionId: 0n, cxid: 0,
            body: { type: 'error', err: -1 } }]);
          process.stdout.write('RESOLVED ' + zxid + '\\n');
        }
        await log.close();`;
      const traced = spawnSync(
        'strace',
        ['-f', '-e', 'trace=openat,fsync,fdatasync,write,pwrite64', process.execPath,
          '--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 30_000 },
      );
      const lines = traced.stderr.split('\n').filter((line) => !line.includes('resumed>'));
      // LMDB writes the meta page that makes a commit reachable after a power loss through a
      // descriptor opened O_DSYNC: such a write is itself synced.
      const metaDescriptors = new Set(lines.flatMap((line) =>
        /openat\(.*data\.mdb", [A-Z_|]*O_DSYNC.*\) = (\d+)/.exec(line)?.slice(1) ?? []));
      expect(metaDescriptors.size).toBeGreaterThan(0);
      const events = lines.flatMap((line) => {
        if (/fsync\(|fdatasync\(/.test(line)) return ['sync'];
        const descriptor = /pwrite64\((\d+),/.exec(line)?.[1];
        if (descriptor !== undefined) return metaDescriptors.has(descriptor) ? ['meta'] : [];
        if (/write\(1, "OPEN/.test(line)) return ['open'];
        return /write\(1, "RESOLVED/.test(line) ? ['done'] : [];
      });
      // Between announcing an append and announcing its resolution there is always a sync of
      // the data and then a synced meta page.
      const appends = events.join(' ').split('open').slice(1);
      expect(appends).toHaveLength(5);
      for (const append of appends) expect(append).toMatch(/sync.*meta.*done/);
    },
  );
});
