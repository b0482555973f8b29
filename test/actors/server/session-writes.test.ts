// Ordering without a promise per write: the proposer's callback path answers and fails writes as
// its promise path does, and a session's pending writes are counted so that a reattaching
// session waits for exactly the writes it sent before it asked.

import { describe, expect, it } from 'vitest';
import { Proposer } from '../../../actors/server/proposer.js';
import { SessionWrites } from '../../../actors/server/session-writes.js';
import { MemoryTxnLog } from '../../../storage/log.js';
import type { Txn } from '../../../protocol/txn.js';

/** A real in-memory log whose next append fails, as a full disk would make it. */
class FullLog extends MemoryTxnLog {
  failNext = false;

  override async append(txns: readonly Txn[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('MDB_MAP_FULL');
    }
    await super.append(txns);
  }
}

const error = { type: 'error' as const, err: -1 };

function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  return new Promise((resolve) => setImmediate(() => resolve(settled)));
}

describe('proposer.submit', () => {
  it('tells each write its outcome as it is applied, in order, once durable', async () => {
    const log = new FullLog();
    const told: number[] = [];
    const proposer = new Proposer<number>({ log, now: () => 1, apply: (txn) => txn.zxid });
    for (const cxid of [1, 2, 3]) {
      proposer.submit(1n, cxid, error, (zxid) => told.push(zxid), () => told.push(-cxid));
    }
    expect(told).toEqual([]);
    await proposer.drained();
    expect(told).toEqual([1, 2, 3]);
    expect(log.lastZxid()).toBe(3);
  });

  it('fails the writes of an append that was not durable, and applies none of them', async () => {
    const log = new FullLog();
    const applied: number[] = [];
    const failed: number[] = [];
    const proposer = new Proposer<number>({ log, now: () => 1,
      apply: (txn) => (applied.push(txn.zxid), txn.zxid) });
    log.failNext = true;
    for (const cxid of [1, 2]) {
      proposer.submit(1n, cxid, error, () => undefined, () => failed.push(cxid));
    }
    await proposer.drained();
    expect(failed).toEqual([1, 2]);
    expect(applied).toEqual([]);
    const told: number[] = [];
    proposer.submit(1n, 3, error, (zxid) => told.push(zxid), () => failed.push(3));
    await proposer.drained();
    // The failed zxids were never logged: the next write takes the first of them.
    expect(applied).toEqual([1]);
    expect(told).toEqual([1]);
    expect(failed).toEqual([1, 2]);
  });
});

describe('SessionWrites', () => {
  it('settles a session once the writes it had sent when asked are settled, not later ones',
  async () => {
    const writes = new SessionWrites();
    expect(writes.settled(7n)).toBeUndefined();
    writes.begin(7n);
    writes.begin(7n);
    const first = writes.settled(7n)!;
    writes.begin(7n);
    const second = writes.settled(7n)!;
    writes.end(7n);
    expect(await settledYet(first)).toBe(false);
    writes.end(7n);
    expect(await settledYet(first)).toBe(true);
    expect(await settledYet(second)).toBe(false);
    writes.end(7n);
    expect(await settledYet(second)).toBe(true);
    expect(writes.settled(7n)).toBeUndefined();
  });

  it('counts a tracked promise as settled whether it resolves or rejects', async () => {
    const writes = new SessionWrites();
    let reject!: (error: Error) => void;
    const write = new Promise<number>((_, fail) => (reject = fail));
    writes.track(3n, write).catch(() => undefined);
    const settled = writes.settled(3n)!;
    expect(await settledYet(settled)).toBe(false);
    reject(new Error('not durable'));
    expect(await settledYet(settled)).toBe(true);
  });
});
