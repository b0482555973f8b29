// From Apache ZooKeeper 3.8 to corral and back, with real parts: kazoo writes a tree into a
// standalone ZooKeeper (snapshots every few txns, snappy-compressed, so the import reads a
// fuzzy snapshot and the log after it) while one session holds ephemerals; ZooKeeper is stopped
// by SIGTERM with that session alive; `corral import-zookeeper` makes a data dir that a corral
// server serves identically (data, every stat field, ACLs), where the session resumes with its
// id and password; `corral export-zookeeper` writes it back and ZooKeeper serves it again.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { TestEnsemble } from '../support/ensemble.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { corralMain, startCorral, type CorralServer } from '../support/corral.js';
import {
  classPath,
  startZooKeeper,
  zookeeperAvailable,
  type ZooKeeperServer,
} from '../support/zookeeper.js';

const python = '/usr/bin/python3';
const scripts = join(dirname(fileURLToPath(import.meta.url)), 'kazoo-import');

type Tree = Record<string, { data: string | null; stat: Record<string, number>;
  ephemeralOwner: string; acl: unknown[] }>;

function run(command: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, out, err) => {
      if (error) reject(new Error(`${args[0]} failed: ${error.message}\n${out}\n${err}`));
      else resolve(out);
    });
  });
}

async function dump(port: number): Promise<Tree> {
  return JSON.parse(await run(python, [join(scripts, 'dump.py'), `127.0.0.1:${port}`])) as Tree;
}

async function resume(port: number, session: { sessionId: string; password: string }):
Promise<{ resumed: boolean; members: string[]; lockOwner: string }> {
  const out = await run(python, [join(scripts, 'resume.py'), `127.0.0.1:${port}`,
    session.sessionId, session.password]);
  return JSON.parse(out.trim().split('\n').at(-1)!) as never;
}

/** Starts write.py and resolves with the held session once the tree is written. */
function writeTree(port: number, holder: { process?: ChildProcess }):
Promise<{ sessionId: string; password: string }> {
  const child = spawn(python, [join(scripts, 'write.py'), `127.0.0.1:${port}`],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  holder.process = child;
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`write.py timed out\n${err}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(JSON.parse(out.split('\n')[0]!) as { sessionId: string; password: string });
    });
    child.once('exit', (code) => reject(new Error(`write.py exited ${code}\n${err}`)));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(!zookeeperAvailable())('ZooKeeper 3.8 data dir → corral → ZooKeeper', () => {
  const work = mkdtempSync(join(tmpdir(), 'corral-zk-import-'));
  const started: Array<ZooKeeperServer | CorralServer | { stop: () => Promise<void> }> = [];
  const writer: { process?: ChildProcess } = {};

  afterAll(async () => {
    writer.process?.kill('SIGKILL');
    for (const server of started.reverse()) await server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('imports a standalone ZooKeeper with a live session, serves it, exports it back', async () => {
    const zookeeperData = join(work, 'zookeeper');
    const zookeeper = await startZooKeeper({
      dataDir: zookeeperData,
      extraConfig: ['snapCount=8'],
      jvmFlags: [`-cp ${classPath}:/usr/share/java/snappy-java.jar`,
        '-Dzookeeper.snapshot.compression.method=snappy'],
    });
    started.push(zookeeper);
    const session = await writeTree(zookeeper.port, writer);
    const before = await dump(zookeeper.port);
    expect(Object.keys(before)).toContain('/app/lock');
    expect([before['/app/null']?.data, before['/app/set-null']?.data, before['/app/empty']?.data])
      .toEqual([null, null, '']);
    // Stopped as an operator stops it (SIGTERM to the JVM), the session still open.
    await terminate(zookeeper.process);
    writer.process?.kill('SIGKILL');
    const files = readdirSync(join(zookeeperData, 'version-2'));
    expect(files.some((name) => name.endsWith('.snappy'))).toBe(true);

    const corralData = join(work, 'corral');
    const imported = await run(process.execPath, [corralMain, 'import-zookeeper',
      '--from', zookeeperData, '--data-dir', corralData]);
    expect(imported).toMatch(/sessions +\d+ \(2 ephemerals\)/);
    // snapCount=8: the import started from one of ZooKeeper's (fuzzy, compressed) snapshots.
    expect(imported).toMatch(/snapshot +snapshot\.[0-9a-f]+\.snappy/);
    // The tree as imported sums to the digest ZooKeeper stamped into its last txn.
    expect(imported).toMatch(/tree digest +matches ZooKeeper's/);
    const corral = await startCorral({ dataDir: corralData });
    started.push(corral);
    expect(await dump(corral.port)).toEqual(before);
    const resumed = await resume(corral.port, session);
    expect(resumed).toEqual({ resumed: true, members: ['m-0000000000'],
      lockOwner: session.sessionId });
    const served = await dump(corral.port);
    await terminate(corral.process);

    const exported = join(work, 'exported');
    await run(process.execPath, [corralMain, 'export-zookeeper', '--data-dir', corralData,
      '--to', exported]);
    const again = await startZooKeeper({ dataDir: exported });
    started.push(again);
    expect(await dump(again.port)).toEqual(served);
    // ZooKeeper compared the export's ZxidDigest with the tree it loaded.
    expect(again.output()).toMatch(/The digest in the snapshot has digest version of 2/);
    expect(again.output()).not.toMatch(/Digests are not matching/);
    expect((await resume(again.port, session)).resumed).toBe(true);
  }, 45_000);

  // Replicas 1 and 2 are imported from ZooKeeper servers 1 and 2 (myid copied, or kept);
  // replica 3 starts with an empty data dir and is brought up by the leader's SNAP.
  it('imports a 3-server ZooKeeper ensemble; an empty third replica syncs by SNAP', async () => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3,
      extraConfig: ['maxSessionTimeout=60000'] });
    started.push({ stop: () => zookeeper.destroy() });
    zookeeper.startAll();
    await zookeeper.waitForLeader();
    const ensembleWriter: { process?: ChildProcess } = {};
    started.push({ stop: async () => void ensembleWriter.process?.kill('SIGKILL') });
    await writeTree(zookeeper.clientPort(1), ensembleWriter);
    const before = await dump(zookeeper.clientPort(1));
    for (const id of zookeeper.ids) await zookeeper.terminate(id);
    ensembleWriter.process?.kill('SIGKILL');

    const corral = await TestEnsemble.create({ voters: 3 });
    started.push({ stop: () => corral.destroy() });
    for (const id of [1, 2]) {
      const dataDir = join(corral.dir, `replica-${id}`);
      if (id === 1) rmSync(join(dataDir, 'myid'));
      const out = await run(process.execPath, [corralMain, 'import-zookeeper',
        '--from', join(zookeeper.dir, `server-${id}`, 'data'), '--data-dir', dataDir]);
      // Replica 1's myid comes from ZooKeeper's dataDir; replica 2 already had its own.
      expect(out).toMatch(id === 1 ? /myid +copied from/ : /myid +\S+ kept$/m);
      expect(out).toMatch(/tree digest +matches ZooKeeper's/);
    }
    corral.startAll();
    const leader = await corral.waitForLeader();
    await corral.waitForSameZxid();
    expect(leader).not.toBe(3);
    expect(corral.output(leader)).toMatch(/"learner":3,"mode":"snap".*synchronizing learner/);
    // /zookeeper/config holds each ensemble's own addresses, which differ between the two.
    const { ['/zookeeper/config']: _config, ...expected } = before;
    for (const id of corral.ids) {
      const { ['/zookeeper/config']: _own, ...served } = await dump(corral.clientPort(id));
      expect(served, `replica ${id}`).toEqual(expected);
    }
  }, 60_000);
});
