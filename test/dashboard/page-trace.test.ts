// The page itself in a real headless Chromium, over a real simulator trace (`corral sim --seed 11
// --trace-out`, with a violation mark added after its middle line so the jump has somewhere to
// go) served by `corral dashboard --trace`: the page's cards and lit states agree with the
// model replaying the same lines in node; the violation jump, steps, scrubber, event filters, a
// session's chart and playback work. No request leaves 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeStateIds } from '../../dashboard/model/chart.js';
import { DashboardModel, loadTrace } from '../../dashboard/model/dashboard-model.js';
import { summarize } from '../../dashboard/model/ensemble.js';
import { corralMainJs, corralRoot, until } from '../cli/ensemble-process.js';
import {
  chromiumMissing,
  DashboardBrowser,
  DashboardProcess,
  skipNote,
} from './browser-harness.js';

const run = promisify(execFile);
const violationText = 'test mark: the page must be able to jump here';

function stepOf(text: string | null): { index: number; total: number } {
  const match = /(\d+)\s*\/\s*(\d+)/.exec(text ?? '');
  if (match === null) throw new Error(`not a step: ${JSON.stringify(text)}`);
  return { index: Number(match[1]), total: Number(match[2]) };
}

describe.skipIf(chromiumMissing !== undefined)(`dashboard page over a trace${skipNote}`, () => {
  let directory: string;
  let text: string;
  let dashboard: DashboardProcess;
  let browser: DashboardBrowser;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'corral-dashboard-page-'));
    const trace = join(directory, 'seed-11.jsonl');
    await run(process.execPath, [corralMainJs, 'sim', '--seed', '11', '--trace-out', trace],
      { cwd: corralRoot, timeout: 60_000 });
    const lines = readFileSync(trace, 'utf8').split('\n').filter((line) => line !== '');
    const middle = Math.floor(lines.length / 2);
    const time = (JSON.parse(lines[middle]!) as { time?: number }).time ?? 0;
    lines.splice(middle + 1, 0, JSON.stringify({
      kind: 'mark', seq: 0, time, mark: 'violation', text: violationText,
    }));
    text = `${lines.join('\n')}\n`;
    writeFileSync(trace, text);
    dashboard = DashboardProcess.start(['--trace', trace, '--port', '0']);
    browser = await DashboardBrowser.launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await dashboard?.stop()).toBe(0);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  }, 20_000);

  it('shows what the model replays, and its controls move through the trace', async () => {
    const model = new DashboardModel({ mode: 'trace', servers: [], historyLimit: 5_000 });
    loadTrace(model, text);
    const page = browser.page;
    await browser.open(await dashboard.url());
    const step = async () => stepOf(await page.textContent('[data-trace-step]'));
    // The page is ready once it has its info; the trace's lines may still be arriving.
    const deadline = Date.now() + 10_000;
    while ((await step()).total < model.history.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await step()).toEqual({ index: 0, total: model.history.size });
    expect(await page.$$eval('[data-chart][data-machine="replica"]', (charts) => charts.length))
      .toBe(3);

    // The violation: its step, its text, and the cards as the model has them there.
    await page.click('[data-action="jump-violation"]');
    const violation = model.violation()!;
    await until(async () => (await step()).index === violation.entry.n + 1, 5_000,
      () => 'not at the violation');
    expect(await page.textContent('[data-violation]')).toContain(violationText);
    const expected = summarize(model, model.history.worldAt(violation.entry.n), false);
    const roles = await page.$$eval('[data-replica][data-role]', (cards) =>
      cards.map((card) => [card.getAttribute('data-replica'), card.getAttribute('data-role')]));
    expect(Object.fromEntries(roles)).toEqual(Object.fromEntries(
      expected.replicas.map((replica) => [replica.id, replica.role])));
    expect(await page.getAttribute('[data-leader]', 'data-leader')).toBe(expected.leader);
    await browser.screenshot('20-page-trace-violation');

    await page.click('[data-action="step-forward"]');
    await until(async () => (await step()).index === violation.entry.n + 2, 5_000,
      () => 'step forward did not move');
    await page.click('[data-action="step-back"]');
    await page.click('[data-action="step-back"]');
    await until(async () => (await step()).index === violation.entry.n, 5_000,
      () => 'step back did not move');

    // The scrubber: each replica's lit states are those of its machine at that step.
    const scrubTo = Math.floor(model.history.size / 3);
    await page.$eval('[data-timeline]', (input, value) => {
      (input as unknown as { value: string }).value = String(value);
      input.dispatchEvent(new Event('input'));
    }, scrubTo);
    await until(async () => (await step()).index === scrubTo, 5_000, () => 'scrubber');
    expect(await page.textContent('[data-timeline-position]'))
      .toMatch(new RegExp(`^${scrubTo} / ${model.history.size}$`));
    const then = summarize(model, model.history.worldAt(scrubTo - 1), false);
    let compared = 0;
    for (const replica of then.replicas) {
      // A replica the simulator has crashed at this step has no replica machine to light.
      const actor = replica.replicaActor;
      const selector = `[data-chart="${replica.id}:${actor?.id ?? ''}"]`;
      const lit = await page.$$eval(`${selector} [data-state-node][data-active="true"]`,
        (nodes) => nodes.map((node) => node.getAttribute('data-state-node')).sort());
      expect(lit).toEqual(actor === undefined ? [] : [...activeStateIds('replica', actor.state)]
        .sort());
      if (actor !== undefined) compared++;
    }
    expect(compared).toBeGreaterThan(0);

    // Filters: by replica, then by event type.
    await page.selectOption('[data-filter="replica"]', '2');
    await page.fill('[data-filter="event"]', 'peer.notification');
    await until(async () => {
      const rows = await page.$$eval('[data-event-row]', (each) => each.map((row) =>
        [row.getAttribute('data-replica'), row.getAttribute('data-event-type')]));
      return rows.length > 0 &&
        rows.every(([replica, type]) => replica === '2' && type === 'peer.notification');
    }, 5_000, () => 'filtered rows');
    await page.selectOption('[data-filter="replica"]', '');
    await page.fill('[data-filter="event"]', '');

    // At the end, a session opens its chart.
    await page.click('[data-action="jump-end"]');
    await until(async () => (await step()).index === model.history.size, 5_000, () => 'end');
    await page.click('[data-sessions="1"] [data-session]');
    await page.waitForSelector('[data-chart][data-machine="session"]', { timeout: 5_000 });
    await browser.screenshot('21-page-trace-session');

    // Playback from the start moves on by itself until paused.
    await page.click('[data-action="jump-start"]');
    await page.click('[data-action="play"]');
    await until(async () => (await step()).index >= 5, 5_000, () => 'play');
    await page.click('[data-action="pause"]');
    // The step's text follows the position at the page's redraw rate: let it catch up first.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const paused = (await step()).index;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await step()).index).toBe(paused);
    expect(browser.foreignRequests).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  }, 40_000);
});
