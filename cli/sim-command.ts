// `corral sim` (npm run sim): runs the deterministic simulator over a range of seeds and prints
// what it did — seeds run, faults injected, operations checked, seeds per second — and every
// violation with the seed that reproduces it; `--seed N --trace` replays one seed exactly,
// printing the message log, every machine transition, and the faults as they happen;
// `--seed N --trace-out FILE` writes the run's machine trace for the dashboard (JSON lines).

import type { Command } from 'commander';
import { parseValue, valueParsers } from '../actors/config/config.js';
import { runSimulation, type SimulationResult } from '../sim/simulation.js';
import {
  brokenVariants, wanVariantNames, wanVariantOfSeed, type BrokenParts, type BrokenVariant,
  type WanVariant,
} from '../sim/variants.js';
import { quorumShapes, shapeOfSeed, type QuorumShape } from '../sim/quorum-shapes.js';
import { TraceFile, traceLinesMaxDefault } from '../sim/machine-trace.js';

export interface SimFlags {
  seeds: string;
  firstSeed: string;
  seed?: string;
  trace?: boolean;
  traceOut?: string;
  traceLinesMax?: string;
  replicas: string;
  quorum: string;
  observers: string;
  clients: string;
  steps: string;
  faultChance: string;
  variant?: string;
  reconfig?: boolean;
  spares: string;
  /** Each replica's site in id order (`a,a,b,b,b`): tree broadcast relays within a site. */
  sites?: string;
  wan?: string;
}

export function addSimOptions(command: Command): Command {
  return command
    .option('--seeds <n>', 'how many seeds to run', '100')
    .option('--first-seed <n>', 'the first seed of the range', '1')
    .option('--seed <n>', 'run this one seed only (with --trace, print everything it does)')
    .option('--trace', 'print the message log, machine transitions and faults')
    .option('--trace-out <file>', 'with --seed: write the run\'s machine trace (JSON lines) for ' +
      '`corral dashboard --trace FILE`')
    .option('--trace-lines-max <n>', `with --trace-out: records stop past this many lines ` +
      `(${traceLinesMaxDefault})`)
    .option('--replicas <n>', 'voting replicas', '3')
    .option(
      '--quorum <shape>',
      'how the voters count: majority, weighted (weight.N), hierarchical (group.N and ' +
        'weight.N, drawn from each seed), or mixed (the three in turn, by seed)',
      'majority',
    )
    .option('--observers <n>', 'observers', '0')
    .option('--clients <n>', 'simulated clients', '3')
    .option('--steps <n>', 'scheduler steps per seed', '4000')
    .option('--fault-chance <p>', 'chance that a step injects a fault', '0.006')
    .option('--reconfig', 'reconfigs among the faults: spares join, members leave or swap roles')
    .option('--spares <n>', 'with --reconfig: replicas outside the starting membership', '2')
    .option('--sites <names>', 'each replica\'s site, in id order (a,a,b,b,b): tree broadcast ' +
      'relays within a site; majority quorum only')
    .option('--variant <name>', `run a broken variant: ${Object.keys(brokenVariants).join(', ')}`)
    .option('--wan <layout>', `replicas across three sites with latency, jitter and bandwidth ` +
      `between them: ${wanVariantNames.join(', ')}, none, or mixed (one seed in four across ` +
      `sites; the default, but none with --variant or --reconfig)`);
}

function count(flag: string, value: string): number {
  return parseValue(valueParsers.nonNegativeInteger, flag, value);
}

function chance(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw new Error(`invalid ${flag} "${value}": expected a probability between 0 and 1`);
  }
  return parsed;
}

/** The shape each seed runs with: one for all, or `mixed`'s turn by seed. */
function quorumShapeOf(value: string): (seed: number) => QuorumShape {
  if (value === 'mixed') return shapeOfSeed;
  if (!(quorumShapes as readonly string[]).includes(value)) {
    throw new Error(`invalid --quorum "${value}": one of ${quorumShapes.join(', ')}, mixed`);
  }
  return () => value as QuorumShape;
}

/** `--sites a,a,b`: replica 1 in a, 2 in a, 3 in b (ids past the list are in no site). */
function sitesOf(value: string): Record<number, string> {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => !/^[A-Za-z0-9._-]{1,64}$/.test(name))) {
    throw new Error(`invalid --sites "${value}": names of 1-64 [A-Za-z0-9._-], comma-separated`);
  }
  return Object.fromEntries(names.map((name, index) => [index + 1, name]));
}

function variantOf(name: string | undefined): BrokenParts {
  if (name === undefined) return {};
  if (!Object.hasOwn(brokenVariants, name)) {
    const names = Object.keys(brokenVariants).join(', ');
    throw new Error(`invalid --variant "${name}": one of ${names}`);
  }
  return brokenVariants[name as BrokenVariant];
}

/**
 * The WAN layout each seed runs with (undefined: one site). A broken variant's or a reconfig
 * run's seeds stay on one site unless asked: their regression seeds were found there.
 */
function wanOf(flags: SimFlags) {
  const plain = flags.variant === undefined && flags.reconfig !== true;
  const chosen = flags.wan ?? (plain ? 'mixed' : 'none');
  if (chosen === 'mixed') return wanVariantOfSeed;
  if (chosen === 'none') return () => undefined;
  if (!(wanVariantNames as readonly string[]).includes(chosen)) {
    throw new Error(`invalid --wan "${chosen}": one of ${wanVariantNames.join(', ')}, none, mixed`);
  }
  return () => chosen as WanVariant;
}

/** Runs the seeds; resolves with the number of seeds that found a violation. */
export async function runSimCommand(flags: SimFlags, print = console.log): Promise<number> {
  const single = flags.seed === undefined ? undefined : count('--seed', flags.seed);
  const first = single ?? count('--first-seed', flags.firstSeed);
  const seeds = single === undefined ? count('--seeds', flags.seeds) : 1;
  const variant = variantOf(flags.variant);
  const shapeOf = quorumShapeOf(flags.quorum);
  const wanOfSeed = wanOf(flags);
  if (flags.traceOut !== undefined && single === undefined) {
    throw new Error('--trace-out traces one run: give --seed N');
  }
  const linesMax = flags.traceLinesMax === undefined
    ? traceLinesMaxDefault
    : Math.max(1, count('--trace-lines-max', flags.traceLinesMax));
  const traceFile = flags.traceOut === undefined ? undefined : new TraceFile(flags.traceOut);
  const common = {
    voters: Math.max(1, count('--replicas', flags.replicas)),
    observers: count('--observers', flags.observers),
    clients: Math.max(1, count('--clients', flags.clients)),
    steps: count('--steps', flags.steps),
    faultChance: chance('--fault-chance', flags.faultChance),
    ...(flags.reconfig === true ? { reconfig: true, spares: count('--spares', flags.spares) } : {}),
    ...(flags.sites === undefined ? {} : { sites: sitesOf(flags.sites) }),
    ...variant,
  };
  if (flags.sites !== undefined && flags.quorum !== 'majority') {
    throw new Error(`invalid --quorum "${flags.quorum}" with --sites: majority only`);
  }
  if (flags.reconfig === true && flags.quorum !== 'majority') {
    throw new Error(`invalid --quorum "${flags.quorum}" with --reconfig: majority only`);
  }
  const startedAt = performance.now();
  const faults = new Map<string, number>();
  let operations = 0;
  let strangerFrames = 0;
  let failing = 0;
  let unknown = 0;
  const reconfigs = { asked: 0, stale: 0, committed: 0, activations: 0, leaderCrashes: 0 };
  const shapes = new Map<QuorumShape, number>();
  const layouts = new Map<string, number>();
  for (let seed = first; seed < first + seeds; seed++) {
    const trace = flags.trace === true ? (line: string) => print(`[${seed}] ${line}`) : undefined;
    const quorum = variant.quorum ?? shapeOf(seed);
    shapes.set(quorum, (shapes.get(quorum) ?? 0) + 1);
    const wan = wanOfSeed(seed);
    layouts.set(wan ?? 'one site', (layouts.get(wan ?? 'one site') ?? 0) + 1);
    const traceOut = traceFile === undefined ? undefined : {
      write: traceFile.write, linesMax,
      flags: ['--seed', String(seed), ...replayFlags(flags).split(' ').filter((part) => part)],
    };
    const options = {
      ...common, seed, quorum, ...(wan === undefined ? {} : { wan }),
      ...(trace === undefined ? {} : { trace }),
      ...(traceOut === undefined ? {} : { traceOut }),
    };
    let result: SimulationResult;
    try {
      result = await runSimulation(options);
    } finally {
      traceFile?.close();
    }
    if (traceFile !== undefined) {
      print(`trace written to ${flags.traceOut} (${traceFile.lines} lines)`);
    }
    operations += result.history.operations;
    strangerFrames += result.strangerFrames;
    if (result.history.verdict === 'unknown') unknown++;
    if (result.reconfigs !== undefined) {
      const { asked, stale, committed, activations, leaderCrashes } = result.reconfigs;
      reconfigs.asked += Object.values(asked).reduce((total, times) => total + times, 0);
      reconfigs.leaderCrashes += leaderCrashes;
      reconfigs.stale += stale;
      reconfigs.committed += committed;
      reconfigs.activations += activations;
    }
    for (const [kind, times] of Object.entries(result.faults)) {
      faults.set(kind, (faults.get(kind) ?? 0) + times);
    }
    if (result.violations.length > 0) {
      failing++;
      reportViolation(result, replayFlags(flags), print);
    }
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const faultText = [...faults].map(([kind, times]) => `${kind} ${times}`).join(', ');
  const injected = [...faults.values()].reduce((total, times) => total + times, 0);
  const variantText = flags.variant === undefined ? '' : `, variant ${flags.variant}`;
  print(`seeds run: ${seeds} (${first}..${first + seeds - 1})${variantText}`);
  print(`quorums: ${[...shapes].map(([shape, times]) => `${shape} ${times}`).join(', ')}`);
  print(`sites: ${[...layouts].map(([layout, times]) => `${layout} ${times}`).join(', ')}`);
  print(`faults injected: ${injected} (${faultText})`);
  if (flags.reconfig === true || variant.reconfig === true) {
    const { asked, stale, committed, activations, leaderCrashes } = reconfigs;
    print(`reconfigs: ${asked} asked (${stale} from a stale version), ${committed} committed, ` +
      `${activations} activations, ${leaderCrashes} leader crashes mid-reconfig`);
  }
  print(`stranger frames: ${strangerFrames} (forged votes, leader and learner messages, replays)`);
  const undecided = unknown > 0 ? ` (${unknown} histories undecided within the check budget)` : '';
  print(`operations checked: ${operations}${undecided}`);
  print(`seeds/s: ${(seeds / seconds).toFixed(2)} (${seconds.toFixed(1)} s)`);
  print(failing === 0 ? 'violations: none' : `violations: ${failing} seed(s)`);
  return failing;
}

/** The flags a replay needs besides the seed (everything that shapes the run). */
function replayFlags(flags: SimFlags): string {
  const shaping: Array<[string, string | undefined, string]> = [
    ['--replicas', flags.replicas, '3'],
    ['--quorum', flags.quorum, 'majority'],
    ['--observers', flags.observers, '0'],
    ['--clients', flags.clients, '3'],
    ['--steps', flags.steps, '4000'],
    ['--fault-chance', flags.faultChance, '0.006'],
    ['--variant', flags.variant, ''],
    ['--wan', flags.wan, ''],
    ['--spares', flags.reconfig === true ? flags.spares : undefined, '2'],
    ['--sites', flags.sites, ''],
  ];
  return shaping
    .filter(([, value, defaultValue]) => value !== undefined && value !== defaultValue)
    .map(([flag, value]) => ` ${flag} ${value}`)
    .join('') + (flags.reconfig === true ? ' --reconfig' : '');
}

function reportViolation(
  result: SimulationResult,
  flags: string,
  print: (line: string) => void,
): void {
  print(`seed ${result.seed}: ${result.violations.length} violation(s)`);
  print(`  quorum: ${result.quorum}`);
  for (const violation of result.violations.slice(0, 10)) print(`  ${violation}`);
  print(`  replay: npm run sim -- --seed ${result.seed}${flags} --trace`);
}
