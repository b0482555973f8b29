// A snapshot's node frames stay about a megabyte however large the values are: a frame is
// encoded, checksummed, written and read whole in one turn of the event loop, so 250 values of
// 900 KiB must not make one 220 MB frame (which once held a leader's event loop for seconds as
// it streamed a SNAP, and lost it its quorum). Cut by size, the snapshot restores the same tree.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFiles } from '../../storage/node-files.js';
import { restoreTree, snapshotOfTree } from '../../storage/peer-snapshot.js';
import { bufferFramePayloads } from '../../storage/snapshot-decoding.js';
import { frameDataBytesTarget, snapshotPieces } from '../../storage/snapshot-encoding.js';
import { writeSnapshotBytes } from '../../storage/snapshot-file.js';
import type { Txn } from '../../protocol/txn.js';
import { DataTree } from '../../tree/data-tree.js';
import { removeTempDirs, tempDir, treeOf, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const largeValueBytes = 700 * 1024;

/** After `txns`, creates of /sized-0.. : every third value `largeValueBytes` long, the rest
 * a few bytes, so that frames end on size, not on their count of nodes. */
function withSizedCreates(txns: Txn[], count: number): Txn[] {
  const last = txns.at(-1)!;
  const sized = Array.from({ length: count }, (_, index): Txn => ({
    zxid: last.zxid + 1 + index,
    time: last.time + 1 + index,
    sessionId: last.sessionId,
    cxid: 1,
    body: {
      type: 'write',
      request: { kind: 'create', opcode: 15, path: `/sized-${index}`, flags: 0, ttl: -1,
        data: index % 3 === 0
          ? Buffer.alloc(largeValueBytes, index & 0xff)
          : Buffer.from(`s${index}`),
        acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] },
      auth: { ids: [], superUser: false },
    },
  }));
  return [...txns, ...sized];
}

describe('snapshot frames are cut by size', () => {
  const source = treeOf(withSizedCreates(new TxnStream(5, 0, true).take(200), 90));
  /** A frame's data passes the target by one value at most; the rest is the node columns. */
  const frameBytesBound = frameDataBytesTarget + largeValueBytes + 250 * 256;

  it('no node frame is much over a megabyte, and the snapshot restores the same tree', () => {
    const snapshot = snapshotOfTree(source);
    expect(snapshot.bytes.length).toBeGreaterThan(8 * frameBytesBound);
    const { buffer, byteOffset, length } = snapshot.bytes;
    const sizes = [...bufferFramePayloads('snap', Buffer.from(buffer, byteOffset, length))]
      .map((frame) => frame.length);
    expect(sizes.length).toBeGreaterThan(8);
    expect(Math.max(...sizes)).toBeLessThan(frameBytesBound);
    const restored = new DataTree({ extendedTypesEnabled: true });
    expect(restoreTree(restored, snapshot)).toBe(source.lastZxid);
    expect(restored.digest()).toBe(source.digest());
  });

  it('a SNAP streamed in 1 MiB pieces has no piece much over that', () => {
    const pieces = [...snapshotPieces(source.capture(), 1 << 20)].map((piece) => piece.length);
    expect(pieces.length).toBeGreaterThan(8);
    expect(Math.max(...pieces)).toBeLessThan((1 << 20) + frameBytesBound);
  });
  it('is written from a learner\'s pieces as the file it makes whole, across compression slices',
  async () => {
    const { bytes } = snapshotOfTree(source);
    const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // Pieces of 3 MiB, and odd cuts, against the compressor's 8 MiB slices.
    const pieces: Buffer[] = [];
    for (let start = 0; start < whole.length; start += 3 << 20) {
      const end = Math.min(whole.length, start + (3 << 20));
      pieces.push(whole.subarray(start, start + 5), whole.subarray(start + 5, end));
    }
    for (const compression of ['none', 'gz', 'snappy'] as const) {
      const fromWhole = await writeSnapshotBytes(nodeFiles, tempDir(), source.lastZxid, whole,
        () => undefined, compression);
      const fromPieces = await writeSnapshotBytes(nodeFiles, tempDir(), source.lastZxid, pieces,
        () => undefined, compression);
      expect(readFileSync(fromPieces.file).equals(readFileSync(fromWhole.file))).toBe(true);
    }
  });
});
