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
import type { NodeRecord, SessionRecord, TreeCapture } from '../tree/snapshot.js';

export const snapshotFormatVersion = 1;
const magic = 'corral-snapshot';
/** Nodes per frame: small enough that encoding one frame takes about a millisecond. */
const nodesPerFrame = 1000;
/** Bytes gathered before one file write; each write is an await, where the event loop runs. */
const writeBytesMin = 1 << 20;
/** A frame longer than this is damage, not data (a frame holds nodesPerFrame znodes of at most
 * jute.maxbuffer each in practice, far below). */
const frameBytesMax = 1 << 30;

const packr = new Packr({ useRecords: false, useBigIntExtension: true });

export type SnapshotFrame =
  | { type: 'header'; magic: string; formatVersion: number; zxid: number; nodeCount: number }
  | { type: 'acls'; acls: Array<Array<[number, string, string]>> }
  | { type: 'nodes'; nodes: NodeRecord[] }
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

/** The frames of a capture, encoded lazily one at a time. */
function* framesOf(capture: TreeCapture): Generator<Buffer> {
  const { zxid, nodeCount } = capture;
  yield frameOf({ type: 'header', magic, formatVersion: snapshotFormatVersion, zxid, nodeCount });
  yield frameOf({ type: 'acls', acls: aclTable(capture.acls) });
  for (let start = 0; start < nodeCount; start += nodesPerFrame) {
    const nodes: NodeRecord[] = [];
    for (let index = start; index < Math.min(start + nodesPerFrame, nodeCount); index++) {
      nodes.push(capture.record(index));
    }
    yield frameOf({ type: 'nodes', nodes });
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
 * Writes a capture as `snapshot.<zxid>` in `dir`. Encoding happens one frame at a time between
 * awaited file writes, so the event loop is never held for more than about one frame's worth of
 * work; `aborted` is checked between writes (server shutdown).
 */
export async function writeSnapshot(
  dir: string,
  capture: TreeCapture,
  aborted: () => boolean = () => false,
): Promise<{ file: string; bytes: number }> {
  const file = join(dir, snapshotName(capture.zxid));
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const frame of framesOf(capture)) {
      pending.push(frame);
      pendingBytes += frame.length;
      if (pendingBytes < writeBytesMin) continue;
      if (aborted()) throw new SnapshotAbortedError();
      await handle.write(Buffer.concat(pending));
      bytes += pendingBytes;
      pending = [];
      pendingBytes = 0;
    }
    await handle.write(Buffer.concat(pending));
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
  if (first.formatVersion !== snapshotFormatVersion) {
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
  acls?(acls: ACL[][]): void;
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
        if (frame.formatVersion !== snapshotFormatVersion) {
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
        visitor.nodes?.(frame.nodes);
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

function aclEntryOf([perms, scheme, id]: [number, string, string]): ACL {
  return { perms, id: { scheme, id } };
}
