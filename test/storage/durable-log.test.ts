import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableTxnLog, IncompatibleDataDirError } from '../../storage/durable-log.js';
import { lmdbStorageBackend } from '../../storage/lmdb-backend.js';
import { CorruptRecordError, zxidKey } from '../../storage/txn-codec.js';
import type { Txn } from '../../protocol/txn.js';
import { TxnStream } from './fixtures.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openLog(dir: string): Promise<DurableTxnLog> {
  return DurableTxnLog.open(await lmdbStorageBackend(dir).open());
}

function createTxn(zxid: number, path: string): Txn {
  return {
    zxid,
    time: 1_700_000_000_000 + zxid,
    sessionId: 0x1234_5678_9abc_def0n,
    cxid: zxid,
    body: {
      type: 'write',
      request: {
        kind: 'create',
        opcode: 1,
        path,
        data: Buffer.from(`data-${zxid}`),
        acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
        flags: 0,
        ttl: -1,
      },
      auth: { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false },
    },
  };
}

describe('txn log over LMDB', () => {
  it('keeps appended txns across a reopen, in zxid order, with exact contents', async () => {
    const dir = tempDir();
    const log = await openLog(dir);
    await log.append([createTxn(1, '/a'), createTxn(2, '/b')]);
    await log.append([createTxn(0x1_0000_0001, '/c')]);
    await log.close();
    const reopened = await openLog(dir);
    expect(reopened.lastZxid()).toBe(0x1_0000_0001);
    const txns = [...reopened.readFrom(1)];
    expect(txns.map((txn) => txn.zxid)).toEqual([2, 0x1_0000_0001]);
    expect(txns[0]).toEqual(createTxn(2, '/b'));
    expect(typeof txns[0]!.sessionId).toBe('bigint');
    await reopened.close();
  });

  it('reads txns that own their bytes: none is a view of what LMDB reads next', async () => {
    // Every kind of txn (compact and msgpack records, session passwords, data), all read
    // before any is compared: a txn holding a view of a reused read buffer would change.
    const dir = tempDir();
    const log = await openLog(dir);
    const written = new TxnStream(5).take(600);
    for (let start = 0; start < written.length; start += 100) {
      await log.append(written.slice(start, start + 100));
    }
    const read = [...log.readFrom(0)];
    // Reads in between, interleaved, through the same table.
    const first = log.readFrom(300)[Symbol.iterator]();
    const second = log.readFrom(0)[Symbol.iterator]();
    const interleaved: Txn[] = [];
    for (let step = 0; step < 50; step++) {
      interleaved.push(first.next().value as Txn, second.next().value as Txn);
    }
    expect(read).toEqual(written);
    expect(interleaved).toEqual(written.slice(300, 350).flatMap((txn, index) =>
      [txn, written[index]!]));
    await log.close();
  });

  it('refuses an append that goes back in zxid order', async () => {
    const log = await openLog(tempDir());
    await log.append([createTxn(5, '/a')]);
    await expect(log.append([createTxn(5, '/b')])).rejects.toThrow(/out of order/);
    await log.close();
  });

  it('detects a corrupted record by its checksum and names the zxid', async () => {
    const dir = tempDir();
    const log = await openLog(dir);
    await log.append([createTxn(1, '/a'), createTxn(2, '/b')]);
    await log.close();
    const raw = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
    const db = raw.openDB<Buffer, Buffer>({
      name: 'log',
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    const record = Buffer.from(db.getBinary(zxidKey(2))!);
    record[record.length - 1] ^= 0xff;
    await db.put(zxidKey(2), record);
    await raw.close();
    const reopened = await openLog(dir);
    expect(() => [...reopened.readFrom(0)]).toThrow(CorruptRecordError);
    expect(() => [...reopened.readFrom(0)]).toThrow(/zxid 0x2/);
    await reopened.close();
  });

  it('refuses a data dir written in another storage format', async () => {
    const dir = tempDir();
    const raw = open({ path: join(dir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
    await raw.openDB({ name: 'meta' }).put('formatVersion', 99);
    await raw.close();
    const session = await lmdbStorageBackend(dir).open();
    await expect(DurableTxnLog.open(session)).rejects.toThrow(IncompatibleDataDirError);
    await session.close();
  });
});
