// Shared by the simulator's seed slices: run a range of seeds with the defaults `npm run sim`
// uses and collect every violation with its seed, so a failure names what reproduces it.
import { runSimulation, type SimulationOptions } from '../../sim/simulation.js';

export interface SliceResult {
  failures: string[];
  operations: number;
  faults: number;
}

export async function runSeeds(
  seeds: readonly number[],
  options: Omit<SimulationOptions, 'seed'> = {},
): Promise<SliceResult> {
  const failures: string[] = [];
  let operations = 0;
  let faults = 0;
  for (const seed of seeds) {
    const result = await runSimulation({ ...options, seed });
    operations += result.history.operations;
    faults += Object.values(result.faults).reduce((total, count) => total + count, 0);
    for (const violation of result.violations) failures.push(`seed ${seed}: ${violation}`);
  }
  return { failures, operations, faults };
}

export function seedRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}
