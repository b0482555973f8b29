// One server per data dir, with real server processes and a real LMDB: a second server on the
// same data dir (or on a dataLogDir another holds) refuses to start and names the holder's PID
// and host, whether the holder answers or is paused; a holder killed with SIGKILL leaves no
// stale lock, so a restart serves at once with the data it had.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import {
  DataDirLock,
  DataDirLockedError,
  lockDataDirs,
} from '../../storage/data-dir.js';
import { RawClient } from '../server/raw-client.js';
import { corralMain } from '../support/corral.js';
import { waitForServing } from '../support/four-letter.js';
import { freePort } from '../support/ports.js';

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-lock-'));
  dirs.push(dir);
  return dir;
}

async function startServer(dataDir: string, extra: string[] = []): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [
    corralMain, 'server', '--client-port', String(port), '--client-port-address', '127.0.0.1',
    '--data-dir', dataDir, ...extra,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, port, output: () => output, exited };
}

async function serving(server: Started): Promise<void> {
  try {
    await waitForServing(server.port, 15_000);
  } catch (error) {
    throw new Error(`${String(error)}\n${server.output().slice(-2000)}`);
  }
}

async function createNode(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    const reply = await client.call(1, {
      kind: 'create', opcode: OpCode.create, path, data: Buffer.from('kept'),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0, ttl: -1,
    });
    return reply.header.err;
  } finally {
    client.destroy();
  }
}

async function exists(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    return (await client.call(1, { kind: 'exists', path, watch: false })).header.err;
  } finally {
    client.destroy();
  }
}

describe('data dir lock (real processes)', { timeout: 60_000 }, () => {
  it('refuses a second server on a data dir in use, naming the holder', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await startServer(dataDir);
    await serving(first);
    const second = await startServer(dataDir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `${dataDir} is in use by process ${first.child.pid} on ${hostname()}`,
    );
    // The holder was not disturbed.
    expect(await createNode(first.port, '/still-serving')).toBe(0);
  });

  it('names a paused holder from its lock record', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await startServer(dataDir);
    await serving(first);
    first.child.kill('SIGSTOP');
    const second = await startServer(dataDir);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`in use by process ${first.child.pid} on ${hostname()}`);
    first.child.kill('SIGCONT');
  });

  it('refuses a dataLogDir another server holds as its data dir', async () => {
    const root = tempDir();
    const first = await startServer(join(root, 'shared'));
    await serving(first);
    const config = join(root, 'zoo.cfg');
    const port = await freePort();
    writeFileSync(config, [
      `dataDir=${join(root, 'own')}`, `dataLogDir=${join(root, 'shared')}`,
      `clientPort=${port}`, 'clientPortAddress=127.0.0.1',
    ].join('\n'));
    const child = spawn(process.execPath, [corralMain, 'server', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(output).toContain(`in use by process ${first.child.pid}`);
  });

  it('restarts at once on a data dir whose server was killed with SIGKILL', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await startServer(dataDir);
    await serving(first);
    expect(await createNode(first.port, '/before-kill')).toBe(0);
    first.child.kill('SIGKILL');
    await first.exited;
    const startedAt = Date.now();
    const second = await startServer(dataDir);
    await serving(second);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(await exists(second.port, '/before-kill')).toBe(0);
    // The record beside the lock now names the new holder.
    const record = JSON.parse(readFileSync(join(dataDir, 'corral.lock'), 'utf8'));
    expect(record).toMatchObject({ pid: second.child.pid, host: hostname() });
  });
});

describe('data dir lock (in process)', () => {
  it('is exclusive per directory, seen through a symlink too, and free once released', async () => {
    const root = tempDir();
    const dataDir = join(root, 'data');
    const lock = await DataDirLock.acquire(dataDir);
    symlinkSync(dataDir, join(root, 'link'));
    const refused = await DataDirLock.acquire(join(root, 'link')).catch((error) => error);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder).toMatchObject({ pid: process.pid });
    await lock.release();
    const again = await DataDirLock.acquire(join(root, 'link'));
    await again.release();
  });

  it('takes one lock when dataLogDir is the data dir, two when it is another', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'data'));
    symlinkSync(join(root, 'data'), join(root, 'same'));
    const one = await lockDataDirs(join(root, 'data'), join(root, 'same'));
    expect(one).toHaveLength(1);
    for (const lock of one) await lock.release();
    const two = await lockDataDirs(join(root, 'data'), join(root, 'log'));
    expect(two.map((lock) => lock.directory)).toEqual([join(root, 'data'), join(root, 'log')]);
    for (const lock of two) await lock.release();
  });
});
