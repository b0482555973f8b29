// Encoding a captured tree as snapshot frames, lazily and in memory reused from one write to
// the next, so that writing a snapshot (or streaming a SNAP) holds the event loop for about one
// frame at a time.

import { crc32c } from '@node-rs/crc32';
import type { ACL } from '../protocol/records.js';
import type { NodeRecord, TreeCapture } from '../tree/snapshot.js';
import { dataLengthOf } from '../tree/znode.js';
import {
  fixedBytesPerNode,
  magic,
  nodeFlags,
  packr,
  rawFrameMarker,
  snapshotFormatVersion,
  type RawNodesHead,
  type SnapshotFrame,
} from './snapshot-format.js';

/** Nodes per frame at most: small enough that encoding one frame takes well under a
 * millisecond. */
const nodesPerFrame = 250;
/**
 * A frame ends once its nodes' data reach this many bytes, whatever their count: a frame is
 * encoded, checksummed, written and read whole, so it must stay about as small as one turn of
 * the event loop can take. (250 nodes of 900 KiB made one 220 MB frame, encoded in one turn;
 * at a large jute.maxbuffer, 250 nodes could pass frameBytesMax.) At least one node per frame.
 */
export const frameDataBytesTarget = 1 << 20;
/** Bytes gathered before one file write; each write is an await, where the event loop runs. */
export const writeBytesMin = 1 << 20;

/**
 * Memory that raw frames are built in, reused from one file write to the next: a snapshot of a
 * few hundred megabytes is built in the same megabyte or so, where fresh buffers for each frame
 * (each a new mapping of memory, faulted in page by page, then unmapped) cost more than the
 * encoding itself. Frames handed out stay valid until reset(), which the writer calls only once
 * the write holding them has completed.
 */
export class FrameArena {
  private buffer = Buffer.allocUnsafeSlow(writeBytesMin * 2);
  private used = 0;

  take(bytes: number): Buffer {
    if (this.used + bytes > this.buffer.length) {
      // The frames already taken keep the old buffer alive until they are written.
      this.buffer = Buffer.allocUnsafeSlow(Math.max(bytes, writeBytesMin * 2));
      this.used = 0;
    }
    const frame = this.buffer.subarray(this.used, this.used + bytes);
    this.used += bytes;
    return frame;
  }

  reset(): void {
    this.used = 0;
  }
}

/** A raw node frame, built in `arena`: the frame header, the marker and the msgpack head, the
 * fixed columns, then every node's data. One checksum over the payload, as for other frames. */
function rawNodeFrame(records: readonly NodeRecord[], arena: FrameArena): Buffer {
  const head: RawNodesHead = {
    type: 'nodeColumns',
    count: records.length,
    paths: records.map((record) => record[0]).join('\0'),
    fixedBytes: records.length * fixedBytesPerNode,
  };
  const packedHead = packr.pack(head);
  let dataBytes = 0;
  for (const record of records) dataBytes += dataLengthOf(record[1]);
  const payloadBytes = 5 + packedHead.length + head.fixedBytes + dataBytes;
  const frame = arena.take(8 + payloadBytes);
  frame[8] = rawFrameMarker;
  frame.writeUInt32LE(packedHead.length, 9);
  frame.set(packedHead, 13);
  // A DataView, not Buffer's write methods: about three times faster per node here.
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  let at = 13 + packedHead.length;
  let dataAt = at + head.fixedBytes;
  for (const record of records) {
    const data = record[1];
    view.setUint32(at, record[2], true);
    view.setBigInt64(at + 4, record[3], true);
    view.setUint8(at + 12, flagsOf(record));
    view.setUint32(at + 13, dataLengthOf(data), true);
    at += 17;
    for (let field = 5; field <= 12; field++) {
      view.setFloat64(at, record[field] as number, true);
      at += 8;
    }
    if (data !== null) {
      frame.set(data, dataAt);
      dataAt += data.length;
    }
  }
  frame.writeUInt32BE(payloadBytes, 0);
  frame.writeUInt32BE(crc32c(frame.subarray(8)), 4);
  return frame;
}

function flagsOf(record: NodeRecord): number {
  return (record[4] ? nodeFlags.ownerIsSession : 0) | (record[1] === null ? nodeFlags.nullData : 0);
}

function frameOf(frame: SnapshotFrame): Buffer {
  const payload = packr.pack(frame);
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32c(payload), 4);
  return Buffer.concat([header, payload]);
}

function aclTable(acls: ReadonlyArray<readonly ACL[]>): Array<Array<[number, string, string]>> {
  return acls.map((acl) => acl.map((entry) => [entry.perms, entry.id.scheme, entry.id.id]));
}

/** The frames of a capture, encoded lazily one at a time (the tree keeps changing between them;
 * the capture still answers for its zxid). */
export function* framesOf(capture: TreeCapture, arena: FrameArena): Generator<Buffer> {
  const { zxid, nodeCount } = capture;
  yield frameOf({ type: 'header', magic, formatVersion: snapshotFormatVersion, zxid, nodeCount });
  for (let index = 0; index < nodeCount;) {
    const nodes: NodeRecord[] = [];
    let dataBytes = 0;
    while (index < nodeCount && nodes.length < nodesPerFrame && dataBytes < frameDataBytesTarget) {
      const record = capture.record(index++);
      nodes.push(record);
      dataBytes += dataLengthOf(record[1]);
    }
    const acls = capture.newAcls();
    if (acls.length > 0) yield frameOf({ type: 'acls', acls: aclTable(acls) });
    yield rawNodeFrame(nodes, arena);
  }
  yield frameOf({ type: 'sessions', sessions: capture.sessions });
  yield frameOf({ type: 'end', nodeCount, sessionCount: capture.sessions.length });
}

/**
 * A capture encoded whole, in memory, as the snapshot file would hold it (a SNAP's payload):
 * the same frames and checksums, so a learner can check it, restore from it and write it out
 * as its own snapshot file unchanged. Releases the capture.
 */
export function encodeSnapshot(capture: TreeCapture): Buffer {
  // One piece: the frames are copied once, into the result.
  const [whole] = snapshotPieces(capture, Number.POSITIVE_INFINITY);
  return whole ?? Buffer.alloc(0);
}

/**
 * A capture encoded as encodeSnapshot does, but lazily, in pieces of about `pieceBytes` (the
 * frames in between are encoded only as the next piece is asked for): a leader streaming a SNAP
 * encodes one piece per event-loop turn and never holds the whole tree's bytes. The pieces
 * joined are encodeSnapshot's bytes. Releases the capture when done or returned early.
 */
export function* snapshotPieces(capture: TreeCapture, pieceBytes: number): Generator<Buffer> {
  try {
    const arena = new FrameArena();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const frame of framesOf(capture, arena)) {
      pending.push(frame);
      pendingBytes += frame.length;
      if (pendingBytes < pieceBytes) continue;
      const piece = Buffer.concat(pending, pendingBytes);
      arena.reset();
      pending = [];
      pendingBytes = 0;
      yield piece;
    }
    if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
  } finally {
    capture.release();
  }
}
