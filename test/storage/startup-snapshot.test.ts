// The snapshot a server takes as it starts (ZooKeeperServer.loadData), and the compression its
// snapshots are written with, through the real server process: writes logged beyond the last
// snapshot are covered by a new snapshot file once the restarted server serves.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Stat } from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { call, closeClient, connectClient } from '../interop/nzc.js';
import { freePort } from '../support/ports.js';
import { killServer, spawnServer, startServer, writeZooCfg, type ServerProcess } from
  './crash/server-process.js';
import { removeTempDirs, tempDir } from './fixtures.js';

let running: ServerProcess | undefined;

afterEach(async () => {
  if (running !== undefined) await killServer(running);
  running = undefined;
  removeTempDirs();
});

function snapshotFiles(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'snapshots')).filter((name) => !name.endsWith('.tmp')).sort();
}

/** The snapshot files once `count` are there: the one taken at startup is written while the
 * server already serves. */
async function snapshotFilesOnceThere(dataDir: string, count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const files = snapshotFiles(dataDir);
    if (files.length >= count) return files;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return snapshotFiles(dataDir);
}

/** Creates `count` nodes; returns the zxid of the last. */
async function writeNodes(port: number, count: number, prefix = 'node'): Promise<number> {
  const client: Client = await connectClient(`127.0.0.1:${port}`);
  try {
    for (let index = 0; index < count; index++) {
      const path = `/${prefix}-${index}`;
      await call((done) => client.create(path, Buffer.from(`value ${index}`), done));
    }
    const stat =
      await call<Stat>((done) => client.exists(`/${prefix}-${count - 1}`, undefined, done));
    return Number(BigInt(`0x${stat.czxid.toString('hex')}`));
  } finally {
    await closeClient(client);
  }
}

describe('a snapshot as the server starts', () => {
  it.each([
    ['none', ''],
    ['gz', '.gz'],
    ['snappy', '.snappy'],
  ])('covers the log replayed at startup (compression %s)', async (method, suffix) => {
    const dir = tempDir('corral-startup-');
    const dataDir = join(dir, 'data');
    const port = await freePort();
    const config = writeZooCfg(dir, dataDir, port, [
      'snapCount=100000', `snapshot.compression.method=${method}`]);
    running = await startServer(config, port);
    // A fresh data dir: nothing to cover yet.
    expect(snapshotFiles(dataDir)).toEqual([]);
    const lastZxid = await writeNodes(port, 30);
    await killServer(running);
    expect(snapshotFiles(dataDir)).toEqual([]);
    running = await startServer(config, port);
    const files = await snapshotFilesOnceThere(dataDir, 1);
    expect(files).toHaveLength(1);
    const [name] = files;
    expect(name).toMatch(new RegExp(`^snapshot\\.[0-9a-f]{16}${suffix.replace('.', '\\.')}$`));
    // The close of the writer's session is logged after its last create.
    expect(Number.parseInt(name!.slice(9, 25), 16)).toBeGreaterThanOrEqual(lastZxid);
    // Started again with nothing new: no second snapshot of the same state.
    await killServer(running);
    running = await startServer(config, port);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(snapshotFiles(dataDir)).toEqual(files);
  }, 60_000);

  it('reads snapshots written with another compression than the one set now', async () => {
    const dir = tempDir('corral-startup-');
    const dataDir = join(dir, 'data');
    const port = await freePort();
    const withMethod = (method: string): string =>
      writeZooCfg(dir, dataDir, port, [`snapshot.compression.method=${method}`]);
    running = await startServer(withMethod('gz'), port);
    await writeNodes(port, 10);
    await killServer(running);
    running = await startServer(withMethod('gz'), port);
    await snapshotFilesOnceThere(dataDir, 1);
    await killServer(running);
    expect(snapshotFiles(dataDir).map((name) => name.slice(25))).toEqual(['.gz']);
    // Set to snappy now: the gzip snapshot is read, and the log after it replayed.
    running = await startServer(withMethod('snappy'), port);
    await writeNodes(port, 1, 'later');
    await killServer(running);
    running = await startServer(withMethod(''), port);
    await snapshotFilesOnceThere(dataDir, 2);
    expect(snapshotFiles(dataDir).map((name) => name.slice(25))).toEqual(['.gz', '']);
    const client = await connectClient(`127.0.0.1:${port}`);
    const children = await call<string[]>((done) => client.getChildren('/', undefined, done));
    await closeClient(client);
    expect(children.filter((name) => /^(node|later)-/.test(name))).toHaveLength(11);
  }, 60_000);

  it('an unknown snapshot.compression.method stops startup, naming the key', async () => {
    const dir = tempDir('corral-startup-');
    const port = await freePort();
    const server = spawnServer(writeZooCfg(dir, join(dir, 'data'), port,
      ['snapshot.compression.method=lz4']));
    const code = await server.exited;
    expect(code).not.toBe(0);
    expect(server.output()).toContain('snapshot.compression.method');
  }, 30_000);
});
