// The byte streams ZooKeeper's SnapStream wraps a snapshot in: plain, gzip
// (GZIPOutputStream: one standard gzip stream) or snappy-java's SnappyOutputStream (a 16-byte
// header, then chunks of a big-endian length and a raw Snappy block). Whole files are read into
// memory: an import reads one snapshot once.

import { gunzipSync, gzipSync } from 'node:zlib';
import { snappy } from '../snappy.js';
import { ZooKeeperFormatError, type ZooKeeperCompression } from './format.js';

/** SnappyCodec.MAGIC_HEADER, then its version and minimum compatible version (both 1). */
const snappyMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const snappyHeaderBytes = 16;
/** SnappyOutputStream's default block: 32 KiB of uncompressed bytes per chunk. */
const snappyBlockBytes = 32 * 1024;
const gzipMagic = Buffer.from([0x1f, 0x8b]);

/** The snapshot's own bytes (what its Adler-32 covers) from the file's. */
export function decompressSnapshot(file: Buffer, compression: ZooKeeperCompression): Buffer {
  switch (compression) {
    case 'none':
      return file;
    case 'gz':
      // SnapStream.isValidGZipStream checks the magic before anything is read.
      if (!file.subarray(0, 2).equals(gzipMagic)) {
        throw new ZooKeeperFormatError('not a gzip stream (bad magic)');
      }
      try {
        return gunzipSync(file);
      } catch (error) {
        throw new ZooKeeperFormatError(`gzip stream is damaged: ${String(error)}`);
      }
    case 'snappy':
      return readSnappyStream(file);
  }
}

function readSnappyStream(file: Buffer): Buffer {
  if (!file.subarray(0, snappyMagic.length).equals(snappyMagic)) {
    throw new ZooKeeperFormatError('not a snappy-java stream (bad magic)');
  }
  const blocks: Buffer[] = [];
  let offset = snappyHeaderBytes;
  // Every chunk takes at least 4 bytes, so the file's length bounds the loop.
  while (offset < file.length) {
    // SnappyInputStream accepts streams written one after another: a header again.
    if (file.subarray(offset, offset + snappyMagic.length).equals(snappyMagic)) {
      offset += snappyHeaderBytes;
      continue;
    }
    if (offset + 4 > file.length) throw new ZooKeeperFormatError('snappy chunk length torn');
    const length = file.readInt32BE(offset);
    offset += 4;
    if (length < 0 || offset + length > file.length) {
      throw new ZooKeeperFormatError(`snappy chunk of ${length} bytes runs past the file`);
    }
    try {
      blocks.push(snappy().uncompressSync(file.subarray(offset, offset + length),
        { asBuffer: true }) as Buffer);
    } catch (error) {
      throw new ZooKeeperFormatError(`snappy chunk does not uncompress: ${String(error)}`);
    }
    offset += length;
  }
  return Buffer.concat(blocks);
}

/** The file's bytes for a snapshot's, as SnapStream would write them with `compression`. */
export function compressSnapshot(raw: Buffer, compression: ZooKeeperCompression): Buffer {
  switch (compression) {
    case 'none':
      return raw;
    case 'gz':
      return gzipSync(raw);
    case 'snappy': {
      const header = Buffer.alloc(snappyHeaderBytes);
      snappyMagic.copy(header, 0);
      header.writeInt32BE(1, 8);
      header.writeInt32BE(1, 12);
      const pieces: Buffer[] = [header];
      for (let start = 0; start < raw.length; start += snappyBlockBytes) {
        const block = snappy().compressSync(raw.subarray(start, start + snappyBlockBytes));
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length, 0);
        pieces.push(length, block);
      }
      return Buffer.concat(pieces);
    }
  }
}
