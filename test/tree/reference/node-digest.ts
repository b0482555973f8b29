// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// ZooKeeper's tree digest (DigestCalculator, digest version 2): each znode's CRC-32 over its
// path, its data and nine persisted stat fields, and the tree's digest their sum in a 64-bit
// long (AdHash), kept up to date on every change rather than recomputed. Replicas compare it to
// find a diverged tree; computed exactly as ZooKeeper does, the same tree gives the same value.

import { crc32 } from '@node-rs/crc32';
import type { Znode } from './znode.js';

/** DigestCalculator.DIGEST_VERSION: stamped with each digest, compared before values are. */
export const digestVersion = 2;

/** Everything under it is left out (ZooDefs.ZOOKEEPER_NODE_SUBTREE: quota and config nodes are
 * written locally, not through txns). /zookeeper itself is counted. */
const systemSubtree = '/zookeeper/';

/** czxid, mzxid, pzxid, ctime, mtime (longs), version, cversion, aversion (ints), owner (long). */
const statBytes = 8 * 6 + 4 * 3;
const stat = Buffer.alloc(statBytes);

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
 * /zookeeper/.
 */
export function nodeDigest(path: string, node: DigestFields): number {
  if (!isDigested(path)) return 0;
  writeLong(node.czxid, 0);
  writeLong(node.mzxid, 8);
  writeLong(node.pzxid, 16);
  writeLong(node.ctime, 24);
  writeLong(node.mtime, 32);
  stat.writeInt32BE(node.version, 40);
  stat.writeInt32BE(node.cversion, 44);
  stat.writeInt32BE(node.aversion, 48);
  stat.writeBigInt64BE(node.ephemeralOwner, 52);
  let crc = crc32(path === '/' ? '' : path);
  // ZooKeeper's calculator skips null data, so null and empty data hash alike.
  if (node.data !== null && node.data.length > 0) crc = crc32(node.data, crc);
  return crc32(stat, crc);
}

const twoToThe32 = 2 ** 32;

/** A safe integer as a big-endian long, without making a bigint. */
function writeLong(value: number, at: number): void {
  const high = Math.floor(value / twoToThe32);
  stat.writeInt32BE(high, at);
  stat.writeUInt32BE(value - high * twoToThe32, at + 4);
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
