// Null znode data on disk and to learners: the txn log, snapshot files, a SNAP payload and a
// restart keep null data apart from empty data; a snapshot (format 3) and a log record written
// before null data was kept read back as they always did, every node's data non-null.

import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTxn } from '../../cli/inspect-data.js';
import type { Txn } from '../../protocol/txn.js';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { nodeFiles, nodeFileWriting } from '../../storage/node-files.js';
import { restoreTree, snapshotOfTree } from '../../storage/peer-snapshot.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import { writeSnapshot } from '../../storage/snapshot-file.js';
import { decodeTxn, encodeTxn } from '../../storage/txn-codec.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

/** Every node's data by path: hex, or null for null data. */
function dataByPath(tree: DataTree): Map<string, string | null> {
  const capture = tree.capture();
  const data = new Map<string, string | null>();
  for (let index = 0; index < capture.nodeCount; index++) {
    const [path, bytes] = capture.record(index);
    data.set(path, bytes === null ? null : bytes.toString('hex'));
  }
  capture.release();
  return data;
}

function counts(data: Map<string, string | null>): { nulls: number; empties: number } {
  const values = [...data.values()];
  return {
    nulls: values.filter((value) => value === null).length,
    empties: values.filter((value) => value === '').length,
  };
}

/** A seeded tree where some data is null (and the bootstrap nodes' is empty). */
function treeWithNullData(seed: number): DataTree {
  return treeOf(new TxnStream(seed, 0, true).take(3000));
}

describe('null data in snapshots', () => {
  it.each([1, 2, 3])('a snapshot file restores null and empty data apart (seed %i)',
    async (seed) => {
      const tree = treeWithNullData(seed);
      const expected = dataByPath(tree);
      expect(counts(expected).nulls).toBeGreaterThan(0);
      expect(counts(expected).empties).toBeGreaterThan(0);
      const { file } = await writeSnapshot(nodeFileWriting, tempDir(), tree.capture());
      const restored = new DataTree({ extendedTypesEnabled: true });
      restoreSnapshotFile(nodeFiles, restored, file, tree.lastZxid);
      expect(dataByPath(restored)).toEqual(expected);
      expect(restored.digest()).toBe(tree.digest());
    });

  it('a SNAP payload restores null and empty data apart on the learner', () => {
    const tree = treeWithNullData(4);
    const learner = new DataTree({ extendedTypesEnabled: true });
    expect(restoreTree(learner, snapshotOfTree(tree))).toBe(tree.lastZxid);
    expect(dataByPath(learner)).toEqual(dataByPath(tree));
    expect(learner.digest()).toBe(tree.digest());
  });

  it('a format 3 snapshot, as corral wrote it before null data, restores with no null data',
    () => {
      // Written by corral's format 3 (main before this change) from TxnStream(17), 8000 txns.
      const tree = treeOf(new TxnStream(17).take(8000));
      const file = join(tempDir(), 'snapshot.v3');
      writeFileSync(file, readFileSync(new URL('./golden/snapshot-format-3.bin', import.meta.url)));
      const restored = new DataTree({ extendedTypesEnabled: true });
      restoreSnapshotFile(nodeFiles, restored, file, tree.lastZxid);
      expect(restored.nodeCount).toBe(312);
      expect(restored.digest()).toBe(tree.digest());
      expect(counts(dataByPath(restored)).nulls).toBe(0);
      expect(dataByPath(restored)).toEqual(dataByPath(tree));
    });
});

/** A multi that creates /a and sets its data, both with `data`. */
function logWrite(data: Buffer | null): Txn {
  return {
    zxid: 5, time: 1_700_000_000_000, sessionId: 0x1000n, cxid: 1,
    body: { type: 'write', auth: { ids: [], superUser: false }, request: { kind: 'multi', ops: [
      { kind: 'create', opcode: 15, path: '/a', data, acl: null, flags: 0, ttl: -1 },
      { kind: 'setData', path: '/a', data, version: -1 },
    ] } },
  };
}

describe('null data in the txn log', () => {
  const write = logWrite;
  const dataOf = (txn: Txn) => txn.body.type === 'write' && txn.body.request.kind === 'multi'
    ? txn.body.request.ops.map((op) => ('data' in op ? op.data : undefined))
    : [];

  it.each([
    ['null', null],
    ['empty', Buffer.alloc(0)],
    ['bytes', Buffer.from('abc')],
  ] as const)('a record keeps %s data', (_name, data) => {
    const decoded = decodeTxn(encodeTxn(write(data)), 5, 'test');
    expect(dataOf(decoded).map((value) => (value === null ? null : Buffer.from(value!))))
      .toEqual([data, data]);
  });

  it('a record written before null data was kept decodes with its data non-null', () => {
    // encodeTxn's bytes on main before this change: a multi of create /old with empty data,
    // then setData /old "kept", at zxid 0x100000002.
    const record = Buffer.from('QwlOYd4ABaR6eGlky0HwAAAAIAAApHRpbWXLQni8/laAAACpc2Vzc2lvbklk0wAA' +
      'AAAAABAApGN4aWQEpGJvZHneAAOkdHlwZaV3cml0ZaRhdXRo3gACo2lkc5Cpc3VwZXJVc2VywqdyZXF1ZXN03gAC' +
      'pGtpbmSlbXVsdGmjb3Bzkt4AB6RraW5kpmNyZWF0ZaZvcGNvZGUPpHBhdGikL29sZKRkYXRhxACjYWNswKVmbGFn' +
      'cwCjdHRs/94ABKRraW5kp3NldERhdGGkcGF0aKQvb2xkpGRhdGHEBGtlcHSndmVyc2lvbv8=', 'base64');
    const txn = decodeTxn(record, 0x100000002, 'test');
    expect(dataOf(txn).map((value) => Buffer.from(value!).toString())).toEqual(['', 'kept']);
  });
});

describe('null data in inspect-data --dump', () => {
  it.each([
    ['null', null, '[create /a data null flags 0; setData /a data null version -1]'],
    ['empty', Buffer.alloc(0), '[create /a data 0 bytes "" flags 0; setData /a data 0 bytes ""'],
  ] as const)('a log entry with %s data says so', (_name, data, shown) => {
    const txn = decodeTxn(encodeTxn(logWrite(data)), 5, 'test');
    expect(describeTxn(txn)).toContain(shown);
  });
});

describe('null data across a restart', () => {
  it('snapshot plus log tail recover null data (snapCount 200, 1,050 txns)', async () => {
    const dir = tempDir();
    const quiet = { info: () => undefined, warn: () => undefined };
    const storage = await openReplicaStorage(dir, { snapCount: 200 }, quiet);
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(21, 0, true).take(1050));
    await storage.settled();
    await storage.close();
    const reopened = await openReplicaStorage(dir, { snapCount: 200 }, quiet);
    const recovered = new DataTree({ extendedTypesEnabled: true });
    await reopened.restoreInto(recovered);
    const snapshotZxid = recovered.lastZxid;
    for (const txn of reopened.readFrom(recovered.lastZxid)) recovered.apply(txn);
    await reopened.close();
    expect(snapshotZxid).toBeGreaterThan(0);
    expect(recovered.lastZxid).toBe(1050);
    expect(counts(dataByPath(tree)).nulls).toBeGreaterThan(0);
    expect(dataByPath(recovered)).toEqual(dataByPath(tree));
    expect(recovered.digest()).toBe(tree.digest());
  });
});
