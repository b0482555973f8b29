// Snapshot files: the applied data tree at one zxid, as a sequence of checksummed frames, written
// to a temporary name, fsynced and renamed, so a snapshot either exists whole or not at all.
//
// Why files and not a database in the LMDB environment: a snapshot is written once, read once
// and deleted whole. As a file it is streamed out in chunks from a captured copy without holding
// LMDB's single write lock (which log appends need), and deleting it returns the space to the file
// system at once; LMDB never shrinks its file and would keep the high-water mark of
// snapRetainCount + 1 trees. The same layout as ZooKeeper (snapshot.<zxid> files beside the log)
// also keeps operators' habits (ls, du, copy one file).

import { closeSync, fsyncSync, openSync, readSync, statSync } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
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

/** 2: nodes in columns (nodeColumns frames), and ACL frames that add to the table (one before
 * each frame that uses new ACLs). 1: nodes as tuples after one ACL frame. Both are read. */
export const snapshotFormatVersion = 2;
const readableFormatVersions: ReadonlySet<number> = new Set([1, 2]);
const magic = 'corral-snapshot';
/** Nodes per frame: small enough that encoding one frame takes about a millisecond. */
const nodesPerFrame = 250;
/** Bytes gathered before one file write; each write is an await, where the event loop runs. */
const writeBytesMin = 1 << 20;
/** A snapshot being written is flushed to disk every this many bytes (see writeCapture). */
const syncEveryBytes = 16 << 20;
/** A frame longer than this is damage, not data (a frame holds nodesPerFrame znodes of at most
 * jute.maxbuffer each in practice, far below). */
const frameBytesMax = 1 << 30;

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

function columnsOf(records: readonly NodeRecord[]): NodeColumns {
  const fixed = Buffer.allocUnsafe(records.length * fixedBytesPerNode);
  let at = 0;
  for (const record of records) {
    at = fixed.writeUInt32LE(record[2], at);
    at = fixed.writeBigInt64LE(record[3], at);
    at = fixed.writeUInt8(record[4] ? 1 : 0, at);
    at = fixed.writeUInt32LE(record[1].length, at);
    for (let field = 5; field <= 12; field++) at = fixed.writeDoubleLE(record[field] as number, at);
  }
  return {
    type: 'nodeColumns',
    count: records.length,
    paths: records.map((record) => record[0]).join('\0'),
    fixed,
    data: Buffer.concat(records.map((record) => record[1])),
  };
}

/** Fills `fields` with each node of `columns` in turn. The data is copied out of the frame in
 * one piece, so nodes do not keep the frame's memory alive. */
function visitColumns(columns: NodeColumns, visit: (fields: NodeFields) => void): void {
  const paths = columns.paths.split('\0');
  const fixed = Buffer.from(columns.fixed.buffer, columns.fixed.byteOffset, columns.fixed.length);
  const data = Buffer.from(columns.data);
  const fields = new NodeFields();
  let at = 0;
  let dataAt = 0;
  for (let index = 0; index < columns.count; index++) {
    fields.path = paths[index]!;
    fields.aclIndex = fixed.readUInt32LE(at);
    const ownerHigh = fixed.readInt32LE(at + 8);
    const ownerLow = fixed.readUInt32LE(at + 4);
    fields.ephemeralOwner = ownerHigh === 0 && ownerLow === 0 ? 0n : fixed.readBigInt64LE(at + 4);
    fields.ownerIsSession = fixed[at + 12] === 1;
    const dataLength = fixed.readUInt32LE(at + 13);
    fields.data = dataLength === 0 ? emptyData : data.subarray(dataAt, (dataAt += dataLength));
    at += 17;
    fields.czxid = fixed.readDoubleLE(at);
    fields.mzxid = fixed.readDoubleLE(at + 8);
    fields.pzxid = fixed.readDoubleLE(at + 16);
    fields.ctime = fixed.readDoubleLE(at + 24);
    fields.mtime = fixed.readDoubleLE(at + 32);
    fields.version = fixed.readDoubleLE(at + 40);
    fields.cversion = fixed.readDoubleLE(at + 48);
    fields.aversion = fixed.readDoubleLE(at + 56);
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

/** The frames of a capture, encoded lazily one at a time (the tree keeps changing between
 * them; the capture still answers for its zxid). */
function* framesOf(capture: TreeCapture): Generator<Buffer> {
  const { zxid, nodeCount } = capture;
  yield frameOf({ type: 'header', magic, formatVersion: snapshotFormatVersion, zxid, nodeCount });
  for (let start = 0; start < nodeCount; start += nodesPerFrame) {
    const nodes: NodeRecord[] = [];
    for (let index = start; index < Math.min(start + nodesPerFrame, nodeCount); index++) {
      nodes.push(capture.record(index));
    }
    const acls = capture.newAcls();
    if (acls.length > 0) yield frameOf({ type: 'acls', acls: aclTable(acls) });
    yield frameOf(columnsOf(nodes));
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
  const file = join(dir, snapshotName(capture.zxid));
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes = 0;
  let syncedBytes = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const frame of framesOf(capture)) {
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
    bytes += pendingBytes;
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  syncDirectory(dir);
  return { file, bytes };
}

/** Makes a rename or unlink in `dir` durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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

/** Checks a snapshot without decoding its nodes: every checksum, a header naming `zxid`, and an
 * end frame last. Cheap next to a restore, so recovery picks a whole snapshot before it starts
 * replacing the tree. */
export function checkSnapshotFile(file: string, zxid: number): void {
  let first: SnapshotFrame | undefined;
  let last: Buffer | undefined;
  for (const payload of readFramePayloads(file)) {
    first ??= packr.unpack(payload) as SnapshotFrame;
    last = payload;
  }
  if (first?.type !== 'header' || first.magic !== magic) {
    throw corrupt(file, 'not a corral snapshot');
  }
  if (!readableFormatVersions.has(first.formatVersion)) {
    throw corrupt(file, `snapshot format ${first.formatVersion}`);
  }
  if (first.zxid !== zxid) throw corrupt(file, `header holds zxid ${first.zxid}`);
  const end = last === undefined ? undefined : (packr.unpack(last) as SnapshotFrame);
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
  let zxid: number | undefined;
  let nodeCount = 0;
  let sessionCount = 0;
  for (const payload of readFramePayloads(file)) {
    const frame = packr.unpack(payload) as SnapshotFrame;
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
