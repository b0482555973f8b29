// The log's storage format version on a real LMDB data dir: format 2 (compact records may be
// present) is written into new data dirs and into format 1 ones, whose msgpack records still
// read; a version this corral does not know is refused, naming it.

import { crc32c } from '@node-rs/crc32';
import { join } from 'node:path';
import { open } from 'lmdb';
import { Packr, pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import type { Txn } from '../../protocol/txn.js';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { IncompatibleDataDirError, storageFormatVersion } from '../../storage/durable-log.js';
import { compactMarker } from '../../storage/txn-compact.js';
import { zxidKey } from '../../storage/txn-codec.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, tempDir, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };

function tables(dir: string) {
  const env = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const binary = { keyEncoding: 'binary', encoding: 'binary' } as const;
  return { env, meta: env.openDB<Buffer, Buffer>({ name: 'meta', ...binary }),
    log: env.openDB<Buffer, Buffer>({ name: 'log', ...binary }) };
}

/** A record as format 1 wrote every txn: CRC-32C, then the msgpack map. */
function msgpackRecord(txn: Txn): Buffer {
  const payload = new Packr({ useRecords: false, useBigIntExtension: true }).pack(txn);
  const record = Buffer.alloc(4 + payload.length);
  record.writeUInt32BE(crc32c(payload), 0);
  payload.copy(record, 4);
  return record;
}

async function setFormatVersion(dir: string, version: number): Promise<void> {
  const { env, meta } = tables(dir);
  await meta.put(Buffer.from('formatVersion'), pack(version));
  await env.close();
}

describe('the log storage format version', () => {
  it('opens a format 1 data dir, replays its msgpack records and marks it 2', async () => {
    const dir = tempDir('corral-format-');
    const txns = new TxnStream(5).take(60);
    const first = await openReplicaStorage(dir, {}, quiet);
    await first.close();
    await setFormatVersion(dir, 1);
    const written = tables(dir);
    for (const txn of txns) await written.log.put(zxidKey(txn.zxid), msgpackRecord(txn));
    await written.env.close();

    const storage = await openReplicaStorage(dir, {}, quiet);
    const tree = new DataTree({ extendedTypesEnabled: true });
    await storage.restoreInto(tree);
    for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
    const expected = new DataTree({ extendedTypesEnabled: true });
    for (const txn of txns) expected.apply(txn);
    expect(tree.digest()).toBe(expected.digest());
    // New records are compact next to the old ones.
    const next = new TxnStream(5).take(61).at(-1)!;
    await storage.append([{ ...next, body: { type: 'closeSession', sessionId: 0x1000n } }]);
    await storage.close();

    const after = tables(dir);
    expect(unpack(after.meta.getBinary(Buffer.from('formatVersion'))!)).toBe(2);
    expect(after.log.getBinary(zxidKey(txns[0]!.zxid))![4]).not.toBe(compactMarker);
    expect(after.log.getBinary(zxidKey(next.zxid))![4]).toBe(compactMarker);
    await after.env.close();
    expect(storageFormatVersion).toBe(2);
  });

  it('refuses a data dir of a format it does not know', async () => {
    const dir = tempDir('corral-format-');
    await (await openReplicaStorage(dir, {}, quiet)).close();
    await setFormatVersion(dir, 3);
    await expect(openReplicaStorage(dir, {}, quiet)).rejects.toThrow(IncompatibleDataDirError);
    await expect(openReplicaStorage(dir, {}, quiet)).rejects.toThrow(/format 3.*formats 1 and 2/);
  });
});
