// node-zookeeper-client cases on nodes: every create mode, reads and writes with their error
// codes, ACLs and digest auth, and transactions. The main client's writes on an ensemble's
// follower are forwarded to the leader; the digest case reads through the other two replicas.

import { createHash } from 'node:crypto';
import type { ACL, Client, OperationResult, Stat } from 'node-zookeeper-client';
import { describe, expect, it } from 'vitest';
import { call, callAll, closeClient, errorCode, eventually, zookeeper } from './nzc.js';
import type { NzcSuite } from './nzc-suite.js';

const { ACL: Acl, CreateMode, Exception, Id, Permission } = zookeeper;
const noData = Buffer.alloc(0);

/** ZooKeeper's digest id for user:password: user:base64(sha1("user:password")). */
function digestId(user: string, password: string): string {
  const hash = createHash('sha1').update(`${user}:${password}`).digest('base64');
  return `${user}:${hash}`;
}

function aclRows(acls: ACL[]): [number, string, string][] {
  return acls.map((acl) => [acl.permission, acl.id.scheme, acl.id.id]);
}

export function describeCreate(suite: NzcSuite): void {
  const { create, exists, getData, commit } = suite;
  describe(`node-zookeeper-client create (${suite.label})`, () => {
    it('PERSISTENT with data: getData returns it with version 0 and no ephemeral owner',
      async () => {
        expect(await create('/nzc-create', Buffer.from('payload'), CreateMode.PERSISTENT))
          .toBe('/nzc-create');
        const [data, stat] = await getData('/nzc-create');
        expect(data.toString()).toBe('payload');
        expect(stat).toMatchObject({ version: 0, cversion: 0, aversion: 0, dataLength: 7 });
        expect(stat.ephemeralOwner).toEqual(Buffer.alloc(8));
        expect(stat.mzxid).toEqual(stat.czxid);
      });

    it('null data: create without data or with null, and a multi setData of null, read back'
      + ' undefined (length -1); an empty Buffer reads back empty', async () => {
      // The library sends any data that is not a Buffer as a null buffer and reads a null one
      // back as undefined; ZooKeeper keeps null apart from empty, with dataLength 0 for both.
      await create('/nzc-null');
      await create('/nzc-null-explicit', null, CreateMode.PERSISTENT);
      await create('/nzc-empty', noData, CreateMode.PERSISTENT);
      await create('/nzc-null-set', Buffer.from('before'));
      await commit(suite.client.transaction().setData('/nzc-null-set', null)
        .create('/nzc-null-multi', null));
      const read = async (path: string) => {
        const [data, stat] = await getData(path);
        return [data === undefined ? 'undefined' : data.toString('hex'), stat.dataLength];
      };
      expect(await Promise.all(['/nzc-null', '/nzc-null-explicit', '/nzc-empty',
        '/nzc-null-set', '/nzc-null-multi'].map(read))).toEqual([
        ['undefined', 0], ['undefined', 0], ['', 0], ['undefined', 0], ['undefined', 0],
      ]);
    });

    it('EPHEMERAL: owner is the session id; a child under it is NO_CHILDREN_FOR_EPHEMERALS',
      async () => {
        await create('/nzc-ephemeral', Buffer.from('e'), CreateMode.EPHEMERAL);
        expect((await exists('/nzc-ephemeral'))?.ephemeralOwner)
          .toEqual(suite.client.getSessionId());
        expect(await errorCode((callback) => suite.client.create('/nzc-ephemeral/child',
          callback))).toBe(Exception.NO_CHILDREN_FOR_EPHEMERALS);
      });

    it('PERSISTENT_SEQUENTIAL: 10-digit suffix counts earlier creates, not deletes', async () => {
      await create('/nzc-seq');
      const first = await create('/nzc-seq/item-', CreateMode.PERSISTENT_SEQUENTIAL);
      const second = await create('/nzc-seq/item-', CreateMode.PERSISTENT_SEQUENTIAL);
      await call((callback) => suite.client.remove(second, -1, callback));
      await create('/nzc-seq/plain');
      const third = await create('/nzc-seq/item-', Buffer.from('3'),
        CreateMode.PERSISTENT_SEQUENTIAL);
      expect([first, second, third]).toEqual([
        '/nzc-seq/item-0000000000', '/nzc-seq/item-0000000001', '/nzc-seq/item-0000000003',
      ]);
      // cversion counts creates and deletes: 4 creates + 1 delete.
      const [children, stat] = await callAll<[string[], Stat]>((callback) =>
        suite.client.getChildren('/nzc-seq', undefined, callback));
      expect(children.sort()).toEqual(['item-0000000000', 'item-0000000003', 'plain']);
      expect(stat).toMatchObject({ cversion: 5, numChildren: 3 });
    });

    it('EPHEMERAL_SEQUENTIAL: sequential name and owned by the session', async () => {
      await create('/nzc-eseq');
      const path = await create('/nzc-eseq/e-', CreateMode.EPHEMERAL_SEQUENTIAL);
      expect(path).toBe('/nzc-eseq/e-0000000000');
      expect((await exists(path))?.ephemeralOwner).toEqual(suite.client.getSessionId());
    });

    it('errors: NODE_EXISTS (-110) twice, NO_NODE (-101) without parent, INVALID_ACL (-114)',
      async () => {
        const createError = (path: string, ...rest: unknown[]) =>
          errorCode((callback) => suite.client.create(path, ...rest, callback));
        expect(await createError('/nzc-create')).toBe(-110);
        expect(await createError('/nzc-missing/child')).toBe(-101);
        // CREATOR_ALL_ACL (auth scheme) needs an authenticated identity; this session has none.
        expect(await createError('/nzc-creator', Acl.CREATOR_ALL_ACL)).toBe(-114);
      });
  });
}

export function describeReadsAndWrites(suite: NzcSuite): void {
  const { create, exists, getData, setData } = suite;
  describe(`node-zookeeper-client reads and writes (${suite.label})`, () => {
    it('exists: stat for a node, null (no error) for a missing one', async () => {
      await create('/nzc-exists', Buffer.from('abc'));
      expect(await exists('/nzc-exists')).toMatchObject({ dataLength: 3, numChildren: 0 });
      expect(await exists('/nzc-exists-not')).toBeNull();
    });

    it('setData: version 0 then stale 0 is BAD_VERSION (-103), -1 always applies', async () => {
      await create('/nzc-set', Buffer.from('v0'));
      const first = await setData('/nzc-set', 'v1', 0);
      expect(first.version).toBe(1);
      expect(first.mzxid.compare(first.czxid)).toBe(1);
      const setError = (path: string, data: Buffer, version: number) =>
        errorCode((callback) => suite.client.setData(path, data, version, callback));
      expect(await setError('/nzc-set', Buffer.from('x'), 0)).toBe(-103);
      expect((await setData('/nzc-set', 'v2')).version).toBe(2);
      const [data, stat] = await getData('/nzc-set');
      expect([data.toString(), stat.version, stat.dataLength]).toEqual(['v2', 2, 2]);
      expect(await setError('/nzc-set-not', noData, -1)).toBe(-101);
    });

    it('getChildren with stat: names, numChildren and cversion', async () => {
      await create('/nzc-children');
      for (const name of ['b', 'a', 'c']) await create(`/nzc-children/${name}`);
      const [children, stat] = await callAll<[string[], Stat]>((callback) =>
        suite.client.getChildren('/nzc-children', undefined, callback));
      expect(children.sort()).toEqual(['a', 'b', 'c']);
      expect(stat).toMatchObject({ numChildren: 3, cversion: 3, version: 0 });
    });

    it('remove: NO_NODE (-101), NOT_EMPTY (-111), BAD_VERSION (-103), then version 1 works',
      async () => {
        await create('/nzc-remove');
        await create('/nzc-remove/child');
        await setData('/nzc-remove', 'one');
        const remove = (path: string, version: number) =>
          errorCode((callback) => suite.client.remove(path, version, callback));
        expect(await remove('/nzc-remove-not', -1)).toBe(-101);
        expect(await remove('/nzc-remove', -1)).toBe(-111);
        expect(await remove('/nzc-remove/child', 3)).toBe(-103);
        expect(await remove('/nzc-remove/child', 0)).toBe(0);
        expect(await remove('/nzc-remove', 0)).toBe(-103);
        expect(await remove('/nzc-remove', 1)).toBe(0);
        expect(await exists('/nzc-remove')).toBeNull();
      });

    it('mkdirp: creates every missing level with data, and succeeds again', async () => {
      const mkdirp = (...rest: unknown[]) =>
        call<string>((callback) => suite.client.mkdirp('/nzc-mkdirp/a/b', ...rest, callback));
      expect(await mkdirp(Buffer.from('leaf'))).toBe('/nzc-mkdirp/a/b');
      expect((await getData('/nzc-mkdirp/a/b'))[0].toString()).toBe('leaf');
      expect(await mkdirp()).toBe('/nzc-mkdirp/a/b');
      expect((await exists('/nzc-mkdirp/a'))?.numChildren).toBe(1);
    });
  });
}

export function describeAcls(suite: NzcSuite): void {
  const { create } = suite;
  const getAcl = (path: string, client = suite.client) =>
    callAll<[ACL[], Stat]>((callback) => client.getACL(path, callback));
  const setAcl = (path: string, acls: ACL[], version: number) =>
    errorCode((callback) => suite.client.setACL(path, acls, version, callback));
  describe(`node-zookeeper-client ACLs and auth (${suite.label})`, () => {
    it('getACL/setACL: READ-only node refuses writes with NO_AUTH (-102); aversion counts',
      async () => {
        const readOnly = [new Acl(Permission.READ, new Id('world', 'anyone'))];
        await create('/nzc-acl', Buffer.from('r'), readOnly);
        const [acls, stat] = await getAcl('/nzc-acl');
        expect(aclRows(acls)).toEqual([[1, 'world', 'anyone']]);
        expect(stat.aversion).toBe(0);
        expect(await errorCode((callback) =>
          suite.client.setData('/nzc-acl', Buffer.from('w'), -1, callback))).toBe(-102);
        // setACL needs ADMIN, which the READ-only ACL lacks; the ACL check precedes the version
        // check, so a wrong version still answers NO_AUTH.
        expect(await setAcl('/nzc-acl', Acl.OPEN_ACL_UNSAFE, 5)).toBe(-102);
        await create('/nzc-acl2');
        const readAdmin = [new Acl(Permission.READ | Permission.ADMIN, new Id('world', 'anyone'))];
        const changed = await call<Stat>((callback) =>
          suite.client.setACL('/nzc-acl2', readAdmin, 0, callback));
        expect(changed.aversion).toBe(1);
        expect(changed.version).toBe(0);
        expect(await setAcl('/nzc-acl2', readAdmin, 0)).toBe(-103);
        expect(aclRows((await getAcl('/nzc-acl2'))[0])).toEqual([[17, 'world', 'anyone']]);
      });

    it('addAuthInfo digest: CREATOR_ALL_ACL stores the digest id; others get NO_AUTH (-102)',
      async () => {
        // Owner on the main client's server; the others on the second and third servers, where
        // the create arrives through replication: they wait until it is no longer NO_NODE.
        const [owner, stranger, wrong] = await Promise.all([
          suite.connectFirst(), suite.connectSecond(), suite.connectThird(),
        ]);
        try {
          owner.addAuthInfo('digest', Buffer.from('alice:secret'));
          wrong.addAuthInfo('digest', Buffer.from('alice:guess'));
          await call((callback) => owner.create('/nzc-digest', Buffer.from('private'),
            Acl.CREATOR_ALL_ACL, callback));
          expect(aclRows((await getAcl('/nzc-digest', owner))[0]))
            .toEqual([[31, 'digest', digestId('alice', 'secret')]]);
          const read = (reader: Client) => eventually(
            () => errorCode((callback) => reader.getData('/nzc-digest', undefined, callback)),
            (code) => code !== Exception.NO_NODE);
          expect(await read(owner)).toBe(0);
          expect(await read(stranger)).toBe(-102);
          expect(await read(wrong)).toBe(-102);
          stranger.addAuthInfo('digest', Buffer.from('alice:secret'));
          const [data] = await callAll<[Buffer, Stat]>((callback) =>
            stranger.getData('/nzc-digest', undefined, callback));
          expect(data.toString()).toBe('private');
        } finally {
          await Promise.all([owner, stranger, wrong].map(closeClient));
        }
      });
  });
}

export function describeTransactions(suite: NzcSuite): void {
  const { create, exists, getData, setData, commit } = suite;
  describe(`node-zookeeper-client transaction (multi) (${suite.label})`, () => {
    it('create, check, setData, remove commit together with per-op results', async () => {
      await create('/nzc-txn', Buffer.from('v0'));
      await create('/nzc-txn/old');
      await setData('/nzc-txn', 'v1');
      // The library sends version 0 as -1 (`version || -1`), so checks here use version 1.
      const results = await commit(suite.client.transaction()
        .create('/nzc-txn/new', Buffer.from('n'))
        .check('/nzc-txn', 1)
        .setData('/nzc-txn', Buffer.from('v2'), 1)
        .remove('/nzc-txn/old'));
      expect(results.map((result) => result.type)).toEqual([1, 13, 5, 2]);
      expect(results[0]?.path).toBe('/nzc-txn/new');
      expect(results[2]?.stat?.version).toBe(2);
      const [children] = await callAll<[string[], Stat]>((callback) =>
        suite.client.getChildren('/nzc-txn', undefined, callback));
      expect(children).toEqual(['new']);
    });

    it('a failing check aborts all: BAD_VERSION surfaced, results 0 / -103 / -2', async () => {
      await create('/nzc-txn-fail', Buffer.from('keep'));
      await setData('/nzc-txn-fail', 'keep');
      const failure = await new Promise<[number | undefined, OperationResult[]]>((resolve) =>
        suite.client.transaction()
          .create('/nzc-txn-fail/never')
          .check('/nzc-txn-fail', 9)
          .setData('/nzc-txn-fail', Buffer.from('lost'))
          .commit((error, results) => resolve([error?.getCode(), results])));
      expect(failure[0]).toBe(-103);
      expect(failure[1]).toEqual([{ type: -1, err: 0 }, { type: -1, err: -103 },
        { type: -1, err: -2 }]);
      expect(await exists('/nzc-txn-fail/never')).toBeNull();
      expect((await getData('/nzc-txn-fail'))[0].toString()).toBe('keep');
    });
  });
}
