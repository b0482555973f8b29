// zoo.cfg autopurge.purgeInterval, as ZooKeeper's DatadirCleanupManager: every purgeInterval
// hours (and once at start), keep the newest autopurge.snapRetainCount snapshots and the log
// they need, and delete the rest. corral also compacts after each snapshot it takes; the timer
// catches what that cannot (a retain count lowered across a restart, a log a learner's DIFF held).
import type { StorageLogger } from './recovery.js';

/** An hour in milliseconds: the unit of autopurge.purgeInterval. Tests pass a shorter one. */
export const purgeIntervalUnitMs = 3_600_000;

/** The timer functions it uses: Node's, or a test's. */
export interface PurgeTimers {
  setTimeout(run: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: PurgeTimers = {
  setTimeout: (run, delayMs) => {
    const handle = setTimeout(run, delayMs);
    // A purge never keeps a stopping process alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PurgeTimerOptions {
  /** autopurge.purgeInterval; 0 means no timer, as in ZooKeeper. */
  intervalHours: number;
  /** Deletes what is not kept and resolves with the txns it deleted (ReplicaStorage.compact). */
  purge: () => Promise<number>;
  logger: StorageLogger;
  unitMs?: number;
  timers?: PurgeTimers;
}

/** Runs `purge` at start and then every interval, never two at once; stop() ends it. */
export class PurgeTimer {
  private handle: unknown;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;
  private readonly timers: PurgeTimers;

  constructor(private readonly options: PurgeTimerOptions) {
    this.intervalMs = options.intervalHours * (options.unitMs ?? purgeIntervalUnitMs);
    this.timers = options.timers ?? nodeTimers;
  }

  /** False when autopurge.purgeInterval is 0: nothing is scheduled. */
  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  start(): void {
    if (!this.enabled || this.stopped) return;
    this.schedule(0);
  }

  /** Stops the timer; resolves when a purge in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      this.running = this.runOnce().then(() => {
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    try {
      const purgedTxns = await this.options.purge();
      this.options.logger.info({ purgedTxns }, 'autopurge: old snapshots and log purged');
    } catch (error) {
      // The next interval tries again; a purge that fails costs disk, not correctness.
      this.options.logger.warn({ error: String(error) }, 'autopurge failed');
    }
  }
}
