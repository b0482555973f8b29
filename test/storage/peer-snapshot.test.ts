// SNAP's payload (storage/peer-snapshot.ts): a tree encoded as snapshot-file frames restores to
// the same tree, every damaged or cut payload is refused before anything is applied, and the
// payload written out as a learner's snapshot file is a valid snapshot that recovery restores.
// Restored piece by piece as it arrives (SnapshotPieceRestore), however it is cut, it makes
// the same tree, and refuses what the whole restore refuses.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { treeSnapshotBytes, type TreeSnapshot } from '../../protocol/peer.js';
import {
  checkSnapshot,
  restoreTree,
  SnapshotPieceRestore,
  snapshotOfTree,
  snapshotPayload,
  snapshotZxid,
} from '../../storage/peer-snapshot.js';
import { nodeFiles } from '../../storage/node-files.js';
import { restoreSnapshotFile } from '../../storage/recovery.js';
import {
  checkSnapshotFile,
  CorruptSnapshotError,
  writeSnapshotBytes,
} from '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

/** Every node's path, stat and data, the ACL of each, and the sessions: a tree's whole state. */
function contents(tree: DataTree): unknown {
  const capture = tree.capture();
  const nodes = Array.from({ length: capture.nodeCount }, (_, index) => capture.record(index))
    .map(([path, data, ...rest]) => [path, data === null ? null : data.toString('hex'), ...rest]);
  const result = { zxid: capture.zxid, nodes, acls: capture.newAcls(), sessions: capture.sessions };
  capture.release();
  return result;
}

describe('peer snapshot (SNAP payload)', () => {
  const tree = treeOf(new TxnStream(23).take(6000));

  it('restores the same tree, sessions and ACLs included', () => {
    const snapshot = snapshotOfTree(tree);
    const restored = new DataTree({ extendedTypesEnabled: true });
    expect(restoreTree(restored, snapshot)).toBe(tree.lastZxid);
    expect(contents(restored)).toEqual(contents(tree));
    expect(tree.capture().sessions.length).toBeGreaterThan(0);
  });

  it('refuses a payload with a flipped byte, a cut one and an unknown format', () => {
    const { bytes } = snapshotOfTree(tree);
    for (const offset of [10, Math.floor(bytes.length / 2), bytes.length - 3]) {
      const damaged = Buffer.from(bytes);
      damaged[offset]! ^= 0x40;
      expect(() => restoreTree(new DataTree({}), { formatVersion: 2, bytes: damaged }))
        .toThrow(CorruptSnapshotError);
    }
    const cut = Buffer.from(bytes).subarray(0, bytes.length - 20);
    expect(() => restoreTree(new DataTree({}), { formatVersion: 2, bytes: cut }))
      .toThrow(CorruptSnapshotError);
    expect(() => restoreTree(new DataTree({}), { formatVersion: 1, bytes }))
      .toThrow('unknown format 1');
  });

  it('is, written out, a snapshot file that checks and restores', async () => {
    const { bytes } = snapshotOfTree(tree);
    const dir = tempDir();
    const { file } = await writeSnapshotBytes(nodeFiles, dir, tree.lastZxid, Buffer.from(bytes));
    expect(() => checkSnapshotFile(nodeFiles, file, tree.lastZxid)).not.toThrow();
    const recovered = new DataTree({ extendedTypesEnabled: true });
    restoreSnapshotFile(nodeFiles, recovered, file, tree.lastZxid);
    expect(contents(recovered)).toEqual(contents(tree));
  });

  it('writes nothing when the restore run while writing refuses the payload', async () => {
    const damaged = Buffer.from(snapshotOfTree(tree).bytes);
    damaged[damaged.length >> 1]! ^= 1;
    const dir = tempDir();
    await expect(writeSnapshotBytes(nodeFiles, dir, tree.lastZxid, damaged, () => {
      restoreTree(new DataTree({}), { formatVersion: 2, bytes: damaged });
    })).rejects.toThrow(CorruptSnapshotError);
    expect(readdirSync(dir)).toEqual([]);
  });

  /** `bytes` cut at `cuts` (offsets, any order, duplicates allowed) into pieces. */
  function piecesOf(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
    const at = [...new Set([0, ...cuts.map((cut) => cut % (bytes.length + 1)), bytes.length])]
      .sort((a, b) => a - b);
    return at.slice(1).map((end, index) => bytes.subarray(at[index], end));
  }

  function restoredFromPieces(pieces: Uint8Array[]): { zxid: number; tree: DataTree } {
    const restore = new SnapshotPieceRestore(new DataTree({ extendedTypesEnabled: true }));
    for (const piece of pieces) restore.push(piece);
    return { zxid: restore.finish(), tree: restore.tree };
  }

  it('restores the same tree from pieces, however the payload is cut', () => {
    const { bytes } = snapshotOfTree(tree);
    const expected = contents(tree);
    // One piece, pieces of one byte around the header, and a frame split in three.
    const fixed = [[], [1, 2, 3, 4, 5, 6, 7, 8, 9], [100, 5000, 5001, bytes.length - 1]];
    for (const cuts of fixed) {
      const { zxid, tree: restored } = restoredFromPieces(piecesOf(bytes, cuts));
      expect(zxid).toBe(tree.lastZxid);
      expect(contents(restored)).toEqual(expected);
    }
    fc.assert(fc.property(fc.array(fc.nat(bytes.length), { maxLength: 40 }), (cuts) => {
      const { zxid, tree: restored } = restoredFromPieces(piecesOf(bytes, cuts));
      expect(zxid).toBe(tree.lastZxid);
      expect(contents(restored)).toEqual(expected);
    }), { numRuns: 25, seed: 20261207 });
  });

  it('refuses from pieces what it refuses whole: a flipped byte, a cut payload', () => {
    const { bytes } = snapshotOfTree(tree);
    const cuts = [bytes.length >> 2, bytes.length >> 1, (bytes.length >> 2) * 3];
    for (const offset of [10, Math.floor(bytes.length / 2), bytes.length - 3]) {
      const damaged = Buffer.from(bytes);
      damaged[offset]! ^= 0x40;
      expect(() => restoredFromPieces(piecesOf(damaged, cuts))).toThrow(CorruptSnapshotError);
    }
    const cut = Buffer.from(bytes).subarray(0, bytes.length - 20);
    expect(() => restoredFromPieces(piecesOf(cut, cuts))).toThrow(CorruptSnapshotError);
  });
  /** A SNAP as a learner joins it: the pieces before the last, and the last as its bytes. */
  function joined(pieces: Uint8Array[]): TreeSnapshot {
    return { formatVersion: 2, bytes: pieces.at(-1)!, pieces: pieces.slice(0, -1) };
  }

  it('reads a payload kept in pieces as it reads it whole: zxid, check, restore, refusals', () => {
    const { bytes } = snapshotOfTree(tree);
    const expected = contents(tree);
    fc.assert(fc.property(fc.array(fc.nat(bytes.length), { minLength: 1, maxLength: 30 }),
      (cuts) => {
        const snapshot = joined(piecesOf(bytes, cuts));
        expect(treeSnapshotBytes(snapshot)).toBe(bytes.length);
        expect(snapshotZxid(snapshot)).toBe(tree.lastZxid);
        expect(checkSnapshot(snapshot)).toBe(tree.lastZxid);
        const restored = new DataTree({ extendedTypesEnabled: true });
        expect(restoreTree(restored, snapshot)).toBe(tree.lastZxid);
        expect(contents(restored)).toEqual(expected);
      }), { numRuns: 20, seed: 20261208 });
    const cuts = [9, bytes.length >> 1, bytes.length - 100];
    for (const offset of [10, Math.floor(bytes.length / 2), bytes.length - 3]) {
      const damaged = Buffer.from(bytes);
      damaged[offset]! ^= 0x40;
      expect(() => checkSnapshot(joined(piecesOf(damaged, cuts)))).toThrow(CorruptSnapshotError);
      expect(() => restoreTree(new DataTree({}), joined(piecesOf(damaged, cuts))))
        .toThrow(CorruptSnapshotError);
    }
    const cut = joined(piecesOf(Buffer.from(bytes).subarray(0, bytes.length - 20), cuts));
    expect(() => checkSnapshot(cut)).toThrow(CorruptSnapshotError);
  });

  it('writes a payload kept in pieces as the same snapshot file, compressed or not', async () => {
    const { bytes } = snapshotOfTree(tree);
    const pieces = snapshotPayload(joined(piecesOf(bytes, [7, 3000, 3001, bytes.length >> 1])));
    expect(pieces.length).toBe(5);
    for (const compression of ['none', 'gz', 'snappy'] as const) {
      const whole = await writeSnapshotBytes(nodeFiles, tempDir(), tree.lastZxid,
        Buffer.from(bytes), () => undefined, compression);
      const parted = await writeSnapshotBytes(nodeFiles, tempDir(), tree.lastZxid, pieces,
        () => undefined, compression);
      expect(readFileSync(parted.file).equals(readFileSync(whole.file))).toBe(true);
      const recovered = new DataTree({ extendedTypesEnabled: true });
      restoreSnapshotFile(nodeFiles, recovered, parted.file, tree.lastZxid);
      expect(contents(recovered)).toEqual(contents(tree));
    }
  });
});
