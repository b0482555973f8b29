// Snapshot files: the applied data tree at one zxid, as a sequence of checksummed frames, written
// to a temporary name, fsynced and renamed, so a snapshot either exists whole or not at all.
//
// Why files and not a database in the LMDB environment: a snapshot is written once, read once
// and deleted whole. As a file it is streamed out in chunks from a captured copy without holding
// LMDB's single write lock (which log appends need), and deleting it returns the space to the file
// system at once; LMDB never shrinks its file and would keep the high-water mark of
// snapRetainCount + 1 trees. The same layout as ZooKeeper (snapshot.<zxid> files beside the log)
// also keeps operators' habits (ls, du, copy one file).

import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { TreeCapture } from '../tree/snapshot.js';
import { nextTurnOf, type BackendSession, type FileStore, type WritableFile } from
  './backend.js';
import { checkPayloads, decodeFrame, visitPayloads, type SnapshotVisitor } from
  './snapshot-decoding.js';
import { FrameArena, framesOf, writeBytesMin } from './snapshot-encoding.js';
import { corrupt, frameBytesMax } from './snapshot-format.js';
import {
  compressedFileHeader,
  compressPieces,
  snapshotByteSource,
  snapshotFileSuffix,
  type SnapshotCompression,
} from './snapshot-compression.js';

// What other layers import from here; the format itself lives in snapshot-format.ts,
// snapshot-encoding.ts and snapshot-decoding.ts.
export { CorruptSnapshotError, snapshotFormatVersion } from './snapshot-format.js';
export { encodeSnapshot, snapshotPieces } from './snapshot-encoding.js';
export { snapshotBytesZxid, visitSnapshotBytes, type SnapshotVisitor } from
  './snapshot-decoding.js';

/** What writing a snapshot needs of a backend session: its files, and its event loop's turns
 * (encoding yields to the rest of the replica between frames). */
export type SnapshotWriting = Pick<BackendSession, 'files' | 'nextTurn'>;

/** One write() call at most (the kernel takes at most about 2 GiB per call). */
const writeCallBytesMax = 1 << 30;
/** A snapshot being written is flushed to disk every this many bytes (see writeCapture). */
const syncEveryBytes = 16 << 20;
/** A SNAP's payload is compressed this much at a time on its way to the file. */
const compressSliceBytes = 8 << 20;

/** `snapshot.<zxid>`, then `.gz` or `.snappy` when compressed (as ZooKeeper names them). */
export function snapshotName(zxid: number, compression: SnapshotCompression = 'none'): string {
  return `snapshot.${zxid.toString(16).padStart(16, '0')}${snapshotFileSuffix(compression)}`;
}

/** Snapshot files in `dir` (compressed or not), newest first, by the zxid in their names. */
export async function listSnapshots(
  files: FileStore,
  dir: string,
): Promise<Array<{ zxid: number; file: string }>> {
  const names = await files.list(dir);
  return names
    .filter((name) => /^snapshot\.[0-9a-f]{16}(\.gz|\.snappy)?$/.test(name))
    .map((name) => ({ zxid: Number.parseInt(name.slice(9, 25), 16), file: join(dir, name) }))
    .sort((left, right) => right.zxid - left.zxid);
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
  writing: SnapshotWriting,
  dir: string,
  capture: TreeCapture,
  aborted: () => boolean = () => false,
  compression: SnapshotCompression = 'none',
): Promise<{ file: string; bytes: number }> {
  try {
    const name = snapshotName(capture.zxid, compression);
    const prepared = await prepareSnapshot(writing.files, dir, name, (handle) =>
      writeCapture(writing, handle, capture, aborted, compression));
    await prepared.install();
    return prepared;
  } finally {
    capture.release();
  }
}

async function writeCapture(
  writing: SnapshotWriting,
  handle: WritableFile,
  capture: TreeCapture,
  aborted: () => boolean,
  compression: SnapshotCompression,
): Promise<number> {
  const header = compressedFileHeader(compression);
  await handle.writev(header);
  let bytes = header.reduce((total, piece) => total + piece.length, 0);
  let syncedBytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const arena = new FrameArena();
  const written = (pieces: Buffer[]): Promise<Buffer[]> => compressPieces(compression, pieces);
  for (const frame of framesOf(capture, arena)) {
    pending.push(frame);
    pendingBytes += frame.length;
    if (pendingBytes < writeBytesMin) {
      // One frame's encoding at a time: client requests and txns run in between.
      await nextTurnOf(writing);
      continue;
    }
    if (aborted()) throw new SnapshotAbortedError();
    // writev: the frames go out as they are, with no copy into one buffer first (unless they
    // are compressed, on the thread pool).
    const pieces = await written(pending);
    await handle.writev(pieces);
    arena.reset();
    bytes += byteCount(pieces);
    pending = [];
    pendingBytes = 0;
    if (bytes - syncedBytes >= syncEveryBytes) {
      // Flush as we go: one fsync of hundreds of megabytes at the end would stall the txn
      // log's own fsyncs (same disk) for as long as the whole writeback takes.
      await handle.datasync();
      syncedBytes = bytes;
    }
  }
  const last = await written(pending);
  await handle.writev(last);
  return bytes + byteCount(last);
}

function byteCount(pieces: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const piece of pieces) bytes += piece.length;
  return bytes;
}

/** A snapshot written, synced and closed under its temporary name, not yet in place. */
export interface PreparedSnapshot {
  file: string;
  bytes: number;
  /** Renames it into place and syncs the directory: from then on it survives a crash. */
  install(): Promise<void>;
  /** Removes the temporary file instead. */
  discard(): Promise<void>;
}

/**
 * `name` (snapshotName) in `dir`, written by `write` (which returns the bytes it wrote) to a
 * temporary name and fsynced, so that once installed it exists whole or not at all; the
 * temporary file is removed if `write` throws.
 */
async function prepareSnapshot(
  files: FileStore,
  dir: string,
  name: string,
  write: (handle: WritableFile) => Promise<number>,
): Promise<PreparedSnapshot> {
  const file = join(dir, name);
  const temporary = `${file}.tmp`;
  const handle = await files.create(temporary);
  let bytes: number;
  try {
    bytes = await write(handle);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await files.remove(temporary);
    throw error;
  }
  await handle.close();
  return {
    file,
    bytes,
    install: async () => {
      await files.rename(temporary, file);
      await files.syncDirectory(dir);
    },
    discard: () => files.remove(temporary),
  };
}

/**
 * An encoded snapshot (encodeSnapshot) as `snapshot.<zxid>` in `dir`, prepared: written to a
 * temporary name and fsynced (compressed with `compression`). `whileWriting` runs as soon as the
 * write is under way (the thread pool does it meanwhile): a learner restores its tree from the
 * same bytes there, checking every frame, and if that throws the temporary file is removed and
 * nothing is prepared.
 */
export async function prepareSnapshotBytes(
  files: FileStore,
  dir: string,
  zxid: number,
  snapshot: Buffer | readonly Buffer[],
  whileWriting: () => void = () => undefined,
  compression: SnapshotCompression = 'none',
): Promise<PreparedSnapshot> {
  const pieces = Buffer.isBuffer(snapshot) ? [snapshot] : snapshot;
  return prepareSnapshot(files, dir, snapshotName(zxid, compression), async (handle) => {
    const written = compression === 'none'
      ? writeAll(handle, pieces)
      : writeCompressed(handle, pieces, compression);
    try {
      whileWriting();
    } catch (error) {
      await written.catch(() => undefined);
      throw error;
    }
    return written;
  });
}

/** prepareSnapshotBytes, then installed: the snapshot file exists whole or not at all. */
export async function writeSnapshotBytes(
  files: FileStore,
  dir: string,
  zxid: number,
  snapshot: Buffer | readonly Buffer[],
  whileWriting: () => void = () => undefined,
  compression: SnapshotCompression = 'none',
): Promise<{ file: string; bytes: number }> {
  const prepared = await prepareSnapshotBytes(files, dir, zxid, snapshot, whileWriting,
    compression);
  await prepared.install();
  return prepared;
}

/** Writes `pieces` one after another from the start of the file (the first write is issued at
 * once); returns the bytes written. */
async function writeAll(handle: WritableFile, pieces: readonly Buffer[]): Promise<number> {
  let position = 0;
  for (const bytes of pieces) {
    let done = 0;
    while (done < bytes.length) {
      const length = Math.min(bytes.length - done, writeCallBytesMax);
      const wrote = await handle.write(bytes.subarray(done, done + length), position);
      done += wrote;
      position += wrote;
    }
  }
  return position;
}

/** Writes `pieces`, joined, compressed a slice at a time; returns the bytes the file holds. */
async function writeCompressed(
  handle: WritableFile,
  pieces: readonly Buffer[],
  compression: SnapshotCompression,
): Promise<number> {
  const header = compressedFileHeader(compression);
  await handle.writev(header);
  let written = byteCount(header);
  for (const slice of slicesOf(pieces, compressSliceBytes)) {
    const compressed = await compressPieces(compression, slice);
    await handle.writev(compressed);
    written += byteCount(compressed);
  }
  return written;
}

/** `pieces` regrouped into runs of `sliceBytes` (the last may be shorter), as views. */
function* slicesOf(pieces: readonly Buffer[], sliceBytes: number): Generator<Buffer[]> {
  let slice: Buffer[] = [];
  let sliceLength = 0;
  for (const piece of pieces) {
    for (let start = 0; start < piece.length;) {
      const take = Math.min(piece.length - start, sliceBytes - sliceLength);
      slice.push(piece.subarray(start, start + take));
      sliceLength += take;
      start += take;
      if (sliceLength === sliceBytes) {
        yield slice;
        slice = [];
        sliceLength = 0;
      }
    }
  }
  if (sliceLength > 0) yield slice;
}

/** Reads a snapshot's frame payloads in order, checking each frame's checksum; a compressed
 * file's blocks are checked as they are read (snapshot-compression.ts). */
function* readFramePayloads(files: FileStore, file: string): Generator<Buffer> {
  const reader = files.openForReading(file);
  try {
    const source = snapshotByteSource(reader, file);
    let index = 0;
    for (;;) {
      const header = source.read(8);
      if (header.length === 0) return;
      if (header.length < 8) throw corrupt(file, 'torn frame header');
      const length = header.readUInt32BE(0);
      const left = source.bytesLeft();
      if (length > frameBytesMax || (left !== undefined && length > left)) {
        throw corrupt(file, `frame ${index} runs past the end of the file`);
      }
      const payload = source.read(length);
      if (payload.length < length) {
        throw corrupt(file, `frame ${index} runs past the end of the file`);
      }
      if (crc32c(payload) !== header.readUInt32BE(4)) {
        throw corrupt(file, `frame ${index} fails its checksum`);
      }
      yield payload;
      index++;
    }
  } finally {
    reader.close();
  }
}

/** Checks a snapshot file without decoding its nodes: every checksum, a header naming `zxid`,
 * and an end frame last. Cheap next to a restore, so recovery picks a whole snapshot before it
 * starts replacing the tree. */
export function checkSnapshotFile(files: FileStore, file: string, zxid: number): void {
  checkPayloads(file, readFramePayloads(files, file), zxid);
}

/**
 * checkSnapshotFile and visitSnapshot in one read of the file: `visitor` sees the frames as
 * they are checked, and the file must pass every check checkSnapshotFile makes (its header names
 * `zxid`, its last frame is an end frame), or CorruptSnapshotError is thrown, perhaps after
 * `visitor` saw some of it.
 */
export function visitCheckedSnapshot(
  files: FileStore,
  file: string,
  zxid: number,
  visitor: SnapshotVisitor,
): void {
  const payloads = readFramePayloads(files, file);
  // Without `return`, so that the visit stopping at the end frame does not close the file.
  const unclosed: Iterable<Buffer> = { [Symbol.iterator]: () => ({ next: () => payloads.next() }) };
  try {
    visitPayloads(file, unclosed, {
      ...visitor,
      header: (headerZxid, nodeCount) => {
        if (headerZxid !== zxid) throw corrupt(file, `header holds zxid ${headerZxid}`);
        visitor.header?.(headerZxid, nodeCount);
      },
    });
    // What follows the end frame: checkSnapshotFile reads to the end of the file and wants an
    // end frame last (anything torn there fails its read).
    let last: Buffer | undefined;
    for (let next = payloads.next(); next.done !== true; next = payloads.next()) last = next.value;
    if (last !== undefined && decodeFrame(file, last).type !== 'end') {
      throw corrupt(file, 'no end frame (torn write)');
    }
  } finally {
    payloads.return(undefined);
  }
}

/** Streams a snapshot file through `visitor`; throws CorruptSnapshotError unless it is whole. */
export function visitSnapshot(
  files: FileStore,
  file: string,
  visitor: SnapshotVisitor,
): { zxid: number } {
  return visitPayloads(file, readFramePayloads(files, file), visitor);
}
