import { describe, expect, it } from 'vitest';
import { CreateFlag, Perm } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Harness, alice, anonymous, createOp, deleteOp, session, setDataOp } from './helpers.js';

describe('sessions', () => {
  it('records a session with its timeout and password', () => {
    const harness = new Harness();
    expect(harness.tree.sessions.get(session))
      .toEqual({ timeoutMs: 30_000, password: Buffer.from('secret') });
    expect(harness.tree.sessionTimeouts()).toEqual([[session, 30_000]]);
    expect(harness.tree.sessionPassword(session)).toEqual(Buffer.from('secret'));
  });

  it('closes a session: ephemerals deleted in path order with triggers, session dropped', () => {
    const harness = new Harness({}, [session, 0x200n]);
    harness.create('/p');
    harness.create('/p/z', { flags: CreateFlag.ephemeral });
    harness.create('/a', { flags: CreateFlag.ephemeral });
    harness.create('/other', { flags: CreateFlag.ephemeral, sessionId: 0x200n });
    const outcome = harness.closeSession(session);
    expect(outcome).toMatchObject({ err: 0, closedSession: session, body: { kind: 'none' } });
    expect(outcome.triggers).toMatchObject([
      { path: '/a', type: 'deleted' },
      { path: '/', type: 'childrenChanged' },
      { path: '/p/z', type: 'deleted' },
      { path: '/p', type: 'childrenChanged' },
    ]);
    expect(harness.tree.hasSession(session)).toBe(false);
    expect(harness.tree.hasNode('/other')).toBe(true);
    expect(harness.tree.statOf('/p')?.pzxid).toBe(harness.zxid);
    expect(harness.create('/late').err).toBe(ErrorCode.sessionExpired);
  });

  it('reports ephemerals by session and in total', () => {
    const harness = new Harness();
    harness.create('/e1', { flags: CreateFlag.ephemeral });
    harness.create('/e2', { flags: CreateFlag.ephemeralSequential });
    expect(harness.tree.ephemeralCount).toBe(2);
    expect(harness.tree.ephemeralsBySession())
      .toEqual(new Map([[session, ['/e1', '/e20000000001']]]));
    harness.write(deleteOp('/e1'));
    expect(harness.tree.ephemeralsOf(session)).toEqual(['/e20000000001']);
  });

  it('applies an error txn as a no-op that still advances lastZxid', () => {
    const harness = new Harness();
    const digest = harness.tree.digest();
    const body = { type: 'error', err: -6 } as const;
    const outcome = harness.tree.apply({ zxid: 50, time: 0, sessionId: session, cxid: 1, body });
    expect(outcome).toEqual({ zxid: 50, err: -6, body: { kind: 'none' }, triggers: [] });
    expect(harness.tree.lastZxid).toBe(50);
    expect(harness.tree.digest()).toBe(digest);
  });
});

describe('container and TTL housekeeping', () => {
  it('offers an emptied container and deletes it by deleteContainer', () => {
    const harness = new Harness();
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    expect(harness.tree.containerCandidates(1e9)).toEqual([]);
    harness.create('/c/x');
    harness.write(deleteOp('/c/x'));
    expect(harness.tree.containerCandidates(1e9)).toEqual(['/c']);
    const outcome = harness.deleteContainer('/c', 1e9);
    expect(outcome.err).toBe(0);
    expect(outcome.triggers).toMatchObject([
      { path: '/c', type: 'deleted' },
      { path: '/', type: 'childrenChanged' },
    ]);
    expect(harness.tree.containerCandidates(1e9)).toEqual([]);
  });

  it('refuses deleteContainer for a container that never had children (badVersion)', () => {
    const harness = new Harness();
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    expect(harness.deleteContainer('/c', 1e9).err).toBe(ErrorCode.badVersion);
  });

  it('refuses deleteContainer for a container that has children again (notEmpty)', () => {
    const harness = new Harness();
    harness.create('/c', { opcode: 19, flags: CreateFlag.container });
    harness.create('/c/x');
    expect(harness.deleteContainer('/c', 1e9).err).toBe(ErrorCode.notEmpty);
  });

  it.each([
    ['a persistent node', 0, ErrorCode.badVersion],
    ['an ephemeral node', CreateFlag.ephemeral, ErrorCode.badVersion],
  ])('refuses deleteContainer for %s', (_name, flags, err) => {
    const harness = new Harness();
    harness.create('/n', { flags });
    expect(harness.deleteContainer('/n', 1e9).err).toBe(err);
  });

  it('refuses deleteContainer for missing or special paths', () => {
    const harness = new Harness();
    expect(harness.deleteContainer('/gone', 1).err).toBe(ErrorCode.noNode);
    expect(harness.deleteContainer('/zookeeper', 1).err).toBe(ErrorCode.badArguments);
  });

  it('expires a childless TTL node only once mtime + ttl < now', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    harness.create('/t', { opcode: 21, flags: CreateFlag.persistentWithTtl, ttl: 500 });
    const mtime = harness.tree.statOf('/t')?.mtime ?? 0;
    expect(harness.tree.containerCandidates(mtime + 500)).toEqual([]);
    expect(harness.tree.containerCandidates(mtime + 501)).toEqual(['/t']);
    expect(harness.deleteContainer('/t', mtime + 500).err).toBe(ErrorCode.badVersion);
    expect(harness.deleteContainer('/t', mtime + 501).err).toBe(0);
  });

  it('keeps a TTL node with children', () => {
    const harness = new Harness({ extendedTypesEnabled: true });
    harness.create('/t', { opcode: 21, flags: CreateFlag.persistentWithTtl, ttl: 1 });
    harness.create('/t/c');
    expect(harness.tree.containerCandidates(1e12)).toEqual([]);
  });

  it('lists candidates sorted', () => {
    const harness = new Harness();
    for (const path of ['/b', '/a']) {
      harness.create(path, { opcode: 19, flags: CreateFlag.container });
      harness.create(`${path}/x`);
      harness.write(deleteOp(`${path}/x`));
    }
    expect(harness.tree.containerCandidates(1e9)).toEqual(['/a', '/b']);
  });
});

const readOnly = [{ perms: Perm.read, id: { scheme: 'world', id: 'anyone' } }];
const adminOnly = [{ perms: Perm.admin, id: { scheme: 'digest', id: 'x:y' } }];

describe('digest', () => {
  function replay(): Harness {
    const harness = new Harness();
    harness.create('/a', { data: 'x' });
    harness.create('/a/b', { flags: CreateFlag.ephemeral });
    harness.write(setDataOp('/a', 'y'));
    return harness;
  }

  it('is equal for replicas that applied the same txns', () => {
    expect(replay().tree.digest()).toBe(replay().tree.digest());
  });

  it.each([
    ['data', (harness: Harness) => harness.write(setDataOp('/a', 'z'))],
    ['acl', (harness: Harness) =>
      harness.write({ kind: 'setACL', path: '/a', acl: readOnly, version: -1 })],
    ['a session', (harness: Harness) => harness.openSession(0x7n)],
    ['a node', (harness: Harness) => harness.create('/c')],
  ])('changes when %s changes', (_name, change) => {
    const harness = replay();
    const before = harness.tree.digest();
    change(harness);
    expect(harness.tree.digest()).not.toBe(before);
  });
});

describe('reads', () => {
  it('exists needs no permission and refuses a null character', () => {
    const harness = new Harness();
    harness.create('/secret', { acl: adminOnly });
    expect(harness.tree.exists('/secret').err).toBe(0);
    expect(harness.tree.exists('/nope').err).toBe(ErrorCode.noNode);
    expect(harness.tree.exists('/a\u0000').err).toBe(ErrorCode.badArguments);
  });

  it('getData and getChildren check existence before READ', () => {
    const harness = new Harness();
    harness.create('/secret', { acl: adminOnly });
    expect(harness.tree.getData('/nope', anonymous).err).toBe(ErrorCode.noNode);
    expect(harness.tree.getData('/secret', anonymous).err).toBe(ErrorCode.noAuth);
    expect(harness.tree.getChildren('/secret', anonymous).err).toBe(ErrorCode.noAuth);
    expect(harness.tree.getChildren2('/secret', anonymous).err).toBe(ErrorCode.noAuth);
    expect(harness.tree.getAllChildrenNumber('/secret', anonymous).err).toBe(ErrorCode.noAuth);
  });

  it('lists children in creation order, with the parent stat for getChildren2', () => {
    const harness = new Harness();
    harness.create('/p');
    for (const name of ['c', 'a', 'b']) harness.create(`/p/${name}`);
    expect(harness.tree.getChildren('/p', anonymous).body)
      .toEqual({ kind: 'children', children: ['c', 'a', 'b'] });
    expect(harness.tree.getChildren2('/p', anonymous).body).toMatchObject({
      kind: 'childrenStat',
      stat: { numChildren: 3, cversion: 3 },
    });
  });

  it('getACL needs READ or ADMIN, and hides digest hashes without ADMIN', () => {
    const harness = new Harness();
    const acl = [
      { perms: Perm.read, id: { scheme: 'world', id: 'anyone' } },
      { perms: Perm.all, id: { scheme: 'digest', id: 'alice:hash' } },
    ];
    harness.create('/a', { acl });
    expect(harness.tree.getACL('/a', anonymous).body).toMatchObject({
      acl: [acl[0], { perms: Perm.all, id: { scheme: 'digest', id: 'alice:x' } }],
    });
    expect(harness.tree.getACL('/a', alice).body).toMatchObject({ acl });
    harness.create('/w', { acl: [{ perms: Perm.write, id: { scheme: 'world', id: 'anyone' } }] });
    expect(harness.tree.getACL('/w', anonymous).err).toBe(ErrorCode.noAuth);
  });

  it('counts all descendants', () => {
    const harness = new Harness();
    for (const path of ['/a', '/a/b', '/a/b/c', '/a/d']) harness.create(path);
    expect(harness.tree.getAllChildrenNumber('/a', anonymous).body)
      .toEqual({ kind: 'number', value: 3 });
    expect(harness.tree.getAllChildrenNumber('/a/d', anonymous).body)
      .toEqual({ kind: 'number', value: 0 });
  });

  it.each([
    ['', ['/a', '/ab', '/b/c']],
    ['/', ['/a', '/ab', '/b/c']],
    ['  ', ['/a', '/ab', '/b/c']],
    ['/a', ['/a', '/ab']],
    ['/b', ['/b/c']],
  ])('getEphemerals with prefix %j is a plain string prefix', (prefix, paths) => {
    const harness = new Harness();
    harness.create('/b');
    for (const path of ['/a', '/ab', '/b/c']) harness.create(path, { flags: CreateFlag.ephemeral });
    expect(harness.tree.getEphemerals(session, prefix).body).toEqual({ kind: 'paths', paths });
  });

  it('multiRead answers each op on its own', () => {
    const harness = new Harness();
    harness.create('/a', { data: 'x' });
    const result = harness.tree.multiRead(
      [
        { kind: 'getData', path: '/a', watch: false },
        { kind: 'getChildren', path: '/nope', watch: false },
      ],
      anonymous,
    );
    expect(result.body).toMatchObject({
      kind: 'multi',
      results: [
        { kind: 'getData', data: Buffer.from('x') },
        { kind: 'error', err: ErrorCode.noNode },
      ],
    });
    expect(harness.tree.multiRead([createOp('/x')], anonymous).err)
      .toBe(ErrorCode.marshallingError);
  });
});
