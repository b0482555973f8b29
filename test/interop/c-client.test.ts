// Interop with Apache ZooKeeper's own C client (libzookeeper_mt 3.8, Debian libzookeeper-mt-dev):
// c-client/probe.c is compiled here and run against a standalone corral, against Apache
// ZooKeeper 3.8 with the same settings (their outputs must be equal line for line), and against
// a follower of a 3-replica corral ensemble; and its session is carried across the death of the
// replica it is connected to.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { startTarget } from './target.js';

const source = join(dirname(fileURLToPath(import.meta.url)), 'c-client', 'probe.c');
const header = '/usr/include/zookeeper/zookeeper.h';

type Step = Record<string, unknown> & { step: string };

let buildDir: string;
let probe: string;

/** Runs the probe against one connect string; every line it prints is one step. */
function runProbe(connectString: string): Promise<Step[]> {
  return new Promise((resolve, reject) => {
    execFile(probe, [connectString], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`probe failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve(stdout.trim().split('\n').map((line) => JSON.parse(line) as Step));
    });
  });
}

/**
 * Runs `probe --failover`: once it prints `ready` (naming the server it is on), `onReady` gets
 * that server's port and does its worst; then the probe is told to go on. Resolves to all steps.
 */
function runFailoverProbe(connectString: string, onReady: (port: number) => Promise<void>) {
  return new Promise<Step[]>((resolve, reject) => {
    const child = spawn(probe, ['--failover', connectString], { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let out = '';
    let err = '';
    let readied = false;
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /"step":"ready","server":"[^"]*:(\d+)"/.exec(out);
      if (ready === null || readied) return;
      readied = true;
      onReady(Number(ready[1])).then(() => child.stdin.end('go\n'), (error: unknown) => {
        child.kill('SIGKILL');
        reject(error);
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`failover probe exited ${code}\n${out}\n${err}`));
      else resolve(out.trim().split('\n').map((line) => JSON.parse(line) as Step));
    });
  });
}

function step(steps: Step[], name: string): Step {
  const found = steps.find((entry) => entry.step === name);
  if (found === undefined) throw new Error(`no step ${name} in ${JSON.stringify(steps)}`);
  return found;
}

// CI installs the header and library (.ci/run); a machine without them skips, saying why.
describe.skipIf(!existsSync(header))('the C client (libzookeeper_mt 3.8)', () => {
  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), 'corral-c-client-'));
    probe = join(buildDir, 'probe');
    // THREADED selects the library's synchronous API, as applications linking _mt do.
    execFileSync('gcc', ['-DTHREADED', '-O1', '-Wall', '-Werror', '-o', probe, source,
      '-lzookeeper_mt', '-lpthread']);
  });

  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  let corralSteps: Step[] = [];

  it('works against a standalone corral: nodes, watches, multi, ACLs, sessions, 1 MB values',
    async () => {
      // The same settings as startZooKeeper's: extended types (TTL nodes) on.
      const server = await startCorral({ zooCfg: ['tickTime=2000', 'extendedTypesEnabled=true'] });
      try {
        corralSteps = await runProbe(`127.0.0.1:${server.port}`);
      } finally {
        await server.stop();
      }
      const steps = corralSteps;
      expect(step(steps, 'connect'))
        .toEqual({ step: 'connect', state: 'connected', timeout: 10000 });
      expect(step(steps, 'create exists').rc).toBe(-110); // ZNODEEXISTS
      expect(steps.filter((entry) => entry.step === 'create2 sequential')
        .map((entry) => entry.path)).toEqual(['/cc/seq-0000000000', '/cc/seq-0000000001']);
      expect(step(steps, 'create ephemeral sequential').path).toBe('/cc/eph-0000000002');
      expect(step(steps, 'set bad version').rc).toBe(-103); // ZBADVERSION
      expect(step(steps, 'created event')).toMatchObject({ event: 'created', path: '/cc/w' });
      expect(step(steps, 'changed event')).toMatchObject({ event: 'changed', path: '/cc/w' });
      expect(step(steps, 'child event')).toMatchObject({ event: 'child', path: '/cc' });
      expect(step(steps, 'deleted event')).toMatchObject({ event: 'deleted', path: '/cc/w' });
      expect(step(steps, 'delete not empty').rc).toBe(-111); // ZNOTEMPTY
      expect(step(steps, 'remove watches').rc).toBe(0);
      expect(step(steps, 'remove watches again').rc).toBe(-121); // ZNOWATCHER
      expect(step(steps, 'multi failed check')).toMatchObject({ rc: -103, results: [-103, -2] });
      expect(step(steps, 'multi rolled back').rc).toBe(-101);
      expect(step(steps, 'get_acl')).toMatchObject({ scheme: 'digest', perms: 31 });
      expect(step(steps, 'get without auth').rc).toBe(-102); // ZNOAUTH
      expect(step(steps, 'ephemeral child').rc).toBe(-108); // ZNOCHILDRENFOREPHEMERALS
      expect(step(steps, 'ephemeral after close').rc).toBe(-101);
      expect(step(steps, 'resume closed session').state).toBe('expired');
      expect(step(steps, 'wrong password').state).toBe('expired');
      expect(step(steps, 'first session still works').rc).toBe(0);
      expect(step(steps, 'add_auth unknown scheme'))
        .toMatchObject({ completion: -115, state: 'auth_failed' });
      expect(step(steps, 'sync')).toMatchObject({ rc: 0, path: '/cc' });
      expect(step(steps, 'create ttl').rc).toBe(0);
      expect(step(steps, 'create ttl zero').rc).toBe(-8); // ZBADARGUMENTS
      expect(step(steps, 'get 1 MB')).toMatchObject({ rc: 0, length: 1_000_000 });
      expect(step(steps, 'close').rc).toBe(0);
    });

  it.skipIf(!zookeeperAvailable())('answers it exactly as Apache ZooKeeper 3.8 does', async () => {
    const server = await startZooKeeper({ tickTimeMs: 2000 });
    let zookeeperSteps: Step[];
    try {
      zookeeperSteps = await runProbe(`127.0.0.1:${server.port}`);
    } finally {
      await server.stop();
    }
    expect(corralSteps.length).toBeGreaterThan(0);
    expect(corralSteps).toEqual(zookeeperSteps);
  });

  it('works against a follower of a 3-replica ensemble, as against one server', async () => {
    const target = await startTarget({
      topology: 'ensemble', tickTimeMs: 2000, zooCfg: ['extendedTypesEnabled=true'],
    });
    let steps: Step[];
    try {
      steps = await runProbe(target.connectString);
    } finally {
      await target.stop();
    }
    expect(corralSteps.length).toBeGreaterThan(0);
    expect(steps).toEqual(corralSteps);
  });

  it('keeps its session, ephemeral and watch when the replica it is on is killed', async () => {
    // tickTime 1000: sessions may ask for up to 20 s, so the probe's 10 s is granted.
    const ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs: 1000 });
    try {
      ensemble.startAll();
      await ensemble.waitForLeader();
      let killed = 0;
      const steps = await runFailoverProbe(ensemble.connectString(), async (port) => {
        killed = ensemble.ids.find((id) => ensemble.clientPort(id) === port) ?? 0;
        await ensemble.kill(killed);
      });
      expect(killed).toBeGreaterThan(0);
      expect(step(steps, 'reconnected')).toMatchObject({ connected: true, sameSession: true });
      expect(step(steps, 'ephemeral survived')).toMatchObject({ rc: 0, ephemeral: true });
      expect(step(steps, 'set watched').rc).toBe(0);
      expect(step(steps, 'watch survived')).toMatchObject({ event: 'changed', path: '/fo' });
      expect(step(steps, 'close').rc).toBe(0);
    } finally {
      await ensemble.destroy();
    }
  });
});
