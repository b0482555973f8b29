// The txn log contract the request pipeline appends through. Appending resolves only once the
// txns are durable (group commit: one durable write for everything appended meanwhile), so the
// pipeline answers a client, or acknowledges a proposal, only for what survives a crash.

import type { Txn } from '../protocol/txn.js';

export interface TxnLog {
  /** Resolves when every txn given is durable; txns must arrive in zxid order. */
  append(txns: readonly Txn[]): Promise<void>;
  /** The zxid of the last durable txn (0 when empty). */
  lastZxid(): number;
  /** Committed txns with zxid > afterZxid, in order (recovery and follower sync). */
  readFrom(afterZxid: number): Iterable<Txn>;
  close(): Promise<void>;
}

/** A log in memory: durable for the life of the process only. Tests and the simulator. */
export class MemoryTxnLog implements TxnLog {
  private readonly txns: Txn[] = [];

  async append(txns: readonly Txn[]): Promise<void> {
    for (const txn of txns) {
      const last = this.lastZxid();
      if (txn.zxid <= last) throw new Error(`append out of order: ${txn.zxid} after ${last}`);
      this.txns.push(txn);
    }
  }

  lastZxid(): number {
    return this.txns.at(-1)?.zxid ?? 0;
  }

  *readFrom(afterZxid: number): Iterable<Txn> {
    for (const txn of this.txns) if (txn.zxid > afterZxid) yield txn;
  }

  async close(): Promise<void> {}
}
