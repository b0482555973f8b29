// A corrupt log record that the newest snapshot covers, in a real LMDB data dir with one byte
// flipped: a server starts without reading it (recovery replays only what follows the
// snapshot), while a corrupt record after the snapshot still refuses the start. When a learner's
// DIFF would include the covered record, the leader sends a SNAP instead and says why.

import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { zxidKey, zxidOfKey } from '../../storage/txn-codec.js';
import { freePort } from '../support/ports.js';
import { TestEnsemble } from '../support/ensemble.js';
import { killServer, spawnServer, startServer, writeZooCfg, type ServerProcess } from
  './crash/server-process.js';
import { removeTempDirs, tempDir } from './fixtures.js';

// Snapshots every 40 txns; the log keeps every record, so the snapshots cover most of it.
const storageCfg = ['snapCount=40', 'txnsRetainedMin=100000', 'autopurge.snapRetainCount=3'];

let running: ServerProcess | undefined;
let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  if (running !== undefined) await killServer(running);
  running = undefined;
  await ensemble?.destroy();
  ensemble = undefined;
  removeTempDirs();
});

async function createAll(connectString: string, paths: string[]): Promise<void> {
  const client = await connect(connectString, { sessionTimeoutMs: 4000 });
  try {
    for (const path of paths) await client.create(path, `data of ${path}`);
  } finally {
    await client.close();
  }
}

async function dataOf(connectString: string, paths: string[]): Promise<string[]> {
  const client = await connect(connectString, { sessionTimeoutMs: 4000 });
  try {
    const values: string[] = [];
    for (const path of paths) values.push(String((await client.getData(path)).data));
    return values;
  } finally {
    await client.close();
  }
}

/** The zxid of the newest snapshot file in a (stopped) data dir. */
function newestSnapshotZxid(dataDir: string): number {
  const zxids = readdirSync(join(dataDir, 'snapshots'))
    .filter((name) => /^snapshot\.[0-9a-f]{16}$/.test(name))
    .map((name) => Number.parseInt(name.slice(9), 16));
  return Math.max(0, ...zxids);
}

/** The zxids a stopped data dir's log holds, and a way to flip one byte of one record. */
async function logOf(dataDir: string): Promise<{ zxids: number[]; flip(zxid: number):
  Promise<void> }> {
  const env = open({ path: join(dataDir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const log = env.openDB<Buffer, Buffer>({ name: 'log', keyEncoding: 'binary',
    encoding: 'binary' });
  const zxids = [...log.getKeys({})].map((key) => zxidOfKey(key));
  await env.close();
  return {
    zxids,
    async flip(zxid) {
      const writable = open({ path: join(dataDir, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
      const table = writable.openDB<Buffer, Buffer>({ name: 'log', keyEncoding: 'binary',
        encoding: 'binary' });
      const record = Buffer.from(table.getBinary(zxidKey(zxid))!);
      record[record.length >> 1]! ^= 0x5a;
      await table.put(zxidKey(zxid), record);
      await writable.close();
    },
  };
}

const paths = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `/${prefix}-${index}`);

describe('a corrupt record the newest snapshot covers (real data dir)', { timeout: 60_000 }, () => {
  it('a standalone server starts past it, and still refuses one after the snapshot', async () => {
    const dir = tempDir('corral-covered-');
    const dataDir = join(dir, 'data');
    const port = await freePort();
    const config = writeZooCfg(dir, dataDir, port, storageCfg);
    running = await startServer(config, port);
    const created = paths('n', 100);
    await createAll(`127.0.0.1:${port}`, created);
    await killServer(running);
    running = undefined;
    const snapshotZxid = newestSnapshotZxid(dataDir);
    const log = await logOf(dataDir);
    const covered = log.zxids.filter((zxid) => zxid <= snapshotZxid);
    const after = log.zxids.filter((zxid) => zxid > snapshotZxid);
    expect(covered.length).toBeGreaterThan(40);
    // Some records follow the snapshot, the last of them not the only one (not a torn tail).
    expect(after.length).toBeGreaterThan(2);

    // A copy with a record after the snapshot flipped: recovery replays it, so it refuses.
    const copy = join(tempDir('corral-covered-copy-'), 'data');
    cpSync(dataDir, copy, { recursive: true });
    await (await logOf(copy)).flip(after[0]!);
    const refused = spawnServer(writeZooCfg(join(copy, '..'), copy, await freePort(), storageCfg));
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(`zxid 0x${after[0]!.toString(16)} is corrupt`);

    await log.flip(covered[covered.length >> 1]!);
    running = await startServer(config, port);
    expect(await dataOf(`127.0.0.1:${port}`, created)).toEqual(
      created.map((path) => `data of ${path}`));
    expect(running.output()).not.toMatch(/is corrupt|corrupt txn/);
  });

  it('a leader sends SNAP, not a DIFF holding the corrupt record, and says so', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: storageCfg });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const others = ensemble.ids.filter((id) => id !== follower);
    await createAll(ensemble.connectString([leader]), ['/seen']);
    await ensemble.waitForSameZxid();
    await ensemble.kill(follower);
    const missed = paths('missed', 100);
    await createAll(ensemble.connectString([leader]), missed);
    await ensemble.waitForSameZxid(others);
    for (const id of others) await ensemble.kill(id);
    // The first record the follower lacks, in both logs (either may lead next), where each
    // one's newest snapshot covers it: both start, and the DIFF from the follower's zxid would
    // include it.
    const followerLast = Math.max(...(await logOf(dataDirOf(ensemble, follower))).zxids);
    for (const id of others) {
      const log = await logOf(dataDirOf(ensemble, id));
      const first = log.zxids.find((zxid) => zxid > followerLast)!;
      expect(first).toBeLessThanOrEqual(newestSnapshotZxid(dataDirOf(ensemble, id)));
      await log.flip(first);
    }
    for (const id of others) ensemble.start(id);
    const newLeader = await ensemble.waitForLeader(others);
    ensemble.start(follower);
    await ensemble.waitForSameZxid(ensemble.ids, 30_000);
    expect(await dataOf(ensemble.connectString([follower]), missed)).toEqual(
      missed.map((path) => `data of ${path}`));
    const output = ensemble.output(newLeader);
    expect(output)
      .toMatch(/is corrupt \(checksum mismatch\): sending the learner a SNAP instead of DIFF/);
    const modes = output.split('\n')
      .filter((line) => line.includes('"msg":"synchronizing learner"'))
      .map((line) => JSON.parse(line) as { learner: number; mode: string })
      .filter((entry) => entry.learner === follower)
      .map((entry) => entry.mode);
    expect(modes.at(-1)).toBe('snap');
  });
});

function dataDirOf(target: TestEnsemble, id: number): string {
  return join(target.dir, `replica-${id}`);
}
