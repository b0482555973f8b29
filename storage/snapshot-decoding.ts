// Reading snapshot frames: checking each frame's checksum, decoding ordinary and raw node
// frames, and visiting a snapshot's parts in order, whether it is held in memory (a SNAP) or read
// from a file (snapshot-file.ts supplies the payloads).

import { crc32c } from '@node-rs/crc32';
import type { ACL } from '../protocol/records.js';
import { slabValueBytesMax } from '../tree/data-slab.js';
import {
  NodeFields,
  type NodeRecord,
  type SessionRecord,
  type StoreRestorer,
} from '../tree/snapshot.js';
import { noEphemeralOwner } from '../tree/znode.js';
import {
  corrupt,
  fixedBytesPerNode,
  frameBytesMax,
  magic,
  nodeFlags,
  packr,
  rawFrameMarker,
  readableFormatVersions,
  type NodeColumns,
  type RawNodesHead,
  type SnapshotFrame,
} from './snapshot-format.js';

/** A frame's payload as a frame: ordinary frames are one msgpack value; a raw node frame is
 * read back as the NodeColumns it holds, its columns views into the payload. */
export function decodeFrame(file: string, payload: Buffer): SnapshotFrame {
  if (payload[0] !== rawFrameMarker) return packr.unpack(payload) as SnapshotFrame;
  const headBytes = payload.length >= 5 ? payload.readUInt32LE(1) : Number.POSITIVE_INFINITY;
  if (5 + headBytes > payload.length) throw corrupt(file, 'raw frame head runs past its frame');
  const head = packr.unpack(payload.subarray(5, 5 + headBytes)) as RawNodesHead;
  const fixedStart = 5 + headBytes;
  if (head.type !== 'nodeColumns' || fixedStart + head.fixedBytes > payload.length ||
    head.fixedBytes !== head.count * fixedBytesPerNode) {
    throw corrupt(file, 'raw frame head does not describe its frame');
  }
  return {
    type: 'nodeColumns',
    count: head.count,
    paths: head.paths,
    fixed: payload.subarray(fixedStart, fixedStart + head.fixedBytes),
    data: payload.subarray(fixedStart + head.fixedBytes),
  };
}

/** Fills `fields` with each node of `columns` in turn. The data is copied out of the frame in
 * one piece, so nodes do not keep the frame's memory alive; with `copyDataOver`, only values
 * longer than that are copied (each on its own) and the rest are views of the frame, valid
 * during the call (see SnapshotVisitor.copyDataOver). Each path is handed over as its place in
 * the frame's path column (NodeFields.setPathIn): one that is never asked for is never made. */
export function visitColumns(columns: NodeColumns, visit: (fields: NodeFields) => void,
  copyDataOver?: number): void {
  const paths = columns.paths;
  let pathStart = 0;
  const fixed = new DataView(columns.fixed.buffer, columns.fixed.byteOffset,
    columns.fixed.length);
  const views = copyDataOver !== undefined;
  const copyOver = copyDataOver ?? Number.POSITIVE_INFINITY;
  const given = columns.data;
  const data = !views ? Buffer.from(given)
    : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
  const dataView = new DataView(data.buffer, data.byteOffset, data.length);
  const fields = new NodeFields();
  let at = 0;
  let dataAt = 0;
  for (let index = 0; index < columns.count; index++) {
    // Paths are joined by NULs (a path never holds one); a missing one reads as ''.
    let pathEnd = paths.indexOf('\0', pathStart);
    if (pathEnd === -1) pathEnd = paths.length;
    fields.setPathIn(paths, Math.min(pathStart, pathEnd), pathEnd);
    pathStart = pathEnd + 1;
    fields.aclIndex = fixed.getUint32(at, true);
    const ownerLow = fixed.getUint32(at + 4, true);
    const ownerHigh = fixed.getInt32(at + 8, true);
    fields.ephemeralOwner = ownerHigh === 0 && ownerLow === 0
      ? noEphemeralOwner
      : fixed.getBigInt64(at + 4, true);
    const flags = fixed.getUint8(at + 12);
    fields.ownerIsSession = (flags & nodeFlags.ownerIsSession) !== 0;
    const dataLength = fixed.getUint32(at + 13, true);
    if (views && dataLength > 0 && dataLength <= copyOver && dataAt + dataLength <= data.length) {
      // A view valid during the call, as its place in the frame: no Buffer per node.
      fields.setDataIn(data, dataView, dataAt, dataLength);
      dataAt += dataLength;
    } else {
      let bytes = dataLength === 0 ? emptyData : data.subarray(dataAt, (dataAt += dataLength));
      if (dataLength > copyOver) bytes = Buffer.from(bytes);
      // Null data is written with length 0; the flag, not the length, tells it from empty data.
      fields.data = (flags & nodeFlags.nullData) !== 0 ? null : bytes;
    }
    at += 17;
    fields.czxid = fixed.getFloat64(at, true);
    fields.mzxid = fixed.getFloat64(at + 8, true);
    fields.pzxid = fixed.getFloat64(at + 16, true);
    fields.ctime = fixed.getFloat64(at + 24, true);
    fields.mtime = fixed.getFloat64(at + 32, true);
    fields.version = fixed.getFloat64(at + 40, true);
    fields.cversion = fixed.getFloat64(at + 48, true);
    fields.aversion = fixed.getFloat64(at + 56, true);
    at += 64;
    visit(fields);
  }
}

const emptyData = Buffer.alloc(0);

/** The frame payloads of a snapshot held in memory (a SNAP), each checksum checked. */
export function* bufferFramePayloads(name: string, bytes: Buffer): Generator<Buffer> {
  let position = 0;
  let index = 0;
  while (position < bytes.length) {
    if (position + 8 > bytes.length) throw corrupt(name, 'torn frame header');
    const length = bytes.readUInt32BE(position);
    if (length > frameBytesMax || position + 8 + length > bytes.length) {
      throw corrupt(name, `frame ${index} runs past the end of the snapshot`);
    }
    const payload = bytes.subarray(position + 8, position + 8 + length);
    if (crc32c(payload) !== bytes.readUInt32BE(position + 4)) {
      throw corrupt(name, `frame ${index} fails its checksum`);
    }
    yield payload;
    position += 8 + length;
    index++;
  }
}

/** Checks a snapshot's payloads without decoding its nodes: every checksum, a header naming
 * `zxid`, and an end frame last. */
export function checkPayloads(file: string, payloads: Iterable<Buffer>, zxid: number): void {
  let first: SnapshotFrame | undefined;
  let last: Buffer | undefined;
  for (const payload of payloads) {
    first ??= decodeFrame(file, payload);
    last = payload;
  }
  if (first?.type !== 'header' || first.magic !== magic) {
    throw corrupt(file, 'not a corral snapshot');
  }
  if (!readableFormatVersions.has(first.formatVersion)) {
    throw corrupt(file, `snapshot format ${first.formatVersion}`);
  }
  if (first.zxid !== zxid) throw corrupt(file, `header holds zxid ${first.zxid}`);
  const end = last === undefined ? undefined : decodeFrame(file, last);
  if (end?.type !== 'end') throw corrupt(file, 'no end frame (torn write)');
}

/** The parts of a snapshot, checked as they stream: header first, end last, counts matching. */
export interface SnapshotVisitor {
  header?(zxid: number, nodeCount: number): void;
  /** ACLs appended to the table that nodes' aclIndex points into. */
  acls?(acls: ACL[][]): void;
  /** Each node in turn, through one NodeFields object refilled for the next (cheapest). */
  node?(fields: NodeFields): void;
  /**
   * For `node`: data of at most this many bytes is handed over as a view of the frame, valid
   * only during the call (a visitor that copies such values anyway, as the tree's slab does,
   * spares a copy of every frame); longer data, and all data without this, is the visitor's
   * own to keep.
   */
  copyDataOver?: number;
  /** The nodes of a frame as records. */
  nodes?(nodes: NodeRecord[]): void;
  sessions?(sessions: SessionRecord[]): void;
}

/** visitSnapshot for a snapshot held in memory; `name` is what an error calls it. */
export function visitSnapshotBytes(
  name: string,
  bytes: Buffer,
  visitor: SnapshotVisitor,
): { zxid: number } {
  return visitPayloads(name, bufferFramePayloads(name, bytes), visitor);
}

/** The zxid a snapshot held in memory is taken at, from its header frame. */
export function snapshotBytesZxid(name: string, bytes: Buffer): number {
  return headerZxid(name, bufferFramePayloads(name, bytes));
}

/** The zxid in a snapshot's header frame, the first of `payloads` (only that one is read). */
export function headerZxid(name: string, payloads: Iterator<Buffer>): number {
  const first = payloads.next();
  const frame = first.done === true ? undefined : decodeFrame(name, first.value);
  if (frame?.type !== 'header' || frame.magic !== magic) throw corrupt(name, 'no header');
  return frame.zxid;
}

/** Visits frame payloads in order, checking that the snapshot they make is whole. */
export function visitPayloads(
  file: string,
  payloads: Iterable<Buffer>,
  visitor: SnapshotVisitor,
): { zxid: number } {
  const walk = new SnapshotFrameWalk(file, visitor);
  for (const payload of payloads) {
    const whole = walk.take(decodeFrame(file, payload));
    if (whole !== undefined) return { zxid: whole.zxid };
  }
  throw corrupt(file, 'no end frame (torn write)');
}

/**
 * A snapshot's frames taken in order, by the reader of a whole file and by the reader of one
 * arriving in pieces alike: the header must come first and once, every frame is handed to the
 * visitor, and the end frame's counts must match what came. `take` answers the snapshot's zxid
 * and znode count at its end frame, undefined before it.
 */
export class SnapshotFrameWalk {
  private zxid: number | undefined;
  private nodeCount = 0;
  private sessionCount = 0;

  constructor(private readonly file: string, private readonly visitor: SnapshotVisitor) {}

  take(frame: SnapshotFrame): { zxid: number; nodeCount: number } | undefined {
    const { file, visitor } = this;
    if (this.zxid === undefined && frame.type !== 'header') throw corrupt(file, 'no header');
    switch (frame.type) {
      case 'header':
        if (this.zxid !== undefined) throw corrupt(file, 'a second header');
        if (frame.magic !== magic) throw corrupt(file, 'not a corral snapshot');
        if (!readableFormatVersions.has(frame.formatVersion)) {
          throw corrupt(file, `snapshot format ${frame.formatVersion}`);
        }
        this.zxid = frame.zxid;
        visitor.header?.(frame.zxid, frame.nodeCount);
        return undefined;
      case 'acls':
        visitor.acls?.(frame.acls.map((acl) => acl.map(aclEntryOf)));
        return undefined;
      case 'nodes':
        this.nodeCount += frame.nodes.length;
        visitNodes(frame.nodes, visitor);
        return undefined;
      case 'nodeColumns':
        this.nodeCount += frame.count;
        if (visitor.node !== undefined) visitColumns(frame, visitor.node, visitor.copyDataOver);
        if (visitor.nodes !== undefined) {
          const records: NodeRecord[] = [];
          visitColumns(frame, (fields) => records.push(fields.record()));
          visitor.nodes(records);
        }
        return undefined;
      case 'sessions':
        this.sessionCount += frame.sessions.length;
        visitor.sessions?.(frame.sessions);
        return undefined;
      case 'end':
        if (frame.nodeCount !== this.nodeCount || frame.sessionCount !== this.sessionCount) {
          throw corrupt(file, 'counts do not match the end frame');
        }
        return { zxid: this.zxid!, nodeCount: this.nodeCount };
    }
  }
}

export function visitNodes(records: NodeRecord[], visitor: SnapshotVisitor): void {
  if (visitor.node !== undefined) {
    const fields = new NodeFields();
    for (const record of records) {
      fields.of(record);
      // Copied, so that nodes do not keep the frame alive.
      const data = record[1];
      fields.data = data === null ? null : data.length === 0 ? emptyData : Buffer.from(data);
      visitor.node(fields);
    }
  }
  visitor.nodes?.(records);
}

export function aclEntryOf([perms, scheme, id]: [number, string, string]): ACL {
  return { perms, id: { scheme, id } };
}

/** What restoring a tree visits (a restart's snapshot file, a SNAP): every part of the
 * snapshot, fed to `restorer`. */
export function restoringVisitor(restorer: StoreRestorer): SnapshotVisitor {
  return {
    // Columns and path index sized once from the count (tree/snapshot.ts). The tree copies
    // small values into its slab: they need not be copied out first.
    copyDataOver: slabValueBytesMax,
    header: (_zxid, nodeCount) => restorer.reserve(nodeCount),
    acls: (acls) => restorer.addAcls(acls),
    node: (fields) => restorer.nodeFields(fields),
    sessions: (sessions) => {
      for (const session of sessions) {
        restorer.session({ ...session, password: Buffer.from(session.password) });
      }
    },
  };
}
