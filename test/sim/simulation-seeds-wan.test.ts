// Seeds across three sites in npm test's simulator slice: 1+1+1, 2+2+1 and 3+3+3 replicas with
// latency, jitter and bandwidth between the sites, site partitions, site power losses and relay
// failures among the faults; every invariant and the clients' linearizability must hold.
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/simulation.js';
import { wanVariantOfSeed, type WanVariant } from '../../sim/variants.js';
import { seedRange } from './simulation-support.js';

async function runWanSeeds(seeds: readonly number[], wan: WanVariant) {
  const failures: string[] = [];
  let operations = 0;
  const siteFaults = { sitePartition: 0, sitePowerLoss: 0, relayFailure: 0 };
  for (const seed of seeds) {
    const result = await runSimulation({ seed, wan });
    operations += result.history.operations;
    for (const kind of Object.keys(siteFaults) as Array<keyof typeof siteFaults>) {
      siteFaults[kind] += result.faults[kind];
    }
    for (const violation of result.violations) failures.push(`seed ${seed}: ${violation}`);
  }
  return { failures, operations, siteFaults };
}

describe('deterministic simulation across sites', () => {
  it('runs one seed in four across sites by default (--wan mixed)', () => {
    const drawn = seedRange(1, 32).map(wanVariantOfSeed);
    expect(drawn.filter((variant) => variant !== undefined)).toHaveLength(8);
    expect(new Set(drawn)).toEqual(new Set([undefined, 'sites111', 'sites221', 'sites333']));
  });

  it('keeps every invariant over 1+1+1 and 2+2+1 sites (seeds 1..6 each)', async () => {
    const small = await runWanSeeds(seedRange(1, 6), 'sites111');
    const split = await runWanSeeds(seedRange(1, 6), 'sites221');
    expect([...small.failures, ...split.failures]).toEqual([]);
    expect(small.operations + split.operations).toBeGreaterThan(30);
    const faults = [small, split].map((slice) => slice.siteFaults);
    expect(faults.reduce((total, counts) => total + counts.sitePartition, 0)).toBeGreaterThan(0);
    expect(faults.reduce((total, counts) => total + counts.sitePowerLoss, 0)).toBeGreaterThan(0);
  }, 120_000);

  it('keeps every invariant over 3+3+3 sites (seed 1)', async () => {
    const slice = await runWanSeeds([1], 'sites333');
    expect(slice.failures).toEqual([]);
  }, 120_000);
});
