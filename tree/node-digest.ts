// ZooKeeper's tree digest (DigestCalculator, digest version 2): each znode's CRC-32 over its
// path, its data and nine persisted stat fields, and the tree's digest their sum in a 64-bit
// long (AdHash), kept up to date on every change rather than recomputed. Replicas compare it to
// find a diverged tree; computed exactly as ZooKeeper does, the same tree gives the same value.

import { crc32 } from '@node-rs/crc32';
import { crc32Prefix } from './crc32.js';
import type { Znode } from './znode.js';

/** DigestCalculator.DIGEST_VERSION: stamped with each digest, compared before values are. */
export const digestVersion = 2;

/** Everything under it is left out (ZooDefs.ZOOKEEPER_NODE_SUBTREE: quota and config nodes are
 * written locally, not through txns). /zookeeper itself is counted. */
const systemSubtree = '/zookeeper/';

/** czxid, mzxid, pzxid, ctime, mtime (longs), version, cversion, aversion (ints), owner (long). */
const statBytes = 8 * 6 + 4 * 3;

/** Data up to this size is copied next to the path and stat and hashed with them in JavaScript
 * (a native CRC call, and a Buffer, per part was most of a restart's time); longer data is
 * hashed in place by the native CRC, which takes ~0.2 µs for a KiB where the JavaScript loop
 * takes ~1 µs (they break even near 200 bytes). */
const inlineDataBytesMax = 256;

/** Where a node's digest input is laid out: path, data, stat, as one run of bytes. Grown for a
 * longer path; never shrunk. */
let scratch = Buffer.allocUnsafe(4096 + inlineDataBytesMax + statBytes);
let scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);

/** The fields a node's digest covers, as ZooKeeper persists them (cversion as stored). */
export type DigestFields = Pick<Znode, 'czxid' | 'mzxid' | 'pzxid' | 'ctime' | 'mtime' |
  'version' | 'cversion' | 'aversion' | 'ephemeralOwner' | 'data'>;

/** Whether a node at `path` counts towards the tree digest. */
export function isDigested(path: string): boolean {
  return !path.startsWith(systemSubtree);
}

/**
 * DigestCalculator.calculateDigest: CRC-32 of the path's bytes (the root as "", the alias
 * DataTree keeps it under), then the data, then the stat fields big-endian. 0 for a node under
 * /zookeeper/. CRC-32 runs on, so hashing the parts together or one after another is the same.
 */
export function nodeDigest(path: string, node: DigestFields): number {
  if (!isDigested(path)) return 0;
  // ZooKeeper's calculator skips null data, so null and empty data hash alike.
  const data = node.data;
  const dataBytes = data === null ? 0 : data.length;
  const inline = dataBytes <= inlineDataBytesMax;
  // A UTF-16 unit is at most 3 UTF-8 bytes.
  const needed = path.length * 3 + inlineDataBytesMax + statBytes;
  if (needed > scratch.length) {
    scratch = Buffer.allocUnsafe(needed);
    scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  }
  let at = path === '/' ? 0 : writePath(path);
  let crc = 0;
  if (dataBytes > 0) {
    if (inline) {
      scratch.set(data!, at);
      at += dataBytes;
    } else {
      crc = crc32(data!, crc32Prefix(scratch, at));
      at = 0;
    }
  }
  at = writeStat(node, at);
  return crc32Prefix(scratch, at, crc);
}

/** The path's UTF-8 bytes at the scratch's start; their length. Paths are nearly always ASCII,
 * copied here a unit at a time (cheaper than the native encoder's call for ~20 characters). */
function writePath(path: string): number {
  const bytes = scratch;
  for (let at = 0; at < path.length; at++) {
    const unit = path.charCodeAt(at);
    if (unit >= 0x80) return bytes.write(path, 0, 'utf8');
    bytes[at] = unit;
  }
  return path.length;
}

/** The nine stat fields, big-endian, into the scratch at `at`; where they end. */
function writeStat(node: DigestFields, at: number): number {
  const view = scratchView;
  writeLong(view, node.czxid, at);
  writeLong(view, node.mzxid, at + 8);
  writeLong(view, node.pzxid, at + 16);
  writeLong(view, node.ctime, at + 24);
  writeLong(view, node.mtime, at + 32);
  view.setInt32(at + 40, node.version);
  view.setInt32(at + 44, node.cversion);
  view.setInt32(at + 48, node.aversion);
  const owner = node.ephemeralOwner;
  if (owner === 0n) {
    view.setInt32(at + 52, 0);
    view.setInt32(at + 56, 0);
  } else {
    view.setBigInt64(at + 52, owner);
  }
  return at + statBytes;
}

const twoToThe32 = 2 ** 32;

/** A safe integer as a big-endian long, without making a bigint. */
function writeLong(view: DataView, value: number, at: number): void {
  const high = Math.floor(value / twoToThe32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * twoToThe32);
}

/**
 * AdHash: a sum of node digests that nodes are added to and taken from in any order. Kept as
 * two exact integers (each digest is below 2^32), so no bigint is made per change; read as
 * Java's long, wrapping at 64 bits.
 */
export class AdditiveHash {
  private high = 0;
  private low = 0;

  add(digest: number): void {
    this.low += digest;
    if (this.low >= twoToThe32) {
      this.low -= twoToThe32;
      this.high++;
    }
  }

  remove(digest: number): void {
    this.low -= digest;
    if (this.low < 0) {
      this.low += twoToThe32;
      this.high--;
    }
  }

  clear(): void {
    this.high = 0;
    this.low = 0;
  }

  /** The sum as a signed 64-bit value, as ZooKeeper reports it. */
  value(): bigint {
    return BigInt.asIntN(64, (BigInt(this.high) << 32n) + BigInt(this.low));
  }
}
