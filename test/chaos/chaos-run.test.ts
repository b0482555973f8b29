// One short real-process chaos run in npm test (`npm run chaos` runs longer ones): 3 replica
// processes behind the proxy mesh, 2 recording clients, SIGKILL/SIGSTOP/partitions for 12 s;
// the verdict must be clean, with faults injected and operations checked.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { corralMain } from '../support/corral.js';

describe('chaos (real processes, 12 s, seed 3)', () => {
  it('ends with one tree on every replica and a linearizable history', () => {
    const run = spawnSync(
      process.execPath,
      [corralMain, 'chaos', '--duration', '12', '--replicas', '3', '--clients', '2', '--seed', '3'],
      { encoding: 'utf8', timeout: 150_000 },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/^verdict: (ok|unknown)$/m);
    expect(output).toMatch(/^trees: identical/m);
    expect(Number(/^faults: (\d+)/m.exec(output)?.[1])).toBeGreaterThan(2);
    expect(Number(/^operations: (\d+)/m.exec(output)?.[1])).toBeGreaterThan(100);
  }, 160_000);
});
