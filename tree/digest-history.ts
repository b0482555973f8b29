// What a tree remembers of its digest over time (ZooKeeper's DataTree digestLog and
// lastProcessedZxidDigest): the digest after every txn for a while, to check the digests txns
// carry, and after every 128th zxid for the `hash` command, up to 1024 of them.

import type { TxnDigest } from '../protocol/txn.js';
import { digestVersion } from './node-digest.js';
import type { DigestMismatch } from './types.js';

/** DataTree.DIGEST_LOG_INTERVAL: a digest is kept for `hash` when zxid % 128 is 0. */
export const digestLogInterval = 128;
/** DataTree.DIGEST_LOG_LIMIT. */
export const digestLogLimit = 1024;
/**
 * Recent digests kept to check stamped ones: a stamp names the zxid the ordering replica had
 * applied when it ordered the txn, at most its proposals in flight earlier. Older stamps are
 * not checked. A power of two: the ring's slot is the zxid's low bits.
 */
export const recentDigestsMax = 8192;
const recentSlot = recentDigestsMax - 1;

/** A zxid's digest as `hash` reports it (DataTree.ZxidDigest). */
export interface ZxidDigest {
  zxid: number;
  digestVersion: number;
  digest: bigint;
}

export class DigestHistory {
  /**
   * The digest after each recent zxid, in the slot of its low bits, with the zxid beside it to
   * tell whose it is. Zxids are consecutive within an epoch, so the ring holds the last
   * `recentDigestsMax` of them; after a new epoch, an old zxid's digest goes once a new zxid
   * with the same low bits is recorded (a stamp no longer known is not checked). A Map
   * trimmed from its front cost more than the whole apply: V8 walks the deleted entries at a
   * Map's front on each `keys().next()` until it rehashes.
   */
  private readonly recentZxids = new Float64Array(recentDigestsMax).fill(-1);
  private readonly recentDigests = new Array<bigint>(recentDigestsMax).fill(0n);
  private readonly logged: ZxidDigest[] = [];
  private last: TxnDigest | undefined;
  mismatches = 0;

  constructor(private readonly mismatch: ((mismatch: DigestMismatch) => void) | undefined) {}

  /** DataTree.logZxidDigest, after each txn applied (and after a snapshot is loaded). */
  record(zxid: number, treeDigest: bigint): void {
    this.last = { zxid, version: digestVersion, treeDigest };
    const slot = zxid & recentSlot;
    this.recentZxids[slot] = zxid;
    this.recentDigests[slot] = treeDigest;
    if (zxid % digestLogInterval === 0) {
      this.logged.push({ zxid, digestVersion, digest: treeDigest });
      if (this.logged.length > digestLogLimit) this.logged.shift();
    }
  }

  /** The newest digest, for a txn about to be ordered (undefined before any txn). */
  latest(): TxnDigest | undefined {
    return this.last;
  }

  /** DataTree.compareDigest: a stamp of another version, or of a zxid no longer (or never)
   * known here, is not compared. Returns false on a mismatch, which is counted and told. */
  check(txnZxid: number, stamp: TxnDigest): boolean {
    if (stamp.version !== digestVersion) return true;
    const slot = stamp.zxid & recentSlot;
    if (this.recentZxids[slot] !== stamp.zxid) return true;
    const actual = this.recentDigests[slot]!;
    if (actual === stamp.treeDigest) return true;
    this.mismatches++;
    this.mismatch?.({ txnZxid, zxid: stamp.zxid, expected: stamp.treeDigest, actual });
    return false;
  }

  /** The digests kept for `hash`, oldest first (DataTree.getDigestLog). */
  log(): readonly ZxidDigest[] {
    return this.logged;
  }
}
