import { describe, expect, it } from 'vitest';
import { CreateFlag, Perm } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Stat } from '../../protocol/records.js';
import { DataTree } from '../../tree/data-tree.js';
import { containerEphemeralOwner, ttlEphemeralOwner } from '../../tree/znode.js';
import { Harness, alice, anonymous, deleteOp, open, session, setDataOp } from './helpers.js';

const sequential = CreateFlag.persistentSequential;
const withTtl = CreateFlag.persistentWithTtl;

function statOf(tree: DataTree, path: string): Stat {
  const stat = tree.statOf(path);
  if (stat === undefined) throw new Error(`no node ${path}`);
  return stat;
}

describe('bootstrap nodes', () => {
  it('has /, /zookeeper, /zookeeper/quota and /zookeeper/config with zero stats', () => {
    const tree = new DataTree();
    expect(tree.getChildren('/', anonymous).body)
      .toEqual({ kind: 'children', children: ['zookeeper'] });
    expect(tree.getChildren('/zookeeper', anonymous).body).toEqual({
      kind: 'children',
      children: ['quota', 'config'],
    });
    // Clients see 2 × creates − children: the bootstrap children were never "created".
    expect(statOf(tree, '/'))
      .toMatchObject({ czxid: 0, mzxid: 0, pzxid: 0, cversion: -1, numChildren: 1 });
    expect(statOf(tree, '/zookeeper')).toMatchObject({ cversion: -2, numChildren: 2 });
    expect(statOf(tree, '/zookeeper/config')).toMatchObject({ aversion: -1, version: 0 });
    expect(tree.nodeCount).toBe(4);
    expect(tree.lastZxid).toBe(0);
  });

  it('gives /zookeeper/config world:anyone READ only', () => {
    const tree = new DataTree();
    expect(tree.getACL('/zookeeper/config', anonymous).body).toMatchObject({
      acl: [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }],
    });
    expect(tree.getACL('/zookeeper', anonymous).body).toMatchObject({ acl: open });
  });

  it.each(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'])(
    'refuses to delete %s (badArguments)',
    (path) => {
      const harness = new Harness();
      expect(harness.write(deleteOp(path)).err).toBe(ErrorCode.badArguments);
    },
  );

  it('refuses writes to /zookeeper/config (noAuth) but allows them on /zookeeper', () => {
    const harness = new Harness();
    expect(harness.write(setDataOp('/zookeeper/config', 'x')).err).toBe(ErrorCode.noAuth);
    expect(harness.write(setDataOp('/zookeeper', 'x')).err).toBe(0);
  });

  it('counts every descendant of / including the /zookeeper nodes', () => {
    const tree = new DataTree();
    expect(tree.getAllChildrenNumber('/', anonymous).body).toEqual({ kind: 'number', value: 3 });
  });

  it('counts / itself too for the path "" (keys starting with "/" in ZooKeeper\'s map)', () => {
    const tree = new DataTree();
    expect(tree.getAllChildrenNumber('', anonymous).body).toEqual({ kind: 'number', value: 4 });
  });
});

describe('create', () => {
  it('sets every stat field from the txn and updates the parent', () => {
    const harness = new Harness();
    const outcome = harness.create('/a', { data: 'hello' });
    expect(outcome.err).toBe(0);
    const zxid = harness.zxid;
    const expected: Stat = {
      czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: zxid * 1000, mtime: zxid * 1000,
      version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0,
    };
    expect(outcome.body).toEqual({ kind: 'pathStat', path: '/a', stat: expected });
    expect(statOf(harness.tree, '/')).toMatchObject({ cversion: 0, pzxid: zxid, numChildren: 2 });
    expect(outcome.triggers).toMatchObject([
      { path: '/a', type: 'created' },
      { path: '/', type: 'childrenChanged' },
    ]);
    expect(harness.tree.lastZxid).toBe(zxid);
  });

  it('answers opcode create with a path only', () => {
    const harness = new Harness();
    expect(harness.create('/a', { opcode: 1 }).body).toEqual({ kind: 'path', path: '/a' });
  });

  it('appends the parent cversion as a ten-digit sequence number', () => {
    const harness = new Harness();
    harness.create('/q');
    const first = harness.create('/q/item-', { flags: sequential, opcode: 1 });
    const second = harness.create('/q/item-', { flags: sequential, opcode: 1 });
    expect(first.body).toEqual({ kind: 'path', path: '/q/item-0000000000' });
    expect(second.body).toEqual({ kind: 'path', path: '/q/item-0000000001' });
  });

  it('allows a sequential path ending in / (the name is the number)', () => {
    const harness = new Harness();
    harness.create('/q');
    expect(harness.create('/q/', { flags: sequential, opcode: 1 }).body)
      .toEqual({
      kind: 'path',
      path: '/q/0000000000',
    });
  });

  it('numbers sequential children by creates while cversion counts deletes too (ZK 3.8)', () => {
    const harness = new Harness();
    harness.create('/q');
    harness.create('/q/a');
    harness.create('/q/b');
    harness.write(deleteOp('/q/a'));
    harness.write(deleteOp('/q/b'));
    expect(statOf(harness.tree, '/q')).toMatchObject({ cversion: 4, numChildren: 0 });
    const next = harness.create('/q/s-', { flags: sequential, opcode: 1 });
    expect(next.body).toEqual({ kind: 'path', path: '/q/s-0000000002' });
    expect(statOf(harness.tree, '/q').cversion).toBe(5);
  });

  it('makes the session the owner of an ephemeral node', () => {
    const harness = new Harness();
    harness.create('/e', { flags: CreateFlag.ephemeral });
    expect(statOf(harness.tree, '/e').ephemeralOwner).toBe(session);
    expect(harness.tree.ephemeralsOf(session)).toEqual(['/e']);
  });

  it('rejects a child of an ephemeral (noChildrenForEphemerals)', () => {
    const harness = new Harness();
    harness.create('/e', { flags: CreateFlag.ephemeral });
    expect(harness.create('/e/c').err).toBe(ErrorCode.noChildrenForEphemerals);
  });

  it('rejects a sequential child of an ephemeral (noChildrenForEphemerals)', () => {
    const harness = new Harness();
    harness.create('/e', { flags: CreateFlag.ephemeral });
    const outcome = harness.create('/e/c-', { flags: CreateFlag.ephemeralSequential });
    expect(outcome.err).toBe(ErrorCode.noChildrenForEphemerals);
  });

  it('checks nodeExists before noChildrenForEphemerals', () => {
    const harness = new Harness();
    harness.create('/e', { flags: CreateFlag.ephemeral });
    expect(harness.create('/e').err).toBe(ErrorCode.nodeExists);
  });

  it.each([
    ['/missing/child', ErrorCode.noNode],
    ['/', ErrorCode.nodeExists],
    ['/zookeeper', ErrorCode.nodeExists],
    ['noslash', ErrorCode.badArguments],
    ['/a\u0000', ErrorCode.badArguments],
    ['/a/', ErrorCode.badArguments],
    ['/a//b', ErrorCode.noNode],
    ['/a/.', ErrorCode.badArguments],
  ])('create %j fails with %i', (path, err) => {
    const harness = new Harness();
    harness.create('/a');
    expect(harness.create(path).err).toBe(err);
  });

  it('validates the ACL before looking up the parent (invalidACL beats noNode)', () => {
    const harness = new Harness();
    expect(harness.create('/missing/x', { acl: [] }).err).toBe(ErrorCode.invalidACL);
  });

  it('needs CREATE on the parent (noAuth), checked before the full path syntax', () => {
    const harness = new Harness();
    const readOnly = [{ perms: Perm.all & ~Perm.create, id: { scheme: 'world', id: 'anyone' } }];
    harness.create('/locked', { acl: readOnly });
    expect(harness.create('/locked/x').err).toBe(ErrorCode.noAuth);
    expect(harness.create('/locked/.').err).toBe(ErrorCode.noAuth);
  });

  it('stores the ACL with auth expanded to the creator identities', () => {
    const harness = new Harness();
    const outcome = harness.create('/mine', {
      acl: [{ perms: Perm.all, id: { scheme: 'auth', id: '' } }],
      auth: alice,
    });
    expect(outcome.err).toBe(0);
    expect(harness.tree.getACL('/mine', alice).body).toMatchObject({
      acl: [{ perms: Perm.all, id: { scheme: 'digest', id: 'alice:hash' } }],
    });
    expect(harness.tree.getData('/mine', anonymous).err).toBe(ErrorCode.noAuth);
  });

  it('rejects unknown flags (badArguments)', () => {
    const harness = new Harness();
    expect(harness.create('/x', { flags: 7 }).err).toBe(ErrorCode.badArguments);
  });

  it('rejects data over dataBytesMax (marshallingError) and accepts data at the limit', () => {
    const harness = new Harness({ dataBytesMax: 4 });
    expect(harness.create('/big', { data: '12345' }).err).toBe(ErrorCode.marshallingError);
    expect(harness.create('/ok', { data: '1234' }).err).toBe(0);
  });

  it('fails a write from a session the tree does not know (sessionExpired)', () => {
    const harness = new Harness();
    expect(harness.create('/x', { sessionId: 0x999n }).err).toBe(ErrorCode.sessionExpired);
    expect(harness.tree.hasNode('/x')).toBe(false);
  });
});

describe('containers and TTL nodes', () => {
  it('encodes a container owner as Long.MIN_VALUE but shows clients 0 (DataNode.copyStat)', () => {
    const harness = new Harness();
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    expect(statOf(harness.tree, '/c').ephemeralOwner).toBe(0n);
    expect(containerEphemeralOwner).toBe(-0x8000000000000000n);
  });

  it('allows containers without extendedTypesEnabled, as ZooKeeper does', () => {
    const harness = new Harness({ extendedTypesEnabled: false });
    expect(harness.create('/c', { opcode: 19, flags: CreateFlag.container }).err).toBe(0);
  });

  it('rejects TTL nodes unless extended types are enabled (unimplemented)', () => {
    const harness = new Harness();
    const outcome = harness.create('/t', { opcode: 21, flags: withTtl, ttl: 100 });
    expect(outcome.err).toBe(ErrorCode.unimplemented);
  });

  it('encodes a TTL owner as 0xFF00000000000000 | ttl but shows clients 0', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    const outcome = harness.create('/t', { opcode: 21, flags: withTtl, ttl: 100 });
    expect(outcome.err).toBe(0);
    expect(statOf(harness.tree, '/t').ephemeralOwner).toBe(0n);
    expect(ttlEphemeralOwner(100)).toBe(BigInt.asIntN(64, 0xff00000000000064n));
  });

  it.each([
    [0, ErrorCode.badArguments],
    [-5, ErrorCode.badArguments],
    [0xffffffffff + 1, ErrorCode.badArguments],
    [0xffffffffff, 0],
    [1, 0],
  ])('TTL %i gives %i', (ttl, err) => {
    const harness = new Harness({ extendedTypesEnabled: true });
    expect(harness.create('/t', { opcode: 21, flags: withTtl, ttl }).err)
      .toBe(err);
  });

  it('rejects a ttl on a non-TTL mode of createTTL (badArguments)', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    expect(harness.create('/t', { opcode: 21, flags: CreateFlag.persistent, ttl: 10 }).err).toBe(
      ErrorCode.badArguments,
    );
  });

  it('rejects a TTL mode sent without createTTL (no ttl, badArguments)', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    expect(harness.create('/t', { opcode: 15, flags: withTtl }).err).toBe(
      ErrorCode.badArguments,
    );
  });

  it('names sequential TTL nodes like any sequential node', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    const flags = CreateFlag.persistentSequentialWithTtl;
    expect(harness.create('/t-', { opcode: 21, flags, ttl: 5 }).body)
      .toMatchObject({ path: '/t-0000000000' });
  });

  it('lets containers and TTL nodes have children', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    harness.create('/t', { opcode: 21, flags: withTtl, ttl: 5 });
    expect(harness.create('/c/x').err).toBe(0);
    expect(harness.create('/t/x').err).toBe(0);
  });

  it('never deletes an emptied container on the spot', () => {
    const harness = new Harness();
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    harness.create('/c/x');
    const outcome = harness.write(deleteOp('/c/x'));
    expect(outcome.triggers).toMatchObject([
      { path: '/c/x', type: 'deleted' },
      { path: '/c', type: 'childrenChanged' },
    ]);
    expect(harness.tree.hasNode('/c')).toBe(true);
  });
});
