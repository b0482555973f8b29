// Restoring a snapshot hands small values to the tree as views of the snapshot's frames (the
// tree's slab copies them) and copies larger ones out: either way the restored tree owns all of
// its data, so reusing or zeroing the snapshot's memory afterwards changes nothing in it.

import { afterEach, describe, expect, it } from 'vitest';
import { restoreTree, snapshotOfTree } from '../../storage/peer-snapshot.js';
import { nodeFiles } from '../../storage/node-files.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import { writeSnapshotBytes } from '../../storage/snapshot-file.js';
import type { Txn } from '../../protocol/txn.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

/** `txns` with every third value made large (over the slab's 1 KiB cells), the rest kept. */
function withLargeValues(txns: Txn[]): Txn[] {
  let seen = 0;
  const walk = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) {
      seen++;
      return seen % 3 === 0 ? Buffer.alloc(1500 + seen, seen & 0xff) : value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  return txns.map((txn) => walk(txn) as Txn);
}

describe('restored data is the tree\'s own', () => {
  const source = treeOf(withLargeValues(new TxnStream(11, 0, true).take(400)));

  it('from a SNAP payload zeroed after the restore', () => {
    const snapshot = snapshotOfTree(source);
    const tree = new DataTree({ extendedTypesEnabled: true });
    restoreTree(tree, snapshot);
    expect(tree.digest()).toBe(source.digest());
    Buffer.from(snapshot.bytes.buffer, snapshot.bytes.byteOffset, snapshot.bytes.length).fill(0);
    expect(tree.digest()).toBe(source.digest());
  });

  it('from a snapshot file', async () => {
    const snapshot = snapshotOfTree(source);
    const dir = tempDir('corral-views-');
    const bytes = Buffer.from(snapshot.bytes);
    const { file } = await writeSnapshotBytes(nodeFiles, dir, source.lastZxid, bytes);
    const tree = new DataTree({ extendedTypesEnabled: true });
    restoreSnapshotFile(nodeFiles, tree, file, source.lastZxid);
    expect(tree.digest()).toBe(source.digest());
  });
});
