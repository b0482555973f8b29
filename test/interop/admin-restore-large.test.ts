// A restore far over the 16 MiB peer frame, over real processes: a 40 MiB backup (values up to
// 1 MiB) taken by `corral backup` from a real server under a write load goes into a NEW
// 3-replica ensemble as many restore txns. A first run is cut off by killing the leader midway
// and leaves nothing visible but the staging area; run again on the next leader, with one
// follower down from the start and started midway on an empty data dir (synced by SNAP while
// chunks are staged) and the other restarted midway, every replica ends with the source's tree
// at the backup's zxid. Into a standalone server, a restore whose client goes away midway is
// abandoned and runs again.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { comparable, corral, treeAt, treeOf, writeLoad, type Write } from
  '../support/backup-load.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { freePort } from '../support/ports.js';
import type { NodeState } from '../support/tree-walk.js';

const auth = ['--auth', 'digest:operator:secret'];
const staging = '/zookeeper/restoring';
/** 30 values of up to 1 MiB and 1000 of 10 KiB: about 40 MiB of znodes. */
const bigNodes = 30;
const bigBytes = 1024 * 1024 - 4096;
const mediumNodes = 1000;
const mediumBytes = 10 * 1024;
const backupBytesMin = 40 * 1000 * 1000;
const pieceBytes = 1024 * 1024;
/** Quick restores one after the other, and time for 40 MiB to reach a late follower. */
const targetConfig = ['admin.rateLimiterIntervalInMS=1', 'initLimit=100', 'syncLimit=50'];

/** POSTs `bytes` to a restore command a piece at a time, awaiting `gate(sent)` before each
 * piece; the answer, or the error that ended the exchange. */
async function postRestore(port: number, bytes: Buffer, gate: (sent: number) => Promise<void>):
  Promise<{ status: number; body: Record<string, unknown> } | Error> {
  const request = httpRequest({ host: '127.0.0.1', port, path: '/commands/restore',
    method: 'POST', headers: { 'Content-Length': bytes.length,
      Authorization: 'digest operator:secret' } });
  const answered = new Promise<{ status: number; body: Record<string, unknown> }>(
    (resolve, reject) => {
      request.on('error', reject);
      request.on('response', (response) => {
        let text = '';
        response.on('data', (piece: Buffer) => (text += piece.toString()));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode!,
          body: JSON.parse(text) as Record<string, unknown> }));
      });
    });
  try {
    for (let sent = 0; sent < bytes.length; sent += pieceBytes) {
      await gate(sent);
      if (!request.write(bytes.subarray(sent, sent + pieceBytes))) {
        await Promise.race([once(request, 'drain'), answered]);
      }
    }
    request.end();
    return await answered;
  } catch (error) {
    request.destroy();
    return error as Error;
  }
}

/** Waits until the restore staged on `client`'s server holds at least `chunks` chunks. */
async function stagedChunks(client: Client, chunks: number): Promise<void> {
  for (let waited = 0; waited < 600; waited++) {
    const stat = await client.exists(staging);
    if (stat !== null && stat.numChildren >= chunks) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never ${chunks} chunks staged`);
}

async function withClient<T>(port: number, use: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(`127.0.0.1:${port}`);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

describe('restore of a 40 MiB backup', () => {
  let source: CorralServer;
  let target: TestEnsemble;
  let dir: string;
  let file: string;
  let backup: Buffer;
  let expected: Record<string, NodeState>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-restore-large-'));
    const sourceAdmin = await freePort();
    [source, target] = await Promise.all([
      // The source only has to hold the tree: its writes skip fsync, to fill it quickly.
      startCorral({ zooCfg: ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${sourceAdmin}`, 'forceSync=no'] }),
      TestEnsemble.create({ voters: 3, adminServers: true }),
    ]);
    for (const id of target.ids) target.setConfig(id, targetConfig);
    target.startAll();
    const client = await connect(`127.0.0.1:${source.port}`);
    let writes: Write[];
    let zxid: number;
    try {
      await client.create('/big');
      await client.create('/medium');
      await client.create('/load');
      // Big values among the others: a backup frame holds 250 znodes in creation order, and
      // the leader stages a frame's chunks only once the whole frame has arrived.
      for (let start = 0; start < mediumNodes; start += 100) {
        const batch = client.transaction();
        for (let index = start; index < start + 100; index++) {
          batch.create(`/medium/m${index}`, Buffer.alloc(mediumBytes, index % 251));
        }
        await batch.commit();
        const bigs = Array.from({ length: bigNodes / 10 },
          (_, offset) => (start / 100) * 3 + offset);
        await Promise.all(bigs.map((index) => client.create(`/big/b${index}`,
          Buffer.alloc(bigBytes - index * 997, index))));
      }
      file = join(dir, 'backup.snap');
      let backedUp = false;
      const load = writeLoad(client, () => backedUp);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const taken = await corral(['backup', '--admin', `127.0.0.1:${sourceAdmin}`, '--out', file,
        ...auth]);
      backedUp = true;
      expect(taken.stderr).toBe('');
      zxid = Number(/zxid (0x[0-9a-f]+)/.exec(taken.stdout)?.[1]);
      writes = await load;
      expect(writes.some((write) => write.stat.mzxid <= zxid)).toBe(true);
    } finally {
      await client.close();
    }
    backup = readFileSync(file);
    expected = comparable(treeAt(await treeOf(source.port), writes, zxid));
    await target.waitForLeader();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.destroy()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('into a new 3-replica ensemble: cut off by a leader crash, then run again while one ' +
    'follower joins midway by SNAP and another restarts midway; every replica ends alike',
  async () => {
    expect(backup.length).toBeGreaterThan(backupBytesMin);
    const first = await target.waitForLeader();
    // A first run: the leader is killed once chunks are staged.
    const cut = await withClient(target.clientPort(first), (client) =>
      postRestore(target.adminPort(first), backup, async (sent) => {
        if (sent === 12 * pieceBytes) {
          await stagedChunks(client, 2);
          await target.kill(first);
        }
      }));
    expect(cut).toBeInstanceOf(Error);
    target.start(first);
    const leader = await target.waitForLeader(target.ids);
    // What clients of the next leader see: the staging area, not a half-restored tree.
    await withClient(target.clientPort(leader), async (client) => {
      expect((await client.exists(staging))?.numChildren).toBeGreaterThanOrEqual(1);
      expect(await client.exists('/big')).toBeNull();
    });

    const [late, restarted] = target.ids.filter((id) => id !== leader);
    // The late follower comes back with an empty data dir (a disk replaced): the leader syncs
    // it by SNAP, which carries the chunks staged by then.
    await target.stop(late!);
    target.wipe(late!);
    const answer = await withClient(target.clientPort(leader), (client) =>
      postRestore(target.adminPort(leader), backup, async (sent) => {
        if (sent === 12 * pieceBytes) {
          await stagedChunks(client, 1);
          target.start(late!);
          await target.waitForLeader(target.ids);
          await target.waitForSameZxid([leader, late!]);
        }
        if (sent === 24 * pieceBytes) {
          await stagedChunks(client, 4);
          await target.restart(restarted!);
        }
      }));
    if (answer instanceof Error) throw answer;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ error: null, bytes: backup.length });
    expect(answer.body.chunks as number).toBeGreaterThanOrEqual(10);
    expect(answer.body.node_count as number).toBeGreaterThan(bigNodes + mediumNodes);
    // What the cut-off run had staged is named, and dropped.
    expect((answer.body.dropped_staging as { chunks: number }).chunks).toBeGreaterThanOrEqual(1);
    expect(target.output(leader)).toContain('admin restore applied');
    expect(target.output(leader)).toContain(`"learner":${late},"mode":"snap"`);

    await target.waitForLeader(target.ids);
    await target.waitForSameZxid(target.ids, 30_000);
    const trees = await Promise.all(target.ids.map((id) => treeOf(target.clientPort(id))));
    for (const tree of trees) expect(comparable(tree)).toEqual(expected);
  }, 90_000);

  it('into a standalone server: a restore whose client goes away midway is abandoned, and ' +
    'runs again', async () => {
    const admin = await freePort();
    const server = await startCorral({ zooCfg: ['admin.enableServer=true',
      'admin.serverAddress=127.0.0.1', `admin.serverPort=${admin}`,
      'admin.rateLimiterIntervalInMS=1'] });
    try {
      const gone = await withClient(server.port, (client) =>
        postRestore(admin, backup, async (sent) => {
          if (sent === 20 * pieceBytes) {
            await stagedChunks(client, 2);
            throw new Error('client gone');
          }
        }));
      expect(gone).toBeInstanceOf(Error);
      for (let waited = 0; waited < 200 && !server.output().includes('cut off'); waited++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(server.output()).toContain('admin restore refused or cut off');
      await withClient(server.port, async (client) => {
        expect(await client.exists(staging)).toBeNull();
        expect(await client.exists('/big')).toBeNull();
      });
      const again = await corral(['restore', '--admin', `127.0.0.1:${admin}`, '--in', file,
        ...auth]);
      expect(again.stderr).toBe('');
      expect(again.stdout).toContain('restored');
      expect(comparable(await treeOf(server.port))).toEqual(expected);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
