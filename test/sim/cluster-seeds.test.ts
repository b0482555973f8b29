// Seeded simulation over the cluster harness: random deliveries, flushes, ticks, writes, crashes
// that lose unflushed writes, and restarts. The real replica machine must keep agreement,
// durability and convergence on every seed; a variant that ACKs a proposal before
// `storage.appended` must be caught within a bounded number of seeds (STYLE rule 2).
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../sim/cluster.js';
import { runRandomSchedule } from '../../sim/schedule.js';
import { eagerAckMachine } from '../../sim/variants.js';

const seeds = Array.from({ length: 10 }, (_, index) => index + 1);
const steps = 3_000;
/**
 * The first seed on which the eager-ACK variant is caught (kept as a regression; it moved from 5
 * to 15 when proposals started travelling in batches, to 7 when the real storage logic ran
 * under the harness: a follower then loses a txn it ACKed, and its log, cut below what it had
 * already purged as committed, no longer recovers; and back to 15 with the snapshots taken at
 * startup and the tree digest stamped into txns).
 */
const eagerAckRegressionSeed = 15;
/**
 * Fifteen seeds of the variant take some 5 s alone, and several times that when the whole suite
 * shares two cores: more than the default 30 s once in a while (seen in CI).
 */
const variantTimeoutMs = 120_000;
/** Seeds the broken variant is run on: it must fail on one of them. */
const brokenVariantSeeds = Array.from({ length: 20 }, (_, index) => index + 1);

/**
 * The eager-ACK variant's violations on `seed`. Replicas whose storage it broke stop, and the
 * one left may never see a leader again: the schedule's last wait for one then fails, and the
 * invariants say why.
 */
async function eagerAckViolations(seed: number): Promise<string[]> {
  const cluster = new Cluster({ voters: [1, 2, 3], seed, machine: eagerAckMachine });
  await cluster.startAll();
  try {
    await cluster.stabilize();
    return (await runRandomSchedule(cluster, { steps })).violations;
  } catch (error) {
    const violations = cluster.checkInvariants();
    if (violations.length === 0) throw error;
    return violations;
  }
}

describe('cluster simulation (R=3)', () => {
  it.each(seeds)('keeps agreement, durability and convergence (seed %i)', async (seed) => {
    const cluster = new Cluster({ voters: [1, 2, 3], seed });
    await cluster.startAll();
    await cluster.stabilize();
    const result = await runRandomSchedule(cluster, { steps });
    expect(result.violations).toEqual([]);
  });

  it('catches a follower that ACKs before storage.appended (within 20 seeds)', async () => {
    const failing: number[] = [];
    for (const seed of brokenVariantSeeds) {
      if ((await eagerAckViolations(seed)).length > 0) failing.push(seed);
      if (failing.length > 0) break;
    }
    expect(failing[0]).toBe(eagerAckRegressionSeed);
  }, variantTimeoutMs);

  it('the eager-ACK regression seed breaks durability', async () => {
    const violations = await eagerAckViolations(eagerAckRegressionSeed);
    expect(violations[0]).toMatch(/^storage: replica \d stopped: UnrecoverableDataDirError/);
  }, variantTimeoutMs);
});
