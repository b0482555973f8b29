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
  /** Largest number of txns in one append. */
  batchTxnsMax?: number;
  /** Largest number of appends under way (issued, not yet durable and applied). */
  appendsInFlightMax?: number;
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

/** One append: its txns, and how it settled. */
interface Batch<Outcome> {
  pending: Pending<Outcome>[];
  state: 'appending' | 'durable' | 'failed';
}

/**
 * Group commit without waiting for the previous fsync: the txns ordered in one turn of the
 * event loop go to the log as one append, issued at once even while earlier appends are being
 * committed. lmdb-js commits what was issued meanwhile as the next transaction, so a commit
 * takes everything that arrived during the one before it (ZooKeeper's SyncRequestProcessor
 * batches the same way). Appends are applied in zxid order, each once it is durable, so no
 * reply precedes durability.
 */
export class Proposer<Outcome> {
  private nextZxid: number;
  private queue: Pending<Outcome>[] = [];
  /** Appended and not yet applied (or dropped), in zxid order. */
  private readonly inFlight: Batch<Outcome>[] = [];
  private scheduled = false;
  /** Told when nothing is queued, appended or scheduled (drained). */
  private idleWaiters: Array<() => void> = [];
  private readonly batchTxnsMax: number;
  private readonly appendsInFlightMax: number;

  constructor(private readonly options: ProposerOptions<Outcome>) {
    this.nextZxid = zxidAfter(options.log.lastZxid());
    this.batchTxnsMax = options.batchTxnsMax ?? 1000;
    this.appendsInFlightMax = Math.max(1, options.appendsInFlightMax ?? 16);
  }

  /** Txns ordered but not yet applied. */
  get outstanding(): number {
    let count = this.queue.length;
    for (const batch of this.inFlight) count += batch.pending.length;
    return count;
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
      this.schedule();
    });
  }

  /** Resolves once nothing ordered is still being appended or applied. */
  drained(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inFlight.length === 0 && !this.scheduled;
  }

  /** The next append starts on a later turn: the requests already read from sockets join it. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    if (this.inFlight.length >= this.appendsInFlightMax) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startAppends();
    });
  }

  private startAppends(): void {
    while (this.queue.length > 0 && this.inFlight.length < this.appendsInFlightMax) {
      const batch: Batch<Outcome> = {
        pending: this.queue.splice(0, this.batchTxnsMax),
        state: 'appending',
      };
      this.inFlight.push(batch);
      const txns = batch.pending.map((pending) => pending.txn);
      this.options.log.append(txns).then(
        () => this.settle(batch, 'durable', undefined),
        (error: unknown) => this.settle(batch, 'failed', error),
      );
    }
    this.checkIdle();
  }

  private settle(batch: Batch<Outcome>, state: 'durable' | 'failed', error: unknown): void {
    batch.state = state;
    if (state === 'failed') this.fail(batch, error);
    this.applyDurable();
  }

  /** Applies the durable appends at the head, in zxid order; failed ones are dropped. */
  private applyDurable(): void {
    while (this.inFlight.length > 0 && this.inFlight[0]!.state !== 'appending') {
      const batch = this.inFlight.shift()!;
      if (batch.state === 'failed') continue;
      for (const pending of batch.pending) {
        const outcome = this.options.apply(pending.txn);
        tell(pending.applied, outcome);
        pending.resolve(outcome);
      }
    }
    this.schedule();
    this.checkIdle();
  }

  /**
   * A txn that is not durable must never be applied. The log commits an append atomically (in
   * one LMDB transaction), so a failed append (map full, ENOSPC) logged none of its txns: fail
   * it and everything not yet appended, and number the next txns after the last one that may
   * still be logged. The tree never saw them, so the server stays consistent and serves writes
   * again once the disk has room. Appends issued after it were committed on their own and are
   * applied once durable, as a restart would replay them: the log then skips the failed zxids,
   * as the tree does.
   */
  private fail(batch: Batch<Outcome>, error: unknown): void {
    for (const pending of batch.pending) pending.reject(error);
    for (const pending of this.queue.splice(0)) pending.reject(error);
    let lastZxid = this.options.log.lastZxid();
    for (const other of this.inFlight) {
      if (other.state === 'failed') continue;
      lastZxid = Math.max(lastZxid, other.pending.at(-1)?.txn.zxid ?? 0);
    }
    this.nextZxid = zxidAfter(lastZxid);
  }

  private checkIdle(): void {
    if (!this.idle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
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
