// The proposer's write path: group commit, apply only after durability, and recovery from a
// failed append (disk full) without applying or skipping anything.

import { describe, expect, it } from 'vitest';
import { Proposer, zxidAfter } from '../../../actors/server/proposer.js';
import { makeZxid, zxidCounterMax } from '../../../protocol/zxid.js';
import { MemoryTxnLog } from '../../../storage/log.js';
import { txnBatchBytesMax, type Txn } from '../../../protocol/txn.js';

/** A real in-memory log whose appends can be made to fail, as a full disk would. */
class FaultyLog extends MemoryTxnLog {
  failNext = 0;
  appendCalls = 0;

  override async append(txns: readonly Txn[]): Promise<void> {
    this.appendCalls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('MDB_MAP_FULL: Environment mapsize limit reached');
    }
    await super.append(txns);
  }
}

/**
 * A real in-memory log whose appends are logged in the order issued (as LMDB commits them) but
 * resolve only when the test says so, in any order; a failed one is not logged.
 */
class HeldLog extends MemoryTxnLog {
  readonly held: Array<{ zxids: number[]; settle: (error?: Error) => void }> = [];
  private readonly logged: Txn[] = [];

  override append(txns: readonly Txn[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.held.push({
        zxids: txns.map((txn) => txn.zxid),
        settle: (error) => {
          if (error !== undefined) return reject(error);
          this.logged.push(...txns);
          resolve();
        },
      });
    });
  }

  override lastZxid(): number {
    return Math.max(0, ...this.logged.map((txn) => txn.zxid));
  }

  release(index: number): void {
    this.held.splice(index, 1)[0]!.settle();
  }

  fail(index: number): void {
    this.held.splice(index, 1)[0]!.settle(new Error('ENOSPC: no space left on device'));
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function setup(): { log: FaultyLog; applied: Txn[]; proposer: Proposer<number> } {
  const log = new FaultyLog();
  const applied: Txn[] = [];
  const proposer = new Proposer<number>({
    log,
    now: () => 1_000,
    apply: (txn) => {
      applied.push(txn);
      return txn.zxid;
    },
  });
  return { log, applied, proposer };
}

/** A proposer over a HeldLog with up to `appendsInFlightMax` appends under way; the zxids it
 * applied, in order. */
function heldSetup(appendsInFlightMax: number):
  { log: HeldLog; applied: number[]; proposer: Proposer<number> } {
  const log = new HeldLog();
  const applied: number[] = [];
  const proposer = new Proposer<number>({
    log, now: () => 1_000, apply: (txn) => (applied.push(txn.zxid), txn.zxid), appendsInFlightMax,
  });
  return { log, applied, proposer };
}

const error = { type: 'error' as const, err: -1 };

describe('proposer', () => {
  it('groups txns proposed in one turn into one durable append, then applies them in order',
  async () => {
    const { log, applied, proposer } = setup();
    const zxids = await Promise.all([1, 2, 3].map((cxid) => proposer.propose(1n, cxid, error)));
    expect(zxids).toEqual([1, 2, 3]);
    expect(log.appendCalls).toBe(1);
    expect(applied.map((txn) => txn.cxid)).toEqual([1, 2, 3]);
    expect(applied[0]!.time).toBe(1_000);
  });

  it('cuts an append of large values by size, applying every txn once and in order', async () => {
    const { log, applied, proposer } = heldSetup(100);
    const value = Buffer.alloc(300 * 1024);
    const writes = Array.from({ length: 10 }, (_, index) => proposer.propose(1n, index + 1,
      { type: 'write', auth: { ids: [], superUser: false },
        request: { kind: 'setData', path: '/n', data: value, version: -1 } }));
    await turn();
    await turn();
    // 1 MiB per append (txnBatchBytesMax): four values of 300 KiB reach it.
    expect(txnBatchBytesMax).toBe(1 << 20);
    expect(log.held.map((append) => append.zxids)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    while (log.held.length > 0) log.release(0);
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
    expect(applied).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
  });

  it('fails a batch whose append fails, applies none of it, and numbers on from the log',
  async () => {
    const { log, applied, proposer } = setup();
    await proposer.propose(1n, 1, error);
    log.failNext = 1;
    const failed = [2, 3].map((cxid) => proposer.propose(1n, cxid, error));
    for (const outcome of failed) await expect(outcome).rejects.toThrow(/MDB_MAP_FULL/);
    expect(applied.map((txn) => txn.zxid)).toEqual([1]);
    // Space is back: the next write gets the zxid after the last durable one, with no gap.
    expect(await proposer.propose(1n, 4, error)).toBe(2);
    expect([...log.readFrom(0)].map((txn) => [txn.zxid, txn.cxid])).toEqual([[1, 1], [2, 4]]);
  });

  it('appends while earlier appends are not yet durable, and applies in zxid order', async () => {
    const { log, applied, proposer } = heldSetup(4);
    const first = [1, 2].map((cxid) => proposer.propose(1n, cxid, error));
    await turn();
    const second = [3].map((cxid) => proposer.propose(1n, cxid, error));
    await turn();
    // Both appends are under way before either is durable.
    expect(log.held.map((append) => append.zxids)).toEqual([[1, 2], [3]]);
    log.release(1);
    await turn();
    // The later append is durable first, but nothing is applied before the earlier one is.
    expect(applied).toEqual([]);
    log.release(0);
    expect(await Promise.all([...first, ...second])).toEqual([1, 2, 3]);
    expect(applied).toEqual([1, 2, 3]);
  });

  it('applies appends issued after a failed one once durable, never the failed one', async () => {
    const { log, applied, proposer } = heldSetup(4);
    const failed = proposer.propose(1n, 1, error);
    await turn();
    const later = proposer.propose(2n, 1, error);
    await turn();
    log.fail(0);
    await expect(failed).rejects.toThrow(/ENOSPC/);
    log.release(0);
    expect(await later).toBe(2);
    expect(applied).toEqual([2]);
    // Numbering goes on after the later append, which is logged: no zxid is used twice.
    const next = proposer.propose(1n, 2, error);
    await turn();
    log.release(0);
    expect(await next).toBe(3);
    await proposer.drained();
  });

  it('waits, after answering an append, for the clients it answered (at most gatherMsMax)',
    async () => {
      const log = new HeldLog();
      const proposer = new Proposer<number>({
        log, now: () => 1_000, apply: (txn) => txn.zxid, gatherMsMax: 50,
      });
      const first = [1, 2, 3].map((cxid) => proposer.propose(1n, cxid, error));
      await turn();
      expect(log.held.map((append) => append.zxids)).toEqual([[1, 2, 3]]);
      // One client's write arrives while the append is fsynced; three clients are answered.
      const waiting = proposer.propose(2n, 1, error);
      log.release(0);
      await Promise.all(first);
      await turn();
      // Not started with the one queued: three more may be on their way.
      expect(log.held).toEqual([]);
      const answeredAgain = [4, 5, 6].map((cxid) => proposer.propose(1n, cxid, error));
      await turn();
      expect(log.held.map((append) => append.zxids)).toEqual([[4, 5, 6, 7]]);
      log.release(0);
      await Promise.all([waiting, ...answeredAgain]);
      // Only one more arrives: it goes once gatherMsMax has passed.
      const startedAt = performance.now();
      const alone = proposer.propose(3n, 1, error);
      for (let turns = 0; turns < 1_000 && log.held.length === 0; turns++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(40);
      log.release(0);
      expect(await alone).toBe(8);
    });

  it.each([
    ['starts epoch 0 at counter 1', 0, makeZxid(0, 1)],
    ['counts on within an epoch', makeZxid(0, 41), makeZxid(0, 42)],
    ['moves to the next epoch once the counter is spent', makeZxid(0, zxidCounterMax),
      makeZxid(1, 1)],
    ['does so in later epochs too', makeZxid(3, zxidCounterMax), makeZxid(4, 1)],
  ])('numbers the next txn: %s', (_case, last, next) => {
    expect(zxidAfter(last)).toBe(next);
  });

  it('rolls the counter over on a log that ends at its last value', async () => {
    const log = new FaultyLog();
    const last = makeZxid(0, zxidCounterMax);
    await log.append([{ zxid: last, time: 0, sessionId: 0n, cxid: 0, body: error }]);
    const proposer = new Proposer<number>({ log, now: () => 1_000, apply: (txn) => txn.zxid });
    expect(await proposer.propose(1n, 1, error)).toBe(makeZxid(1, 1));
    expect(await proposer.propose(1n, 2, error)).toBe(makeZxid(1, 2));
  });
});
