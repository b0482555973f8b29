// The admin backup's pure parts: ZooKeeper's one-per-interval rate limiter, and a backup's bytes
// (a real capture, encoded as the snapshot command streams it) applied as a restore txn to a
// real data tree: every znode and stat field comes back, a tree with data of its own refuses it,
// and a malformed body is refused before anything changes.
import { describe, expect, it } from 'vitest';
import { RateLimiter, restoreBody } from '../../../actors/operations/admin-backup.js';
import { CreateFlag } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { RestoreTxnBody, Txn } from '../../../protocol/txn.js';
import { encodeSnapshot } from '../../../storage/snapshot-file.js';
import type { DataTree } from '../../../tree/data-tree.js';
import { Harness, setDataOp, superUser } from '../../tree/helpers.js';

describe('RateLimiter (ZooKeeper\'s, rate 1)', () => {
  it.each([
    [0, true],
    [500, false],
    [1000, false],
    [1001, true],
    [1500, false],
    [5000, true],
  ])('interval 1000 ms, started at 0: a request at %i ms passes: %s', (at, passes) => {
    const limiter = new RateLimiter(1000, 0);
    const earlier = [0, 500, 1000, 1001, 1500, 5000].filter((time) => time < at);
    for (const time of earlier) limiter.allow(time);
    expect(limiter.allow(at)).toBe(passes);
  });
});

function restoreTxn(body: RestoreTxnBody, zxid: number): Txn {
  return { zxid, time: zxid * 1000, sessionId: 0n, cxid: 0, body };
}

/** Every path with its data and stat, as a client reads them. */
function nodes(tree: DataTree, paths: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(paths.map((path) => {
    const read = tree.getData(path, superUser);
    return [path, read.err === 0 ? read.body : read.err];
  }));
}

function sourceTree(): Harness {
  const source = new Harness();
  source.create('/app', { data: 'config' });
  source.create('/app/locks');
  source.create('/app/seq-', { flags: CreateFlag.persistentSequential });
  source.create('/app/owned', { data: 'x', flags: CreateFlag.ephemeral });
  source.create('/app/box', { flags: CreateFlag.container, opcode: 19 });
  source.create('/app/box/item');
  source.write(setDataOp('/app', 'config v2'));
  return source;
}

describe('restore txn from a backup', () => {
  const persistent = ['/', '/zookeeper', '/zookeeper/quota', '/app', '/app/locks',
    '/app/seq-0000000001', '/app/box', '/app/box/item'];

  it('puts every persistent znode of the backup, all stat fields, in place of a new tree', () => {
    const source = sourceTree();
    const body = restoreBody(encodeSnapshot(source.tree.capture()));
    expect(body.sourceZxid).toBe(source.zxid);
    const target = new Harness();
    const outcome = target.tree.apply(restoreTxn(body, 2));
    expect(outcome.err).toBe(ErrorCode.ok);
    const expected = nodes(source.tree, persistent);
    // The ephemeral's session lives in the source ensemble only: /app lists one child fewer,
    // and its cversion counts that child's going, as when the session ends.
    const app = expected['/app'] as { stat: { cversion: number } };
    expect(nodes(target.tree, persistent)).toEqual({
      ...expected,
      '/app': { ...app, stat: { ...app.stat, numChildren: 3, cversion: app.stat.cversion + 1 } },
    });
    expect(target.tree.getData('/app/owned', superUser).err).toBe(ErrorCode.noNode);
    // The target's own session is still there.
    expect([...target.tree.sessions.keys()]).toEqual([0x100n]);
  });

  it('refuses a tree with znodes of its own (NOTEMPTY), changing nothing', () => {
    const source = sourceTree();
    const body = restoreBody(encodeSnapshot(source.tree.capture()));
    const target = new Harness();
    target.create('/mine', { data: 'kept' });
    const before = nodes(target.tree, ['/', '/mine']);
    expect(target.tree.apply(restoreTxn(body, 3)).err).toBe(ErrorCode.notEmpty);
    expect(nodes(target.tree, ['/', '/mine'])).toEqual(before);
  });

  it.each([
    ['a child before its parent', (body: RestoreTxnBody) => body.nodes.reverse()],
    ['an ACL index out of the table', (body: RestoreTxnBody) => { body.nodes[1]![2] = 99; }],
  ])('refuses a body with %s (BADARGUMENTS), changing nothing', (_, damage) => {
    const body = restoreBody(encodeSnapshot(sourceTree().tree.capture()));
    damage(body);
    const target = new Harness();
    expect(target.tree.apply(restoreTxn(body, 2)).err).toBe(ErrorCode.badArguments);
    expect(target.tree.getData('/app', superUser).err).toBe(ErrorCode.noNode);
  });
});
