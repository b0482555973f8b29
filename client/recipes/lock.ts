// Fair mutual exclusion (Curator's InterProcessMutex), a read-write lock and a counting semaphore
// with leases, all on the contention queue. A held lock reports `lost` when its session ends:
// from then on another process may hold it.

import type { Client } from '../client.js';
import { contend, deleteQuietly, kindOf, type TurnRule } from './contention.js';
import { deadlineSignal, onSessionLost } from './support.js';

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Gives up (deleting our node) after this long; the rejection is a TimeoutError. */
  timeoutMs?: number;
}

/** A lock or lease held by this client; release it exactly once. */
export class Holding {
  private lostListeners = new Set<() => void>();
  private released = false;
  lost = false;
  private readonly stopWatching: () => void;

  constructor(
    private readonly client: Client,
    /** The node that holds the lock or lease. */
    readonly path: string,
  ) {
    this.stopWatching = onSessionLost(client, () => {
      if (this.released) return;
      this.lost = true;
      for (const listener of this.lostListeners) listener();
    });
  }

  /** Called if the session ends while held (expiry, close): the holding is gone. */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopWatching();
    if (!this.lost) await deleteQuietly(this.client, this.path);
  }
}

const first: TurnRule = (sorted, ourIndex) =>
  ourIndex === 0 ? null : (sorted[ourIndex - 1] as string);

/** A fair (first come, first served) distributed lock under `path`. */
export class Lock {
  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {}

  async acquire(options: AcquireOptions = {}): Promise<Holding> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    const { path } = await contend(this.client, this.path, 'lock-', first, signal);
    return new Holding(this.client, path);
  }

  /** Runs `work` while holding the lock; releases whatever happens. */
  async withLock<T>(work: () => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const holding = await this.acquire(options);
    try {
      return await work();
    } finally {
      await holding.release();
    }
  }
}

/** Many readers or one writer; writers queue fairly with readers (no writer starvation). */
export class ReadWriteLock {
  readonly readLock: { acquire(options?: AcquireOptions): Promise<Holding> };
  readonly writeLock: { acquire(options?: AcquireOptions): Promise<Holding> };

  constructor(client: Client, readonly path: string) {
    // A reader waits for the last writer queued before it; a writer waits for its predecessor.
    const readTurn: TurnRule = (sorted, ourIndex) => {
      const writers = sorted.slice(0, ourIndex).filter((name) => kindOf(name) === 'write-');
      return writers.length === 0 ? null : (writers.at(-1) as string);
    };
    const make = (prefix: string, turn: TurnRule) => ({
      acquire: async (options: AcquireOptions = {}) => {
        const signal = deadlineSignal(options.signal, options.timeoutMs);
        const { path: node } = await contend(client, path, prefix, turn, signal);
        return new Holding(client, node);
      },
    });
    this.readLock = make('read-', readTurn);
    this.writeLock = make('write-', first);
  }
}

/** At most `leases` holders at once; waiters are served in order of arrival. */
export class Semaphore {
  constructor(
    private readonly client: Client,
    readonly path: string,
    readonly leases: number,
  ) {
    if (!Number.isInteger(leases) || leases < 1) throw new RangeError('leases must be ≥ 1');
  }

  /** One lease; any deletion ahead of us may free a place, so waiters watch the child list. */
  async acquire(options: AcquireOptions = {}): Promise<Holding> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    const turn: TurnRule = (_sorted, ourIndex) => (ourIndex < this.leases ? null : '');
    const { path } = await contend(this.client, this.path, 'lease-', turn, signal);
    return new Holding(this.client, path);
  }
}
