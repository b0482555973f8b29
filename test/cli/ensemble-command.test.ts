// `corral ensemble`: its plan (ports, roles, directories) and flag errors, the zoo.cfg it writes,
// the restart schedule, and one real run on loopback: three supervised replicas that start, and
// all stop when the supervisor gets SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../actors/config/config.js';
import { modeOfSrvr } from '../../cli/ensemble-command.js';
import {
  connectString,
  planEnsemble,
  replicaLayouts,
  replicaZooCfg,
  type EnsembleFlags,
} from '../../cli/ensemble-layout.js';
import { decideRestart, restartBackoffMs, restartPolicy } from '../../cli/restart-policy.js';
import { dashboardPort } from '../../cli/ensemble-dashboard.js';
import { corralMain } from '../../cli/package-root.js';
import { freeBasePort } from './ensemble-process.js';

const plan = (flags: EnsembleFlags) =>
  planEnsemble({ size: '3', basePort: '2181', dataDir: './data', ...flags }, '/work');

describe('ensemble plan', () => {
  it.each([
    [{}, [2181, 3181, 4181], ['participant', 'participant', 'participant']],
    [{ size: '5', observers: '2' }, [2181, 3181, 4181], ['participant', 'participant',
      'participant', 'observer', 'observer']],
    [{ quorumBasePort: '7000', electionBasePort: '8000' }, [2181, 7000, 8000],
      ['participant', 'participant', 'participant']],
    [{ size: '1' }, [2181, 3181, 4181], ['participant']],
  ])('lays out %j as client/quorum/election bases %j and roles %j', (flags, bases, roles) => {
    const replicas = replicaLayouts(plan(flags));
    expect([replicas[0]?.clientPort, replicas[0]?.quorumPort, replicas[0]?.electionPort])
      .toEqual(bases);
    expect(replicas.map((replica) => replica.peerType)).toEqual(roles);
    expect(replicas.map((replica) => replica.clientPort - replica.id + 1))
      .toEqual(replicas.map(() => bases[0]));
  });

  it('puts replica i in <data dir>/replica-i, resolved from the working directory', () => {
    const [first] = replicaLayouts(plan({}));
    expect(first).toMatchObject({ name: 'replica-1', dataDir: '/work/data/replica-1',
      configPath: '/work/data/replica-1/zoo.cfg' });
    expect(replicaLayouts(plan({ dataDir: '/srv/zk' }))[2]?.dataDir).toBe('/srv/zk/replica-3');
  });

  it.each([
    [{ size: '0' }, '--size', 'invalid --size "0": expected a positive integer'],
    [{ size: '256' }, '--size', 'invalid --size "256": at most 255 replicas'],
    [{ basePort: '0' }, '--base-port', 'invalid --base-port "0": expected a port number'],
    [{ basePort: '65534' }, '--base-port', 'client ports 65534-65536 (--base-port) pass 65535'],
    [{ basePort: '64535' }, '--base-port', 'quorum ports 65535-65537 (--base-port + 1000, as ' +
      '--quorum-base-port is not given) pass 65535'],
    [{ quorumBasePort: '70000' }, '--quorum-base-port', 'invalid --quorum-base-port "70000"'],
    [{ electionBasePort: '65534' }, '--election-base-port', 'election ports 65534-65536'],
    [{ quorumBasePort: '2183' }, '--quorum-base-port', 'quorum ports 2183-2185 ' +
      '(--quorum-base-port) overlap the client ports 2181-2183'],
    [{ electionBasePort: '3180' }, '--election-base-port', 'overlap the quorum ports 3181-3183'],
    [{ adminBasePort: '2182' }, '--admin-base-port', 'admin ports 2182-2184 ' +
      '(--admin-base-port) overlap the client ports 2181-2183'],
    [{ basePort: '62535' }, '--base-port', 'admin ports 65535-65537 (--base-port + 3000, as ' +
      '--admin-base-port is not given) pass 65535'],
    [{ observers: '3' }, '--observers', 'invalid --observers "3": must be fewer than --size (3)'],
    [{ observers: '-1' }, '--observers', 'expected a non-negative integer'],
    [{ size: '2', observers: '1' }, '--observers', 'observers need at least 2 participants'],
    [{ tickTime: '0' }, '--tick-time', 'invalid --tick-time "0": expected a positive integer'],
    [{ dataDir: '' }, '--data-dir', 'invalid --data-dir "": expected a non-empty value'],
    [{ clientPortAddress: '' }, '--client-port-address', 'invalid --client-port-address ""'],
  ] as Array<[EnsembleFlags, string, string]>)('refuses %j naming %s', (flags, key, message) => {
    let error: unknown;
    try {
      plan(flags);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([(error as ConfigError).key, (error as ConfigError).message])
      .toEqual([key, expect.stringContaining(message)]);
  });

  it.each([
    [{}, '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183'],
    [{ clientPortAddress: '0.0.0.0', size: '1' }, '127.0.0.1:2181'],
    [{ clientPortAddress: '::1', size: '2' }, '[::1]:2181,[::1]:2182'],
  ])('connects to %j with %s', (flags, expected) => {
    expect(connectString(plan(flags))).toBe(expected);
  });
});

describe('ensemble dashboard flags', () => {
  it.each([
    [{}, 8090],
    [{ dashboardPort: '9000' }, 9000],
    [{ dashboardPort: '0' }, 0],
    [{ dashboard: false, dashboardPort: '9000' }, undefined],
  ])('serves the dashboard for %j on %s', (flags, port) => {
    expect(dashboardPort(flags)).toBe(port);
  });

  it.each(['70000', 'x', ''])('refuses --dashboard-port %j naming the flag', (value) => {
    expect(() => dashboardPort({ dashboardPort: value })).toThrow(ConfigError);
    expect(() => dashboardPort({ dashboardPort: value })).toThrow(/--dashboard-port/);
  });
});

describe('replica zoo.cfg', () => {
  it('writes ZooKeeper keys, every server line, and peerType for an observer', () => {
    const observed = plan({ size: '3', observers: '1', tickTime: '500' });
    const third = replicaLayouts(observed)[2];
    if (third === undefined) throw new Error('no replica 3');
    expect(replicaZooCfg(observed, third)).toBe([
      '# Written by corral ensemble for replica-3 of 3; rewritten on every start.',
      'tickTime=500', 'initLimit=10', 'syncLimit=5', 'dataDir=/work/data/replica-3',
      'clientPort=2183', 'clientPortAddress=127.0.0.1', '4lw.commands.whitelist=*',
      'admin.enableServer=true', 'admin.serverAddress=127.0.0.1', 'admin.serverPort=5183',
      'peerType=observer',
      'server.1=127.0.0.1:3181:4181', 'server.2=127.0.0.1:3182:4182',
      'server.3=127.0.0.1:3183:4183:observer', '',
    ].join('\n'));
  });

  it('doubles backslashes in the data dir, as java.util.Properties expects', () => {
    const single = plan({ size: '1' });
    const [first] = replicaLayouts(single);
    if (first === undefined) throw new Error('no replica 1');
    expect(replicaZooCfg(single, { ...first, dataDir: 'C:\\zk\\replica-1' }))
      .toContain('dataDir=C:\\\\zk\\\\replica-1\n');
  });
});

describe('restart schedule', () => {
  it.each([
    [1, 500], [2, 1000], [3, 2000], [4, 4000], [5, 8000], [6, 10_000], [7, 10_000], [50, 10_000],
  ])('waits before restart %d in a row %d ms', (failuresInRow, delayMs) => {
    expect(restartBackoffMs(failuresInRow)).toBe(delayMs);
  });

  it.each([
    ['a first quick exit', 0, 1_000, 500],
    ['a third quick exit', 2, 1_000, 2000],
    ['an exit after staying up 30 s', 4, 30_000, 500],
    ['an exit just before 30 s', 4, 29_999, 8000],
  ])('restarts after %s', (_case, failuresInRow, uptimeMs, delayMs) => {
    const decision = decideRestart({ failuresInRow, restartsAtMs: [] },
      { exitAtMs: 1_000_000, uptimeMs });
    expect(decision).toMatchObject({ action: 'restart', delayMs });
  });

  it('gives up after 10 restarts within 5 minutes, not when the older ones are past it', () => {
    const exitAtMs = 10_000_000;
    const recent = Array.from({ length: 10 }, (_, index) => exitAtMs - 1000 * (index + 1));
    expect(decideRestart({ failuresInRow: 10, restartsAtMs: recent }, { exitAtMs, uptimeMs: 0 })
      .action).toBe('giveUp');
    const old = recent.map((atMs) => atMs - restartPolicy.restartWindowMs);
    const decision = decideRestart({ failuresInRow: 10, restartsAtMs: old },
      { exitAtMs, uptimeMs: 0 });
    expect(decision.action).toBe('restart');
    expect(decision.history.restartsAtMs).toEqual([exitAtMs + 10_000]);
  });
});

describe('helpers', () => {
  it.each([
    ['Zookeeper version: 3.8\nMode: follower\nNode count: 5\n', 'follower'],
    ['Mode: standalone\n', 'standalone'],
    ['ruok', undefined],
  ])('reads the Mode of %j as %s', (answer, mode) => {
    expect(modeOfSrvr(answer)).toBe(mode);
  });

  it('runs dist/cli/main.js, from dist and from source alike', () => {
    const root = resolve(import.meta.dirname, '../..');
    expect(corralMain()).toBe(join(root, 'dist/cli/main.js'));
  });
});

describe('corral ensemble as a process', () => {
  const root = resolve(import.meta.dirname, '../..');
  const started: ChildProcess[] = [];
  const replicaPids: number[] = [];
  const directories: string[] = [];
  afterEach(() => {
    // A failed run must leave nothing behind: only the processes this test started, by PID.
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of replicaPids.filter(isAlive)) process.kill(pid, 'SIGKILL');
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('starts 3 supervised replicas and stops them all on SIGTERM (exit 0)', async () => {
    expect(existsSync(join(root, 'dist/cli/main.js')), 'run npm run build first').toBe(true);
    const basePort = await freeBasePort(3);
    const workingDirectory = mkdtempSync(join(tmpdir(), 'corral-ensemble-'));
    directories.push(workingDirectory);
    const supervisor = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'ensemble',
      '--size', '3', '--base-port', String(basePort), '--dashboard-port', '0'],
    { cwd: workingDirectory,
      stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(supervisor);
    let output = '';
    supervisor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    supervisor.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => supervisor.once('exit', done));

    await until(() => /started replica-3 \(pid \d+\)/.test(output), 10_000, () => output);
    const childPids = [...output.matchAll(/started replica-\d \(pid (\d+)\)/g)]
      .map((match) => Number(match[1]));
    replicaPids.push(...childPids);
    expect(childPids).toHaveLength(3);
    for (const id of [1, 2, 3]) {
      const dataDir = join(workingDirectory, 'data', `replica-${id}`);
      expect(readFileSync(join(dataDir, 'myid'), 'utf8')).toBe(`${id}\n`);
      const zooCfg = readFileSync(join(dataDir, 'zoo.cfg'), 'utf8');
      for (const line of [`dataDir=${dataDir}`, `clientPort=${basePort + id - 1}`,
        'clientPortAddress=127.0.0.1', 'tickTime=2000', 'initLimit=10', 'syncLimit=5',
        '4lw.commands.whitelist=*', 'admin.enableServer=true', 'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${basePort + 3000 + id - 1}`,
        ...[0, 1, 2].map((j) => `server.${j + 1}=127.0.0.1:${basePort + 1000 + j}:` +
          `${basePort + 2000 + j}`)]) {
        expect(zooCfg.split('\n')).toContain(line);
      }
    }
    for (const offset of [0, 1, 2]) {
      await until(() => accepts(basePort + offset), 20_000, () => output);
    }
    // The dashboard's URL beside the connect string, serving the replicas' admin servers.
    await until(() => /serving; connect with: .*; dashboard: http:\/\/127\.0\.0\.1:\d+\//
      .test(output), 20_000, () => output);
    const dashboardUrl = /dashboard: (http:\S+)/.exec(output)![1]!;
    const info = await (await fetch(`${dashboardUrl}api/info`)).json() as { servers: string[] };
    expect(info.servers).toEqual([0, 1, 2].map((j) => `127.0.0.1:${basePort + 3000 + j}`));

    supervisor.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout')]);
    expect(code, output).toBe(0);
    expect(childPids.filter(isAlive), output).toEqual([]);
  }, 40_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `check` every 200 ms until it holds, failing after `timeoutMs`. */
async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  report: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out; output:\n${report()}`);
    await sleep(200);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

