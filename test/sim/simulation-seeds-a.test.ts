// A fixed slice of the deterministic simulator in npm test: seeds 1..150, 3 replicas and
// 3 clients under every fault the simulator injects, with the real replica machine. Any
// violation fails with its seed; `npm run sim -- --seed N --trace` replays it.
import { describe, expect, it } from 'vitest';
import { runSeeds, seedRange } from './simulation-support.js';

describe('deterministic simulation, seeds 1..150 (R=3, 3 clients)', () => {
  it('keeps every invariant and a linearizable history on every seed', async () => {
    const slice = await runSeeds(seedRange(1, 150));
    expect(slice.failures).toEqual([]);
    expect(slice.faults).toBeGreaterThan(1000);
    expect(slice.operations).toBeGreaterThan(5000);
  }, 120_000);
});
