// The write path of a replica that orders txns itself: assign the next zxid, stamp the
// leader's clock, append to the log with group commit, and apply each txn once it is durable.
// A standalone server is an ensemble of one, so this is the leader's pipeline with a quorum of
// one; the ensemble issue puts proposal/ACK/COMMIT between `durable` and `apply`.

import type { TxnLog } from '../../storage/log.js';
import type { ApplyOutcome } from '../../tree/data-tree.js';
import type { RequestBody, Txn, TxnBody, TxnDigest } from '../../protocol/txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { tell, type WritePipeline } from './pipeline.js';
import {
  counterOfZxid,
  epochOfZxid,
  makeZxid,
  zxidCounterMax,
} from '../../protocol/zxid.js';

/**
 * The zxid after `zxid`. A standalone server stays in epoch 0, as ZooKeeper's does; it has no
 * election to start a new epoch when the 32-bit counter is spent, so it moves on to the next
 * epoch's first counter itself (as a new leader would) instead of overflowing into the epoch.
 */
export function zxidAfter(zxid: number): number {
  const spent = zxid > 0 && counterOfZxid(zxid) >= zxidCounterMax;
  return spent ? makeZxid(epochOfZxid(zxid) + 1, 1) : zxid + 1;
}

export interface ProposerOptions<Outcome> {
  log: TxnLog;
  /** Applies a durable txn to the data tree (and fires its watches); returns its outcome. */
  apply: (txn: Txn) => Outcome;
  /** Wall-clock milliseconds, stamped into each txn so applying is deterministic. */
  now: () => number;
  /** Largest number of txns in one durable batch. */
  batchTxnsMax?: number;
  /** The tree digest to stamp into each txn (undefined with digests off). */
  digest?: () => TxnDigest | undefined;
}

interface Pending<Outcome> {
  txn: Txn;
  /** Told the outcome as the txn is applied, before the next one is. */
  applied: ((outcome: Outcome) => void) | undefined;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

export class Proposer<Outcome> {
  private nextZxid: number;
  private queue: Pending<Outcome>[] = [];
  private flushing = false;
  /** The flush under way: settles when the queue has been emptied. */
  private flushed: Promise<void> = Promise.resolve();
  private readonly batchTxnsMax: number;

  constructor(private readonly options: ProposerOptions<Outcome>) {
    this.nextZxid = zxidAfter(options.log.lastZxid());
    this.batchTxnsMax = options.batchTxnsMax ?? 1000;
  }

  /** Txns ordered but not yet applied. */
  get outstanding(): number {
    return this.queue.length;
  }

  /** Orders a txn; resolves with its outcome once it is durable and applied. */
  propose(
    sessionId: bigint,
    cxid: number,
    body: TxnBody,
    applied?: (outcome: Outcome) => void,
  ): Promise<Outcome> {
    const zxid = this.nextZxid;
    this.nextZxid = zxidAfter(zxid);
    const digest = this.options.digest?.();
    const time = this.options.now();
    const txn: Txn = digest === undefined
      ? { zxid, time, sessionId, cxid, body }
      : { zxid, time, sessionId, cxid, body, digest };
    return new Promise((resolve, reject) => {
      this.queue.push({ txn, applied, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the requests already read from sockets join this batch.
        this.flushed = new Promise((resolve) => setImmediate(() => {
          void this.flush().finally(resolve);
        }));
      }
    });
  }

  /** Resolves once nothing ordered is still being appended or applied. */
  async drained(): Promise<void> {
    while (this.flushing) await this.flushed;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchTxnsMax);
      try {
        await this.options.log.append(batch.map((pending) => pending.txn));
      } catch (error) {
        // A txn that is not durable must never be applied. The log commits a batch atomically
        // (one LMDB transaction), so a failed append (map full, ENOSPC) left it exactly at its
        // last durable zxid: fail this batch and everything ordered after it, and number the
        // next txns from there. The tree never saw them, so the server stays consistent and
        // serves writes again once the disk has room.
        for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(error);
        this.nextZxid = zxidAfter(this.options.log.lastZxid());
        break;
      }
      for (const pending of batch) {
        const outcome = this.options.apply(pending.txn);
        tell(pending.applied, outcome);
        pending.resolve(outcome);
      }
    }
    this.flushing = false;
  }
}

/** The standalone server's pipeline: the proposer, and syncs answered at once (nothing lags). */
export class StandalonePipeline implements WritePipeline {
  readonly proposer: Proposer<ApplyOutcome>;

  constructor(options: ProposerOptions<ApplyOutcome>) {
    this.proposer = new Proposer(options);
  }

  get outstanding(): number {
    return this.proposer.outstanding;
  }

  propose(
    sessionId: bigint,
    cxid: number,
    body: RequestBody,
    applied?: (outcome: ApplyOutcome) => void,
  ): Promise<ApplyOutcome> {
    // A standalone server has no membership to change (reconfigError answers before this).
    const txnBody: TxnBody = body.type === 'reconfigRequest'
      ? { type: 'error', err: ErrorCode.unimplemented }
      : body;
    return this.proposer.propose(sessionId, cxid, txnBody, applied);
  }

  async sync(): Promise<void> {}

  drained(): Promise<void> {
    return this.proposer.drained();
  }
}
