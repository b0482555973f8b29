// `npm run bench:scale` end to end at CI size, against real corral and Apache ZooKeeper 3.8
// processes: the table must print every selected row with positive figures for both systems and
// a corral/ZooKeeper ratio. No figure is held to a target here (the machine is shared); that is
// the benchmark's job. npm test runs three rows at reduced sizes; CORRAL_BENCH_SCALE=1 runs the
// whole `--small` benchmark (every row, about two minutes on a loaded 2-core machine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import { zookeeperAvailable } from '../support/zookeeper.js';

const scaleMain = join(projectRoot, 'dist', 'bench', 'scale.js');
const dir = mkdtempSync(join(tmpdir(), 'corral-scale-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ScaleJson {
  rows: string[];
  measured: { row: string; system: string; figures: Record<string, number> }[];
  failures: unknown[];
  table: { label: string; ratio: number | null; zookeeper: string; corral: string }[];
}

/** Figures that are differences of two memory readings, which may come out negative. */
const differences = new Set(['rssAddedBytes', 'bytesPerSession', 'anonBytesPerZnode']);

function runScale(args: string[], timeoutMs: number): { output: string; json: ScaleJson } {
  const jsonFile = join(dir, `scale-${Date.now()}.json`);
  const run = spawnSync(process.execPath, [scaleMain, ...args, '--json', jsonFile],
    { encoding: 'utf8', timeout: timeoutMs });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  return { output, json: JSON.parse(readFileSync(jsonFile, 'utf8')) as ScaleJson };
}

function expectSaneTable(output: string, json: ScaleJson, rows: string[]): void {
  expect(json.failures).toEqual([]);
  expect(output).toMatch(/^\| +\| ZooKeeper 3\.8 +\| corral +\| ratio +\| better +\|$/m);
  for (const row of rows) {
    for (const system of ['corral', 'zookeeper']) {
      const entry = json.measured.find((item) => item.row === row && item.system === system);
      expect(entry, `${row} ${system}`).toBeDefined();
      for (const [key, value] of Object.entries(entry!.figures)) {
        expect(Number.isFinite(value), `${row} ${system} ${key}`).toBe(true);
        if (!differences.has(key)) expect(value, `${row} ${system} ${key}`).toBeGreaterThan(0);
      }
    }
  }
  expect(json.table.length).toBeGreaterThanOrEqual(rows.length);
  // The printed table: the lines after the header and its rule, one per JSON table line.
  const printed = output.split('\n').filter((text) => text.startsWith('| ')).slice(1);
  expect(printed).toHaveLength(json.table.length);
  json.table.forEach((line, index) => {
    expect(line.ratio, line.label).toBeGreaterThan(0);
    expect(printed[index]!.startsWith(`| ${line.label} `), line.label).toBe(true);
    expect(printed[index]!.split(' | ')[3]?.trim(), line.label)
      .toBe(`×${line.ratio!.toFixed(2)}`);
  });
}

describe.skipIf(!zookeeperAvailable())('bench:scale --small (corral and ZooKeeper 3.8)', () => {
  it('prints the memory, wide-children and herd rows with ratios (reduced sizes)', () => {
    const rows = ['znodes', 'wide-children', 'herd'];
    const { output, json } = runScale(['--small', '--rows', rows.join(','), '--znodes', '5000',
      '--children', '2000', '--herd', '100', '--quiet-seconds', '1'], 85_000);
    expectSaneTable(output, json, rows);
    expect(output).toMatch(/^\| RSS with 5,000 znodes of 32 B .*\(file .* anon .*\)/m);
    expect(output).toMatch(/^\| getChildren of a node with 2,000 children, p50 /m);
    expect(output).toMatch(/^\| setData that fires a 100-session watch herd: its reply /m);
    expect(output).not.toMatch(/^\| restart to serving/m);
  }, 90_000);

  it.runIf(process.env.CORRAL_BENCH_SCALE === '1')('prints every row with ratios', () => {
    const rows = ['znodes', 'bytes-per-znode', 'sessions', 'wide-children', 'herd',
      'standalone-writes', 'restart', 'follower-catchup', 'ensemble5'];
    const { output, json } = runScale(['--small'], 540_000);
    expectSaneTable(output, json, rows);
  }, 550_000);
});
