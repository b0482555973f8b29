// `npm run bench:scale`: issue 16's table — memory per znode and per session, getChildren of a
// wide node, a watch herd, standalone writes, restart and follower catch-up, 3- and 5-replica
// ensembles — measured against corral and Apache ZooKeeper 3.8 in one invocation, alternating
// (corral, ZooKeeper, corral, ZooKeeper …) so both see the same machine load, then printed as one
// table of medians with corral/ZooKeeper ratios. `--small` is the CI-sized run.

import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { ensembleMeasurement } from './scale-ensemble.js';
import {
  herdMeasurement,
  standaloneWritesMeasurement,
  wideChildrenMeasurement,
} from './scale-latency.js';
import {
  bytesPerZnodeMeasurement,
  sessionsMeasurement,
  treeMeasurement,
} from './scale-memory.js';
import { followerCatchupMeasurement } from './scale-restart.js';
import {
  progress,
  rowNames,
  type Measurement,
  type RowName,
  type ScaleSizes,
  type ScaleSystem,
} from './scale-rows.js';
import { formatTable, tableRows, type MeasuredFigures } from './scale-table.js';

/** In the order they run: the znodes row's tree also serves the restart row. */
const measurements: Measurement[] = [
  treeMeasurement, bytesPerZnodeMeasurement, sessionsMeasurement, wideChildrenMeasurement,
  herdMeasurement, standaloneWritesMeasurement, followerCatchupMeasurement, ensembleMeasurement,
];

interface ScaleFlags {
  znodes?: string;
  kibZnodes?: string;
  sessions?: string;
  children?: string;
  herd?: string;
  rounds?: string;
  seconds?: string;
  quietSeconds?: string;
  rows?: string;
  skipZookeeper?: boolean;
  small?: boolean;
  json?: string;
}

const fullSizes: ScaleSizes & { rounds: number } = {
  znodes: 1_000_000, kibZnodes: 100_000, sessions: 10_000, children: 100_000,
  getChildrenCalls: 30, herd: 5000, seconds: 10, quietMs: 10_000, rounds: 2,
};
const smallSizes: ScaleSizes & { rounds: number } = {
  znodes: 20_000, kibZnodes: 5000, sessions: 500, children: 5000, getChildrenCalls: 10,
  herd: 200, seconds: 2, quietMs: 2000, rounds: 1,
};

/** A flag's value as an integer within [min, max], or the fallback when it was not given. */
function integerFlag(text: string | undefined, name: string, fallback: number, min: number,
  max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`invalid --${name} "${text}": expected an integer from ${min} to ${max}`);
  }
  return value;
}

function sizesOf(flags: ScaleFlags): ScaleSizes & { rounds: number } {
  const base = flags.small === true ? smallSizes : fullSizes;
  return {
    ...base,
    znodes: integerFlag(flags.znodes, 'znodes', base.znodes, 1, 5_000_000),
    kibZnodes: integerFlag(flags.kibZnodes, 'kib-znodes', base.kibZnodes, 1, 1_000_000),
    sessions: integerFlag(flags.sessions, 'sessions', base.sessions, 1, 15_000),
    children: integerFlag(flags.children, 'children', base.children, 1, 1_000_000),
    herd: integerFlag(flags.herd, 'herd', base.herd, 1, 15_000),
    rounds: integerFlag(flags.rounds, 'rounds', base.rounds, 1, 10),
    seconds: integerFlag(flags.seconds, 'seconds', base.seconds, 1, 120),
    quietMs: integerFlag(flags.quietSeconds, 'quiet-seconds', base.quietMs / 1000, 0, 60) * 1000,
  };
}

function rowsOf(text: string | undefined): Set<RowName> {
  if (text === undefined) return new Set(rowNames);
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!(rowNames as readonly string[]).includes(name)) {
      throw new Error(`unknown row "${name}": expected some of ${rowNames.join(',')}`);
    }
  }
  return new Set(names as RowName[]);
}

interface Failure {
  rows: RowName[];
  system: ScaleSystem;
  round: number;
  message: string;
}

async function runAll(sizes: ScaleSizes & { rounds: number }, rows: Set<RowName>,
  systems: ScaleSystem[]): Promise<{ measured: MeasuredFigures[]; failures: Failure[] }> {
  const measured: MeasuredFigures[] = [];
  const failures: Failure[] = [];
  for (const measurement of measurements) {
    const chosen = measurement.rows.filter((row) => rows.has(row));
    if (chosen.length === 0) continue;
    for (let round = 1; round <= sizes.rounds; round++) {
      for (const system of systems) {
        progress(`${chosen.join(', ')}: round ${round}, ${system}`);
        const startedAt = performance.now();
        try {
          const figures = await measurement.run(system, sizes, rows);
          for (const row of chosen) {
            const rowFigures = figures[row];
            if (rowFigures !== undefined) {
              measured.push({ row, system, round, figures: rowFigures });
            }
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          progress(`${chosen.join(', ')}: ${system} failed: ${message}`);
          failures.push({ rows: chosen, system, round, message });
        }
        progress(`  (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
      }
    }
  }
  return { measured, failures };
}

async function main(flags: ScaleFlags): Promise<number> {
  const sizes = sizesOf(flags);
  const rows = rowsOf(flags.rows);
  const systems: ScaleSystem[] =
    flags.skipZookeeper === true ? ['corral'] : ['corral', 'zookeeper'];
  const startedAt = performance.now();
  const { measured, failures } = await runAll(sizes, rows, systems);
  const table = tableRows(measured, sizes, rows);
  const minutes = ((performance.now() - startedAt) / 60_000).toFixed(1);
  console.log(`scale benchmark: ${systems.join(' and ')}, ${sizes.rounds} round(s) each, ` +
    `alternating; medians [range]; RSS after ${sizes.quietMs / 1000} s quiet; ${minutes} min`);
  console.log(formatTable(table).join('\n'));
  for (const failure of failures) {
    console.log(`failed: ${failure.rows.join(', ')} (${failure.system}, round ` +
      `${failure.round}): ${failure.message}`);
  }
  if (flags.json !== undefined) {
    writeFileSync(flags.json, `${JSON.stringify({ sizes, systems, rows: [...rows], measured,
      failures, table }, null, 2)}\n`);
  }
  return failures.length === 0 ? 0 : 1;
}

const program = new Command()
  .name('corral-bench-scale')
  .description('issue 16\'s scale table: corral and Apache ZooKeeper 3.8 side by side')
  .option('--znodes <n>', 'znodes of 32 B (znodes, restart, follower-catchup rows)')
  .option('--kib-znodes <n>', 'znodes of 1 KiB (bytes-per-znode row)')
  .option('--sessions <n>', 'concurrent sessions (sessions row)')
  .option('--children <n>', 'children of the wide node (wide-children row)')
  .option('--herd <n>', 'sessions watching one node (herd row)')
  .option('--rounds <n>', 'measurements per system, alternating')
  .option('--seconds <s>', 'seconds per throughput measurement')
  .option('--quiet-seconds <s>', 'quiet period before reading memory')
  .option('--rows <list>', `rows to run (${rowNames.join(',')})`)
  .option('--skip-zookeeper', 'measure corral only')
  .option('--small', 'a CI-sized run: 20k znodes, 500 sessions, 5k children, 200 herd, 1 round')
  .option('--json <file>', 'also write the raw figures there')
  .showHelpAfterError()
  .action(async (flags: ScaleFlags) => {
    process.exitCode = await main(flags);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
