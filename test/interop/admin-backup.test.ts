// Online backup and restore, end to end over real processes: `corral backup` streams a snapshot
// from a real 3-replica ensemble's admin server while a client writes to it, and `corral restore`
// brings it into a NEW 3-replica ensemble, every replica of which then serves exactly the tree
// the source had at the backup's zxid (every node's data and every stat field). Also ZooKeeper
// 3.9's refusals: the rate limit (429), a missing Authorization header (401), a restore sent to
// a follower or over a tree with znodes of its own (409), and disabled commands (503).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { comparable, corral, treeAt, treeOf, writeLoad, type Write } from
  '../support/backup-load.js';
import { startCorral } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { freePort } from '../support/ports.js';

const auth = ['--auth', 'digest:operator:secret'];
const authorization = { Authorization: 'digest operator:secret' };
/** Nodes written before the backup, 2 KiB each: the snapshot spans more than one 1 MiB piece. */
const bulkNodes = 800;
/** The load stops this many acknowledged writes after the backup came back (at most 3000). */
const writesAfterBackup = 40;

describe('online backup and restore between real ensembles (R=3)', () => {
  let source: TestEnsemble;
  let target: TestEnsemble;
  let dir: string;
  let sourceLeader: number;
  let targetLeader: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-backup-'));
    [source, target] = await Promise.all([1, 2].map(() =>
      TestEnsemble.create({ voters: 3, adminServers: true })));
    source.startAll();
    target.startAll();
    [sourceLeader, targetLeader] = await Promise.all([source.waitForLeader(),
      target.waitForLeader()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.destroy(), target?.destroy()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('restores a backup taken under a write load: every new replica holds the source tree at ' +
    'the backup zxid', async () => {
    const [backupFrom, loadOn] = source.ids.filter((id) => id !== sourceLeader);
    const client = await connect(`127.0.0.1:${source.clientPort(loadOn!)}`);
    const file = join(dir, 'backup.snap');
    let writes: Write[];
    let zxid: number;
    try {
      await client.create('/bulk');
      await client.create('/load');
      const value = Buffer.alloc(2048, 7);
      for (let start = 0; start < bulkNodes; start += 100) {
        const batch = client.transaction();
        for (let index = start; index < start + 100; index++) {
          batch.create(`/bulk/n${index}`, value);
        }
        await batch.commit();
      }
      let backedUpAt: number | undefined;
      let written = 0;
      const load = writeLoad(client, (count) => {
        written = count;
        return backedUpAt !== undefined && count >= backedUpAt + writesAfterBackup;
      });
      // The backup starts once the load is under way, and the load goes on through it.
      for (let waited = 0; waited < 100; waited++) {
        if ((await client.exists('/load'))!.numChildren >= 20) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const backup = await corral(['backup', '--admin',
        `127.0.0.1:${source.adminPort(backupFrom!)}`, '--out', file, ...auth]);
      backedUpAt = written;
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      zxid = Number(/zxid (0x[0-9a-f]+)/.exec(backup.stdout)?.[1]);
      writes = await load;
      expect(writes.some((write) => write.stat.mzxid <= zxid)).toBe(true);
      expect(writes.some((write) => write.stat.mzxid > zxid)).toBe(true);
    } finally {
      await client.close();
    }
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(readFileSync(file).length).toBeGreaterThan(bulkNodes * 2048);
    await source.waitForSameZxid();
    const sourceNow = await treeOf(source.clientPort(sourceLeader));
    const expected = comparable(treeAt(sourceNow, writes, zxid));
    expect(Object.keys(expected).length).toBeGreaterThan(bulkNodes + 20);

    // One new replica is down while the backup is restored: it catches up afterwards from the
    // leader's log, applying the same restore txns.
    const late = target.ids.find((id) => id !== targetLeader)!;
    await target.stop(late);
    const restored = await corral(['restore', '--admin',
      `127.0.0.1:${target.adminPort(targetLeader)}`, '--in', file, ...auth]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`at zxid 0x${zxid.toString(16)}`);
    target.start(late);
    await target.waitForLeader(target.ids);
    await target.waitForSameZxid();
    for (const id of target.ids) {
      expect(comparable(await treeOf(target.clientPort(id)))).toEqual(expected);
    }
    // The new ensemble goes on from there, all replicas alike.
    const writer = await connect(`127.0.0.1:${target.clientPort(targetLeader)}`);
    await writer.setData('/bulk/n0', 'after restore');
    await writer.close();
    const trees = await Promise.all(target.ids.map(async (id) =>
      comparable(await treeOf(target.clientPort(id)))));
    expect(trees[1]).toEqual(trees[0]);
    expect(trees[2]).toEqual(trees[0]);
    expect(Buffer.from(trees[0]!['/bulk/n0']!.data!, 'base64').toString()).toBe('after restore');
    // A replica that applied the restore live recovers it from its own log after a restart.
    const replayed = target.ids.find((id) => id !== targetLeader && id !== late)!;
    await target.restart(replayed);
    await target.waitForLeader(target.ids);
    await target.waitForSameZxid();
    expect(comparable(await treeOf(target.clientPort(replayed)))).toEqual(trees[0]);

    // One restore per admin.rateLimiterIntervalInMS (5 minutes by default).
    const again = await corral(['restore', '--admin',
      `127.0.0.1:${target.adminPort(targetLeader)}`, '--in', file, ...auth]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('HTTP 429');
  }, 90_000);

  it('refuses a restore on a follower and over a tree with znodes of its own (409)', async () => {
    // From the replica neither other test takes a snapshot from (one per interval each).
    const [, , third] = [sourceLeader, ...source.ids.filter((id) => id !== sourceLeader)];
    const bytes = await (await fetch(
      `http://127.0.0.1:${source.adminPort(third!)}/commands/snapshot`,
      { headers: authorization })).arrayBuffer();
    const follower = target.ids.find((id) => id !== targetLeader)!;
    const post = (port: number) => fetch(`http://127.0.0.1:${port}/commands/restore`,
      { method: 'POST', headers: authorization, body: Buffer.from(bytes) });
    const onFollower = await post(target.adminPort(follower));
    expect(onFollower.status).toBe(409);
    const followerAnswer = (await onFollower.json()) as { error: string };
    expect(followerAnswer.error).toContain(`server.${targetLeader}`);
    const overData = await post(source.adminPort(sourceLeader));
    expect(overData.status).toBe(409);
    expect(((await overData.json()) as { error: string }).error).toContain('new ensemble');
  }, 30_000);

  it('answers a second snapshot inside the interval with 429, and none without credentials with ' +
    '401', async () => {
    const url = `http://127.0.0.1:${source.adminPort(sourceLeader)}/commands/snapshot`;
    const unauthenticated = await fetch(url);
    expect(unauthenticated.status).toBe(401);
    const refusal = (await unauthenticated.json()) as { error: string };
    expect(refusal.error).toBe('Auth info is missing for the command');
    const first = await fetch(`${url}?streaming=false`, { headers: authorization });
    expect(first.status).toBe(200);
    expect(Number(first.headers.get('snapshot_size'))).toBeGreaterThan(bulkNodes * 2048);
    expect(first.headers.get('last_zxid')).toMatch(/^0x[0-9a-f]+$/);
    const second = await fetch(url, { headers: authorization });
    expect(second.status).toBe(429);
  }, 30_000);
});

describe('admin snapshot and restore switched off', () => {
  it('answers both with 503 when admin.snapshot.enabled and admin.restore.enabled are false',
    async () => {
      const adminPort = await freePort();
      const server = await startCorral({ zooCfg: ['admin.enableServer=true',
        'admin.serverAddress=127.0.0.1', `admin.serverPort=${adminPort}`,
        'admin.snapshot.enabled=false', 'zookeeper.admin.restore.enabled=false'] });
      try {
        const base = `http://127.0.0.1:${adminPort}/commands`;
        const snapshot = await fetch(`${base}/snapshot`, { headers: authorization });
        expect(snapshot.status).toBe(503);
        const restore = await fetch(`${base}/restore`,
          { method: 'POST', headers: authorization, body: Buffer.from('x') });
        expect(restore.status).toBe(503);
        // Disabled or not, credentials are asked for first, as in ZooKeeper 3.9.
        expect((await fetch(`${base}/snapshot`)).status).toBe(401);
      } finally {
        await server.stop();
      }
    }, 30_000);
});
