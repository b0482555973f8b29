// Simulator traces replayed in a real headless Chromium: `corral sim --seed N --trace-out FILE`
// writes one, `corral dashboard --trace FILE` serves it, and the page steps through it to its last
// step and back to its first; a failing seed's trace (a broken variant) jumps to its violation.
// No request leaves 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corralMainJs, corralRoot, until } from '../cli/ensemble-process.js';
import {
  chromiumMissing,
  DashboardBrowser,
  DashboardProcess,
  skipNote,
} from './browser-harness.js';

const run = promisify(execFile);
const seed = 11;
/** A seed the electionIgnoresZxid variant fails on (a durability violation). */
const failingSeed = 9;

/** "i / n" as the page writes a step. */
function stepOf(text: string | null): { index: number; total: number } {
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text ?? '');
  if (match === null) throw new Error(`not a step: ${JSON.stringify(text)}`);
  return { index: Number(match[1]), total: Number(match[2]) };
}

describe.skipIf(chromiumMissing !== undefined)(
  `dashboard in Chromium: a simulator trace${skipNote}`, () => {
  let directory: string;
  let trace: string;
  let dashboard: DashboardProcess;
  let browser: DashboardBrowser;
  let violating: DashboardProcess | undefined;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'corral-dashboard-trace-'));
    trace = join(directory, `seed-${seed}.jsonl`);
    await run(process.execPath, [corralMainJs, 'sim', '--seed', String(seed),
      '--trace-out', trace], { cwd: corralRoot, timeout: 60_000 });
    dashboard = DashboardProcess.start(['--trace', trace, '--port', '0']);
    browser = await DashboardBrowser.launch();
  }, 60_000);

  afterAll(async () => {
    await violating?.stop();
    await browser?.close();
    expect(await dashboard?.stop()).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  }, 20_000);

  it('replays the trace to its last step and back to its first', async () => {
    const lines = readFileSync(trace, 'utf8').split('\n').filter((line) => line !== '');
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'trace', seed });
    const url = await dashboard.url();
    const info = await (await fetch(`${url}api/info`)).json() as Record<string, unknown>;
    expect(info).toMatchObject({ mode: 'trace', trace: `seed-${seed}.jsonl` });
    await browser.open(url);
    const step = async () => stepOf(await browser.page.textContent('[data-trace-step]'));
    // The page is ready with its info; the trace's lines may still be arriving.
    let first = { index: 0, total: 0 };
    await until(async () => (first = await step()).total > 1, 10_000,
      () => `no steps: ${JSON.stringify(first)}`);
    await browser.page.waitForSelector('[data-chart][data-machine="replica"]');
    await browser.screenshot('10-trace-start');

    await browser.page.click('[data-action="jump-end"]');
    await until(async () => (await step()).index === first.total, 5_000, () => 'not at end');
    await browser.screenshot('11-trace-last-step');

    await browser.page.click('[data-action="step-back"]');
    await until(async () => (await step()).index === first.total - 1, 5_000,
      () => 'step back did not move');
    await browser.page.click('[data-action="step-forward"]');
    await until(async () => (await step()).index === first.total, 5_000,
      () => 'step forward did not move');

    await browser.page.click('[data-action="jump-start"]');
    await until(async () => (await step()).index <= 1, 5_000, () => 'not back at start');
    await browser.screenshot('12-trace-back-to-start');
    expect(browser.foreignRequests).toEqual([]);
  }, 30_000);

  it('jumps to the violation that ended a failing seed', async () => {
    const failing = join(directory, `seed-${failingSeed}-violation.jsonl`);
    const exit = await run(process.execPath, [corralMainJs, 'sim', '--seed',
      String(failingSeed), '--variant', 'electionIgnoresZxid', '--trace-out', failing],
    { cwd: corralRoot, timeout: 60_000 }).then(() => 0, (error: { code: number }) => error.code);
    expect(exit).toBe(1);
    const violation = readFileSync(failing, 'utf8').split('\n').filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { kind: string; mark?: string; text?: string })
      .find((line) => line.kind === 'mark' && line.mark === 'violation');
    expect(violation?.text).toBeDefined();
    violating = DashboardProcess.start(['--trace', failing, '--port', '0']);
    await browser.open(await violating.url());
    const step = async () => stepOf(await browser.page.textContent('[data-trace-step]'));
    await until(async () => (await step()).total > 1, 10_000, () => 'no steps');
    await browser.page.click('[data-action="jump-violation"]');
    let at = { index: 0, total: 0 };
    await until(async () => (at = await step()).index > 1, 5_000,
      () => `did not move: ${JSON.stringify(at)}`);
    expect(await browser.page.textContent('[data-violation]')).toContain(violation!.text!);
    await browser.screenshot('13-trace-violation');
    expect(browser.foreignRequests).toEqual([]);
  }, 30_000);
});
