// The write path of a replica that orders txns itself: assign the next zxid, stamp the
// leader's clock, append to the log with group commit, and apply each txn once it is durable.
// A standalone server is an ensemble of one, so this is the leader's pipeline with a quorum of
// one; the ensemble issue puts proposal/ACK/COMMIT between `durable` and `apply`.

import type { TxnLog } from '../../storage/log.js';
import type { ApplyOutcome } from '../../tree/data-tree.js';
import {
  txnBatchBytesMax,
  txnBulkBytes,
  type RequestBody,
  type Txn,
  type TxnBody,
  type TxnDigest,
} from '../../protocol/txn.js';
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
  /**
   * Largest number of appends under way (issued, not yet durable and applied). One by default:
   * a commit then takes everything gathered for it (see gatherMsMax); more let lmdb-js commit
   * what arrives meanwhile as its next transaction while the event loop applies and answers
   * the previous one (the standalone pipeline keeps four, standaloneAppendsInFlight).
   */
  appendsInFlightMax?: number;
  /**
   * After an append is applied and answered, how long the next one may wait for the clients
   * just answered to send their next writes (ms; 0 starts it at once).
   */
  gatherMsMax?: number;
  /** The tree digest to stamp into each txn (undefined with digests off). */
  digest?: () => TxnDigest | undefined;
}

function ignore(): void {}

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
  /** The next append waits until this many txns are queued, or gatherMsMax has passed. */
  private gatherTarget = 0;
  private gatherTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly gatherMsMax: number;
  /** Told when nothing is queued, appended or scheduled (drained). */
  private idleWaiters: Array<() => void> = [];
  private readonly batchTxnsMax: number;
  private readonly appendsInFlightMax: number;

  constructor(private readonly options: ProposerOptions<Outcome>) {
    this.nextZxid = zxidAfter(options.log.lastZxid());
    this.batchTxnsMax = options.batchTxnsMax ?? 1000;
    this.appendsInFlightMax = Math.max(1, options.appendsInFlightMax ?? 1);
    this.gatherMsMax = Math.max(0, options.gatherMsMax ?? 1);
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
    const txn = this.order(sessionId, cxid, body);
    return new Promise((resolve, reject) => {
      this.queue.push({ txn, applied, resolve, reject });
      this.schedule();
    });
  }

  /** Orders a txn without a promise: `applied` is told its outcome as it is applied, `failed`
   * when it is not. */
  submit(
    sessionId: bigint,
    cxid: number,
    body: TxnBody,
    applied: (outcome: Outcome) => void,
    failed: (error: unknown) => void,
  ): void {
    const txn = this.order(sessionId, cxid, body);
    this.queue.push({ txn, applied, resolve: ignore, reject: failed });
    this.schedule();
  }

  /** The next txn: its zxid, the leader's clock, and the digest of the tree before it. */
  private order(sessionId: bigint, cxid: number, body: TxnBody): Txn {
    const zxid = this.nextZxid;
    this.nextZxid = zxidAfter(zxid);
    const digest = this.options.digest?.();
    const time = this.options.now();
    return digest === undefined
      ? { zxid, time, sessionId, cxid, body }
      : { zxid, time, sessionId, cxid, body, digest };
  }

  /** Resolves once nothing ordered is still being appended or applied. */
  drained(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private idle(): boolean {
    // A gather timer with nothing queued starts nothing: it does not count.
    return this.queue.length === 0 && this.inFlight.length === 0 && !this.scheduled;
  }

  /**
   * The next append starts on a later turn, so the requests already read from sockets join it.
   * Fsync-bound, a commit costs the same for 1 txn as for 100: while one is being fsynced, the
   * clients answered by the one before are still sending, and starting the next commit with the
   * half that has arrived splits the load into two half-full commits for good. So after an
   * append is answered the next waits, at most gatherMsMax, for as many txns as the clients
   * just answered can send (ZooKeeper's SyncRequestProcessor only takes what is queued).
   */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    if (this.inFlight.length >= this.appendsInFlightMax) return;
    if (this.queue.length < this.gatherTarget) {
      this.gatherTimer ??= setTimeout(() => {
        this.gatherTimer = undefined;
        this.gatherTarget = 0;
        this.schedule();
      }, this.gatherMsMax);
      return;
    }
    this.gatherTarget = 0;
    if (this.gatherTimer !== undefined) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = undefined;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startAppends();
    });
  }

  /** The queue's head for one append: batchTxnsMax txns at most, and no more once they reach
   * txnBatchBytesMax (an append is encoded, then applied, in one turn each). */
  private takeBatch(): Pending<Outcome>[] {
    let count = 0;
    let bytes = 0;
    const limit = Math.min(this.queue.length, this.batchTxnsMax);
    while (count < limit && bytes < txnBatchBytesMax) {
      bytes += txnBulkBytes(this.queue[count++]!.txn);
    }
    return this.queue.splice(0, count);
  }

  private startAppends(): void {
    while (this.queue.length > 0 && this.inFlight.length < this.appendsInFlightMax) {
      const batch: Batch<Outcome> = { pending: this.takeBatch(), state: 'appending' };
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
    let answered = 0;
    while (this.inFlight.length > 0 && this.inFlight[0]!.state !== 'appending') {
      const batch = this.inFlight.shift()!;
      if (batch.state === 'failed') continue;
      answered += batch.pending.length;
      for (const pending of batch.pending) {
        const outcome = this.options.apply(pending.txn);
        tell(pending.applied, outcome);
        pending.resolve(outcome);
      }
    }
    if (answered > 0 && this.inFlight.length === 0 && this.gatherMsMax > 0) {
      this.gatherTarget = this.queue.length + answered;
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
    for (const pending of batch.pending) tell(pending.reject, error);
    for (const pending of this.queue.splice(0)) tell(pending.reject, error);
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

/**
 * A standalone server's appends under way at once. With one, the next commit waits until the
 * previous one is applied and answered, and the event loop idles during each commit; with four,
 * lmdb-js commits what arrives meanwhile back to back. Alternated on this 2-core machine (16
 * sessions × 8 setData of 1 KiB, 4 rounds): 39k ops/s with one, 44k with four, p99 level.
 */
export const standaloneAppendsInFlight = 4;

/** The standalone server's pipeline: the proposer, and syncs answered at once (nothing lags). */
export class StandalonePipeline implements WritePipeline {
  readonly proposer: Proposer<ApplyOutcome>;

  constructor(options: ProposerOptions<ApplyOutcome>) {
    this.proposer = new Proposer({ appendsInFlightMax: standaloneAppendsInFlight, ...options });
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
    return this.proposer.propose(sessionId, cxid, this.txnBodyOf(body), applied);
  }

  /** A standalone server has no membership to change (reconfigError answers before this). */
  private txnBodyOf(body: RequestBody): TxnBody {
    return body.type === 'reconfigRequest' ? { type: 'error', err: ErrorCode.unimplemented } : body;
  }

  submit(
    sessionId: bigint,
    cxid: number,
    body: RequestBody,
    applied: (outcome: ApplyOutcome) => void,
    failed: (error: unknown) => void,
  ): void {
    this.proposer.submit(sessionId, cxid, this.txnBodyOf(body), applied, failed);
  }

  async sync(): Promise<void> {}

  drained(): Promise<void> {
    return this.proposer.drained();
  }
}
