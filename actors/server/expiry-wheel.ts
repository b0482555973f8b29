// ZooKeeper's ExpiryQueue as a clock: session machines keep their `after` expiry timer, but the
// clock their actors run on files each timer into a bucket of tickTime, and one real timer (on
// the system's clock, or the simulator's) serves every bucket. 10k sessions cost 10k small
// entries in a few dozen buckets instead of 10k host timers rescheduled on every packet.

import type { SessionClock } from './sessions.js';

/** The timers underneath: the system's, or the simulator's clock. */
export interface WheelBaseClock {
  setTimeout(work: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** One timer filed in a bucket; also the handle XState holds to cancel it. */
interface WheelEntry {
  work: (() => void) | undefined;
  bucketAtMs: number;
}

/** The system's timers, unreferenced: a session's deadline never keeps a process alive. */
const systemBaseClock: WheelBaseClock = {
  setTimeout: (work, delayMs) => setTimeout(work, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * ZooKeeper's ExpiryQueue.roundToNextInterval: the first bucket boundary strictly after
 * `timeMs`, so a deadline is met no sooner than asked and at most one interval later.
 */
export function bucketOf(timeMs: number, intervalMs: number): number {
  return (Math.floor(timeMs / intervalMs) + 1) * intervalMs;
}

export class ExpiryWheel {
  private readonly buckets = new Map<number, Set<WheelEntry>>();
  private armedAtMs: number | undefined;
  private armedHandle: unknown;
  private entryCount = 0;

  /**
   * `intervalMs` is ZooKeeper's expirationInterval (tickTime); `now` reads the same clock
   * `base` runs on, so a simulated run stays deterministic.
   */
  constructor(
    readonly intervalMs: number,
    private readonly now: () => number,
    private readonly base: WheelBaseClock = systemBaseClock,
  ) {
    if (!(intervalMs > 0)) throw new Error(`expiry wheel: interval ${intervalMs} ms must be > 0`);
  }

  /** Buckets holding at least one timer: bounded by the longest timeout over the interval. */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Timers filed and not yet run or cancelled. */
  get size(): number {
    return this.entryCount;
  }

  /** 1 while a real timer is armed for the next bucket, else 0: never one per session. */
  get timersArmed(): number {
    return this.armedAtMs === undefined ? 0 : 1;
  }

  /** The bucket a timer due `delayMs` from now falls in (what `setTimeout` would file it in). */
  bucketFor(delayMs: number): number {
    return bucketOf(this.now() + delayMs, this.intervalMs);
  }

  /** The clock XState's actors take: timers go into the wheel. */
  readonly clock: NonNullable<SessionClock> = {
    setTimeout: (work: () => void, delayMs: number) => this.add(work, delayMs),
    clearTimeout: (handle: unknown) => this.remove(handle as WheelEntry),
  };

  private add(work: () => void, delayMs: number): WheelEntry {
    const bucketAtMs = this.bucketFor(delayMs);
    const entry: WheelEntry = { work, bucketAtMs };
    let bucket = this.buckets.get(bucketAtMs);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(bucketAtMs, bucket);
    }
    bucket.add(entry);
    this.entryCount++;
    if (this.armedAtMs === undefined || bucketAtMs < this.armedAtMs) this.arm(bucketAtMs);
    return entry;
  }

  private remove(entry: WheelEntry | undefined): void {
    if (entry?.work === undefined) return;
    entry.work = undefined;
    this.entryCount--;
    const bucket = this.buckets.get(entry.bucketAtMs);
    if (bucket === undefined) return;
    bucket.delete(entry);
    // An emptied bucket goes at once; the armed timer, if it was for it, finds nothing due and
    // re-arms for the next.
    if (bucket.size === 0) this.buckets.delete(entry.bucketAtMs);
  }

  private arm(bucketAtMs: number): void {
    if (this.armedAtMs !== undefined) this.base.clearTimeout(this.armedHandle);
    this.armedAtMs = bucketAtMs;
    this.armedHandle = this.base.setTimeout(
      () => this.expireDue(),
      Math.max(0, bucketAtMs - this.now()),
    );
  }

  /**
   * ZooKeeper's expirer thread waking at a bucket boundary: every bucket now due runs, oldest
   * first and each in the order its timers were filed, then the timer is armed for the next.
   */
  private expireDue(): void {
    this.armedAtMs = undefined;
    const nowMs = this.now();
    const due = [...this.buckets.keys()].filter((atMs) => atMs <= nowMs).sort((a, b) => a - b);
    for (const atMs of due) {
      const bucket = this.buckets.get(atMs);
      this.buckets.delete(atMs);
      for (const entry of bucket ?? []) {
        const work = entry.work;
        if (work === undefined) continue;
        entry.work = undefined;
        this.entryCount--;
        work();
      }
    }
    this.armNext();
  }

  private armNext(): void {
    let next: number | undefined;
    for (const atMs of this.buckets.keys()) if (next === undefined || atMs < next) next = atMs;
    if (next !== undefined && (this.armedAtMs === undefined || next < this.armedAtMs)) {
      this.arm(next);
    }
  }

  /** Drops every timer and the armed one (the server stops). */
  clear(): void {
    for (const bucket of this.buckets.values()) for (const entry of bucket) entry.work = undefined;
    this.buckets.clear();
    this.entryCount = 0;
    if (this.armedAtMs !== undefined) this.base.clearTimeout(this.armedHandle);
    this.armedAtMs = undefined;
  }
}
