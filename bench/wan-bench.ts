// The WAN benchmark (`npm run bench:wan`, bench/wan.ts): issue 17's figures across data centres
// on one machine — 3 sites of 3 replicas and 3 sites of 2+2+1, 40 ms between sites and 1 ms
// inside one (the chaos proxy mesh's shaping), 1 KiB writes at a fixed rate from a client in each
// site; star (treeBroadcast=false) and tree broadcast alternating, layout by layout, so both see
// the same machine load. Prints cross-site bytes per committed write, write and read latency per
// site, and the time a client whose whole site died takes to be served by another site.

import { bandwidthOfMbit } from '../cli/chaos/sites.js';
import { percentile, runWan, type WanRunOptions, type WanRunResult } from './wan-run.js';

export const wanLayouts = {
  '3x3': ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'],
  '2+2+1': ['a', 'a', 'b', 'b', 'c'],
} as const satisfies Record<string, readonly string[]>;
export type WanLayoutName = keyof typeof wanLayouts;
/** `tree-batched`: tree broadcast with relayed followers' ACKs sent back through the relay. */
export const broadcastModes = ['star', 'tree', 'tree-batched'] as const;
export type BroadcastMode = (typeof broadcastModes)[number];

export interface WanBenchSettings {
  layouts: readonly WanLayoutName[];
  modes: readonly BroadcastMode[];
  /** Modes also run with one observer per site, each site's reader reading from it. */
  observerModes: readonly BroadcastMode[];
  /** Each layout's modes run this many times, alternating (star, tree, star, tree …). */
  rounds: number;
  run: Omit<WanRunOptions, 'sites' | 'treeBroadcast' | 'directAcks' | 'observerSites'>;
}

export interface WanBenchRow {
  layout: WanLayoutName;
  mode: BroadcastMode;
  /** One observer per site served the site's reads (no failover in such a row). */
  observers: boolean;
  /** 1, 2, …: the pass over the layout's modes this row belongs to. */
  round: number;
  result: WanRunResult;
}

export const wanDefaults: WanBenchSettings['run'] = {
  wanDelayMs: 40, lanDelayMs: 1, wanBandwidthBytesPerMs: Infinity, operationsPerSecond: 20,
  valueBytes: 1024, measureMs: 8_000, sessionTimeoutMs: 6_000, tickTimeMs: 100, failover: true,
};

const fixed = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

/**
 * Runs every layout in its modes (star, tree, star, tree … for `rounds` passes), then in each
 * observer mode with an observer per site, printing each row as it ends.
 */
export async function runWanBench(
  settings: WanBenchSettings,
  print: (line: string) => void = console.log,
): Promise<WanBenchRow[]> {
  const rows: WanBenchRow[] = [];
  const { run } = settings;
  const bandwidth = run.wanBandwidthBytesPerMs === Infinity
    ? 'no bandwidth limit'
    : `${(run.wanBandwidthBytesPerMs * 8 / 1000).toFixed(1)} Mbit/s`;
  print(`wan bench: ${run.wanDelayMs} ms between sites, ${run.lanDelayMs} ms inside one, ` +
    `${bandwidth}; ${run.valueBytes} B writes, ${run.operationsPerSecond}/s writes and reads ` +
    `per site client for ${run.measureMs / 1000} s; session timeout ${run.sessionTimeoutMs} ms` +
    (settings.rounds > 1 ? `; ${settings.rounds} rounds` : ''));
  for (const layout of settings.layouts) {
    const sites = wanLayouts[layout];
    const runs = [];
    for (let round = 1; round <= settings.rounds; round++) {
      runs.push(...settings.modes.map((mode) => ({ mode, observers: false, round })));
    }
    runs.push(...settings.observerModes.map((mode) => ({ mode, observers: true, round: 1 })));
    for (const { mode, observers, round } of runs) {
      const broadcast = { treeBroadcast: mode !== 'star', directAcks: mode !== 'tree-batched' };
      const result = await runWan(observers
        ? { ...run, sites, ...broadcast, observerSites: [...new Set(sites)], failover: false }
        : { ...run, sites, ...broadcast });
      rows.push({ layout, mode, observers, round, result });
      const label = (observers ? `${mode} + an observer per site` : mode) +
        (settings.rounds > 1 && !observers ? ` (round ${round})` : '');
      for (const line of rowLines(layout, label, result)) print(line);
    }
  }
  for (const line of comparisonLines(rows)) print(line);
  return rows;
}

function rowLines(layout: string, mode: string, result: WanRunResult): string[] {
  const perWrite = result.committedWrites === 0
    ? undefined : result.crossSiteBytes / result.committedWrites;
  const lines = [
    `${layout} ${mode}: ${result.committedWrites} writes committed, ` +
      `${fixed(perWrite)} B across sites per write, leader in site ${result.leaderSite ?? '?'}`,
  ];
  for (const site of result.perSite) {
    lines.push(`  site ${site.site}: write p50 ${fixed(site.writeP50Ms, 1)} ms ` +
      `p99 ${fixed(site.writeP99Ms, 1)} ms; read p50 ${fixed(site.readP50Ms, 1)} ms ` +
      `p99 ${fixed(site.readP99Ms, 1)} ms; errors ${site.errors}` +
      (site.firstError === undefined ? '' : ` (first: ${site.firstError})`));
  }
  const failover = result.failover;
  if (failover !== undefined) {
    const within = failover.recoveredMs !== undefined &&
      failover.recoveredMs <= failover.sessionTimeoutMs;
    lines.push(`  site ${failover.site} lost every replica: its client served again after ` +
      `${fixed(failover.recoveredMs)} ms (session timeout ${failover.sessionTimeoutMs} ms: ` +
      `${within ? 'within' : 'NOT within'}), session ${failover.sessionKept ? 'kept' : 'LOST'}`);
  }
  return lines;
}

/** Bytes crossing sites per committed write over `results` together (NaN when none committed:
 * no figure per write, not Infinity). */
function bytesPerWrite(results: readonly WanRunResult[]): number {
  const writes = results.reduce((sum, result) => sum + result.committedWrites, 0);
  const bytes = results.reduce((sum, result) => sum + result.crossSiteBytes, 0);
  return writes === 0 ? Number.NaN : bytes / writes;
}

/** The worst site's write p99 of one run. */
function worstP99(result: WanRunResult): number {
  return Math.max(...result.perSite.map((site) => site.writeP99Ms));
}

/** The worst site's write p99 with every run's writes of that site pooled: one p99 over all the
 * rounds' samples is steadier than any round's (a round holds a few hundred writes a site). */
export function pooledWorstP99(results: readonly WanRunResult[]): number {
  const bySite = new Map<string, number[]>();
  for (const result of results) {
    for (const site of result.perSite) {
      const pooled = bySite.get(site.site) ?? [];
      pooled.push(...site.writeLatenciesMs);
      bySite.set(site.site, pooled);
    }
  }
  // A site with no answered write has no p99 (NaN); none at all gives NaN.
  const p99s = [...bySite.values()].filter((latencies) => latencies.length > 0).map(
    (latencies) => percentile(latencies.sort((first, second) => first - second), 0.99));
  return p99s.length === 0 ? Number.NaN : Math.max(...p99s);
}

/**
 * Tree against star per layout: cross-site bytes per write, and the worst site's write p99. With
 * several rounds both pool every round of a mode, and each round's worst p99 follows.
 */
export function comparisonLines(rows: readonly WanBenchRow[]): string[] {
  const lines: string[] = [];
  for (const layout of new Set(rows.map((row) => row.layout))) {
    const of = (mode: BroadcastMode) => rows
      .filter((row) => row.layout === layout && row.mode === mode && !row.observers)
      .map((row) => row.result);
    const star = of('star');
    if (star.length === 0) continue;
    for (const mode of ['tree', 'tree-batched'] as const) {
      const tree = of(mode);
      if (tree.length === 0) continue;
      const rounds = Math.max(tree.length, star.length);
      let line = `${layout} ${mode}/star: cross-site bytes per write ` +
        `${fixed((100 * bytesPerWrite(tree)) / bytesPerWrite(star))}% (goal <= 40%), worst write ` +
        `p99 ${fixed(pooledWorstP99(tree), 1)} vs ${fixed(pooledWorstP99(star), 1)} ms`;
      if (rounds > 1) {
        const perRound = (results: readonly WanRunResult[]) =>
          results.map((result) => fixed(worstP99(result), 1)).join(', ');
        line += ` (${rounds} rounds pooled; each round: ${mode} ${perRound(tree)}, ` +
          `star ${perRound(star)})`;
      }
      lines.push(line);
    }
  }
  return lines;
}

export interface WanFlags {
  layouts: string;
  modes: string;
  observers?: string;
  seconds?: string;
  rate?: string;
  wanDelayMs?: string;
  lanDelayMs?: string;
  wanBandwidthMbit?: string;
  sessionTimeoutMs?: string;
  rounds?: string;
  small?: boolean;
}

function listOf<Name extends string>(value: string, names: readonly Name[], flag: string): Name[] {
  const chosen = value.split(',').map((item) => item.trim());
  for (const item of chosen) {
    if (!(names as readonly string[]).includes(item)) {
      throw new Error(`invalid ${flag} "${value}": one or more of ${names.join(', ')}`);
    }
  }
  return chosen as Name[];
}

function numberOf(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`invalid ${flag} "${value}"`);
  return parsed;
}

export function settingsOf(flags: WanFlags): WanBenchSettings {
  const base = flags.small === true
    ? { ...wanDefaults, measureMs: 3_000, operationsPerSecond: 10 }
    : wanDefaults;
  const mbit = numberOf('--wan-bandwidth-mbit', flags.wanBandwidthMbit, 0);
  return {
    layouts: listOf(flags.layouts, Object.keys(wanLayouts) as WanLayoutName[], '--layouts'),
    modes: listOf(flags.modes, broadcastModes, '--modes'),
    observerModes: observerModesOf(flags),
    rounds: Math.max(1, Math.floor(numberOf('--rounds', flags.rounds, 1))),
    run: {
      ...base,
      measureMs: numberOf('--seconds', flags.seconds, base.measureMs / 1000) * 1000,
      operationsPerSecond: Math.max(1, numberOf('--rate', flags.rate, base.operationsPerSecond)),
      wanDelayMs: numberOf('--wan-delay-ms', flags.wanDelayMs, base.wanDelayMs),
      lanDelayMs: numberOf('--lan-delay-ms', flags.lanDelayMs, base.lanDelayMs),
      wanBandwidthBytesPerMs: bandwidthOfMbit(mbit),
      sessionTimeoutMs: numberOf('--session-timeout-ms', flags.sessionTimeoutMs,
        base.sessionTimeoutMs),
    },
  };
}

/** `--observers`: tree by default, none in the CI-sized run unless asked. */
function observerModesOf(flags: WanFlags): BroadcastMode[] {
  const value = flags.observers ?? (flags.small === true ? 'none' : 'tree');
  return value === 'none' || value === '' ? [] : listOf(value, broadcastModes, '--observers');
}
