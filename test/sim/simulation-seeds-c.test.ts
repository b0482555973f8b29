// Other shapes of ensemble in npm test's simulator slice: 3 voters with an observer, and 5
// voters with 4 clients, under every fault the simulator injects.
import { describe, expect, it } from 'vitest';
import { runSeeds, seedRange } from './simulation-support.js';

describe('deterministic simulation, other ensembles', () => {
  it('keeps every invariant with an observer (3 voters + 1, seeds 1..60)', async () => {
    const slice = await runSeeds(seedRange(1, 60), { observers: 1 });
    expect(slice.failures).toEqual([]);
    expect(slice.operations).toBeGreaterThan(1000);
  }, 120_000);

  it('keeps every invariant with 5 voters and 4 clients (seeds 1..40)', async () => {
    const slice = await runSeeds(seedRange(1, 40), { voters: 5, clients: 4 });
    expect(slice.failures).toEqual([]);
    expect(slice.operations).toBeGreaterThan(400);
  }, 120_000);
});
