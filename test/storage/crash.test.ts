// Crash tests with real processes: a writer streams acknowledged writes to a real corral server,
// which is SIGKILLed at seeded random points and restarted on the same data dir; every
// acknowledged write must survive exactly, and an unanswered one must be all there or not at all.
// Then corruption of a copy of that data dir: a corrupt tail is cut off, a corrupt record the
// newest snapshot covers is not read at startup.

import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Client } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zxidKey, zxidOfKey } from '../../storage/txn-codec.js';
import { call, closeClient, connectClient } from '../interop/nzc.js';
import { freePort } from '../support/ports.js';
import { killServer, startServer, writeZooCfg, type ServerProcess } from
  './crash/server-process.js';
import { readPath, Writer, type Expected, type LaneRecord } from './crash/writer.js';
import { removeTempDirs, seededRandom, tempDir } from './fixtures.js';

const seed = Number(process.env.CRASH_SEED ?? 20_240_611);
const killPoints = Number(process.env.CRASH_KILL_POINTS ?? 5);
const lanes = 4;
/** Paths each round adds before its kill point: 5 rounds cross several snapshots of 150. */
const pathsPerRound = 70;
// Small enough that every run crosses snapshots and compaction, not only log replay.
const storageCfg = ['snapCount=150', 'txnsRetainedMin=20', 'autopurge.snapRetainCount=3'];

let root: string;
let dataDir: string;
let port: number;
let server: ServerProcess | undefined;

beforeAll(async () => {
  root = tempDir('corral-crash-');
  dataDir = join(root, 'data');
  port = await freePort();
});

afterAll(async () => {
  if (server !== undefined) await killServer(server);
  removeTempDirs();
});

/** Checks one lane against the server and settles its in-flight write to what happened. */
async function checkLane(client: Client, record: LaneRecord): Promise<void> {
  const inFlight = record.inFlight ?? new Map<string, Expected>();
  for (const [path, expected] of record.acknowledged) {
    if (inFlight.has(path)) continue;
    expect(await readPath(client, path), path).toEqual(expected);
  }
  const outcomes = await Promise.all(
    [...inFlight].map(async ([path, applied]) => {
      const actual = await readPath(client, path);
      if (actual !== undefined && actual.data === applied.data) return 'applied';
      expect(actual, `${path} is neither its acknowledged nor its in-flight state`).toEqual(
        record.acknowledged.get(path),
      );
      return 'absent';
    }),
  );
  // A multi in flight is all applied or not at all.
  expect(new Set(outcomes).size, [...inFlight.keys()].join(' ')).toBeLessThanOrEqual(1);
  if (outcomes[0] === 'applied') {
    for (const [path, applied] of inFlight) record.acknowledged.set(path, applied);
  }
  record.inFlight = undefined;
}

describe('crash recovery with real processes', () => {
  it(`keeps every acknowledged write across ${killPoints} SIGKILLs (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const config = writeZooCfg(root, dataDir, port, storageCfg);
    const writer = new Writer(random, '/w');
    const records: LaneRecord[] = [];
    let acknowledgedTotal = 0;
    server = await startServer(config, port);
    const setup = await connectClient(`127.0.0.1:${port}`);
    await call((callback) => setup.create('/w', callback));
    await closeClient(setup);
    for (let round = 0; round < killPoints; round++) {
      const client = await connectClient(`127.0.0.1:${port}`);
      const running = writer.run(client, lanes, records);
      records.splice(0, records.length, ...writer.lanes);
      // Kill once this round has added some paths (so the run crosses snapshots however slow
      // the machine is), then after a seeded random delay.
      const known = () => writer.lanes.reduce((sum, record) => sum + record.acknowledged.size, 0);
      const target = known() + pathsPerRound;
      const deadline = Date.now() + 15_000;
      while (known() < target && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 500)));
      await killServer(server);
      writer.stop();
      await running;
      client.close();
      server = await startServer(config, port);
      const checker = await connectClient(`127.0.0.1:${port}`);
      for (const record of records) await checkLane(checker, record);
      await closeClient(checker);
      acknowledgedTotal = records.reduce((sum, record) => sum + record.acknowledged.size, 0);
    }
    // The run must have written enough to cross several snapshots.
    expect(acknowledgedTotal).toBeGreaterThan(300);
    expect(readdirSync(join(dataDir, 'snapshots')).length).toBeGreaterThan(0);
  }, 120_000);

  it('expires a restored session after a crash and removes its ephemerals', async () => {
    const config = writeZooCfg(root, dataDir, port, storageCfg);
    server ??= await startServer(config, port);
    const client = await connectClient(`127.0.0.1:${port}`, { sessionTimeout: 3000 });
    await call((callback) => client.create('/eph', Buffer.from('x'), 1, callback));
    await killServer(server);
    client.close();
    server = await startServer(config, port);
    const checker = await connectClient(`127.0.0.1:${port}`);
    expect(await readPath(checker, '/eph')).toEqual({ data: 'x', version: 0 });
    const deadline = Date.now() + 15_000;
    while ((await readPath(checker, '/eph')) !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await readPath(checker, '/eph')).toBeUndefined();
    await closeClient(checker);
    await killServer(server);
    server = undefined;
  }, 30_000);
});

/** Corrupts the record at `index` (from the start; negative from the end) of a copied dir. */
async function corruptCopy(index: number): Promise<{ dir: string; zxid: number }> {
  const copy = join(tempDir('corral-corrupt-'), 'data');
  cpSync(dataDir, copy, { recursive: true });
  const env = open({ path: join(copy, 'corral.lmdb'), maxDbs: 8, noSubdir: false });
  const log = env.openDB<Buffer, Buffer>({
    name: 'log',
    keyEncoding: 'binary',
    encoding: 'binary',
  });
  const keys = [...log.getKeys({})].map((key) => zxidOfKey(key));
  const zxid = keys.at(index)!;
  const record = Buffer.from(log.getBinary(zxidKey(zxid))!);
  record[record.length >> 1]! ^= 0x5a;
  await log.put(zxidKey(zxid), record);
  await env.close();
  return { dir: copy, zxid };
}

describe('corruption of a real data dir (a copy)', () => {
  it('cuts off a corrupt last record, logs it, and serves', async () => {
    const { dir, zxid } = await corruptCopy(-1);
    const copyPort = await freePort();
    const config = writeZooCfg(join(dir, '..'), dir, copyPort, storageCfg);
    const copyServer = await startServer(config, copyPort);
    await killServer(copyServer);
    expect(copyServer.output()).toContain('truncated a corrupt txn log tail');
    expect(copyServer.output()).toContain(`0x${zxid.toString(16)}`);
  });

  it('serves past a corrupt record its newest snapshot covers (never replayed)', async () => {
    // The log's first record: the log is kept back to the oldest of the retained snapshots,
    // so the newest covers it. (A corrupt record after it refuses the start:
    // covered-corruption.test.ts.)
    const { dir, zxid } = await corruptCopy(0);
    const newest = Math.max(...readdirSync(join(dir, 'snapshots'))
      .filter((name) => /^snapshot\.[0-9a-f]{16}$/.test(name))
      .map((name) => Number.parseInt(name.slice(9), 16)));
    expect(zxid).toBeLessThanOrEqual(newest);
    const copyPort = await freePort();
    const copyServer = await startServer(writeZooCfg(join(dir, '..'), dir, copyPort,
      storageCfg), copyPort);
    await killServer(copyServer);
    expect(copyServer.output()).not.toMatch(/is corrupt|corrupt txn/);
  });
});
