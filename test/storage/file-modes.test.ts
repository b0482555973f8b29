// What a real server process creates under its data dir is its owner's alone: every directory
// 0700 and every file 0600 (the LMDB environment, snapshots, the lock record, the audit log),
// whatever the umask lets through.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import { RawClient } from '../server/raw-client.js';
import { corralMain } from '../support/corral.js';
import { waitForServing } from '../support/four-letter.js';
import { freePort } from '../support/ports.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Every path under `root` (itself included) with its permission bits. The server runs meanwhile:
 * a file listed and then gone before it is looked at (a snapshot's `.tmp`, renamed once written)
 * is left out.
 */
function modesUnder(root: string): Array<{ path: string; kind: 'dir' | 'file'; mode: number }> {
  const stats = statSync(root, { throwIfNoEntry: false });
  if (stats === undefined) return [];
  const entry = {
    path: root,
    kind: stats.isDirectory() ? ('dir' as const) : ('file' as const),
    mode: stats.mode & 0o777,
  };
  if (entry.kind === 'file') return [entry];
  return [entry, ...readdirSync(root).flatMap((name) => modesUnder(join(root, name)))];
}

describe('data dir file modes (real process)', { timeout: 60_000 }, () => {
  it('creates directories 0700 and files 0600 with a permissive umask', async () => {
    const root = mkdtempSync(join(tmpdir(), 'corral-modes-'));
    dirs.push(root);
    const dataDir = join(root, 'nested', 'data');
    const port = await freePort();
    const config = join(root, 'zoo.cfg');
    writeFileSync(config, [
      `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1',
      'audit.enable=true', 'snapCount=10',
    ].join('\n'));
    // A umask of 0 would let 0777/0666 through: only the modes corral asks for keep files private.
    const child = spawn('/bin/sh', ['-c', `umask 000; exec "$0" "$@"`, process.execPath,
      corralMain, 'server', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitForServing(port, 15_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output.slice(-2000)}`);
      });
      const client = await RawClient.session(port);
      for (let index = 0; index < 30; index++) {
        await client.call(index + 1, {
          kind: 'create', opcode: OpCode.create, path: `/n${index}`, data: Buffer.from('v'),
          acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0, ttl: -1,
        });
      }
      client.destroy();
      // snapCount=10: snapshots are written while the server runs; give them a moment.
      const deadline = Date.now() + 10_000;
      while (readdirSync(join(dataDir, 'snapshots')).length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const entries = modesUnder(join(root, 'nested'));
      const names = entries.map((entry) => entry.path.slice(dataDir.length));
      expect(names).toEqual(expect.arrayContaining([
        '/corral.lmdb/data.mdb', '/corral.lmdb/lock.mdb', '/corral.lock', '/audit.log',
      ]));
      expect(readdirSync(join(dataDir, 'snapshots')).length).toBeGreaterThan(0);
      for (const entry of entries) {
        expect({ path: entry.path, mode: entry.mode.toString(8) }).toEqual({
          path: entry.path,
          mode: entry.kind === 'dir' ? '700' : '600',
        });
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
