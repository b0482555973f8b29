// A server's startup restores its snapshot without summing the node digests (deferDigest) and
// sums them once it serves (DataTree.completeDigest): the tree digest it ends with is the one an
// eager restore gives, whatever txns were applied meanwhile, and nothing reads a partial sum.

import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import type { StorageSettings } from '../../storage/replica-storage.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, treeOf, TxnStream, writtenDataDir } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };
const settings: Partial<StorageSettings> = { snapCount: 150, txnsRetainedMin: 100_000,
  snapRetainCount: 10 };
const stream = new TxnStream(23, 0, true);
const logged = stream.take(700);
/** Applied after the restart, before the digest is whole: they touch restored nodes. */
const later = stream.take(300);


/** The data dir recovered as a server recovers it: deferred digest, then the log's tail. */
async function recoveredDeferred(dir: string): Promise<DataTree> {
  const storage = await openReplicaStorage(dir, settings, quiet);
  try {
    const tree = new DataTree({ extendedTypesEnabled: true });
    const restored = await storage.restoreInto(tree, { deferDigest: true });
    expect(restored?.zxid).toBeGreaterThan(0);
    for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
    return tree;
  } finally {
    await storage.close();
  }
}

describe('a deferred startup digest', () => {
  it('ends as an eager restore\'s, completed a slice at a time', async () => {
    const dir = await writtenDataDir('corral-deferred-digest-', settings, logged, 50);
    const tree = await recoveredDeferred(dir);
    // Nothing to stamp while the sum is partial.
    expect(tree.digestToStamp()).toBeUndefined();
    let slices = 0;
    while (!tree.completeDigest(7)) slices++;
    expect(slices).toBeGreaterThan(3);
    const eager = treeOf(logged);
    expect(tree.treeDigest).toBe(eager.treeDigest);
    expect(tree.treeDigest).not.toBe(0n);
    expect(tree.digestToStamp()).toEqual(
      { zxid: logged.at(-1)!.zxid, version: 2, treeDigest: eager.treeDigest });
    expect(tree.digest()).toBe(eager.digest());
  });

  it('stays exact when txns change and delete restored nodes before it completes', async () => {
    const dir = await writtenDataDir('corral-deferred-digest-', settings, logged, 50);
    const tree = await recoveredDeferred(dir);
    for (const [index, txn] of later.entries()) {
      tree.apply(txn);
      // A slice now and then, between writes, as the server's background turns do.
      if (index % 40 === 0) tree.completeDigest(5);
    }
    while (!tree.completeDigest(11));
    const eager = treeOf([...logged, ...later]);
    expect(tree.treeDigest).toBe(eager.treeDigest);
    // Digests are kept again once whole: the next txn's is the eager tree's after it.
    const next = stream.take(1);
    tree.apply(next[0]!);
    eager.apply(next[0]!);
    expect(tree.digestToStamp()).toEqual(eager.digestToStamp());
  });

  it('is completed at once by the first read of the tree digest', async () => {
    const dir = await writtenDataDir('corral-deferred-digest-', settings, logged, 50);
    const tree = await recoveredDeferred(dir);
    tree.apply(later[0]!);
    expect(tree.treeDigest).toBe(treeOf([...logged, later[0]!]).treeDigest);
    expect(tree.completeDigest(1)).toBe(true);
  });
});
