// `corral status` against a real 3-replica ensemble: the table (roles, epochs and zxids as each
// replica's own `srvr` reports them, lag, the leader's election time), the same through the admin
// servers, `--watch` redrawing until SIGINT, and the health-check exit code turning non-zero once
// two of the three replicas are killed by PID. Plus the quorum rule and durations as tables.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, quorumServes } from '../../cli/status-command.js';
import type { ReplicaFigures } from '../../cli/status-figures.js';
import { corralMain } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';

const run = promisify(execFile);

async function status(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [corralMain, 'status', ...args],
      { timeout: 20_000 });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

/** The table's rows as cells, by server address. */
function rows(stdout: string): Map<string, string[]> {
  const lines = stdout.split('\n').filter((line) => /^127\.0\.0\.1:\d+ /.test(line));
  return new Map(lines.map((line) => {
    const cells = line.split(/ {2,}/);
    return [cells[0]!, cells];
  }));
}

const replica = (role: string, extra: Partial<ReplicaFigures> = {}): ReplicaFigures =>
  ({ address: 'a', role, ...extra });

describe('status: whether a quorum serves', () => {
  it.each([
    ['a standalone server', [replica('standalone')], true],
    ['leader and two followers', [replica('leader'), replica('follower'), replica('follower')],
      true],
    ['leader, one follower, one down', [replica('leader'), replica('follower'), replica('down')],
      true],
    ['a leader alone of three', [replica('leader'), replica('down'), replica('down')], false],
    ['no leader', [replica('follower'), replica('not serving'), replica('down')], false],
    ['the leader counts 1 synced of 5 voters', [replica('leader',
      { quorumSize: 5, syncedFollowers: 1 }), replica('follower'), replica('follower')], false],
    ['the leader counts 2 synced of 5 voters', [replica('leader',
      { quorumSize: 5, syncedFollowers: 2 }), replica('down')], true],
  ])('%s: %s', (_, replicas, serves) => {
    expect(quorumServes(replicas)).toBe(serves);
  });

  it.each([[0, '0s'], [999, '0s'], [65_000, '1m5s'], [3_600_000, '1h0m0s'],
    [93_784_000, '1d2h3m']])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('corral status against a real ensemble (R=3)', () => {
  let ensemble: TestEnsemble;
  let leader: number;

  beforeAll(async () => {
    ensemble = await TestEnsemble.create({ voters: 3, adminServers: true });
    ensemble.startAll();
    leader = await ensemble.waitForLeader();
  }, 30_000);

  afterAll(async () => {
    await ensemble?.destroy();
  });

  it('prints every replica\'s role, epoch, zxid and lag, and exits 0 while a quorum serves',
    async () => {
      const zxid = await ensemble.waitForSameZxid();
      const result = await status([ensemble.connectString()]);
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')[0]!.split(/ {2,}/)).toEqual(['SERVER', 'ROLE', 'EPOCH',
        'ZXID', 'LAG', 'CONNS', 'OUTSTANDING', 'AVG MS', 'UPTIME', 'ELECTION ENDED']);
      expect(result.stdout).toContain('quorum: serving');
      const table = rows(result.stdout);
      expect(table.size).toBe(3);
      for (const id of ensemble.ids) {
        const cells = table.get(`127.0.0.1:${ensemble.clientPort(id)}`)!;
        expect(cells[1]).toBe(id === leader ? 'leader' : 'follower');
        expect(cells[2]).toBe(String(Math.floor(zxid / 2 ** 32)));
        expect(cells[3]).toBe(`0x${zxid.toString(16)}`);
        expect(cells[4]).toBe('0');
        expect(cells[8]).toMatch(/^\d+[dhms]/);
        if (id === leader) expect(cells[9]).toMatch(/^\d{4}-\d\d-\d\dT.*Z \(\d+[dhms].* ago\)$/);
      }
      const admins = ensemble.ids.map((id) => `127.0.0.1:${ensemble.adminPort(id)}`).join(',');
      const viaAdmin = await status(['--admin', admins]);
      expect(viaAdmin.code).toBe(0);
      const adminTable = rows(viaAdmin.stdout);
      expect(adminTable.get(`127.0.0.1:${ensemble.adminPort(leader)}`)![1]).toBe('leader');
      expect([...adminTable.values()].map((cells) => cells[3])).toEqual(
        [1, 2, 3].map(() => `0x${zxid.toString(16)}`));
    }, 30_000);

  it('--watch redraws the table until SIGINT', async () => {
    const child = spawn(process.execPath, [corralMain, 'status', ensemble.connectString(),
      '--watch', '--interval', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let waited = 0; waited < 100 && output.split('quorum: serving').length < 3; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output.split('quorum: serving').length).toBeGreaterThanOrEqual(3);
    const signalled = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(3000);
  }, 30_000);

  it('exits non-zero once two of the three replicas are killed', async () => {
    const victims = ensemble.ids.filter((id) => id !== leader).slice(0, 1).concat(leader);
    for (const id of victims) process.kill(ensemble.pid(id)!, 'SIGKILL');
    let result = await status([ensemble.connectString(), '--timeout', '1000']);
    for (let attempt = 0; attempt < 20 && result.code === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      result = await status([ensemble.connectString(), '--timeout', '1000']);
    }
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('quorum: NOT serving');
    const table = rows(result.stdout);
    for (const id of victims) {
      expect(table.get(`127.0.0.1:${ensemble.clientPort(id)}`)![1]).toBe('down');
    }
  }, 30_000);
});
