// The session expiry wheel (ZooKeeper's ExpiryQueue) on XState's SimulatedClock: deadlines round
// up to the next tick boundary, cancelled timers never run, one real timer serves every bucket;
// and a SessionTable of 2,000 sessions keeps its timers in a bounded number of buckets and its
// actors in a few shared systems, expires the quiet ones in their bucket, keeps the touched.

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { bucketOf, ExpiryWheel } from '../../../actors/server/expiry-wheel.js';
import { sessionsPerSystemMax } from '../../../actors/server/session-parents.js';
import { SessionTable } from '../../../actors/server/sessions.js';

/** A SimulatedClock that counts the timers set on it and not yet run or cleared. */
class CountingClock extends SimulatedClock {
  pending = new Set<unknown>();
  override setTimeout(work: (...args: unknown[]) => void, delayMs: number): number {
    const handle: number = super.setTimeout(() => {
      this.pending.delete(handle);
      work();
    }, delayMs);
    this.pending.add(handle);
    return handle;
  }
  override clearTimeout(handle: number): void {
    this.pending.delete(handle);
    super.clearTimeout(handle);
  }
}

function wheelOn(intervalMs: number) {
  const clock = new CountingClock();
  const wheel = new ExpiryWheel(intervalMs, () => clock.now(), clock);
  return { clock, wheel };
}

describe('expiry wheel: buckets of tickTime', () => {
  it.each([
    // time, interval, bucket: always the boundary strictly after the time (roundToNextInterval)
    [0, 2000, 2000],
    [1, 2000, 2000],
    [1999, 2000, 2000],
    [2000, 2000, 4000],
    [4001, 2000, 6000],
    [350, 200, 400],
  ])('puts a deadline at %i ms with interval %i ms in bucket %i', (time, interval, bucket) => {
    expect(bucketOf(time, interval)).toBe(bucket);
  });

  it('runs a timer at its bucket boundary, not at its exact deadline (interval 200)', () => {
    const { clock, wheel } = wheelOn(200);
    clock.set(50);
    const ran: number[] = [];
    wheel.clock.setTimeout(() => ran.push(clock.now()), 1000);
    clock.increment(1149); // 1199: the deadline 1050 has passed, its bucket 1200 has not
    expect(ran).toEqual([]);
    clock.increment(1);
    expect(ran).toEqual([1200]);
    expect(wheel.size).toBe(0);
    expect(wheel.bucketCount).toBe(0);
    expect(clock.pending.size).toBe(0);
  });

  it('never runs a cleared timer, and drops its bucket once empty', () => {
    const { clock, wheel } = wheelOn(200);
    const ran: string[] = [];
    const first = wheel.clock.setTimeout(() => ran.push('first'), 500);
    wheel.clock.setTimeout(() => ran.push('second'), 500);
    const third = wheel.clock.setTimeout(() => ran.push('third'), 900);
    wheel.clock.clearTimeout(first);
    wheel.clock.clearTimeout(third);
    wheel.clock.clearTimeout(third);
    expect(wheel.size).toBe(1);
    expect(wheel.bucketCount).toBe(1);
    clock.increment(2000);
    expect(ran).toEqual(['second']);
  });

  it('serves 10,000 timers over 20 s with one armed timer and at most 101 buckets', () => {
    const { clock, wheel } = wheelOn(200);
    let ran = 0;
    for (let index = 0; index < 10_000; index++) {
      wheel.clock.setTimeout(() => ran++, 1 + (index % 20_000) * 2);
      if (index % 100 === 0) clock.increment(1);
    }
    expect(wheel.size).toBe(10_000);
    expect(wheel.bucketCount).toBeLessThanOrEqual(101);
    expect(clock.pending.size).toBe(1);
    expect(wheel.timersArmed).toBe(1);
    clock.increment(25_000);
    expect(ran).toBe(10_000);
    expect(clock.pending.size).toBe(0);
  });

  it('runs due buckets oldest first, each in the order its timers were set', () => {
    const { clock, wheel } = wheelOn(100);
    const ran: string[] = [];
    wheel.clock.setTimeout(() => ran.push('b1'), 250);
    wheel.clock.setTimeout(() => ran.push('a1'), 150);
    wheel.clock.setTimeout(() => ran.push('b2'), 220);
    wheel.clock.setTimeout(() => ran.push('a2'), 120);
    clock.increment(1000);
    expect(ran).toEqual(['a1', 'a2', 'b1', 'b2']);
  });
});

describe('session table: 2,000 sessions on one wheel (tickTime 200, 1000 ms sessions)', () => {
  it('expires the quiet tenth in its bucket, keeps the touched, with one timer', () => {
    const clock = new CountingClock();
    const closes: Array<{ sessionId: bigint; atMs: number }> = [];
    const sessions = new SessionTable(
      { tickTimeMs: 200, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 4000 },
      {
        requestSessionClose: (sessionId) => closes.push({ sessionId, atMs: clock.now() }),
        closeConnection: () => undefined,
        ended: () => undefined,
      },
      { clock, now: () => clock.now() },
    );
    const count = 2000;
    for (let index = 0; index < count; index++) {
      const sessionId = BigInt(index + 1);
      sessions.open(sessionId, 1000, index);
      sessions.connected(sessionId, index);
      // Sessions open over 200 ms, as a burst of clients would.
      if (index % 10 === 9) clock.increment(1);
    }
    expect(sessions.wheel.size).toBe(count);
    expect(sessions.wheel.bucketCount).toBeLessThanOrEqual(2);
    // Sessions share actor systems, sessionsPerSystemMax each.
    expect(sessions.parents.systemCount).toBe(Math.ceil(count / sessionsPerSystemMax));
    expect(clock.pending.size).toBe(1);

    const quiet = (index: number) => index % 10 === 0;
    let lastTouchMs = 0;
    for (let step = 0; step < 20; step++) {
      clock.increment(100);
      lastTouchMs = clock.now();
      for (let index = 0; index < count; index++) {
        if (step < 5 || !quiet(index)) sessions.touch(BigInt(index + 1), index);
      }
      expect(clock.pending.size).toBe(1);
      expect(sessions.wheel.bucketCount).toBeLessThanOrEqual(1000 / 200 + 1);
    }
    // The quiet sessions were last touched at step 4; the rest are touched until now.
    const quietSinceMs = lastTouchMs - 15 * 100;
    expect(closes.map((close) => Number(close.sessionId - 1n) % 10)).toEqual(
      Array.from({ length: count / 10 }, () => 0),
    );
    for (const close of closes) {
      expect(close.atMs).toBe(bucketOf(quietSinceMs + 1000, 200));
    }
    expect(sessions.wheel.size).toBe(count - count / 10);
    sessions.stopAll();
    expect(sessions.parents.systemCount).toBe(0);
    expect(sessions.wheel.size).toBe(0);
    expect(clock.pending.size).toBe(0);
  });
});
