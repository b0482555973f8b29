// Snapshot files are read a chunk (4 MiB) at a time, frames handed out as views of the chunk
// they lie in: a file of many chunks, with frames across chunk ends and a frame larger than a
// chunk, must restore exactly, and damage past the first chunk must still be found.

import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Perm } from '../../protocol/constants.js';
import type { Txn } from '../../protocol/txn.js';
import { nodeFiles, nodeFileWriting } from '../../storage/node-files.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import { checkSnapshotFile, CorruptSnapshotError, writeSnapshot } from
  '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, tempDir } from './fixtures.js';

afterEach(removeTempDirs);

const openAcl = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const auth = { ids: [], superUser: false };

function create(zxid: number, path: string, data: Buffer): Txn {
  return { zxid, time: 1_700_000_000_000 + zxid, sessionId: 1n, cxid: zxid,
    body: { type: 'write', auth, request: { kind: 'create', opcode: 1, path, data,
      acl: openAcl, flags: 0, ttl: -1 } } };
}

/** ~14 MiB of data: 250-node frames of values to 7 KiB (about 0.9 MiB each, so several end
 * past a chunk), then one frame of 20 KiB values (5 MiB, larger than a chunk). */
function bigTree(): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  let zxid = 1;
  tree.apply({ zxid, time: 1_700_000_000_000, sessionId: 1n, cxid: 0, body: {
    type: 'createSession', sessionId: 1n, timeoutMs: 4000, password: Buffer.alloc(16) } });
  tree.apply(create(++zxid, '/a', Buffer.from('a')));
  for (let index = 0; index < 2500; index++) {
    // Values of every size to 7 KiB: those the tree's slab takes (at most 1 KiB, handed over
    // in a scratch buffer) and larger ones (copied out of the frame).
    const data = Buffer.alloc(1 + (index * 37) % 7000, index % 251);
    tree.apply(create(++zxid, `/a/n${index}`, data));
  }
  for (let index = 0; index < 250; index++) {
    tree.apply(create(++zxid, `/a/big${index}`, Buffer.alloc(20_000, index % 13)));
  }
  return tree;
}

describe('snapshot files read a chunk at a time', () => {
  it('restore exactly across chunk ends and a frame larger than a chunk', async () => {
    const tree = bigTree();
    const dir = tempDir('corral-chunked-');
    const { file, bytes } = await writeSnapshot(nodeFileWriting, dir, tree.capture());
    expect(bytes).toBeGreaterThan(3 * 4 * 1024 * 1024);
    checkSnapshotFile(nodeFiles, file, tree.lastZxid);
    const restored = new DataTree({ extendedTypesEnabled: true });
    restoreSnapshotFile(nodeFiles, restored, file, tree.lastZxid);
    expect(restored.digest()).toBe(tree.digest());
    expect(restored.nodeCount).toBe(tree.nodeCount);
    for (const path of ['/a/n0', '/a/n10', '/a/n777', '/a/n2499', '/a/big0', '/a/big249']) {
      expect(restored.statOf(path)).toEqual(tree.statOf(path));
      expect(restored.getData(path, { ids: [], superUser: true })).toEqual(
        tree.getData(path, { ids: [], superUser: true }));
    }
  });

  it('finds a flipped byte and a cut past the first chunk', async () => {
    const tree = bigTree();
    const dir = tempDir('corral-chunked-');
    const { file, bytes } = await writeSnapshot(nodeFileWriting, dir, tree.capture());
    expect(bytes).toBeGreaterThan(3 * 4 * 1024 * 1024);
    const original = readFileSync(file);
    const flipped = Buffer.from(original);
    flipped[Math.floor(bytes * 0.6)]! ^= 0x01;
    writeFileSync(file, flipped);
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid))
      .toThrow(CorruptSnapshotError);
    expect(() => restoreSnapshotFile(nodeFiles, new DataTree({ extendedTypesEnabled: true }),
      file, tree.lastZxid)).toThrow(CorruptSnapshotError);
    writeFileSync(file, original);
    truncateSync(file, Math.floor(bytes * 0.7));
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid))
      .toThrow(/runs past the end of the file/);
  });
});
