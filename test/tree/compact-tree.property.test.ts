// The compact tree (tree/) against the tree it replaced (test/tree/reference/), on random
// sequences of txns: every outcome, every read answer and stat, the digests, children lists,
// the session and ephemeral tables, fuzzy captures read while txns apply, and snapshot bytes
// must be the same after each txn. A restore from those bytes must continue identically.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Perm } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import type { MultiOp, WriteRequest } from '../../protocol/requests.js';
import type { AuthContext, Txn, TxnBody } from '../../protocol/txn.js';
import { encodeSnapshot, snapshotBytesZxid, visitSnapshotBytes } from
  '../../storage/snapshot-file.js';
import { DataTree } from '../../tree/data-tree.js';
import type { TreeCapture } from '../../tree/snapshot.js';
import { DataTree as ReferenceTree } from './reference/data-tree.js';

type AnyTree = DataTree | ReferenceTree;

const open: ACL[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const readOnly: ACL[] = [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }];
const digestAcl: ACL[] = [
  { perms: Perm.all, id: { scheme: 'digest', id: 'alice:x1' } },
  { perms: Perm.read | Perm.create, id: { scheme: 'world', id: 'anyone' } },
];
const superUser: AuthContext = { ids: [], superUser: true };
const anonymous: AuthContext = { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false };
const sessions = [0x100n, 0x200n, 0x300n];

/** Few paths, so creates, deletes and sets meet the same nodes often. */
const paths = ['/a', '/a/b', '/a/b/c', '/a/e', '/b', '/b/x', '/b/x/y', '/c', '/zookeeper/q',
  '/zookeeper/config', '/', '/a/', '/d/e', '', 'a', '/a//b', '/a/./b'];

/** A path from the pool, or one resolved when the step runs (see resolvePaths): "#n" is the
 * n-th node of the tree then, "#n/name" a child of it. Most ops so meet nodes that exist. */
const pathArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...paths) },
  { weight: 4, arbitrary: fc.nat(50).map((index) => `#${index}`) },
  { weight: 4, arbitrary: fc.tuple(fc.nat(50), fc.constantFrom('a', 'b', 'c'))
    .map(([index, name]) => `#${index}/${name}`) },
);
/** Null, empty, small, and over the size a compact store might keep inline. */
const dataArb = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 100, max: 5000 }).map((length) => Buffer.alloc(length, length & 0xff)),
);
const aclArb = fc.oneof({ weight: 8, arbitrary: fc.constant<ACL[] | null>(open) },
  fc.constantFrom<ACL[] | null>(readOnly, digestAcl, null, []));
const versionArb = fc.constantFrom(-1, -1, -1, 0, 1, 2);
const authArb = fc.constantFrom(superUser, anonymous);

/** A create whose opcode, flags and ttl agree (as clients send them), or now and then not. */
const createModeArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ opcode: fc.constantFrom<1 | 15>(1, 15),
    flags: fc.constantFrom(0, 0, 1, 2, 3), ttl: fc.constant(-1) }) },
  { weight: 1, arbitrary: fc.constant({ opcode: 19 as const, flags: 4, ttl: -1 }) },
  { weight: 1, arbitrary: fc.record({ opcode: fc.constant(21 as const),
    flags: fc.constantFrom(5, 6), ttl: fc.constantFrom(1, 5000) }) },
  { weight: 1, arbitrary: fc.record({ opcode: fc.constantFrom<1 | 15 | 19 | 21>(1, 15, 19, 21),
    flags: fc.constantFrom(0, 4, 5, 9), ttl: fc.constantFrom(-1, 0, 1) }) },
);
const createArb = fc.record({ path: pathArb, data: dataArb, acl: aclArb, mode: createModeArb })
  .map(({ path, data, acl, mode }) => ({ kind: 'create' as const, path, data, acl, ...mode }));
const deleteArb = fc.record({ kind: fc.constant('delete' as const),
  path: fc.oneof({ weight: 4, arbitrary: fc.nat(50).map((index) => `#${index}`) }, pathArb),
  version: versionArb });
const setDataArb = fc.record({ kind: fc.constant('setData' as const), path: pathArb,
  data: dataArb, version: versionArb });
const checkArb = fc.record({ kind: fc.constant('check' as const), path: pathArb,
  version: versionArb });
const setAclArb = fc.record({ kind: fc.constant('setACL' as const), path: pathArb, acl: aclArb,
  version: versionArb });
const multiOpArb: fc.Arbitrary<MultiOp> = fc.oneof(createArb, deleteArb, setDataArb, checkArb);
const multiArb = fc.record({ kind: fc.constant('multi' as const),
  ops: fc.array(multiOpArb, { minLength: 1, maxLength: 4 }) });
/** A multi whose last op always fails: every op before it is rolled back. */
const rollbackArb = fc.array(multiOpArb, { minLength: 1, maxLength: 4 }).map((ops) => ({
  kind: 'multi' as const, ops: [...ops, { kind: 'check' as const, path: '/none', version: 0 }] }));
const writeArb: fc.Arbitrary<WriteRequest> = fc.oneof(
  { weight: 2, arbitrary: rollbackArb },
  { weight: 8, arbitrary: createArb }, { weight: 3, arbitrary: deleteArb },
  { weight: 3, arbitrary: setDataArb }, { weight: 1, arbitrary: setAclArb },
  { weight: 1, arbitrary: checkArb }, { weight: 2, arbitrary: multiArb });

/** One step: a txn, or an action on both trees (a capture begun, or a restart from bytes). */
type Step =
  | { kind: 'txn'; body: TxnBody; sessionId: bigint; timeStep: number }
  | { kind: 'capture'; readEvery: number }
  | { kind: 'restart' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 16, arbitrary: fc.record({ request: writeArb, auth: authArb,
    sessionId: fc.constantFrom(sessions[0]!, ...sessions), timeStep: fc.constantFrom(1, 10_000) })
    .map(({ request, auth, sessionId, timeStep }): Step => ({ kind: 'txn', sessionId, timeStep,
      body: { type: 'write', request, auth } })) },
  { weight: 1, arbitrary: fc.constantFrom(...sessions).map((sessionId): Step => ({ kind: 'txn',
    sessionId, timeStep: 1, body: { type: 'createSession', sessionId, timeoutMs: 30_000,
      password: Buffer.from('secret') } })) },
  // The first session is never closed, so most writes have a live session.
  { weight: 1, arbitrary: fc.constantFrom(...sessions.slice(1)).map((sessionId): Step => ({
    kind: 'txn', sessionId, timeStep: 1, body: { type: 'closeSession', sessionId } })) },
  { weight: 1, arbitrary: pathArb.map((path): Step => ({ kind: 'txn', sessionId: 0n,
    timeStep: 20_000, body: { type: 'deleteContainer', path } })) },
  { weight: 2, arbitrary: fc.constantFrom(1, 4, 0).map((readEvery): Step => ({ kind: 'capture',
    readEvery })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) },
);

function childOf(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The request with its "#…" paths (see pathArb) named after the nodes of `existing`. */
function resolvePaths(body: TxnBody, existing: readonly string[]): TxnBody {
  const resolve = (path: string): string => {
    if (!path.startsWith('#')) return path;
    const [index, name] = path.slice(1).split('/');
    // "#n" names a node other than the root when there is one (the root cannot change much).
    if (name === undefined) {
      const below = existing.length > 1 ? existing.slice(1) : existing;
      return below[Number(index) % below.length]!;
    }
    const base = existing[Number(index) % existing.length]!;
    return base === '/' ? `/${name}` : `${base}/${name}`;
  };
  if (body.type === 'deleteContainer') return { ...body, path: resolve(body.path) };
  if (body.type !== 'write') return body;
  const request = body.request;
  if (request.kind === 'multi') {
    return { ...body, request: { ...request,
      ops: request.ops.map((op) => ({ ...op, path: resolve(op.path) })) } };
  }
  return 'path' in request ? { ...body, request: { ...request, path: resolve(request.path) } }
    : body;
}

/** Every node of the tree, by walking getChildren from the root. */
function nodesOf(tree: AnyTree): string[] {
  const found: string[] = [];
  const pending = ['/'];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    found.push(next);
    const result = tree.getChildren(next, superUser);
    if (result.body.kind !== 'children') continue;
    for (const child of result.body.children) pending.push(childOf(next, child));
  }
  return found;
}

/** Every path in the tree, by walking getChildren from the root, plus the pool's. */
function pathsOf(tree: AnyTree): string[] {
  const found = new Set(paths);
  const pending = ['/'];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    found.add(next);
    const result = tree.getChildren(next, superUser);
    if (result.body.kind !== 'children') continue;
    for (const child of result.body.children) pending.push(childOf(next, child));
  }
  return [...found].sort();
}

function peekOf(tree: AnyTree, path: string): unknown {
  const peeked = tree.peek(path);
  return peeked === undefined ? undefined : [peeked.mzxid, peeked.pzxid];
}

/** Everything a reader can learn from a tree, as one comparable value. */
function observe(tree: AnyTree, time: number): unknown {
  const reads = pathsOf(tree).map((path) => [path,
    tree.exists(path), tree.getData(path, anonymous), tree.getChildren2(path, anonymous),
    tree.getChildren(path, superUser), tree.getACL(path, anonymous), tree.getACL(path, superUser),
    tree.getAllChildrenNumber(path, superUser), peekOf(tree, path), tree.statOf(path),
    tree.hasNode(path),
    tree.permits(path, Perm.write, anonymous),
    tree.multiRead([{ kind: 'getData', path, watch: false },
      { kind: 'getChildren', path, watch: false }], superUser)]);
  return {
    reads,
    nodeCount: tree.nodeCount,
    dataSize: tree.approximateDataSize,
    treeDigest: tree.treeDigest,
    digest: tree.digest(),
    sessions: [...tree.sessions],
    ephemerals: [...tree.ephemeralsBySession()],
    ephemeralCount: tree.ephemeralCount,
    ephemeralsOf: sessions.map((id) => [tree.ephemeralsOf(id), tree.getEphemerals(id, '/a')]),
    candidates: tree.containerCandidates(time),
    config: tree.getConfigData(),
    lastZxid: tree.lastZxid,
    staged: tree.stagedRestore(),
  };
}

/** A tree restored from snapshot bytes, as a replica loads one. */
function restoredFrom<Tree extends AnyTree>(bytes: Buffer, tree: Tree): Tree {
  const zxid = snapshotBytesZxid('property', bytes);
  tree.restore(zxid, (restorer) => {
    visitSnapshotBytes('property', bytes, {
      acls: (acls) => restorer.addAcls(acls),
      node: (fields) => restorer.nodeFields(fields),
      sessions: (list) => {
        for (const session of list) {
          restorer.session({ ...session, password: Buffer.from(session.password) });
        }
      },
    });
  });
  return tree;
}

function bytesOf(tree: AnyTree): Buffer {
  return encodeSnapshot(tree.capture() as unknown as TreeCapture);
}

/** A capture of each tree, read one record per later step (fuzzy: txns apply in between). */
interface OpenCapture {
  compact: ReturnType<DataTree['capture']>;
  reference: ReturnType<ReferenceTree['capture']>;
  next: number;
  /** A record read every this many txns; 0: all read only at the end. */
  readEvery: number;
  txns: number;
}

function readRecord(open: OpenCapture): void {
  if (open.next >= open.compact.nodeCount) return;
  expect(open.compact.record(open.next)).toEqual(open.reference.record(open.next));
  expect(open.compact.newAcls()).toEqual(open.reference.newAcls());
  open.next++;
}

function run(steps: Step[]): void {
  const options = { extendedTypesEnabled: true };
  let compact = new DataTree(options);
  let reference = new ReferenceTree(options);
  let zxid = 0;
  let time = 1000;
  const captures: OpenCapture[] = [];
  for (const step of steps) {
    if (step.kind === 'capture') {
      const pair = { compact: compact.capture(), reference: reference.capture(), next: 0,
        readEvery: step.readEvery, txns: 0 };
      expect(pair.compact.nodeCount).toBe(pair.reference.nodeCount);
      captures.push(pair);
      continue;
    }
    if (step.kind === 'restart') {
      const bytes = bytesOf(compact);
      expect(bytes.equals(bytesOf(reference))).toBe(true);
      compact = restoredFrom(bytes, new DataTree(options));
      reference = restoredFrom(bytes, new ReferenceTree(options));
      expect(observe(compact, time)).toEqual(observe(reference, time));
      continue;
    }
    zxid++;
    time += step.timeStep;
    const body = resolvePaths(step.body,
      nodesOf(reference).filter((path) => !path.startsWith('/zookeeper')));
    const txn: Txn = { zxid, time, sessionId: step.sessionId, cxid: zxid, body };
    expect(compact.apply(txn)).toEqual(reference.apply(txn));
    for (const pair of captures) {
      if (pair.readEvery > 0 && ++pair.txns % pair.readEvery === 0) readRecord(pair);
    }
    expect(observe(compact, time)).toEqual(observe(reference, time));
  }
  for (const pair of captures) {
    while (pair.next < pair.compact.nodeCount) readRecord(pair);
    pair.compact.release();
    pair.reference.release();
  }
  expect(bytesOf(compact).equals(bytesOf(reference))).toBe(true);
}

describe('compact tree against the reference tree', () => {
  it('gives the same outcomes, reads, digests, captures and snapshot bytes on random txns', () => {
    const initial = sessions.map((sessionId): Step => ({ kind: 'txn', sessionId, timeStep: 1,
      body: { type: 'createSession', sessionId, timeoutMs: 30_000,
        password: Buffer.from('secret') } }));
    fc.assert(fc.property(fc.array(stepArb, { minLength: 5, maxLength: 50 }), (steps) => {
      run([...initial, ...steps]);
    }), { numRuns: 60, seed: 16 });
  });
});
