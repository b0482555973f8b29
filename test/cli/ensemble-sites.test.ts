// `corral ensemble --sites a,a,b`: the site.N lines it writes into every replica's zoo.cfg (the
// spares' own too, and their `reconfig -add` entries), what a replica resolves from them, the
// flag's refusals, and one real run whose replicas answer srvr with their sites.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, resolveConfig } from '../../actors/config/config.js';
import { ownSite } from '../../actors/config/sites.js';
import {
  planEnsemble,
  replicaLayouts,
  replicaZooCfg,
  type EnsembleFlags,
} from '../../cli/ensemble-layout.js';
import { reconfigGuide } from '../../cli/ensemble-reconfig.js';
import { corralMain } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { freePorts } from '../support/ports.js';

const quiet = { info: () => undefined, warn: () => undefined };
const plan = (flags: EnsembleFlags) =>
  planEnsemble({ size: '3', basePort: '2181', dataDir: './data', ...flags }, '/work');

describe('corral ensemble --sites', () => {
  it('writes site.1 … site.N beside the server lines of every replica\'s zoo.cfg', () => {
    const planned = plan({ sites: 'eu,eu,us' });
    for (const replica of replicaLayouts(planned)) {
      const zooCfg = replicaZooCfg(planned, replica);
      expect(zooCfg.split('\n').slice(-4)).toEqual(['site.1=eu', 'site.2=eu', 'site.3=us', '']);
      const config = resolveConfig({ ...parseZooCfg(zooCfg, 'zoo.cfg').config,
        myId: replica.id }, { log: quiet });
      expect(ownSite(config)).toBe(['eu', 'eu', 'us'][replica.id - 1]);
    }
  });

  it('gives a spare its own site line, and its site.N entry in the reconfig -add guide', () => {
    const planned = plan({ sites: 'eu,eu,us,ap', spares: '1', superPassword: 'secret' });
    const spare = replicaLayouts(planned)[3]!;
    const zooCfg = replicaZooCfg(planned, spare, { superDigest: 'super:x' });
    expect(zooCfg.split('\n').filter((line) => line.startsWith('site.')))
      .toEqual(['site.1=eu', 'site.2=eu', 'site.3=us', 'site.4=ap']);
    expect(reconfigGuide(planned, 'secret', [1, 2, 3]).join('\n'))
      .toMatch(/reconfig -add server\.4=127\.0\.0\.1:3184:4184:participant;[^,]+,site\.4=ap$/m);
  });

  it('without --sites writes no site lines', () => {
    const planned = plan({});
    expect(replicaZooCfg(planned, replicaLayouts(planned)[0]!)).not.toContain('site.');
  });

  it.each([
    [{ sites: 'eu,us' }, '2 sites for 3 replicas'],
    [{ sites: 'eu,eu,us' , spares: '1' }, '3 sites for 4 replicas'],
    [{ sites: 'eu,,us' }, 'invalid --sites ""'],
    [{ sites: 'eu,eu west,us' }, 'expected a site name'],
  ] as Array<[EnsembleFlags, string]>)('refuses %j, naming --sites', (flags, message) => {
    let error: unknown;
    try {
      plan(flags);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('--sites');
    expect((error as ConfigError).message).toContain(message);
  });
});

describe('corral ensemble --sites as a process', () => {
  const started: ChildProcess[] = [];
  const replicaPids: number[] = [];
  const directories: string[] = [];
  afterEach(() => {
    // A failed run leaves nothing behind: only what this test started, by PID.
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of replicaPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already stopped, as the supervisor's SIGTERM should have left it.
      }
    }
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('starts replicas whose zoo.cfg and srvr carry the sites a,a,b', async () => {
    const [basePort, quorumBase, electionBase, adminBase] = await consecutiveBases();
    const workingDirectory = mkdtempSync(join(tmpdir(), 'corral-ensemble-sites-'));
    directories.push(workingDirectory);
    const supervisor = spawn(process.execPath, [corralMain, 'ensemble', '--size', '3',
      '--base-port', String(basePort), '--quorum-base-port', String(quorumBase),
      '--election-base-port', String(electionBase), '--admin-base-port', String(adminBase),
      '--tick-time', '200', '--no-dashboard', '--sites', 'a,a,b'],
    { cwd: workingDirectory, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(supervisor);
    let output = '';
    supervisor.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    supervisor.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => supervisor.once('exit', done));
    for (let waited = 0; waited < 150 && !output.includes('serving; connect with'); waited++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    replicaPids.push(...[...output.matchAll(/started replica-\d \(pid (\d+)\)/g)]
      .map((match) => Number(match[1])));
    expect(output).toContain('serving; connect with');
    for (const [index, site] of ['a', 'a', 'b'].entries()) {
      const zooCfg = readFileSync(join(workingDirectory, 'data', `replica-${index + 1}`,
        'zoo.cfg'), 'utf8');
      expect(zooCfg).toContain('site.1=a\nsite.2=a\nsite.3=b\n');
      const srvr = await fourLetterWord(basePort + index, 'srvr');
      expect(srvr.trimEnd().split('\n').at(-1)).toBe(`Site: ${site}`);
    }
    supervisor.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  }, 30_000);
});

/**
 * Four free ranges of three ports (client, quorum, election, admin), each base's run free: the
 * test port allocator hands out free ports in order from its block, so twelve in a row usually
 * form the four runs (a port taken by someone else in between breaks a run: ask again).
 */
async function consecutiveBases(): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const ports = await freePorts(12);
    const bases = [0, 3, 6, 9].map((index) => ports[index]!);
    if (bases.every((base, index) => ports[index * 3 + 1] === base + 1 &&
      ports[index * 3 + 2] === base + 2)) {
      return bases;
    }
  }
  throw new Error('no free port ranges in 20 attempts');
}
