// SNAP's payload: the data tree encoded exactly as a snapshot file holds it (storage/
// snapshot-file.ts, checksummed frames), and the restore that rebuilds an identical tree from it.
// The leader sends it to a learner too far behind its log to DIFF; production and simulator
// alike. Being a snapshot file's bytes, a learner checks every frame before it restores, and
// stores the payload as its own snapshot without encoding the tree again.
import type { TreeSnapshot } from '../protocol/peer.js';
import type { DataTree } from '../tree/data-tree.js';
import type { StoreRestorer } from '../tree/snapshot.js';
import {
  bufferFramePayloads,
  decodeFrame,
  headerZxid,
  restoringVisitor,
  SnapshotFrameWalk,
  visitPayloads,
} from './snapshot-decoding.js';
import { encodeSnapshot } from './snapshot-file.js';
import { corrupt, frameBytesMax } from './snapshot-format.js';
import { FrameCutter } from './snapshot-stream.js';

/** 2: snapshot-file frames (format 3 and later). 1 was one msgpack document of node tuples. */
export const peerSnapshotFormatVersion = 2;

/** What errors call a SNAP's payload, which has no file name. */
const snapName = 'SNAP payload';

export function snapshotOfTree(tree: DataTree): TreeSnapshot {
  return { formatVersion: peerSnapshotFormatVersion, bytes: encodeSnapshot(tree.capture()) };
}

/**
 * A snapshot's payload in order, as Buffers over the same memory (msgpackr may hand back plain
 * Uint8Arrays): the pieces a learner joined it from, if any, then its bytes. It is never copied
 * into one buffer (see TreeSnapshot.pieces).
 */
export function snapshotPayload(snapshot: TreeSnapshot): Buffer[] {
  const pieces = (snapshot.pieces ?? []).map(asBuffer);
  pieces.push(asBuffer(snapshot.bytes));
  return pieces;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The frame payloads of a snapshot's payload in order, each checksum checked, however it is
 * cut into pieces (a frame across two pieces is joined once). */
function* payloadFrames(snapshot: TreeSnapshot): Generator<Buffer> {
  const pieces = snapshotPayload(snapshot);
  if (pieces.length === 1) {
    yield* bufferFramePayloads(snapName, pieces[0]!);
    return;
  }
  const frames = new FrameCutter(snapName, frameBytesMax);
  for (const piece of pieces) yield* frames.push(piece);
  if (frames.heldBytes > 0) {
    throw corrupt(snapName, `frame ${frames.frameIndex} runs past the end of the snapshot`);
  }
}

/** The zxid a snapshot's payload is taken at, from its header frame. */
export function snapshotZxid(snapshot: TreeSnapshot): number {
  return headerZxid(snapName, payloadFrames(snapshot));
}

/**
 * Rebuilds `tree` from a snapshot; returns the zxid it is current to. Throws
 * CorruptSnapshotError, leaving `tree` unusable, unless every frame checks and the counts match.
 */
export function restoreTree(tree: DataTree, snapshot: TreeSnapshot): number {
  if (snapshot.formatVersion !== peerSnapshotFormatVersion) {
    throw new Error(`peer snapshot: unknown format ${snapshot.formatVersion}`);
  }
  const zxid = snapshotZxid(snapshot);
  tree.restore(zxid, (restorer) => {
    visitPayloads(snapName, payloadFrames(snapshot), restoringVisitor(restorer));
  });
  return zxid;
}

/**
 * A SNAP's tree restored piece by piece as the pieces arrive, so that a learner restores while
 * the rest of a large SNAP is still on its way rather than after all of it has come. The same
 * checks as restoreTree (every frame's checksum, a header first, the counts at the end frame,
 * nothing read past it) and the same tree. `push` throws CorruptSnapshotError or
 * SnapshotFrameTooLargeError, leaving the tree unusable; `finish` ends the restore.
 */
export class SnapshotPieceRestore {
  private readonly frames = new FrameCutter(snapName, frameBytesMax);
  private readonly restorer: StoreRestorer;
  private readonly walk: SnapshotFrameWalk;
  private end: { zxid: number } | undefined;

  /** `deferDigest`: the nodes' digests are summed later (DataTree.restore). */
  constructor(readonly tree: DataTree, deferDigest = false) {
    this.restorer = tree.beginRestore(deferDigest);
    this.walk = new SnapshotFrameWalk(snapName, restoringVisitor(this.restorer));
  }

  /** Restores the frames `piece` completes. Nothing after the end frame is read. */
  push(piece: Uint8Array): void {
    if (this.end !== undefined) return;
    for (const payload of this.frames.push(asBuffer(piece))) {
      const whole = this.walk.take(decodeFrame(snapName, payload));
      if (whole !== undefined) {
        this.end = whole;
        return;
      }
    }
  }

  /** Ends the restore once the last piece is in: the zxid the tree is now current to. */
  finish(): number {
    if (this.end === undefined) throw corrupt(snapName, 'no end frame (torn write)');
    this.tree.finishRestore(this.restorer, this.end.zxid);
    return this.end.zxid;
  }
}

/**
 * Checks a SNAP's payload whole (every frame's checksum, the counts, the end frame) without
 * building a tree, and returns the zxid it is current to; throws CorruptSnapshotError otherwise.
 * A snapshot from a follower of the site (sync from the same site) is checked so before it is
 * taken, so that a bad one sends the learner back to the leader instead of stopping it.
 */
export function checkSnapshot(snapshot: TreeSnapshot): number {
  if (snapshot.formatVersion !== peerSnapshotFormatVersion) {
    throw new Error(`peer snapshot: unknown format ${snapshot.formatVersion}`);
  }
  return visitPayloads(snapName, payloadFrames(snapshot), {}).zxid;
}
