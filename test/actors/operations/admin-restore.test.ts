// A restore of many txns (tree/restore-staging.ts), driven by the admin restore's own reader
// (actors/operations/admin-restore.ts) over a real backup (a capture encoded as the snapshot
// command streams it) fed in uneven pieces, each step applied to a real data tree as the leader's
// pipeline would: the result equals the one-txn restore's, a replica that takes a snapshot
// midway and goes on from it ends identical, the staging area is invisible to the tree digest
// and closed to clients, and every step out of place is refused without changing anything.
import { describe, expect, it } from 'vitest';
import { restoreBody } from '../../../actors/operations/admin-backup.js';
import { streamRestore, type RestoreStepBody } from
  '../../../actors/operations/admin-restore.js';
import { CreateFlag } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Txn, TxnBody } from '../../../protocol/txn.js';
import { restoreTree, snapshotOfTree } from '../../../storage/peer-snapshot.js';
import { encodeSnapshot } from '../../../storage/snapshot-file.js';
import type { DataTree } from '../../../tree/data-tree.js';
import { chunkName } from '../../../tree/restore-staging.js';
import { Harness, anonymous, createOp, deleteOp, superUser } from '../../tree/helpers.js';

const staging = '/zookeeper/restoring';

/** Every node of the tree with its data (base64: quick to compare) and stat, as a client reads
 * them. */
function treeOf(tree: DataTree): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const visit = (path: string): void => {
    const read = tree.getData(path, superUser).body;
    if (read.kind !== 'data') throw new Error(`${path}: no data`);
    found[path] = { data: read.data?.toString('base64') ?? null, stat: read.stat };
    const children = tree.getChildren(path, superUser).body;
    if (children.kind !== 'children') throw new Error(`${path}: no children`);
    for (const name of [...children.children].sort()) {
      visit(path === '/' ? `/${name}` : `${path}/${name}`);
    }
  };
  visit('/');
  return found;
}

/** A source tree of `count` nodes of `valueBytes` each, with the kinds a backup carries. */
function sourceTree(count: number, valueBytes: number): Harness {
  const source = new Harness();
  source.create('/app', { data: 'config' });
  source.create('/app/owned', { data: 'x', flags: CreateFlag.ephemeral });
  source.create('/app/box', { flags: CreateFlag.container, opcode: 19 });
  source.create('/app/box/item');
  source.create('/acl', { acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] });
  source.create('/bulk');
  for (let index = 0; index < count; index++) {
    source.create(`/bulk/n${index}`, { data: Buffer.alloc(valueBytes, index % 251).toString() });
  }
  return source;
}

/** The backup's bytes in pieces of uneven size, as a socket hands them over. */
async function* piecesOf(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0, step = 0; at < bytes.length; step++) {
    const size = [1, 7, 65_536, 300_001, 13][step % 5]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** Applies restore steps to `replicas` in order, as the ensemble's pipeline would. */
class Ordering {
  readonly steps: Txn[] = [];

  constructor(readonly replicas: Harness[], readonly chunkBytes = 64 * 1024) {}

  apply(body: TxnBody): { zxid: number; err: number } {
    const zxid = Math.max(...this.replicas.map((replica) => replica.zxid)) + 1;
    const txn: Txn = { zxid, time: zxid * 1000, sessionId: 0n, cxid: 0, body };
    this.steps.push(txn);
    let err = -1;
    for (const replica of this.replicas) {
      replica.zxid = zxid;
      err = replica.tree.apply(txn).err;
    }
    return { zxid, err };
  }

  restore(bytes: Buffer, onStep: (body: RestoreStepBody) => void = () => {},
    bounds: { nodeBytesMax?: number; frameBytesMax?: number } = {}):
    ReturnType<typeof streamRestore> {
    return streamRestore(piecesOf(bytes), {
      propose: async (body) => {
        onStep(body);
        return this.apply(body);
      },
      chunkBytes: this.chunkBytes,
      nodeBytesMax: bounds.nodeBytesMax ?? 1 << 20,
      frameBytesMax: bounds.frameBytesMax ?? 64 << 20,
      stepMs: 10_000,
    });
  }
}

describe('restore of many txns', () => {
  it('restores what the one-txn restore does, in chunks under their bound', async () => {
    const source = sourceTree(600, 1000);
    const bytes = encodeSnapshot(source.tree.capture());
    const single = new Harness();
    single.zxid++;
    expect(single.tree.apply({ zxid: single.zxid, time: 0, sessionId: 0n, cxid: 0,
      body: restoreBody(bytes) }).err).toBe(ErrorCode.ok);

    const target = new Harness();
    const ordering = new Ordering([target]);
    const chunkSizes: number[] = [];
    const result = await ordering.restore(bytes, (body) => {
      if (body.type === 'restoreChunk') chunkSizes.push(body.bytes.length);
    });
    expect(result).toMatchObject({ status: 200, sourceZxid: source.zxid, backupNodes: 610,
      restoredNodes: 608, chunks: chunkSizes.length });
    expect(chunkSizes.length).toBeGreaterThan(5);
    expect(Math.max(...chunkSizes)).toBeLessThanOrEqual(64 * 1024 + 64);
    expect(ordering.steps.map((txn) => txn.body.type)).toEqual(['restoreBegin',
      ...chunkSizes.map(() => 'restoreChunk'), 'restoreEnd']);
    expect(treeOf(target.tree)).toEqual(treeOf(single.tree));
    expect(target.tree.treeDigest).toBe(single.tree.treeDigest);
    expect(target.tree.getData(staging, superUser).err).toBe(ErrorCode.noNode);
    expect(target.tree.getData('/app/owned', superUser).err).toBe(ErrorCode.noNode);
    expect([...target.tree.sessions.keys()]).toEqual([0x100n]);
  });

  it('leaves a replica that restarts from a snapshot taken midway identical to the others',
    async () => {
      const bytes = encodeSnapshot(sourceTree(300, 2000).tree.capture());
      const [steady, late] = [new Harness(), new Harness()];
      const ordering = new Ordering([steady, late]);
      let digestStaging: bigint | undefined;
      let midway: { zxid: number; snapshot: ReturnType<typeof snapshotOfTree> } | undefined;
      const result = await ordering.restore(bytes, (body) => {
        if (body.type === 'restoreChunk' && body.index === 0) {
          digestStaging = steady.tree.treeDigest;
        }
        if (body.type === 'restoreChunk' && body.index === 3) {
          // Staged chunks are system znodes: the tree digest replicas compare does not move.
          expect(steady.tree.treeDigest).toBe(digestStaging);
          expect(steady.tree.getData('/bulk', superUser).err).toBe(ErrorCode.noNode);
          midway = { zxid: steady.zxid, snapshot: snapshotOfTree(steady.tree) };
        }
      });
      expect(result.status).toBe(200);
      // A third replica starts from the snapshot taken midway and replays the steps after it.
      const restarted = new Harness({}, []);
      restoreTree(restarted.tree, midway!.snapshot);
      for (const txn of ordering.steps.filter((step) => step.zxid > midway!.zxid)) {
        expect(restarted.tree.apply(txn).err).toBe(ErrorCode.ok);
      }
      expect(treeOf(late.tree)).toEqual(treeOf(steady.tree));
      expect(treeOf(restarted.tree)).toEqual(treeOf(steady.tree));
      expect(restarted.tree.treeDigest).toBe(steady.tree.treeDigest);
      expect(steady.tree.getData('/bulk/n299', superUser).err).toBe(ErrorCode.ok);
    });

  it('refuses steps out of place and clients\' writes in the staging area; a restore run again ' +
    'after one cut off starts afresh', async () => {
    const bytes = encodeSnapshot(sourceTree(1000, 1000).tree.capture());
    const target = new Harness();
    const ordering = new Ordering([target]);
    // A first run stops after two chunks: its staging area is left behind.
    const cut = await streamRestore(async function* () {
      yield bytes.subarray(0, Math.floor(bytes.length / 2));
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }(), {
      propose: async (body) => (body.type === 'restoreEnd' ? { zxid: 0, err: -1 }
        : ordering.apply(body)),
      chunkBytes: 32 * 1024, nodeBytesMax: 1 << 20, frameBytesMax: 64 << 20, stepMs: 10_000,
    });
    expect(cut).toMatchObject({ status: 400, error: expect.stringContaining('cut off') });
    const begin = ordering.steps[0]!;
    const chunk0 = ordering.steps[1]!;
    expect(target.tree.getChildren(staging, superUser).body).toMatchObject({
      children: expect.arrayContaining([chunkName(0), chunkName(1)]) });
    // Clients cannot change staged chunks, nor add to the area.
    expect(target.write(deleteOp(`${staging}/${chunkName(0)}`)).err)
      .toBe(ErrorCode.noAuth);
    expect(target.write(createOp(`${staging}/mine`, {})).err).toBe(ErrorCode.noAuth);
    // A chunk again, out of order, or of no such restore: refused.
    const chunk = chunk0.body as Extract<TxnBody, { type: 'restoreChunk' }>;
    expect(ordering.apply(chunk).err).toBe(ErrorCode.badArguments);
    expect(ordering.apply({ ...chunk, restoreZxid: begin.zxid + 1 }).err)
      .toBe(ErrorCode.badVersion);
    // An end whose digest does not match what is staged changes nothing.
    const staged = ordering.steps.filter((txn) => txn.body.type === 'restoreChunk').length;
    const before = treeOf(target.tree);
    expect(ordering.apply({ type: 'restoreEnd', restoreZxid: begin.zxid, chunks: staged,
      nodes: 1, digest: 1n }).err).toBe(ErrorCode.badArguments);
    expect(treeOf(target.tree)).toEqual(before);

    const again = await ordering.restore(bytes);
    expect(again.status).toBe(200);
    const reference = new Harness();
    await new Ordering([reference]).restore(bytes);
    expect(treeOf(target.tree)).toEqual(treeOf(reference.tree));
    // Over the restored tree, a restore is refused at its begin: 409, nothing staged.
    const over = await ordering.restore(bytes);
    expect(over).toMatchObject({ status: 409, error: expect.stringContaining('new ensemble') });
    expect(target.tree.getData(staging, superUser).err).toBe(ErrorCode.noNode);
  });

  it('does not end a restore over a znode a client created meanwhile (409), restoring nothing',
    async () => {
      const bytes = encodeSnapshot(sourceTree(600, 1000).tree.capture());
      const target = new Harness();
      const ordering = new Ordering([target]);
      const result = await ordering.restore(bytes, (body) => {
        if (body.type === 'restoreEnd' && body.abandon !== true) {
          expect(target.create('/early', {}).err).toBe(ErrorCode.ok);
        }
      });
      expect(result).toMatchObject({ status: 409,
        error: expect.stringContaining('created while') });
      expect(target.tree.getData('/bulk', superUser).err).toBe(ErrorCode.noNode);
      expect(target.tree.getData(staging, superUser).err).toBe(ErrorCode.noNode);
      expect(target.tree.getData('/early', superUser).err).toBe(ErrorCode.ok);
    });

  it.each([
    ['a frame over the bound on what is buffered', { frameBytesMax: 100_000 }, 'frame of'],
    ['a znode over what one txn carries', { nodeBytesMax: 2000 }, 'over the 2000 bytes'],
  ])('refuses %s with 413, restoring nothing', async (_, bounds, reason) => {
    const bytes = encodeSnapshot(sourceTree(300, 3000).tree.capture());
    const target = new Harness();
    const result = await new Ordering([target]).restore(bytes, () => {}, bounds);
    expect(result).toMatchObject({ status: 413, error: expect.stringContaining(reason) });
    expect(target.tree.getData(staging, superUser).err).toBe(ErrorCode.noNode);
    expect(target.tree.getData('/bulk', superUser).err).toBe(ErrorCode.noNode);
  });

  it('abandons a backup that fails its checks once staging began, with the reason', async () => {
    const bytes = Buffer.from(encodeSnapshot(sourceTree(200, 1000).tree.capture()));
    bytes[bytes.length - 40]! ^= 0xff;
    const target = new Harness();
    const ordering = new Ordering([target]);
    const result = await ordering.restore(bytes);
    expect(result).toMatchObject({ status: 400, error: expect.stringContaining('checksum') });
    expect(ordering.steps.at(-1)!.body).toMatchObject({ type: 'restoreEnd', abandon: true });
    expect(target.tree.getData(staging, superUser).err).toBe(ErrorCode.noNode);
    expect(target.write(createOp('/fresh', {}), anonymous).err).toBe(ErrorCode.ok);
  });
});
