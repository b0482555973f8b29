import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Compressor, Decompressor } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { nodeFiles, nodeFileWriting } from '../../storage/node-files.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import {
  compressionOfFile,
  type SnapshotCompression,
} from '../../storage/snapshot-compression.js';
import {
  checkSnapshotFile,
  CorruptSnapshotError,
  encodeSnapshot,
  listSnapshots,
  writeSnapshot,
  writeSnapshotBytes,
} from '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };

/** A tree of a few thousand nodes (several compressed blocks of each kind). */
function sampleTree(seed = 5): DataTree {
  return treeOf(new TxnStream(seed).take(4000));
}

async function written(tree: DataTree, method: SnapshotCompression): Promise<string> {
  const dir = tempDir();
  const { file } = await writeSnapshot(nodeFileWriting, dir, tree.capture(), () => false, method);
  return file;
}

function restored(file: string, zxid: number): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  checkSnapshotFile(nodeFiles, file, zxid);
  restoreSnapshotFile(nodeFiles, tree, file, zxid);
  return tree;
}

describe('snapshot compression: file names', () => {
  it.each([
    ['snapshot.0000000000000012', 'none'],
    ['snapshot.0000000000000012.gz', 'gz'],
    ['snapshot.0000000000000012.snappy', 'snappy'],
  ] as const)('%s is read as %s', (name, method) => {
    expect(compressionOfFile(name)).toBe(method);
  });

  it('lists compressed and uncompressed snapshots together, newest first', async () => {
    const dir = tempDir();
    for (const name of ['snapshot.0000000000000005.gz', 'snapshot.0000000000000009.snappy',
      'snapshot.0000000000000007', 'snapshot.0000000000000008.gz.tmp', 'snapshot.x.gz']) {
      writeFileSync(join(dir, name), '');
    }
    const listed = await listSnapshots(nodeFiles, dir);
    expect(listed.map((entry) => [entry.zxid, entry.file.slice(dir.length + 1)])).toEqual([
      [9, 'snapshot.0000000000000009.snappy'],
      [7, 'snapshot.0000000000000007'],
      [5, 'snapshot.0000000000000005.gz'],
    ]);
  });
});

describe('snapshot compression: round trips', () => {
  it.each(['none', 'gz', 'snappy'] as const)('%s: restores the same tree', async (method) => {
    const tree = sampleTree();
    const file = await written(tree, method);
    expect(compressionOfFile(file)).toBe(method);
    expect(restored(file, tree.lastZxid).digest()).toBe(tree.digest());
  });

  it('gz files are plain gzip: gunzip gives the uncompressed snapshot, byte for byte',
    async () => {
      const tree = sampleTree();
      const plain = readFileSync(await written(tree, 'none'));
      const gzipped = readFileSync(await written(tree, 'gz'));
      expect(gzipped.length).toBeLessThan(plain.length);
      expect(gunzipSync(gzipped).equals(plain)).toBe(true);
    });

  it('snappy files are the Snappy framing format, as another implementation reads it',
    async () => {
      const tree = sampleTree();
      const plain = readFileSync(await written(tree, 'none'));
      const framed = readFileSync(await written(tree, 'snappy'));
      const decompressor = new Decompressor();
      const head = decompressor.update(framed);
      const tail = await decompressor.finish();
      expect(Buffer.concat([head, tail]).equals(plain)).toBe(true);
      // And the other way: a framed stream written by the library is read here.
      const compressor = new Compressor();
      const theirs = Buffer.concat([compressor.update(plain), await compressor.finish()]);
      const dir = tempDir();
      const file = join(dir, 'snapshot.0000000000000fa0.snappy');
      writeFileSync(file, theirs);
      expect(restored(file, tree.lastZxid).digest()).toBe(tree.digest());
    });

  it.each(['gz', 'snappy'] as const)('%s: a SNAP payload is stored compressed', async (method) => {
    const tree = sampleTree(9);
    const dir = tempDir();
    const payload = encodeSnapshot(tree.capture());
    const { file, bytes } = await writeSnapshotBytes(nodeFiles, dir, tree.lastZxid, payload,
      () => undefined, method);
    expect(file.endsWith(`.${method}`)).toBe(true);
    expect(bytes).toBeLessThan(payload.length);
    expect(restored(file, tree.lastZxid).digest()).toBe(tree.digest());
  });
});

describe('snapshot compression: damage is detected, never applied', () => {
  it.each(['gz', 'snappy'] as const)('%s: a torn file is refused wherever it is cut',
    async (method) => {
      const tree = sampleTree();
      const file = await written(tree, method);
      const size = readFileSync(file).length;
      for (const keep of [1, 9, 21, Math.floor(size / 3), size - 9, size - 1]) {
        const copy = join(tempDir(), `snapshot.0000000000000fa0.${method}`);
        writeFileSync(copy, readFileSync(file));
        truncateSync(copy, keep);
        expect(() => checkSnapshotFile(nodeFiles, copy, tree.lastZxid), `cut at ${keep}`)
          .toThrow(CorruptSnapshotError);
      }
    });

  it.each(['gz', 'snappy'] as const)('%s: a flipped byte is refused wherever it is',
    async (method) => {
      const tree = sampleTree();
      const file = await written(tree, method);
      const original = readFileSync(file);
      for (const at of [2, 15, 40, Math.floor(original.length / 2), original.length - 3]) {
        const damaged = Buffer.from(original);
        damaged[at] = damaged[at]! ^ 0x10;
        const copy = join(tempDir(), `snapshot.0000000000000fa0.${method}`);
        writeFileSync(copy, damaged);
        expect(() => checkSnapshotFile(nodeFiles, copy, tree.lastZxid), `byte ${at}`)
          .toThrow(CorruptSnapshotError);
      }
    });

  it('recovery skips a damaged compressed snapshot for the older one and the log after it',
    async () => {
      const dir = tempDir();
      const settings = { snapCount: 300, snapshotCompression: 'gz' as const };
      const storage = await openReplicaStorage(dir, settings, quiet);
      const tree = new DataTree({ extendedTypesEnabled: true });
      storage.attach(tree);
      await drive(storage, tree, new TxnStream(13).take(700));
      await storage.settled();
      await storage.close();
      const snapshotDir = join(dir, 'snapshots');
      const names = readdirSync(snapshotDir).sort();
      expect(names).toEqual(['snapshot.000000000000012c.gz', 'snapshot.0000000000000258.gz']);
      const newest = join(snapshotDir, names[1]!);
      truncateSync(newest, readFileSync(newest).length - 100);
      const warnings: string[] = [];
      const reopened = await openReplicaStorage(dir, settings,
        { info: () => undefined, warn: (_details, message) => warnings.push(message) });
      const recovered = new DataTree({ extendedTypesEnabled: true });
      const snapshot = await reopened.restoreInto(recovered);
      expect(snapshot?.zxid).toBe(0x12c);
      for (const txn of reopened.readFrom(recovered.lastZxid)) recovered.apply(txn);
      expect(recovered.digest()).toBe(tree.digest());
      expect(warnings).toContain('skipping a damaged snapshot');
      await reopened.close();
    });
});
