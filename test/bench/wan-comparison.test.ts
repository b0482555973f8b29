// bench:wan's closing comparison over several rounds: bytes per write and the worst site's write
// p99 pool every round of a mode (a round holds a few hundred writes a site, so its p99 is one of
// its few slowest writes); each round's own worst p99 is listed after. The rows are built here
// from known latencies, so the pooled figures can be checked exactly.
import { describe, expect, it } from 'vitest';
import {
  comparisonLines,
  pooledWorstP99,
  settingsOf,
  type BroadcastMode,
  type WanBenchRow,
} from '../../bench/wan-bench.js';
import type { SiteFigures, WanRunResult } from '../../bench/wan-run.js';

function site(name: string, latencies: number[]): SiteFigures {
  const sorted = [...latencies].sort((first, second) => first - second);
  return {
    site: name, writes: sorted.length, reads: 0, errors: 0, firstError: undefined,
    writeLatenciesMs: sorted,
    writeP50Ms: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    writeP99Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? Number.NaN,
    readP50Ms: Number.NaN, readP99Ms: Number.NaN,
  };
}

function result(crossSiteBytes: number, committedWrites: number, sites: SiteFigures[]):
  WanRunResult {
  return { committedWrites, crossSiteBytes, leaderSite: 'a', perSite: sites, failover: undefined };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

function row(mode: BroadcastMode, round: number, run: WanRunResult): WanBenchRow {
  return { layout: '3x3', mode, observers: false, round, result: run };
}

describe('bench:wan comparison over rounds', () => {
  it('pools every round of a site before taking its p99, and reports the worst site', () => {
    // Site a: 100 writes of 1..100 ms in round 1, 101..200 ms in round 2; pooled, the p99 of 200
    // samples is the 199th smallest (199 ms). Site b is faster in both rounds.
    const rounds = [
      result(0, 0, [site('a', range(1, 100)), site('b', range(1, 50))]),
      result(0, 0, [site('a', range(101, 100)), site('b', range(1, 50))]),
    ];
    expect(pooledWorstP99(rounds)).toBe(199);
    // One round alone: its own p99.
    expect(pooledWorstP99([rounds[0]!])).toBe(100);
  });

  it('gives no p99 for sites without an answered write, and NaN when none has one', () => {
    expect(pooledWorstP99([result(0, 0, [site('a', []), site('b', [5, 6, 7])])])).toBe(7);
    expect(pooledWorstP99([result(0, 0, [site('a', [])])])).toBeNaN();
  });

  it('compares the modes with their bytes and writes summed over the rounds', () => {
    const rows = [
      row('star', 1, result(9_000, 100, [site('a', range(200, 100))])),
      row('tree', 1, result(3_000, 100, [site('a', range(210, 100))])),
      row('star', 2, result(7_000, 100, [site('a', range(220, 100))])),
      row('tree', 2, result(3_400, 100, [site('a', range(190, 100))])),
    ];
    const [line, ...rest] = comparisonLines(rows);
    expect(rest).toEqual([]);
    // (3,000 + 3,400) / (9,000 + 7,000) = 40%; pooled p99: tree 190..309 → 308, star 200..319
    // → 318; each round's own: tree 309 and 289, star 299 and 319.
    expect(line).toBe('3x3 tree/star: cross-site bytes per write 40% (goal <= 40%), worst write ' +
      'p99 308.0 vs 318.0 ms (2 rounds pooled; each round: tree 309.0, 289.0, ' +
      'star 299.0, 319.0)');
  });

  it('keeps the one-round line as it was', () => {
    const rows = [
      row('star', 1, result(8_600, 10, [site('a', [230, 240])])),
      row('tree', 1, result(3_440, 10, [site('a', [220, 250])])),
    ];
    expect(comparisonLines(rows)).toEqual(['3x3 tree/star: cross-site bytes per write 40% ' +
      '(goal <= 40%), worst write p99 250.0 vs 240.0 ms']);
  });

  it('reads --rounds, one by default, and refuses a bad one', () => {
    const flags = { layouts: '3x3', modes: 'star,tree' };
    expect(settingsOf(flags).rounds).toBe(1);
    expect(settingsOf({ ...flags, rounds: '3' }).rounds).toBe(3);
    expect(() => settingsOf({ ...flags, rounds: 'many' })).toThrow('invalid --rounds "many"');
  });
});
