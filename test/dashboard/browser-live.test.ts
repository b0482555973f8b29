// The dashboard in a real headless Chromium over a real ensemble: `corral ensemble` (3 replica
// processes with admin servers) and `corral dashboard --servers …` as processes. The page shows
// one leader and two followers within 10 s; a session a client process opens appears in its
// replica's sessions panel, and shows as ended once the client is SIGKILLed and its session
// expires; SIGKILL of the leader's process shows the replica down, an election, and a new
// leader, then the replica back (the ensemble restarts it) as a follower. No request leaves
// 127.0.0.1. Screenshots go to test-artifacts/dashboard/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  corralRoot,
  EnsembleProcess,
  freeBasePort,
  isAlive,
  until,
} from '../cli/ensemble-process.js';
import {
  chromiumMissing,
  DashboardBrowser,
  DashboardProcess,
  skipNote,
} from './browser-harness.js';

/** A short tick so an election and a session's expiry take a second or two. */
const tickTimeMs = 300;
const sessionTimeoutMs = 2 * tickTimeMs * 3;

/** A client in its own process (so it can be SIGKILLed): node-zookeeper-client, one session. */
function startClient(connectString: string): { child: ChildProcess; session: Promise<string> } {
  const script = `
    const zookeeper = require('node-zookeeper-client');
    const client = zookeeper.createClient(${JSON.stringify(connectString)},
      { sessionTimeout: ${sessionTimeoutMs}, retries: 0 });
    client.once('connected', () => {
      process.stdout.write('session ' + client.getSessionId().toString('hex') + '\\n');
    });
    client.connect();`;
  const child = spawn(process.execPath, ['-e', script], { cwd: corralRoot,
    stdio: ['ignore', 'pipe', 'pipe'] });
  const session = new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const hex = /session ([0-9a-f]{16})/.exec(output)?.[1];
      // The page labels a session as the stream does: its id in hex, without leading zeros.
      if (hex !== undefined) resolve(`0x${BigInt(`0x${hex}`).toString(16)}`);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', () => reject(new Error(`client exited: ${output}`)));
  });
  return { child, session };
}

/** Roles the replica cards show now, by replica id. */
async function roles(browser: DashboardBrowser): Promise<Record<string, string>> {
  return browser.page.$$eval('[data-replica][data-role]', (cards) =>
    Object.fromEntries(cards.map((card) =>
      [card.getAttribute('data-replica') ?? '', card.getAttribute('data-role') ?? ''])));
}

describe.skipIf(chromiumMissing !== undefined)(
  `dashboard in Chromium: a live ensemble${skipNote}`, () => {
  let directory: string;
  let ensemble: EnsembleProcess;
  let dashboard: DashboardProcess;
  let browser: DashboardBrowser;
  let basePort: number;
  const clients: ChildProcess[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'corral-dashboard-live-'));
    basePort = await freeBasePort(3);
    ensemble = EnsembleProcess.start(['--size', '3', '--base-port', String(basePort),
      '--tick-time', String(tickTimeMs), '--no-dashboard', '--log-level', 'warn'], directory);
    const admins = [0, 1, 2].map((index) => `127.0.0.1:${basePort + 3000 + index}`);
    dashboard = DashboardProcess.start(['--servers', admins.join(','), '--port', '0']);
    browser = await DashboardBrowser.launch();
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) if (isAlive(client.pid!)) client.kill('SIGKILL');
    await browser?.close();
    expect(await dashboard?.stop()).toBe(0);
    const code = await ensemble?.interrupt(20_000);
    if (code !== 0) ensemble?.killAll();
    rmSync(directory, { recursive: true, force: true });
  }, 40_000);

  it('shows one leader and two followers within 10 s, then a session, its expiry, and a ' +
    'new leader after SIGKILL of the leader', async () => {
    // The 10 s count from when the ensemble says it serves.
    await ensemble.waitForLine(/serving; connect with/, 20_000);
    await browser.open(await dashboard.url());
    let seenRoles = {};
    const settled = async (): Promise<boolean> => {
      seenRoles = await roles(browser);
      return Object.values(seenRoles).sort().join(',') === 'follower,follower,leader';
    };
    await until(settled, 10_000, () => `roles ${JSON.stringify(seenRoles)}, page errors ` +
      `${JSON.stringify(browser.pageErrors)}\n` +
      `${dashboard.report()}\n${ensemble.report()}`);
    const leader = await browser.page.getAttribute('[data-leader]', 'data-leader');
    expect(Object.entries(await roles(browser)).find(([, role]) => role === 'leader')?.[0])
      .toBe(leader);
    await browser.screenshot('01-ensemble-leader-and-followers');

    // A session on a follower: it appears in that replica's sessions panel.
    const follower = Object.entries(await roles(browser)).find(([, role]) =>
      role === 'follower')![0];
    const client = startClient(`127.0.0.1:${basePort + Number(follower) - 1}`);
    clients.push(client.child);
    const label = await client.session;
    const session = `[data-sessions="${follower}"] [data-session="${label}"]`;
    await browser.page.waitForSelector(session, { timeout: 10_000 });
    expect(await browser.page.getAttribute(session, 'data-state')).not.toBe('ended');
    await browser.screenshot('02-session-open');

    // The client dies without closing: its session expires and the page shows it ended.
    client.child.kill('SIGKILL');
    await browser.page.waitForSelector(`${session}[data-state="ended"]`, { timeout: 15_000 });
    await browser.screenshot('03-session-expired');

    // SIGKILL of the leader's process: it shows down, an election, and a new leader.
    await watchElection(browser);
    const votesBefore = await countVotes(browser);
    const pid = pidOf(ensemble, leader!);
    process.kill(pid, 'SIGKILL');
    await browser.page.waitForSelector(`[data-replica="${leader}"][data-role="down"]`,
      { timeout: 10_000 });
    await browser.screenshot('04-leader-killed');
    await until(async () => {
      const now = await browser.page.getAttribute('[data-leader]', 'data-leader');
      return now !== null && now !== '' && now !== leader;
    }, 15_000, () => `no new leader\n${dashboard.report()}`);
    // The election shows as its votes under the replicas that took part, and its machine's
    // events; the in-progress mark may last too short a time to be drawn, so it is only noted.
    const votesAfter = await countVotes(browser);
    const electionRows = await browser.page.$$('[data-event-row][data-machine="election"]');
    expect(votesAfter, JSON.stringify({ votesBefore, votesAfter })).toBeGreaterThan(votesBefore);
    expect(electionRows.length).toBeGreaterThan(0);
    const inProgressSeen = await browser.page.evaluate('window.electionSeen');
    process.stdout.write(`election in progress drawn: ${String(inProgressSeen)}\n`);
    await browser.screenshot('05-new-leader');

    // The ensemble restarts the killed replica; the dashboard reconnects and it follows.
    await browser.page.waitForSelector(`[data-replica="${leader}"][data-role="follower"]`,
      { timeout: 20_000 });
    await browser.screenshot('06-old-leader-back-as-follower');
    expect(browser.foreignRequests).toEqual([]);
  }, 60_000);
});

/** Votes the page lists under every replica's election. */
async function countVotes(browser: DashboardBrowser): Promise<number> {
  return (await browser.page.$$('[data-votes] [data-vote]')).length;
}

/** The PID of replica `id`'s current process, from the ensemble's latest "started" line. */
function pidOf(ensemble: EnsembleProcess, id: string): number {
  const pattern = new RegExp(`started replica-${id} \\(pid (\\d+)\\)`);
  const line = ensemble.lines.filter((each) => pattern.test(each)).at(-1);
  if (line === undefined) throw new Error(`no pid for replica ${id}:\n${ensemble.report()}`);
  return Number(pattern.exec(line)![1]);
}

/** Records in the page whether the election indicator ever turns on (it may not stay on long
 * enough for a poll to see it). */
async function watchElection(browser: DashboardBrowser): Promise<void> {
  // A string: the tests compile without the DOM's types; this runs in the page.
  await browser.page.evaluate(`(() => {
    window.electionSeen = false;
    const check = () => {
      const indicator = document.querySelector('[data-election-in-progress]');
      if (indicator?.getAttribute('data-election-in-progress') === 'true') {
        window.electionSeen = true;
      }
    };
    new MutationObserver(check).observe(document.body,
      { subtree: true, childList: true, attributes: true });
    check();
  })()`);
}
