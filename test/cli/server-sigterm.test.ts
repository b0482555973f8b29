// What the README's systemd unit relies on (KillSignal=SIGTERM, Restart=on-failure): SIGTERM
// ends a real `corral server` process cleanly — exit code 0, within a bound well under the
// unit's TimeoutStopSec — while a client is writing to it; every write acknowledged before the
// signal is there after a restart on the same data dir, and the data-dir lock was released
// (another holder can take it at once, and the lock record is gone).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { lockDataDirs } from '../../storage/data-dir.js';
import { lockFileName } from '../../storage/data-dir-lock.js';
import { corralMain } from '../support/corral.js';
import { waitForServing } from '../support/four-letter.js';
import { freePort } from '../support/ports.js';

/** The unit's TimeoutStopSec is 30 s; a clean stop takes a fraction of that. */
const stopBoundMs = 5_000;
/** Acknowledged writes before the signal. */
const writesBeforeSignal = 300;

function startServer(config: string): ChildProcess {
  return spawn(process.execPath, [corralMain, 'server', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates and overwrites nodes from 4 workers until the connection fails; what each path
 * held when it was last acknowledged, and what was last sent to it (the write in flight when the
 * connection went may have been applied without its answer arriving). */
async function writeUntilCut(client: Client, acknowledged: Map<string, string>,
  sent: Map<string, string>): Promise<void> {
  const worker = async (id: number): Promise<void> => {
    for (let step = 0; step < 100_000; step++) {
      const path = `/w${id}-${Math.floor(step / 2)}`;
      const value = `${id}:${step}`;
      sent.set(path, value);
      try {
        if (step % 2 === 0) await client.create(path, value);
        else await client.setData(path, value);
      } catch {
        return;
      }
      acknowledged.set(path, value);
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
}

describe('corral server under SIGTERM (the systemd unit\'s stop)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-sigterm-'));
  const started: ChildProcess[] = [];

  afterAll(() => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 within the bound, with every acknowledged write durable and the lock released',
    async () => {
      const port = await freePort();
      const dataDir = join(dir, 'data');
      const config = join(dir, 'zoo.cfg');
      writeFileSync(config, [`dataDir=${dataDir}`, `clientPort=${port}`,
        'clientPortAddress=127.0.0.1', 'tickTime=500'].join('\n'));
      const server = startServer(config);
      started.push(server);
      let stderr = '';
      let log = '';
      server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        server.once('exit', (code, signal) => resolve([code, signal])));
      await waitForServing(port, 15_000);

      const client = await connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 4000 });
      const acknowledged = new Map<string, string>();
      const sent = new Map<string, string>();
      const load = writeUntilCut(client, acknowledged, sent);
      let acknowledgedWrites = 0;
      for (let waited = 0; waited < 200 && acknowledged.size < writesBeforeSignal / 2; waited++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      acknowledgedWrites = acknowledged.size;
      expect(acknowledgedWrites).toBeGreaterThan(0);
      const beforeSignal = new Map(acknowledged);
      const signalled = Date.now();
      server.kill('SIGTERM');
      const [code, signal] = await exited;
      const stopMs = Date.now() - signalled;
      // The log's fatal and error lines say why, should it not stop cleanly.
      const errors = log.split('\n').filter((line) => /"level":(50|60)/.test(line));
      expect({ code, signal, stderr, errors }).toEqual({ code: 0, signal: null, stderr: '',
        errors: [] });
      expect(stopMs).toBeLessThan(stopBoundMs);
      await load;
      client.close().catch(() => undefined);

      // The lock is free: taken at once by another holder, and its record removed.
      expect(existsSync(join(dataDir, lockFileName))).toBe(false);
      const locks = await lockDataDirs(dataDir, undefined);
      await Promise.all(locks.map((lock) => lock.release()));

      const restarted = startServer(config);
      started.push(restarted);
      await waitForServing(port, 15_000);
      const reader = await connect(`127.0.0.1:${port}`);
      try {
        // Every write acknowledged before the signal, and any acknowledged while stopping;
        // a node may hold the one write sent after its last acknowledged one.
        for (const [path, value] of acknowledged) {
          const { data } = await reader.getData(path);
          expect({ path, data: data?.toString() }).toEqual({
            path,
            data: data?.toString() === sent.get(path) ? sent.get(path) : value,
          });
        }
        expect(acknowledged.size).toBeGreaterThanOrEqual(beforeSignal.size);
      } finally {
        await reader.close();
        restarted.kill('SIGTERM');
      }
    }, 40_000);
});
