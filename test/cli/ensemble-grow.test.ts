// Issue 13 item 6, as an operator runs it: `corral ensemble --size 3 --spares 2` serving, a client
// writing the whole time, `reconfig -add` of both spares as the super user (the exact line the
// banner prints) → /zookeeper/config lists five on every replica → `reconfig -remove 4,5` →
// three everywhere; every acknowledged write reads back and the writer's longest pause is short.
// Then Ctrl-C and a second start on the same data dir: three voters and all the data.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import {
  configuredIds,
  corralMainJs,
  EnsembleProcess,
  freeBasePort,
  isAlive,
  onSession,
  until,
} from './ensemble-process.js';

const password = 'boss';
const bannerPattern = /serving; connect with: zkCli\.sh -server (\S+)/;
/** Bounds on the writer, so a hung ensemble fails the test instead of running on. */
const writesMax = 100_000;
const writeTimeoutMs = 10_000;
/** The longest a client may wait between acknowledged writes while the membership changes. */
const writeGapMsMax = 5_000;

/** Sequential creates, one at a time, recording each acknowledged path and the longest gap. */
class Writer {
  readonly acknowledged: string[] = [];
  longestGapMs = 0;
  failures = 0;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly client: Client) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let lastAckMs = performance.now();
    for (let write = 0; write < writesMax && !this.stopped; write += 1) {
      try {
        const { path } = await this.client.create('/grow/w-', `write ${write}`,
          { mode: 'persistentSequential', timeoutMs: writeTimeoutMs });
        const nowMs = performance.now();
        this.longestGapMs = Math.max(this.longestGapMs, nowMs - lastAckMs);
        lastAckMs = nowMs;
        this.acknowledged.push(path);
      } catch {
        // A write cut off mid-flight may or may not have happened; only acknowledged ones count.
        this.failures += 1;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Every child of /grow, after a sync, through a new session on `connectString`. */
async function writtenChildren(connectString: string): Promise<Set<string>> {
  const reader = await connect(connectString, { connectTimeoutMs: 20_000 });
  try {
    await reader.sync('/grow');
    return new Set((await reader.getChildren('/grow')).map((name) => `/grow/${name}`));
  } finally {
    await reader.close();
  }
}

/** Sends one reconfig as the super user through the replica at `port`. */
async function reconfigure(
  port: number,
  change: { joiningServers?: string; leavingServers?: string },
): Promise<void> {
  await onSession(port, async (request) => {
    await request({ kind: 'auth', authType: 0, scheme: 'digest',
      auth: Buffer.from(`super:${password}`) });
    await request({ kind: 'reconfig', joiningServers: change.joiningServers ?? null,
      leavingServers: change.leavingServers ?? null, newMembers: null, currentConfigId: -1n });
  });
}

/** Waits until /zookeeper/config on every one of `ports` names exactly `ids`. */
async function waitForConfig(ports: number[], ids: number[], report: () => string) {
  let seen: number[][] = [];
  await until(async () => {
    seen = await Promise.all(ports.map((port) => configuredIds(port).catch(() => [])));
    return seen.every((each) => each.join(',') === ids.join(','));
  }, 20_000, () => `config seen ${JSON.stringify(seen)}\n${report()}`);
}

describe('corral ensemble grows 3 → 5 and shrinks back while a client writes', () => {
  const ensembles: EnsembleProcess[] = [];
  const clients: Client[] = [];
  const directories: string[] = [];
  afterEach(async () => {
    // A failed run must leave nothing behind: only processes this test started, by PID.
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    for (const ensemble of ensembles.splice(0)) ensemble.killAll();
    for (const directory of directories.splice(0)) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('adds both spares, removes them, keeps every acknowledged write, and restarts with 3 ' +
    '(R=3, spares 2, tick 200 ms)', async () => {
    expect(existsSync(corralMainJs), 'run npm run build first').toBe(true);
    const basePort = await freeBasePort(5);
    const ports = [0, 1, 2, 3, 4].map((index) => basePort + index);
    const directory = mkdtempSync(join(tmpdir(), 'corral-ensemble-grow-'));
    directories.push(directory);
    const args = ['--size', '3', '--spares', '2', '--base-port', String(basePort),
      '--data-dir', join(directory, 'data'), '--tick-time', '200', '--super-password', password];

    const first = EnsembleProcess.start(args, directory);
    ensembles.push(first);
    const banner = await first.waitForLine(bannerPattern, 30_000);
    const connectString = bannerPattern.exec(banner)?.[1] ?? '';
    expect(connectString).toBe(ports.slice(0, 3).map((port) => `127.0.0.1:${port}`).join(','));
    const addLine = await first.waitForLine(/^ {2}reconfig -add /, 1_000);
    const joiningServers = addLine.trim().slice('reconfig -add '.length);
    expect(await first.waitForLine(/^ {2}reconfig -remove /, 1_000)).toBe('  reconfig -remove 4,5');
    expect(await first.waitForLine(/^ {2}addauth /, 1_000))
      .toBe(`  addauth digest super:${password}`);
    // A spare's own /zookeeper/config names the members and itself until it is added.
    await waitForConfig(ports.slice(0, 3), [1, 2, 3], () => first.report());

    const client = await connect(connectString, { connectTimeoutMs: 20_000 });
    clients.push(client);
    await client.create('/grow');
    const writer = new Writer(client);
    await until(() => writer.acknowledged.length >= 20, 10_000, () => first.report());

    await reconfigure(ports[0]!, { joiningServers });
    await waitForConfig(ports, [1, 2, 3, 4, 5], () => first.report());
    const writtenWithFive = writer.acknowledged.length;
    await until(() => writer.acknowledged.length >= writtenWithFive + 20, 10_000,
      () => first.report());

    await reconfigure(ports[1]!, { leavingServers: '4,5' });
    await waitForConfig(ports, [1, 2, 3], () => first.report());
    const writtenWithThree = writer.acknowledged.length;
    await until(() => writer.acknowledged.length >= writtenWithThree + 20, 10_000,
      () => first.report());
    await writer.stop();
    console.log(`corral ensemble grow/shrink: ${writer.acknowledged.length} writes acknowledged, ` +
      `${writer.failures} failed, longest gap between acknowledgements ` +
      `${Math.round(writer.longestGapMs)} ms`);

    const children = await writtenChildren(connectString);
    expect(writer.acknowledged.filter((path) => !children.has(path))).toEqual([]);
    expect(writer.longestGapMs).toBeLessThan(writeGapMsMax);
    await clients.splice(0)[0]?.close();

    const replicaPids = first.replicaPids();
    expect(await first.interrupt(20_000), first.report()).toBe(0);
    expect(replicaPids.filter(isAlive)).toEqual([]);

    const second = EnsembleProcess.start(args, directory);
    ensembles.push(second);
    await second.waitForLine(bannerPattern, 30_000);
    expect(second.lines.filter((line) => /keeping|left out/.test(line))).toEqual([
      expect.stringMatching(
        /^\[ensemble\] keeping the zoo\.cfg of replica-1, replica-2, replica-3: .*servers 1,2,3 /),
      expect.stringMatching(/^\[ensemble\] replica-4, replica-5 left out of that membership/),
    ]);
    await waitForConfig(ports, [1, 2, 3], () => second.report());
    const firstZooCfg = readFileSync(join(directory, 'data', 'replica-1', 'zoo.cfg'), 'utf8');
    expect(firstZooCfg).toMatch(/^dynamicConfigFile=.*zoo\.cfg\.dynamic\.[0-9a-f]+$/m);
    expect(firstZooCfg).not.toMatch(/^server\./m);
    const afterRestart = await writtenChildren(connectString);
    expect(writer.acknowledged.filter((path) => !afterRestart.has(path))).toEqual([]);
    expect(await second.interrupt(20_000), second.report()).toBe(0);
  }, 90_000);
});
