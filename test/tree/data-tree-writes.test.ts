import { describe, expect, it } from 'vitest';
import { CreateFlag, Perm } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  Harness,
  alice,
  anonymous,
  checkOp,
  createOp,
  deleteOp,
  open,
  session,
  setDataOp,
} from './helpers.js';

const noPerm = (perm: number) => [
  { perms: Perm.all & ~perm, id: { scheme: 'world', id: 'anyone' } },
];

describe('delete', () => {
  it('moves the parent pzxid and cversion, and fires deleted then childrenChanged', () => {
    const harness = new Harness();
    harness.create('/a');
    harness.create('/a/b');
    const outcome = harness.write(deleteOp('/a/b'));
    expect(outcome).toMatchObject({ err: 0, body: { kind: 'none' } });
    expect(outcome.triggers).toMatchObject([
      { path: '/a/b', type: 'deleted' },
      { path: '/a', type: 'childrenChanged' },
    ]);
    expect(harness.tree.statOf('/a'))
      .toMatchObject({ pzxid: harness.zxid, cversion: 2, numChildren: 0 });
  });

  it.each([
    ['version mismatch', deleteOp('/a', 3), ErrorCode.badVersion],
    ['a node with children', deleteOp('/a'), ErrorCode.notEmpty],
    ['a missing node', deleteOp('/nope'), ErrorCode.noNode],
    ['a missing parent', deleteOp('/nope/x'), ErrorCode.noNode],
    ['no slash', deleteOp('a'), ErrorCode.badArguments],
    ['a trailing slash (looked up as is)', deleteOp('/a/'), ErrorCode.noNode],
  ])('fails on %s', (_name, request, err) => {
    const harness = new Harness();
    harness.create('/a');
    harness.create('/a/b');
    expect(harness.write(request).err).toBe(err);
  });

  it('needs DELETE on the parent, checked before the node exists (noAuth)', () => {
    const harness = new Harness();
    harness.create('/p', { acl: noPerm(Perm.delete) });
    harness.create('/p/c');
    expect(harness.write(deleteOp('/p/c')).err).toBe(ErrorCode.noAuth);
    expect(harness.write(deleteOp('/p/missing')).err).toBe(ErrorCode.noAuth);
  });

  it('accepts the exact version', () => {
    const harness = new Harness();
    harness.create('/a');
    harness.write(setDataOp('/a', 'x'));
    expect(harness.write(deleteOp('/a', 0)).err).toBe(ErrorCode.badVersion);
    expect(harness.write(deleteOp('/a', 1)).err).toBe(0);
  });
});

describe('setData', () => {
  it('bumps version, sets mtime and mzxid, keeps czxid and ctime', () => {
    const harness = new Harness();
    harness.create('/a', { data: 'one' });
    const created = harness.zxid;
    const outcome = harness.write(setDataOp('/a', 'three', 0));
    expect(outcome.body).toEqual({
      kind: 'stat',
      stat: expect.objectContaining({
        version: 1, mzxid: harness.zxid, mtime: harness.zxid * 1000, czxid: created,
        ctime: created * 1000, dataLength: 5,
      }),
    });
    expect(outcome.triggers).toMatchObject([{ path: '/a', type: 'dataChanged' }]);
    expect(harness.tree.getData('/a', anonymous).body)
      .toMatchObject({ data: Buffer.from('three') });
  });

  it.each([
    ['badVersion', setDataOp('/a', 'x', 5), ErrorCode.badVersion],
    ['noNode', setDataOp('/nope', 'x'), ErrorCode.noNode],
    ['badArguments for an invalid path', setDataOp('/a/', 'x'), ErrorCode.badArguments],
  ])('fails with %s', (_name, request, err) => {
    const harness = new Harness();
    harness.create('/a');
    expect(harness.write(request).err).toBe(err);
  });

  it('needs WRITE (noAuth), checked before the version', () => {
    const harness = new Harness();
    harness.create('/a', { acl: noPerm(Perm.write) });
    expect(harness.write(setDataOp('/a', 'x', 9)).err).toBe(ErrorCode.noAuth);
  });

  it('rejects data over dataBytesMax (marshallingError)', () => {
    const harness = new Harness({ dataBytesMax: 2 });
    harness.create('/a');
    expect(harness.write(setDataOp('/a', 'xyz')).err).toBe(ErrorCode.marshallingError);
  });

  it('keeps the approximate data size in step', () => {
    const harness = new Harness();
    const before = harness.tree.approximateDataSize;
    harness.create('/a', { data: 'abc' });
    expect(harness.tree.approximateDataSize).toBe(before + 2 + 3);
    harness.write(setDataOp('/a', 'abcdef'));
    expect(harness.tree.approximateDataSize).toBe(before + 2 + 6);
    harness.write(deleteOp('/a'));
    expect(harness.tree.approximateDataSize).toBe(before);
  });
});

describe('setACL', () => {
  const readOnly = [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }];

  it('bumps aversion only and fires nothing', () => {
    const harness = new Harness();
    harness.create('/a');
    const outcome = harness.write({ kind: 'setACL', path: '/a', acl: readOnly, version: 0 });
    expect(outcome.body)
      .toEqual({ kind: 'stat', stat: expect.objectContaining({ aversion: 1, version: 0 }) });
    expect(outcome.triggers).toEqual([]);
    expect(harness.write(setDataOp('/a', 'x')).err).toBe(ErrorCode.noAuth);
  });

  it.each([
    ['badVersion on aversion', { path: '/a', acl: open, version: 1 }, ErrorCode.badVersion],
    ['invalidACL before noNode', { path: '/nope', acl: [], version: -1 }, ErrorCode.invalidACL],
    ['noNode', { path: '/nope', acl: open, version: -1 }, ErrorCode.noNode],
    ['badArguments', { path: 'a', acl: open, version: -1 }, ErrorCode.badArguments],
  ])('fails with %s', (_name, fields, err) => {
    const harness = new Harness();
    harness.create('/a');
    expect(harness.write({ kind: 'setACL', ...fields }).err).toBe(err);
  });

  it('needs ADMIN (noAuth), unless super user', () => {
    const harness = new Harness();
    harness.create('/a', { acl: noPerm(Perm.admin) });
    const request = { kind: 'setACL', path: '/a', acl: open, version: -1 } as const;
    expect(harness.write(request).err).toBe(ErrorCode.noAuth);
    expect(harness.write(request, { ids: [], superUser: true }).err).toBe(0);
  });
});

describe('check', () => {
  it('passes on a matching version and fails with badVersion otherwise', () => {
    const harness = new Harness();
    harness.create('/a');
    expect(harness.write(checkOp('/a', 0)))
      .toMatchObject({ err: 0, body: { kind: 'none' }, triggers: [] });
    expect(harness.write(checkOp('/a', 1)).err).toBe(ErrorCode.badVersion);
    expect(harness.write(checkOp('/b', -1)).err).toBe(ErrorCode.noNode);
  });

  it('needs READ (noAuth)', () => {
    const harness = new Harness();
    harness.create('/a', { acl: noPerm(Perm.read) });
    expect(harness.write(checkOp('/a', -1)).err).toBe(ErrorCode.noAuth);
  });
});

describe('trigger ACLs (what ZooKeeper checks READ against before telling a watcher)', () => {
  it('carry the node\'s ACL, and the parent\'s for childrenChanged', () => {
    const harness = new Harness({}, [session, 0x200n]);
    const parentAcl = noPerm(Perm.admin);
    const childAcl = noPerm(Perm.write | Perm.read);
    harness.create('/p', { acl: parentAcl });
    const pairs = (outcome: { triggers: Array<{ type: string; acl: unknown }> }) =>
      outcome.triggers.map((trigger) => [trigger.type, trigger.acl]);
    expect(pairs(harness.create('/p/c', { acl: childAcl })))
      .toEqual([['created', childAcl], ['childrenChanged', parentAcl]]);
    harness.write({ kind: 'setACL', path: '/p/c', acl: open, version: -1 });
    expect(pairs(harness.write(setDataOp('/p/c', 'x')))).toEqual([['dataChanged', open]]);
    expect(pairs(harness.write(deleteOp('/p/c'))))
      .toEqual([['deleted', open], ['childrenChanged', parentAcl]]);
    harness.create('/p/e', { acl: childAcl, flags: CreateFlag.ephemeral, sessionId: 0x200n });
    expect(pairs(harness.closeSession(0x200n)))
      .toEqual([['deleted', childAcl], ['childrenChanged', parentAcl]]);
  });
});

describe('multi', () => {
  it('applies every op with one zxid and answers per op', () => {
    const harness = new Harness();
    const outcome = harness.write({
      kind: 'multi',
      ops: [
        createOp('/m', { opcode: 1 }),
        createOp('/m/c'),
        setDataOp('/m', 'x'),
        checkOp('/m', 1),
        deleteOp('/m/c'),
      ],
    });
    const zxid = harness.zxid;
    expect(outcome.err).toBe(0);
    expect(outcome.body).toEqual({
      kind: 'multi',
      results: [
        { kind: 'create', path: '/m', stat: null },
        { kind: 'create', path: '/m/c', stat: null },
        { kind: 'setData', stat: expect.objectContaining({ version: 1, mzxid: zxid }) },
        { kind: 'check' },
        { kind: 'delete' },
      ],
    });
    expect(outcome.triggers.map((trigger) => `${trigger.type} ${trigger.path}`)).toEqual([
      'created /m', 'childrenChanged /', 'created /m/c', 'childrenChanged /m', 'dataChanged /m',
      'deleted /m/c', 'childrenChanged /m',
    ]);
  });

  it('rolls everything back when an op fails: 0 before, its error, -2 after; header err 0', () => {
    const harness = new Harness();
    harness.create('/keep', { data: 'v0' });
    const digest = harness.tree.digest();
    const size = harness.tree.approximateDataSize;
    const outcome = harness.write({
      kind: 'multi',
      ops: [
        createOp('/new'),
        setDataOp('/keep', 'v1'),
        checkOp('/keep', 0),
        createOp('/x'),
        deleteOp('/keep'),
      ],
    });
    expect(outcome.err).toBe(0);
    expect(outcome.triggers).toEqual([]);
    expect(outcome.body).toEqual({
      kind: 'multi',
      results: [
        { kind: 'error', err: 0 },
        { kind: 'error', err: 0 },
        { kind: 'error', err: ErrorCode.badVersion },
        { kind: 'error', err: ErrorCode.runtimeInconsistency },
        { kind: 'error', err: ErrorCode.runtimeInconsistency },
      ],
    });
    expect(harness.tree.digest()).toBe(digest);
    expect(harness.tree.approximateDataSize).toBe(size);
    expect(harness.tree.statOf('/')).toMatchObject({ cversion: 0, numChildren: 2 });
  });

  it('rolls back a delete, restoring the parent pzxid and the ephemeral index', () => {
    const harness = new Harness();
    harness.create('/e', { flags: CreateFlag.ephemeral });
    const digest = harness.tree.digest();
    const outcome = harness.write({ kind: 'multi', ops: [deleteOp('/e'), checkOp('/e', -1)] });
    expect(outcome.body).toMatchObject({ results: [{ err: 0 }, { err: ErrorCode.noNode }] });
    expect(harness.tree.digest()).toBe(digest);
    expect(harness.tree.ephemeralsOf(session)).toEqual(['/e']);
  });

  it('sees the earlier ops of the same multi (sequence numbers count them)', () => {
    const harness = new Harness();
    const flags = CreateFlag.persistentSequential;
    const outcome = harness.write({
      kind: 'multi',
      ops: [
        createOp('/q'),
        createOp('/q/s-', { flags, opcode: 1 }),
        createOp('/q/s-', { flags, opcode: 1 }),
      ],
    });
    expect(outcome.body).toMatchObject({
      results: [{ path: '/q' }, { path: '/q/s-0000000000' }, { path: '/q/s-0000000001' }],
    });
  });

  it('answers an empty multi with no results', () => {
    const harness = new Harness();
    expect(harness.write({ kind: 'multi', ops: [] }))
      .toMatchObject({ err: 0, body: { kind: 'multi', results: [] } });
  });

  it('fails a multi holding a read op as a whole (marshallingError)', () => {
    const harness = new Harness();
    const ops = [createOp('/a'), { kind: 'getData', path: '/', watch: false } as const];
    const outcome = harness.write({ kind: 'multi', ops });
    expect(outcome.err).toBe(ErrorCode.marshallingError);
    expect(harness.tree.hasNode('/a')).toBe(false);
  });

  // ZooKeeper rebuilds each create of a multi with Op.create, which takes the op type from the
  // flags (Op.Create.getOpcode), not from the opcode sent: container flags → createContainer,
  // TTL flags → createTTL, others → create. Only createContainer and createTTL answer a stat.
  const hour = 3_600_000;
  it.each([
    ['createTTL, flags 0: a persistent create, ttl ignored', 21, 0, hour, false, 0n],
    ['createTTL, flags 1: an ephemeral create', 21, CreateFlag.ephemeral, hour, false, session],
    ['createTTL, container flags: a createContainer', 21, CreateFlag.container, hour, true, 0n],
    ['createContainer, flags 1: an ephemeral create', 19, CreateFlag.ephemeral, -1, false, session],
    ['createContainer, flags 0: a persistent create', 19, 0, -1, false, 0n],
    ['create, container flags: a createContainer', 1, CreateFlag.container, -1, true, 0n],
    ['create2, container flags: a createContainer', 15, CreateFlag.container, -1, true, 0n],
    ['createTTL, TTL flags: a createTTL', 21, CreateFlag.persistentWithTtl, hour, true, 0n],
  ] as const)('rebuilds a create inside multi from its flags: %s', (_name, opcode, flags, ttl,
    withStat, owner) => {
    const harness = new Harness({ extendedTypesEnabled: true });
    const outcome = harness.write({ kind: 'multi', ops: [createOp('/n', { opcode, flags, ttl })] });
    expect(outcome.err).toBe(0);
    const [result] = (outcome.body as { results: Array<{ kind: string; stat: unknown }> }).results;
    expect(result?.kind).toBe('create');
    expect(result?.stat === null).toBe(!withStat);
    expect(harness.tree.ephemeralsOf(session).includes('/n')).toBe(owner === session);
    // Only a container is offered for removal once it has had a child and lost it.
    const container = flags === CreateFlag.container;
    harness.create('/n/x', { opcode: 1 });
    harness.write(deleteOp('/n/x'));
    expect(harness.tree.containerCandidates(harness.zxid * 1000)).toEqual(container ? ['/n'] : []);
  });

  it('keeps rejecting unknown flags inside multi, createTTL included (badArguments)', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    for (const opcode of [1, 19, 21] as const) {
      const outcome = harness.write({
        kind: 'multi', ops: [createOp('/n', { opcode, flags: 7, ttl: hour })],
      });
      expect(outcome.body).toMatchObject({ results: [{ err: ErrorCode.badArguments }] });
    }
  });

  it('fails a multi as a whole when a non-TTL create carries TTL flags (marshallingError)', () => {
    // Op.create makes it a createTTL around a CreateRequest, which PrepRequestProcessor
    // cannot prepare (observed against ZooKeeper 3.8).
    const harness = new Harness({ extendedTypesEnabled: true });
    const flags = CreateFlag.persistentWithTtl;
    const ops = [createOp('/a'), createOp('/t', { opcode: 1, flags })];
    expect(harness.write({ kind: 'multi', ops }).err).toBe(ErrorCode.marshallingError);
    expect(harness.tree.hasNode('/a')).toBe(false);
  });

  it('fails every op of a multi from an unknown session, the first with sessionExpired', () => {
    const harness = new Harness();
    const request = { kind: 'multi' as const, ops: [createOp('/a'), createOp('/b')] };
    const outcome = harness.write(request, alice, 0x5n);
    expect(outcome.body).toMatchObject({
      results: [{ err: ErrorCode.sessionExpired }, { err: ErrorCode.runtimeInconsistency }],
    });
  });
});
