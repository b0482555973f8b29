// corral → ZooKeeper's format → corral through the two commands' functions over real files: a
// data dir written by ReplicaStorage (a snapshot and a log after it) is exported, the export
// imported into a new data dir, and that restores to the same znodes (data, ACL, every stored
// stat field, container and TTL marks), sessions and epochs. Imported sessions get the password
// ZooKeeper would have given them.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from
  'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportZooKeeper } from '../../../cli/export-zookeeper.js';
import { importZooKeeper, TargetNotEmptyError } from '../../../cli/import-zookeeper.js';
import { openReplicaStorage } from '../../../storage/data-dir.js';
import { zookeeperSessionPassword, ZooKeeperFormatError } from
  '../../../storage/zookeeper/format.js';
import { DataTree } from '../../../tree/data-tree.js';
import { corralTreeOf } from '../../../storage/zookeeper/corral-tree.js';
import { drive, TxnStream } from '../fixtures.js';
import { history, logFile, treeAfter, writeZooKeeperDir } from './zookeeper-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'corral-zk-round-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = { info: () => undefined, warn: () => undefined };

/** Every node as stored, and the session table (ids and timeouts). */
function stateOf(tree: DataTree): { nodes: Record<string, unknown>; sessions: string[] } {
  const capture = tree.capture();
  const acls: unknown[] = [];
  const nodes: Record<string, unknown> = {};
  for (let index = 0; index < capture.nodeCount; index++) {
    const [path, data, aclIndex, owner, ownerIsSession, ...stat] = capture.record(index);
    acls.push(...capture.newAcls());
    // Whether the owner is a session means nothing for owner 0 (bootstrap nodes say true).
    nodes[path] = { data: data === null ? null : Buffer.from(data).toString('hex'),
      acl: acls[aclIndex], owner: String(owner), ownerIsSession: owner !== 0n && ownerIsSession,
      stat: stat.map(String) };
  }
  const sessions = capture.sessions.map((session) => `${session.sessionId}:${session.timeoutMs}`)
    .sort();
  capture.release();
  return { nodes, sessions };
}

async function restored(dataDir: string): Promise<{ tree: DataTree; epochs: number[] }> {
  const storage = await openReplicaStorage(dataDir, {}, quiet);
  const tree = new DataTree({ extendedTypesEnabled: true });
  await storage.restoreInto(tree);
  for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
  const epochs = [storage.epochs.acceptedEpoch(), storage.epochs.currentEpoch()];
  await storage.close();
  return { tree, epochs };
}

describe('corral data dir → ZooKeeper format → corral data dir', () => {
  it.each([1, 2, 3])('keeps every znode, stat field, ACL and session (seed %i)', async (seed) => {
    const source = join(root, `source-${seed}`);
    const storage = await openReplicaStorage(source, { snapCount: 150 }, quiet);
    const tree = new DataTree({ extendedTypesEnabled: true });
    storage.attach(tree);
    await drive(storage, tree, new TxnStream(seed, 0x3_0000_0000, true).take(400));
    await storage.settled();
    await storage.epochs.setAcceptedEpoch(4);
    await storage.epochs.setCurrentEpoch(3);
    await storage.close();
    const expected = stateOf(tree);
    expect(expected.sessions.length).toBeGreaterThan(0);

    const exported = join(root, `zookeeper-${seed}`);
    const lines: string[] = [];
    const exportSummary = await exportZooKeeper({ dataDir: source, to: exported },
      (line) => lines.push(line));
    expect(exportSummary.zxid).toBe(tree.lastZxid);
    expect(readdirSync(join(exported, 'version-2')).sort())
      .toEqual(['acceptedEpoch', 'currentEpoch', `snapshot.${tree.lastZxid.toString(16)}`]);

    const target = join(root, `target-${seed}`);
    const summary = await importZooKeeper({ from: exported, dataDir: target }, () => undefined);
    expect(summary.zxid).toBe(tree.lastZxid);
    expect([summary.acceptedEpoch, summary.currentEpoch]).toEqual([4, 3]);
    const back = await restored(target);
    expect(back.tree.lastZxid).toBe(tree.lastZxid);
    expect(back.epochs).toEqual([4, 3]);
    expect(stateOf(back.tree)).toEqual(expected);
    for (const [sessionId] of back.tree.sessionTimeouts()) {
      expect(back.tree.sessionPassword(sessionId)).toEqual(zookeeperSessionPassword(sessionId));
    }
  });

  it.each([[0n, 'matches'], [1n, 'differs']] as const)(
    'compares the imported tree with the TxnDigest of the last txn (off by %i: %s)',
    async (offset, verdict) => {
      const entries = history();
      const treeDigest = corralTreeOf(treeAfter(entries), 1).treeDigest + offset;
      const last = entries.length - 1;
      entries[last] = { ...entries[last]!, digest: { version: 2, treeDigest } };
      const source = join(root, `digest-${offset}`);
      writeZooKeeperDir(source, { logs: [{ zxid: entries[0]!.header.zxid,
        file: logFile(entries) }] });
      const lines: string[] = [];
      const summary = await importZooKeeper({ from: source,
        dataDir: join(root, `digest-target-${offset}`) }, (line) => lines.push(line));
      expect(summary.digest).toBe(verdict);
      expect(lines.join('\n')).toMatch(verdict === 'matches' ? /tree digest +matches/
        : /tree digest +DIFFERS/);
    });

  it('takes a target holding only myid, and keeps that myid', async () => {
    const target = join(root, 'target-with-myid');
    mkdirSync(target);
    writeFileSync(join(target, 'myid'), '7\n');
    const summary = await importZooKeeper({ from: join(root, 'zookeeper-1'), dataDir: target },
      () => undefined);
    expect(summary.zxid).toBeGreaterThan(0);
    expect(readFileSync(join(target, 'myid'), 'utf8')).toBe('7\n');
  });

  it('refuses a target that is not empty, and an export over ZooKeeper data', async () => {
    const source = join(root, 'source-1');
    await expect(importZooKeeper({ from: join(root, 'zookeeper-1'), dataDir: source },
      () => undefined)).rejects.toThrow(TargetNotEmptyError);
    await expect(exportZooKeeper({ dataDir: source, to: join(root, 'zookeeper-1') },
      () => undefined)).rejects.toThrow(ZooKeeperFormatError);
    expect(existsSync(join(source, 'corral.lmdb'))).toBe(true);
  });
});
