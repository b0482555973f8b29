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
 * not checked.
 */
export const recentDigestsMax = 8192;

/** A zxid's digest as `hash` reports it (DataTree.ZxidDigest). */
export interface ZxidDigest {
  zxid: number;
  digestVersion: number;
  digest: bigint;
}

export class DigestHistory {
  private readonly recent = new Map<number, bigint>();
  private readonly logged: ZxidDigest[] = [];
  private last: TxnDigest | undefined;
  mismatches = 0;

  constructor(private readonly mismatch: ((mismatch: DigestMismatch) => void) | undefined) {}

  /** DataTree.logZxidDigest, after each txn applied (and after a snapshot is loaded). */
  record(zxid: number, treeDigest: bigint): void {
    this.last = { zxid, version: digestVersion, treeDigest };
    this.recent.set(zxid, treeDigest);
    if (this.recent.size > recentDigestsMax) {
      this.recent.delete(this.recent.keys().next().value!);
    }
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
    const actual = this.recent.get(stamp.zxid);
    if (actual === undefined || actual === stamp.treeDigest) return true;
    this.mismatches++;
    this.mismatch?.({ txnZxid, zxid: stamp.zxid, expected: stamp.treeDigest, actual });
    return false;
  }

  /** The digests kept for `hash`, oldest first (DataTree.getDigestLog). */
  log(): readonly ZxidDigest[] {
    return this.logged;
  }
}
