// autopurge.purgeInterval: the timer's schedule (at start, then every interval, never two at once,
// 0 = off) with recorded timers, and a real purge over LMDB on a short unit: snapshots beyond a
// lowered autopurge.snapRetainCount and the log before the oldest kept one go.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openReplicaStorage } from '../../storage/data-dir.js';
import { PurgeTimer, type PurgeTimers } from '../../storage/purge-timer.js';
import { DataTree } from '../../tree/data-tree.js';
import { drive, removeTempDirs, tempDir, TxnStream } from './fixtures.js';

afterEach(removeTempDirs);

const quiet = { info: () => undefined, warn: () => undefined };

/** Timers that run only when the test says, recording each delay asked for. */
class StepTimers implements PurgeTimers {
  readonly delaysMs: number[] = [];
  private pending: (() => void) | undefined;
  setTimeout(run: () => void, delayMs: number): unknown {
    this.delaysMs.push(delayMs);
    this.pending = run;
    return run;
  }
  clearTimeout(handle: unknown): void {
    if (this.pending === handle) this.pending = undefined;
  }
  get scheduled(): boolean {
    return this.pending !== undefined;
  }
  /** Fires the pending timer and lets the purge it starts settle. */
  async fire(): Promise<void> {
    const run = this.pending;
    this.pending = undefined;
    run?.();
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  }
}

describe('autopurge timer schedule', () => {
  it('purgeInterval 0 schedules nothing', () => {
    const timers = new StepTimers();
    const timer = new PurgeTimer({ intervalHours: 0, purge: async () => 0, logger: quiet, timers });
    timer.start();
    expect(timer.enabled).toBe(false);
    expect(timers.delaysMs).toEqual([]);
  });

  it('purges at start, then every purgeInterval hours; stop() ends it (interval 2 h)',
    async () => {
      const timers = new StepTimers();
      let purges = 0;
      const timer = new PurgeTimer({
        intervalHours: 2, purge: async () => ++purges, logger: quiet, timers,
      });
      timer.start();
      expect(timers.delaysMs).toEqual([0]);
      await timers.fire();
      await timers.fire();
      expect(purges).toBe(2);
      expect(timers.delaysMs).toEqual([0, 7_200_000, 7_200_000]);
      await timer.stop();
      expect(timers.scheduled).toBe(false);
      await timers.fire();
      expect(purges).toBe(2);
    });

  it('a failed purge is logged and the next interval tries again', async () => {
    const timers = new StepTimers();
    const warnings: string[] = [];
    let attempts = 0;
    const timer = new PurgeTimer({
      intervalHours: 1,
      purge: async () => {
        attempts++;
        throw new Error('disk gone');
      },
      logger: { info: () => undefined, warn: (_details, message) => warnings.push(message) },
      timers,
    });
    timer.start();
    await timers.fire();
    await timers.fire();
    expect(attempts).toBe(2);
    expect(warnings).toEqual(['autopurge failed', 'autopurge failed']);
    expect(timers.scheduled).toBe(true);
    await timer.stop();
  });
});

describe('autopurge over a real data dir', () => {
  it('purges snapshots beyond a lowered snapRetainCount and the log before them (1 h = 40 ms)',
    async () => {
      const dir = tempDir();
      const settings = { snapCount: 100, snapRetainCount: 10, txnsRetainedMin: 10 };
      const first = await openReplicaStorage(dir, settings, quiet);
      const tree = new DataTree({ extendedTypesEnabled: true });
      first.attach(tree);
      for (let round = 0; round < 6; round++) {
        await drive(first, tree, new TxnStream(7).take(600).slice(round * 100, round * 100 + 100));
        await first.settled();
      }
      await first.close();
      const snapshots = (): string[] => readdirSync(join(dir, 'snapshots'));
      expect(snapshots()).toHaveLength(6);
      // Restarted with a lower retain count: nothing purges until a snapshot, but the timer.
      const storage = await openReplicaStorage(dir, { ...settings, snapRetainCount: 3 }, quiet);
      await storage.restoreInto(new DataTree({ extendedTypesEnabled: true }));
      const firstZxidBefore = storage.firstZxid();
      let runs = 0;
      const timer = new PurgeTimer({
        intervalHours: 1,
        unitMs: 40,
        purge: async () => {
          runs++;
          return storage.purge();
        },
        logger: quiet,
      });
      timer.start();
      const deadline = Date.now() + 5_000;
      while (runs < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await timer.stop();
      expect(runs).toBeGreaterThanOrEqual(3);
      expect(snapshots()).toHaveLength(3);
      expect(storage.firstZxid()).toBeGreaterThan(firstZxidBefore);
      await storage.close();
    });
});
