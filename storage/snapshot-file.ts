// Snapshot files: the applied data tree at one zxid, as a sequence of checksummed frames, written
// to a temporary name, fsynced and renamed, so a snapshot either exists whole or not at all.
//
// Why files and not a database in the LMDB environment: a snapshot is written once, read once
// and deleted whole. As a file it is streamed out in chunks from a captured copy without holding
// LMDB's single write lock (which log appends need), and deleting it returns the space to the file
// system at once; LMDB never shrinks its file and would keep the high-water mark of
// snapRetainCount + 1 trees. The same layout as ZooKeeper (snapshot.<zxid> files beside the log)
// also keeps operators' habits (ls, du, copy one file).

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { Packr } from 'msgpackr';
import type { ACL } from '../protocol/records.js';
import {
  NodeFields,
  type NodeRecord,
  type SessionRecord,
  type TreeCapture,
} from '../tree/snapshot.js';
import { noEphemeralOwner } from '../tree/znode.js';

/** 3: node frames are raw (see rawFrameMarker), laid out as format 2's columns. 2: nodes in
 * columns (nodeColumns frames, all msgpack), and ACL frames that add to the table (one before
 * each frame that uses new ACLs). 1: nodes as tuples after one ACL frame. All three are read. */
export const snapshotFormatVersion = 3;
const readableFormatVersions: ReadonlySet<number> = new Set([1, 2, 3]);
const magic = 'corral-snapshot';
/** Nodes per frame: small enough that encoding one frame takes well under a millisecond. */
const nodesPerFrame = 250;
/** Bytes gathered before one file write; each write is an await, where the event loop runs. */
const writeBytesMin = 1 << 20;
/** One write() call at most (the kernel takes at most about 2 GiB per call). */
const writeCallBytesMax = 1 << 30;
/** A snapshot being written is flushed to disk every this many bytes (see writeCapture). */
const syncEveryBytes = 16 << 20;
/** A frame longer than this is damage, not data (a frame holds nodesPerFrame znodes of at most
 * jute.maxbuffer each in practice, far below). */
const frameBytesMax = 1 << 30;
/**
 * The first payload byte of a raw frame (format 3): 0xc1 is the one byte MessagePack never uses,
 * so it cannot begin an ordinary frame. A raw frame is the marker, a u32 (LE) length of a msgpack
 * head, the head, then bytes the head describes. Node frames are raw so that each node's fields
 * and data are written once, into memory reused across the snapshot (FrameArena), instead of
 * being copied three times into fresh buffers (columns, msgpack, frame): for a tree of 1 KiB
 * values that was most of what a snapshot cost the event loop, and it doubled write latency
 * while one was written.
 */
const rawFrameMarker = 0xc1;

const packr = new Packr({ useRecords: false, useBigIntExtension: true });

export type SnapshotFrame =
  | { type: 'header'; magic: string; formatVersion: number; zxid: number; nodeCount: number }
  | { type: 'acls'; acls: Array<Array<[number, string, string]>> }
  | { type: 'nodes'; nodes: NodeRecord[] }
  | NodeColumns
  | { type: 'sessions'; sessions: SessionRecord[] }
  | { type: 'end'; nodeCount: number; sessionCount: number };

export class CorruptSnapshotError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`snapshot ${file} is not usable: ${reason}`);
    this.name = 'CorruptSnapshotError';
  }
}

export function snapshotName(zxid: number): string {
  return `snapshot.${zxid.toString(16).padStart(16, '0')}`;
}

/** Snapshot files in `dir`, newest first, by the zxid in their names. */
export async function listSnapshots(dir: string): Promise<Array<{ zxid: number; file: string }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => /^snapshot\.[0-9a-f]{16}$/.test(name))
    .map((name) => ({ zxid: Number.parseInt(name.slice(9), 16), file: join(dir, name) }))
    .sort((left, right) => right.zxid - left.zxid);
}

/**
 * A frame's nodes column by column (format 2): decoding allocates no array, number or bigint
 * per node, which is most of what restoring a million znodes cost with tuples. Little-endian.
 */
interface NodeColumns {
  type: 'nodeColumns';
  count: number;
  /** Paths joined by NUL, which no path holds (creates refuse it). */
  paths: string;
  /** Per node: u32 ACL index, i64 ephemeralOwner, u8 ownerIsSession, u32 data length, then
   * f64 czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion. */
  fixed: Uint8Array;
  /** The nodes' data, one after another. */
  data: Uint8Array;
}

const fixedBytesPerNode = 4 + 8 + 1 + 4 + 8 * 8;

/** The head of a raw node frame; the fixed columns and then the data follow it. */
interface RawNodesHead {
  type: 'nodeColumns';
  count: number;
  paths: string;
  fixedBytes: number;
}

/**
 * Memory that raw frames are built in, reused from one file write to the next: a snapshot of a
 * few hundred megabytes is built in the same megabyte or so, where fresh buffers for each frame
 * (each a new mapping of memory, faulted in page by page, then unmapped) cost more than the
 * encoding itself. Frames handed out stay valid until reset(), which the writer calls only once
 * the write holding them has completed.
 */
class FrameArena {
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
  for (const record of records) dataBytes += record[1].length;
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
    view.setUint8(at + 12, record[4] ? 1 : 0);
    view.setUint32(at + 13, data.length, true);
    at += 17;
    for (let field = 5; field <= 12; field++) {
      view.setFloat64(at, record[field] as number, true);
      at += 8;
    }
    frame.set(data, dataAt);
    dataAt += data.length;
  }
  frame.writeUInt32BE(payloadBytes, 0);
  frame.writeUInt32BE(crc32c(frame.subarray(8)), 4);
  return frame;
}

/** A frame's payload as a frame: ordinary frames are one msgpack value; a raw node frame is
 * read back as the NodeColumns it holds, its columns views into the payload. */
function decodeFrame(file: string, payload: Buffer): SnapshotFrame {
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
 * one piece, so nodes do not keep the frame's memory alive. */
function visitColumns(columns: NodeColumns, visit: (fields: NodeFields) => void): void {
  const paths = columns.paths.split('\0');
  const fixed = new DataView(columns.fixed.buffer, columns.fixed.byteOffset,
    columns.fixed.length);
  const data = Buffer.from(columns.data);
  const fields = new NodeFields();
  let at = 0;
  let dataAt = 0;
  for (let index = 0; index < columns.count; index++) {
    fields.path = paths[index]!;
    fields.aclIndex = fixed.getUint32(at, true);
    const ownerLow = fixed.getUint32(at + 4, true);
    const ownerHigh = fixed.getInt32(at + 8, true);
    fields.ephemeralOwner = ownerHigh === 0 && ownerLow === 0
      ? noEphemeralOwner
      : fixed.getBigInt64(at + 4, true);
    fields.ownerIsSession = fixed.getUint8(at + 12) === 1;
    const dataLength = fixed.getUint32(at + 13, true);
    fields.data = dataLength === 0 ? emptyData : data.subarray(dataAt, (dataAt += dataLength));
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
function* framesOf(capture: TreeCapture, arena: FrameArena): Generator<Buffer> {
  const { zxid, nodeCount } = capture;
  yield frameOf({ type: 'header', magic, formatVersion: snapshotFormatVersion, zxid, nodeCount });
  for (let start = 0; start < nodeCount; start += nodesPerFrame) {
    const nodes: NodeRecord[] = [];
    for (let index = start; index < Math.min(start + nodesPerFrame, nodeCount); index++) {
      nodes.push(capture.record(index));
    }
    const acls = capture.newAcls();
    if (acls.length > 0) yield frameOf({ type: 'acls', acls: aclTable(acls) });
    yield rawNodeFrame(nodes, arena);
  }
  yield frameOf({ type: 'sessions', sessions: capture.sessions });
  yield frameOf({ type: 'end', nodeCount, sessionCount: capture.sessions.length });
}

export class SnapshotAbortedError extends Error {
  constructor() {
    super('snapshot aborted');
    this.name = 'SnapshotAbortedError';
  }
}

/**
 * Writes a capture as `snapshot.<zxid>` in `dir`, then releases it. Encoding happens one frame
 * at a time between awaited file writes, so the event loop is never held for more than about
 * one frame's worth of work; `aborted` is checked between writes (server shutdown).
 */
export async function writeSnapshot(
  dir: string,
  capture: TreeCapture,
  aborted: () => boolean = () => false,
): Promise<{ file: string; bytes: number }> {
  try {
    return await writeCapture(dir, capture, aborted);
  } finally {
    capture.release();
  }
}

async function writeCapture(
  dir: string,
  capture: TreeCapture,
  aborted: () => boolean,
): Promise<{ file: string; bytes: number }> {
  return writeAtomically(dir, capture.zxid, async (handle) => {
    let bytes = 0;
    let syncedBytes = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const arena = new FrameArena();
    for (const frame of framesOf(capture, arena)) {
      pending.push(frame);
      pendingBytes += frame.length;
      if (pendingBytes < writeBytesMin) {
        // One frame's encoding at a time: client requests and txns run in between.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (aborted()) throw new SnapshotAbortedError();
      // writev: the frames go out as they are, with no copy into one buffer first.
      await handle.writev(pending);
      arena.reset();
      bytes += pendingBytes;
      pending = [];
      pendingBytes = 0;
      if (bytes - syncedBytes >= syncEveryBytes) {
        // Flush as we go: one fsync of hundreds of megabytes at the end would stall the txn
        // log's own fsyncs (same disk) for as long as the whole writeback takes.
        await handle.datasync();
        syncedBytes = bytes;
      }
    }
    await handle.writev(pending);
    return bytes + pendingBytes;
  });
}

/**
 * `snapshot.<zxid>` in `dir`, written by `write` (which returns the bytes it wrote) to a
 * temporary name, fsynced and renamed, so it exists whole or not at all; the temporary file is
 * removed if `write` throws.
 */
async function writeAtomically(
  dir: string,
  zxid: number,
  write: (handle: FileHandle) => Promise<number>,
): Promise<{ file: string; bytes: number }> {
  const file = join(dir, snapshotName(zxid));
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes: number;
  try {
    bytes = await write(handle);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  await syncDirectory(dir);
  return { file, bytes };
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

/**
 * Writes an encoded snapshot (encodeSnapshot) as `snapshot.<zxid>` in `dir`: a temporary name,
 * fsynced, renamed. `whileWriting` runs as soon as the write is under way (the thread pool does
 * it meanwhile): a learner restores its tree from the same bytes there, checking every frame,
 * and if that throws the temporary file is removed and nothing is renamed.
 */
export async function writeSnapshotBytes(
  dir: string,
  zxid: number,
  snapshot: Buffer,
  whileWriting: () => void = () => undefined,
): Promise<{ file: string; bytes: number }> {
  return writeAtomically(dir, zxid, async (handle) => {
    const written = writeAll(handle, snapshot);
    try {
      whileWriting();
    } catch (error) {
      await written.catch(() => undefined);
      throw error;
    }
    await written;
    return snapshot.length;
  });
}

/** Writes all of `bytes` from the start of the file; the first write is issued at once. */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let position = 0;
  while (position < bytes.length) {
    const length = Math.min(bytes.length - position, writeCallBytesMax);
    const { bytesWritten } = await handle.write(bytes, position, length, position);
    position += bytesWritten;
  }
}

/** Makes a rename or unlink in `dir` durable. Asynchronous: a directory's fsync waits for the
 * file system's journal, which a busy disk can hold for tens of milliseconds, and the event
 * loop must not wait with it. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a snapshot's frame payloads in order, checking each frame's checksum. */
function* readFramePayloads(file: string): Generator<Buffer> {
  const fd = openSync(file, 'r');
  const size = statSync(file).size;
  try {
    let position = 0;
    let index = 0;
    const header = Buffer.allocUnsafe(8);
    while (position < size) {
      if (readSync(fd, header, 0, 8, position) < 8) throw corrupt(file, 'torn frame header');
      const length = header.readUInt32BE(0);
      if (length > frameBytesMax || position + 8 + length > size) {
        throw corrupt(file, `frame ${index} runs past the end of the file`);
      }
      const payload = Buffer.allocUnsafe(length);
      readSync(fd, payload, 0, length, position + 8);
      if (crc32c(payload) !== header.readUInt32BE(4)) {
        throw corrupt(file, `frame ${index} fails its checksum`);
      }
      yield payload;
      position += 8 + length;
      index++;
    }
  } finally {
    closeSync(fd);
  }
}

/** The frame payloads of a snapshot held in memory (a SNAP), each checksum checked. */
function* bufferFramePayloads(name: string, bytes: Buffer): Generator<Buffer> {
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

/** Checks a snapshot without decoding its nodes: every checksum, a header naming `zxid`, and an
 * end frame last. Cheap next to a restore, so recovery picks a whole snapshot before it starts
 * replacing the tree. */
export function checkSnapshotFile(file: string, zxid: number): void {
  let first: SnapshotFrame | undefined;
  let last: Buffer | undefined;
  for (const payload of readFramePayloads(file)) {
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

function corrupt(file: string, reason: string): CorruptSnapshotError {
  return new CorruptSnapshotError(file, reason);
}

/** The parts of a snapshot, checked as they stream: header first, end last, counts matching. */
export interface SnapshotVisitor {
  header?(zxid: number, nodeCount: number): void;
  /** ACLs appended to the table that nodes' aclIndex points into. */
  acls?(acls: ACL[][]): void;
  /** Each node in turn, through one NodeFields object refilled for the next (cheapest). */
  node?(fields: NodeFields): void;
  /** The nodes of a frame as records. */
  nodes?(nodes: NodeRecord[]): void;
  sessions?(sessions: SessionRecord[]): void;
}

/** Streams a snapshot through `visitor`; throws CorruptSnapshotError unless it is whole. */
export function visitSnapshot(file: string, visitor: SnapshotVisitor): { zxid: number } {
  return visitPayloads(file, readFramePayloads(file), visitor);
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
  const first = bufferFramePayloads(name, bytes).next();
  const frame = first.done === true ? undefined : decodeFrame(name, first.value);
  if (frame?.type !== 'header' || frame.magic !== magic) throw corrupt(name, 'no header');
  return frame.zxid;
}

function visitPayloads(
  file: string,
  payloads: Iterable<Buffer>,
  visitor: SnapshotVisitor,
): { zxid: number } {
  let zxid: number | undefined;
  let nodeCount = 0;
  let sessionCount = 0;
  for (const payload of payloads) {
    const frame = decodeFrame(file, payload);
    if (zxid === undefined && frame.type !== 'header') throw corrupt(file, 'no header');
    switch (frame.type) {
      case 'header':
        if (frame.magic !== magic) throw corrupt(file, 'not a corral snapshot');
        if (!readableFormatVersions.has(frame.formatVersion)) {
          throw corrupt(file, `snapshot format ${frame.formatVersion}`);
        }
        zxid = frame.zxid;
        visitor.header?.(frame.zxid, frame.nodeCount);
        break;
      case 'acls':
        visitor.acls?.(frame.acls.map((acl) => acl.map(aclEntryOf)));
        break;
      case 'nodes':
        nodeCount += frame.nodes.length;
        visitNodes(frame.nodes, visitor);
        break;
      case 'nodeColumns':
        nodeCount += frame.count;
        if (visitor.node !== undefined) visitColumns(frame, visitor.node);
        if (visitor.nodes !== undefined) {
          const records: NodeRecord[] = [];
          visitColumns(frame, (fields) => records.push(fields.record()));
          visitor.nodes(records);
        }
        break;
      case 'sessions':
        sessionCount += frame.sessions.length;
        visitor.sessions?.(frame.sessions);
        break;
      case 'end':
        if (frame.nodeCount !== nodeCount || frame.sessionCount !== sessionCount) {
          throw corrupt(file, 'counts do not match the end frame');
        }
        return { zxid: zxid! };
    }
  }
  throw corrupt(file, 'no end frame (torn write)');
}

function visitNodes(records: NodeRecord[], visitor: SnapshotVisitor): void {
  if (visitor.node !== undefined) {
    const fields = new NodeFields();
    for (const record of records) {
      fields.of(record);
      // Copied, so that nodes do not keep the frame alive.
      fields.data = record[1].length === 0 ? emptyData : Buffer.from(record[1]);
      visitor.node(fields);
    }
  }
  visitor.nodes?.(records);
}

function aclEntryOf([perms, scheme, id]: [number, string, string]): ACL {
  return { perms, id: { scheme, id } };
}
