// The write pipeline of an ensemble replica: a txn body becomes `client.request` for the replica
// machine (the leader orders it; a learner forwards it), and the promise settles when the txn,
// recognised by its session and cxid, is applied here. ZooKeeper's CommitProcessor matches a
// committed txn to the local request the same way.

import type { ApplyOutcome } from '../../tree/data-tree.js';
import type { RequestBody, Txn } from '../../protocol/txn.js';
import { NotServingError, tell, type WritePipeline } from '../server/pipeline.js';

/** How the pipeline reaches the replica machine (actors/replica/host.ts provides it). */
export interface ReplicaPort {
  /** True while the replica serves (leader established, or learner UPTODATE). */
  isServing(): boolean;
  /** Hands a request to the replica machine (`client.request`, stamped with the time). */
  submit(sessionId: bigint, cxid: number, body: RequestBody): void;
  /** Hands a sync to the replica machine (`client.sync`). */
  submitSync(sessionId: bigint, cxid: number, path: string): void;
  /** Asks the leader about a reconnecting session (`client.revalidate`). */
  submitRevalidation(sessionId: bigint, timeoutMs: number): void;
}

interface Waiter<Value> {
  /** Told the value synchronously, before the promise's callbacks run (see WritePipeline). */
  told: ((value: Value) => void) | undefined;
  resolve: (value: Value) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests in flight by session and id (a cxid, or 0 for a revalidation), oldest first for a
 * repeated id. Keyed by the bigint and the number themselves: no string is built per request.
 */
class WaiterTable<Value> {
  private readonly waiters = new Map<bigint, Map<number, Array<Waiter<Value>>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sessionId: bigint, id: number, told?: (value: Value) => void): Promise<Value> {
    return new Promise((resolve, reject) => {
      let byId = this.waiters.get(sessionId);
      if (byId === undefined) {
        byId = new Map();
        this.waiters.set(sessionId, byId);
      }
      const list = byId.get(id);
      const waiter = { told, resolve, reject };
      if (list === undefined) byId.set(id, [waiter]);
      else list.push(waiter);
      this.count++;
    });
  }

  take(sessionId: bigint, id: number): Waiter<Value> | undefined {
    const byId = this.waiters.get(sessionId);
    const list = byId?.get(id);
    const waiter = list?.shift();
    if (waiter === undefined) return undefined;
    if (list!.length === 0) {
      byId!.delete(id);
      if (byId!.size === 0) this.waiters.delete(sessionId);
    }
    this.count--;
    return waiter;
  }

  rejectAll(error: unknown): void {
    const lists = [...this.waiters.values()].flatMap((byId) => [...byId.values()]);
    this.waiters.clear();
    this.count = 0;
    for (const list of lists) for (const waiter of list) waiter.reject(error);
  }
}

export class ReplicatedPipeline implements WritePipeline {
  /** A reconfig goes to the leader, whose machine resolves it. */
  readonly acceptsReconfig = true;
  private readonly writes = new WaiterTable<ApplyOutcome>();
  private readonly syncs = new WaiterTable<void>();
  private readonly revalidations = new WaiterTable<boolean>();

  constructor(private readonly replica: ReplicaPort) {}

  get outstanding(): number {
    return this.writes.size + this.syncs.size;
  }

  propose(
    sessionId: bigint,
    cxid: number,
    body: RequestBody,
    told?: (outcome: ApplyOutcome) => void,
  ): Promise<ApplyOutcome> {
    if (!this.replica.isServing()) {
      return Promise.reject(new NotServingError('a write arrived while not serving'));
    }
    const applied = this.writes.add(sessionId, cxid, told);
    this.replica.submit(sessionId, cxid, body);
    return applied;
  }

  sync(sessionId: bigint, cxid: number, path: string): Promise<void> {
    if (!this.replica.isServing()) {
      return Promise.reject(new NotServingError('a sync arrived while not serving'));
    }
    const answered = this.syncs.add(sessionId, cxid);
    this.replica.submitSync(sessionId, cxid, path);
    return answered;
  }

  revalidate(sessionId: bigint, timeoutMs: number): Promise<boolean> {
    if (!this.replica.isServing()) {
      return Promise.reject(new NotServingError('a reconnect arrived while not serving'));
    }
    const answered = this.revalidations.add(sessionId, 0);
    this.replica.submitRevalidation(sessionId, timeoutMs);
    return answered;
  }

  /** The leader's verdict on a session a client reconnected with here. */
  revalidated(sessionId: bigint, valid: boolean): void {
    this.revalidations.take(sessionId, 0)?.resolve(valid);
  }

  /** A committed txn was applied here: settles the request it answers, if it came from here. */
  applied(txn: Txn, outcome: ApplyOutcome): void {
    const waiter = this.writes.take(txn.sessionId, txn.cxid);
    if (waiter === undefined) return;
    tell(waiter.told, outcome);
    waiter.resolve(outcome);
  }

  /** The leader answered a sync that was submitted here. */
  syncAnswered(sessionId: bigint, cxid: number): void {
    this.syncs.take(sessionId, cxid)?.resolve();
  }

  /** The replica stopped serving: nothing in flight will be answered by this leader. */
  failAll(detail: string): void {
    const error = new NotServingError(detail);
    this.writes.rejectAll(error);
    this.syncs.rejectAll(error);
    this.revalidations.rejectAll(error);
  }
}
