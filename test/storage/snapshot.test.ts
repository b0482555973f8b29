import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFiles, nodeFileWriting } from '../../storage/node-files.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import {
  checkSnapshotFile,
  CorruptSnapshotError,
  writeSnapshot,
} from '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import type { NodeRecord } from '../../tree/snapshot.js';
import { removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

/** Everything a client or the server can observe of a tree, beyond the digest. */
function observable(tree: DataTree): unknown {
  const paths: string[] = [];
  const walk = (path: string): void => {
    paths.push(path);
    const result = tree.getChildren(path, { ids: [], superUser: true });
    if (result.body.kind !== 'children') return;
    for (const child of result.body.children) walk(path === '/' ? `/${child}` : `${path}/${child}`);
  };
  walk('/');
  return {
    paths,
    stats: paths.map((path) => tree.statOf(path)),
    ephemerals: [...tree.ephemeralsBySession()],
    sessions: tree.sessionTimeouts(),
    count: tree.nodeCount,
    size: tree.approximateDataSize,
    containers: tree.containerCandidates(Number.MAX_SAFE_INTEGER),
  };
}

async function roundTrip(tree: DataTree): Promise<DataTree> {
  const dir = tempDir();
  const { file } = await writeSnapshot(nodeFileWriting, dir, tree.capture());
  const restored = new DataTree({ extendedTypesEnabled: true });
  restoreSnapshotFile(nodeFiles, restored, file, tree.lastZxid);
  return restored;
}

describe('tree snapshots', () => {
  it.each([1, 2, 3])('restore an identical tree: digest, stats, order (seed %i)', async (seed) => {
    const tree = treeOf(new TxnStream(seed).take(3000));
    expect(tree.ephemeralCount).toBeGreaterThan(0);
    const restored = await roundTrip(tree);
    expect(restored.lastZxid).toBe(tree.lastZxid);
    expect(restored.digest()).toBe(tree.digest());
    expect(observable(restored)).toEqual(observable(tree));
  });

  it('a restored tree applies later txns exactly like the original (sequential names, cversion)',
    async () => {
      const stream = new TxnStream(7);
      const tree = treeOf(stream.take(2000));
      const restored = await roundTrip(tree);
      for (const txn of stream.take(2000)) {
        const outcome = tree.apply(txn);
        expect(restored.apply(txn)).toEqual(outcome);
      }
      expect(restored.digest()).toBe(tree.digest());
    });

  it('a capture keeps the state at its zxid while later txns apply during the write', async () => {
    const stream = new TxnStream(11);
    const tree = treeOf(stream.take(1500));
    const expected = tree.digest();
    const zxid = tree.lastZxid;
    const capture = tree.capture();
    const dir = tempDir();
    const writing = writeSnapshot(nodeFileWriting, dir, capture);
    for (const txn of stream.take(1500)) tree.apply(txn);
    const { file } = await writing;
    const restored = new DataTree({ extendedTypesEnabled: true });
    restoreSnapshotFile(nodeFiles, restored, file, zxid);
    expect(restored.digest()).toBe(expected);
    expect(restored.digest()).not.toBe(tree.digest());
  });

  it('a format 1 snapshot (tuples after one ACL frame) restores to the same tree', () => {
    const tree = treeOf(new TxnStream(13).take(3000));
    const capture = tree.capture();
    const records: NodeRecord[] = [];
    for (let index = 0; index < capture.nodeCount; index++) records.push(capture.record(index));
    const acls = capture.newAcls().map((acl) => acl.map((e) => [e.perms, e.id.scheme, e.id.id]));
    capture.release();
    const packr = new Packr({ useRecords: false, useBigIntExtension: true });
    const frame = (value: object): Buffer => {
      const payload = packr.pack(value);
      const header = Buffer.alloc(8);
      header.writeUInt32BE(payload.length, 0);
      header.writeUInt32BE(crc32c(payload), 4);
      return Buffer.concat([header, payload]);
    };
    const { zxid, nodeCount, sessions } = capture;
    const file = join(tempDir(), 'snapshot.v1');
    writeFileSync(file, Buffer.concat([
      frame({ type: 'header', magic: 'corral-snapshot', formatVersion: 1, zxid, nodeCount }),
      frame({ type: 'acls', acls }),
      frame({ type: 'nodes', nodes: records.slice(0, 100) }),
      frame({ type: 'nodes', nodes: records.slice(100) }),
      frame({ type: 'sessions', sessions }),
      frame({ type: 'end', nodeCount, sessionCount: sessions.length }),
    ]));
    const restored = new DataTree({ extendedTypesEnabled: true });
    restoreSnapshotFile(nodeFiles, restored, file, zxid);
    expect(restored.digest()).toBe(tree.digest());
    expect(observable(restored)).toEqual(observable(tree));
  });

  it('writes raw node frames and an ACL frame only where new ACLs first appear', async () => {
    const tree = treeOf(new TxnStream(17).take(8000));
    const { file } = await writeSnapshot(nodeFileWriting, tempDir(), tree.capture());
    const types: string[] = [];
    const packr = new Packr({ useRecords: false, useBigIntExtension: true });
    const bytes = readFileSync(file);
    for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32BE(at)) {
      const payload = bytes.subarray(at + 8, at + 8 + bytes.readUInt32BE(at));
      expect(crc32c(payload)).toBe(bytes.readUInt32BE(at + 4));
      // 0xc1, which MessagePack never uses, marks a raw frame: a u32 head length, then the head.
      const head = payload[0] === 0xc1
        ? payload.subarray(5, 5 + payload.readUInt32LE(1))
        : payload;
      types.push((packr.unpack(head) as { type: string }).type);
    }
    expect(types[0]).toBe('header');
    expect(types).not.toContain('nodes');
    expect(types.filter((type) => type === 'nodeColumns').length).toBeGreaterThan(1);
    expect(types.filter((type) => type === 'acls').length).toBeGreaterThan(0);
    expect(types.slice(-2)).toEqual(['sessions', 'end']);
  });

  it('a format 2 snapshot (msgpack column frames), as corral wrote it, restores the same tree',
    () => {
      // Written by corral with format 2 from this tree: TxnStream(17), 8000 txns, 312 znodes.
      const tree = treeOf(new TxnStream(17).take(8000));
      const file = join(tempDir(), 'snapshot.v2');
      writeFileSync(file, readFileSync(new URL('./golden/snapshot-format-2.bin', import.meta.url)));
      const restored = new DataTree({ extendedTypesEnabled: true });
      restoreSnapshotFile(nodeFiles, restored, file, tree.lastZxid);
      expect(restored.digest()).toBe(tree.digest());
      expect(observable(restored)).toEqual(observable(tree));
    });

  it('a raw frame whose head overstates its size is refused, not read past', async () => {
    const tree = treeOf(new TxnStream(9).take(2000));
    const { file } = await writeSnapshot(nodeFileWriting, tempDir(), tree.capture());
    const bytes = readFileSync(file);
    let at = 0;
    while (bytes[at + 8] !== 0xc1) at += 8 + bytes.readUInt32BE(at);
    const length = bytes.readUInt32BE(at);
    const payload = bytes.subarray(at + 8, at + 8 + length);
    payload.writeUInt32LE(length, 1);
    bytes.writeUInt32BE(crc32c(payload), at + 4);
    writeFileSync(file, bytes);
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid)).not.toThrow();
    expect(() => restoreSnapshotFile(nodeFiles, new DataTree({ extendedTypesEnabled: true }), file,
      tree.lastZxid)).toThrow(/raw frame head runs past/);
  });

  it.each([
    ['a flipped byte in the middle', (bytes: Buffer) => void (bytes[bytes.length >> 1] ^= 0xff)],
    ['a cut-off end', (bytes: Buffer) => bytes.subarray(0, bytes.length - 7)],
  ])('a damaged snapshot file is refused: %s', async (_name, damage) => {
    const tree = treeOf(new TxnStream(5).take(3000));
    const { file } = await writeSnapshot(nodeFileWriting, tempDir(), tree.capture());
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid)).not.toThrow();
    const bytes = readFileSync(file);
    writeFileSync(file, damage(bytes) ?? bytes);
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid)).toThrow(CorruptSnapshotError);
  });
});
