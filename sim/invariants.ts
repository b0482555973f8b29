// Safety checks the cluster harness runs: Zab's agreement (one txn per zxid, whoever applied
// it), durability of commits (every committed txn stays in the history of whoever leads later)
// and convergence (serving replicas at the same zxid have the same tree digest).
import type { Zxid } from '../protocol/peer.js';
import type { Txn } from '../protocol/txn.js';
import { hex } from '../protocol/zxid.js';
import { encodeTxn } from '../storage/txn-codec.js';

/**
 * A txn's bytes as the log stores them: equal for equal txns whichever replica decoded its copy
 * (msgpack keeps the leader's field order; Buffer and Uint8Array encode alike).
 */
export function fingerprintOf(txn: Txn): Buffer {
  return encodeTxn(txn);
}

/** Every txn any replica applied as committed, by zxid; violations are kept, not thrown. */
export class CommitLedger {
  readonly violations: string[] = [];
  private readonly committed = new Map<Zxid, { fingerprint: Buffer; by: number; txn: Txn }>();

  get size(): number {
    return this.committed.size;
  }

  zxids(): Zxid[] {
    return [...this.committed.keys()].sort((first, second) => first - second);
  }

  has(zxid: Zxid): boolean {
    return this.committed.has(zxid);
  }

  /** The txn committed at `zxid`, if any replica applied one there. */
  txnAt(zxid: Zxid): Txn | undefined {
    return this.committed.get(zxid)?.txn;
  }

  /** Every committed txn, in zxid order. */
  committedTxns(): Txn[] {
    return this.zxids().map((zxid) => this.committed.get(zxid)!.txn);
  }

  /** Agreement: a zxid names one txn on every replica. */
  record(replicaId: number, txn: Txn): void {
    const fingerprint = fingerprintOf(txn);
    const known = this.committed.get(txn.zxid);
    if (known === undefined) {
      this.committed.set(txn.zxid, { fingerprint, by: replicaId, txn });
    } else if (!known.fingerprint.equals(fingerprint)) {
      const by = `${known.by} and ${replicaId}`;
      this.violate(`agreement: ${hex(txn.zxid)} applied differently by ${by}`);
    }
  }

  violate(message: string): void {
    if (!this.violations.includes(message)) this.violations.push(message);
  }

  /**
   * Durability: every committed txn must be in `history` (the zxids a leader's log and snapshot
   * hold, `snapshotZxid` covering everything up to it) with the same content.
   */
  checkHistory(
    leaderId: number,
    snapshotZxid: Zxid,
    history: readonly Txn[],
    throughZxid = Number.POSITIVE_INFINITY,
  ): void {
    const byZxid = new Map(history.map((txn) => [txn.zxid, txn]));
    for (const [zxid, { fingerprint }] of this.committed) {
      if (zxid <= snapshotZxid || zxid > throughZxid) continue;
      const held = byZxid.get(zxid);
      if (held === undefined) {
        this.violate(`durability: committed ${hex(zxid)} lost by leader ${leaderId}`);
      } else if (!fingerprintOf(held).equals(fingerprint)) {
        this.violate(`agreement: leader ${leaderId} holds other ${hex(zxid)}`);
      }
    }
  }
}
