// Compression of snapshot files (zoo.cfg snapshot.compression.method): the checksummed frames a
// snapshot is made of, as one byte stream, cut into blocks that are compressed on the thread
// pool as the file is written and checked block by block as it is read, so a torn or damaged
// compressed snapshot is found before anything of it is applied. As in ZooKeeper, a file's
// name says how it was written (`.gz`, `.snappy`), and every snapshot is read whatever the
// setting is now.

import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import { crc32, crc32c } from '@node-rs/crc32';
import { snappy } from './snappy.js';
import type { ReadableFile } from './backend.js';
import { corrupt } from './snapshot-format.js';

/** ZooKeeper's snapshot.compression.method values (`none` for the empty value). */
export type SnapshotCompression = 'none' | 'gz' | 'snappy';

export const snapshotCompressions: readonly SnapshotCompression[] = ['none', 'gz', 'snappy'];

const suffixes: Readonly<Record<SnapshotCompression, string>> = {
  none: '',
  gz: '.gz',
  snappy: '.snappy',
};

export function snapshotFileSuffix(method: SnapshotCompression): string {
  return suffixes[method];
}

/** How a snapshot file was written, from its name, as ZooKeeper's SnapStream tells it. */
export function compressionOfFile(name: string): SnapshotCompression {
  if (name.endsWith('.gz')) return 'gz';
  if (name.endsWith('.snappy')) return 'snappy';
  return 'none';
}

/** Raw bytes per gzip member: a reader holds one member's input and output at a time. */
const gzipBlockBytes = 1 << 20;
/** The Snappy framing format's largest chunk of uncompressed data. */
const snappyChunkBytes = 1 << 16;
/** More than any block this writes; anything larger is damage (and would be a huge allocation). */
const blockBytesMax = 1 << 24;

const deflateRawAsync = promisify(deflateRaw);

/** The bytes a compressed file begins with (the Snappy framing format's stream identifier). */
export function compressedFileHeader(method: SnapshotCompression): Buffer[] {
  return method === 'snappy' ? [snappyStreamIdentifier] : [];
}

/**
 * The file's bytes for the next raw snapshot bytes, `pieces` in order. Blocks are compressed
 * on the thread pool, so the event loop is free meanwhile; every block stands alone, so nothing
 * is carried from one call to the next and the last block may be short.
 */
export async function compressPieces(
  method: SnapshotCompression,
  pieces: readonly Uint8Array[],
): Promise<Buffer[]> {
  if (method === 'none') return pieces.map((piece) => asBuffer(piece));
  const raw = Buffer.concat(pieces);
  const blockBytes = method === 'gz' ? gzipBlockBytes : snappyChunkBytes;
  const blocks: Array<Promise<Buffer>> = [];
  for (let start = 0; start < raw.length; start += blockBytes) {
    const block = raw.subarray(start, Math.min(raw.length, start + blockBytes));
    blocks.push(method === 'gz' ? gzipMember(block) : snappyChunk(block));
  }
  return Promise.all(blocks);
}

// ---- gzip: one member per block, each naming its own length (as BGZF does), so a reader can
// take a member at a time without inflating past it; `zcat` reads the file as one stream.

/** The FEXTRA subfield this writes: 'C' 'R' (corral), 4 bytes of little-endian member length. */
const gzipHeaderBytes = 20;
const gzipTrailerBytes = 8;

async function gzipMember(block: Buffer): Promise<Buffer> {
  const deflated = await deflateRawAsync(block);
  const member = Buffer.allocUnsafe(gzipHeaderBytes + deflated.length + gzipTrailerBytes);
  // ID1 ID2, CM deflate, FLG FEXTRA, MTIME 0, XFL 0, OS unknown.
  member.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff], 0);
  member.writeUInt16LE(8, 10);
  member.set([0x43, 0x52], 12);
  member.writeUInt16LE(4, 14);
  member.writeUInt32LE(member.length, 16);
  deflated.copy(member, gzipHeaderBytes);
  member.writeUInt32LE(crc32(block), gzipHeaderBytes + deflated.length);
  member.writeUInt32LE(block.length, gzipHeaderBytes + deflated.length + 4);
  return member;
}

/** The next member's raw bytes, or undefined at the end of the file. */
function readGzipMember(input: ByteReader, file: string): Buffer | undefined {
  const header = input.take(gzipHeaderBytes);
  if (header.length === 0) return undefined;
  const fixed = [0x1f, 0x8b, 8, 4];
  if (header.length < gzipHeaderBytes || fixed.some((byte, index) => header[index] !== byte)) {
    throw corrupt(file, `gzip member at byte ${input.consumed - header.length} has no header`);
  }
  const memberBytes = header.readUInt32LE(16);
  const extraIsOurs = header.readUInt16LE(10) === 8 && header[12] === 0x43 &&
    header[13] === 0x52 && header.readUInt16LE(14) === 4;
  if (!extraIsOurs || memberBytes > blockBytesMax ||
    memberBytes < gzipHeaderBytes + gzipTrailerBytes) {
    throw corrupt(file, 'gzip member with an unknown or damaged length field');
  }
  const rest = input.take(memberBytes - gzipHeaderBytes);
  if (rest.length < memberBytes - gzipHeaderBytes) throw corrupt(file, 'torn gzip member');
  const trailer = rest.subarray(rest.length - gzipTrailerBytes);
  let raw: Buffer;
  try {
    raw = inflateRawSync(rest.subarray(0, rest.length - gzipTrailerBytes),
      { maxOutputLength: blockBytesMax });
  } catch (error) {
    throw corrupt(file, `gzip member does not inflate: ${String(error)}`);
  }
  if (raw.length !== trailer.readUInt32LE(4) || crc32(raw) !== trailer.readUInt32LE(0)) {
    throw corrupt(file, 'gzip member fails its CRC-32');
  }
  return raw;
}

// ---- Snappy: the framing format (stream identifier, then chunks with a masked CRC-32C of
// their uncompressed data), which `snappy` tools and libraries read.

const snappyStreamIdentifier = Buffer.from([0xff, 6, 0, 0, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const compressedChunk = 0x00;
const uncompressedChunk = 0x01;

/** The framing format's masked checksum: CRC-32C rotated right by 15, plus a constant. */
function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

async function snappyChunk(block: Buffer): Promise<Buffer> {
  const compressed = await snappy().compress(block);
  // Data that does not shrink is stored as it is, as the format allows.
  const stored = compressed.length < block.length ? compressed : block;
  const chunk = Buffer.allocUnsafe(8 + stored.length);
  chunk[0] = stored === block ? uncompressedChunk : compressedChunk;
  chunk.writeUIntLE(4 + stored.length, 1, 3);
  chunk.writeUInt32LE(maskedCrc32c(block), 4);
  stored.copy(chunk, 8);
  return chunk;
}

/** The next chunk's raw bytes, or undefined at the end of the file. */
function readSnappyChunk(input: ByteReader, file: string): Buffer | undefined {
  for (;;) {
    const header = input.take(4);
    if (header.length === 0) return undefined;
    if (header.length < 4) throw corrupt(file, 'torn snappy chunk header');
    const type = header[0]!;
    const length = header.readUIntLE(1, 3);
    const body = input.take(length);
    if (body.length < length) throw corrupt(file, 'torn snappy chunk');
    if (type === 0xff) {
      if (!body.equals(snappyStreamIdentifier.subarray(4))) {
        throw corrupt(file, 'not a snappy framed stream');
      }
      continue;
    }
    // 0x80-0xfe are skippable (padding and the like); 0x02-0x7f must be understood.
    if (type >= 0x80) continue;
    if ((type !== compressedChunk && type !== uncompressedChunk) || length < 4) {
      throw corrupt(file, `snappy chunk of unknown type ${type}`);
    }
    const data = type === uncompressedChunk ? body.subarray(4) : uncompressSnappy(body, file);
    if (maskedCrc32c(data) !== body.readUInt32LE(0)) {
      throw corrupt(file, 'snappy chunk fails its CRC-32C');
    }
    return data;
  }
}

function uncompressSnappy(body: Buffer, file: string): Buffer {
  try {
    return snappy().uncompressSync(body.subarray(4)) as Buffer;
  } catch (error) {
    throw corrupt(file, `snappy chunk does not uncompress: ${String(error)}`);
  }
}

// ---- Reading: a file as the raw snapshot bytes it holds, in order.

/** Sequential reads of a snapshot's raw bytes (uncompressed, whatever the file holds). */
export interface SnapshotByteSource {
  /** Up to `length` bytes; fewer only at the end of the snapshot. */
  read(length: number): Buffer;
  /** Raw bytes left when the file says without reading them (uncompressed files). */
  bytesLeft(): number | undefined;
}

/** Takes bytes from a file in order. */
class ByteReader {
  consumed = 0;

  constructor(private readonly reader: ReadableFile) {}

  get bytesLeft(): number {
    return this.reader.bytes - this.consumed;
  }

  take(length: number): Buffer {
    const wanted = Math.min(length, this.bytesLeft);
    const bytes = Buffer.allocUnsafe(wanted);
    const read = wanted === 0 ? 0 : this.reader.read(bytes, wanted, this.consumed);
    this.consumed += read;
    return read === wanted ? bytes : bytes.subarray(0, read);
  }
}

/** Bytes read from an uncompressed file at once: a restore reads its frames (some 30 KiB
 * each) out of a few dozen reads instead of two per frame. */
const readChunkBytes = 4 * 1024 * 1024;

/**
 * An uncompressed file, read a chunk at a time: what is asked for is a view of the chunk it
 * lies in, copied only when it spans the end of one. Each chunk is a new buffer, so a view
 * stays valid as a whole frame read on its own did.
 */
class ChunkedSource implements SnapshotByteSource {
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** File position of the chunk's end. */
  private position = 0;

  constructor(private readonly reader: ReadableFile) {}

  read(length: number): Buffer {
    const held = this.chunk.length - this.offset;
    if (held < length) this.refill(length - held);
    const part = this.chunk.subarray(this.offset, this.offset + Math.min(length,
      this.chunk.length - this.offset));
    this.offset += part.length;
    return part;
  }

  /** A new chunk: what this one still holds, then at least `wanted` more bytes of the file
   * (fewer at its end). */
  private refill(wanted: number): void {
    const rest = this.chunk.subarray(this.offset);
    const fileLeft = this.reader.bytes - this.position;
    const toRead = Math.min(fileLeft, Math.max(wanted, readChunkBytes));
    const chunk = Buffer.allocUnsafe(rest.length + toRead);
    rest.copy(chunk, 0);
    let filled = rest.length;
    while (filled < chunk.length) {
      const read = this.reader.read(chunk.subarray(filled), chunk.length - filled,
        this.position);
      if (read === 0) break;
      filled += read;
      this.position += read;
    }
    this.chunk = filled === chunk.length ? chunk : chunk.subarray(0, filled);
    this.offset = 0;
  }

  bytesLeft(): number {
    return this.reader.bytes - this.position + (this.chunk.length - this.offset);
  }
}

/** The raw bytes of a decompressed file, block by block. */
class BlockSource implements SnapshotByteSource {
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly nextBlock: () => Buffer | undefined) {}

  read(length: number): Buffer {
    const parts: Buffer[] = [];
    let gathered = 0;
    while (gathered < length) {
      if (this.offset === this.block.length) {
        const next = this.nextBlock();
        if (next === undefined) break;
        this.block = next;
        this.offset = 0;
        continue;
      }
      const part = this.block.subarray(this.offset,
        this.offset + Math.min(length - gathered, this.block.length - this.offset));
      this.offset += part.length;
      gathered += part.length;
      parts.push(part);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, gathered);
  }

  bytesLeft(): undefined {
    return undefined;
  }
}

/** The raw snapshot bytes in `reader`, which holds `file` written with its name's method. */
export function snapshotByteSource(reader: ReadableFile, file: string): SnapshotByteSource {
  const compression = compressionOfFile(file);
  if (compression === 'none') return new ChunkedSource(reader);
  const input = new ByteReader(reader);
  switch (compression) {
    case 'gz':
      return new BlockSource(() => readGzipMember(input, file));
    case 'snappy': {
      const identifier = input.take(snappyStreamIdentifier.length);
      if (!identifier.equals(snappyStreamIdentifier)) {
        throw corrupt(file, 'does not begin with the snappy stream identifier');
      }
      return new BlockSource(() => readSnappyChunk(input, file));
    }
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset,
    bytes.byteLength);
}
