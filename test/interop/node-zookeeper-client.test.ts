// Interop with node-zookeeper-client 1.1 (pure JavaScript): every operation the library offers,
// its error codes, watches, ephemerals and sessions, against the target server.

import { createHash } from 'node:crypto';
import type { ACL, Client, Event, OperationResult, Stat } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from './proxy.js';
import {
  call, callAll, closeClient, connectClient, errorCode, recordingWatcher, waitFor, within,
  zookeeper,
} from './nzc.js';
import { startTarget, type Target } from './target.js';

const { ACL: Acl, CreateMode, Event: EventType, Exception, Id, Permission, State } = zookeeper;
const noData = Buffer.alloc(0);
const watchMs = 5000;

let target: Target;
let client: Client;

beforeAll(async () => {
  target = await startTarget({ tickTimeMs: 500 });
  client = await connectClient(target.connectString);
});

afterAll(async () => {
  if (client !== undefined) await closeClient(client);
  await target?.stop();
});

const create = (path: string, ...rest: unknown[]): Promise<string> =>
  call((callback) => client.create(path, ...rest, callback));
const exists = (path: string, watcher?: (event: Event) => void): Promise<Stat | null> =>
  call((callback) => client.exists(path, watcher, callback));
const getData = (path: string, watcher?: (event: Event) => void): Promise<[Buffer, Stat]> =>
  callAll((callback) => client.getData(path, watcher, callback));
const setData = (path: string, data: string, version = -1): Promise<Stat> =>
  call((callback) => client.setData(path, Buffer.from(data), version, callback));
const commit = (transaction: ReturnType<Client['transaction']>): Promise<OperationResult[]> =>
  call((callback) => transaction.commit(callback));

/** ZooKeeper's digest id for user:password: user:base64(sha1("user:password")). */
function digestId(user: string, password: string): string {
  const hash = createHash('sha1').update(`${user}:${password}`).digest('base64');
  return `${user}:${hash}`;
}

function aclRows(acls: ACL[]): [number, string, string][] {
  return acls.map((acl) => [acl.permission, acl.id.scheme, acl.id.id]);
}

describe('node-zookeeper-client create', () => {
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

  it('EPHEMERAL: owner is the session id; a child under it is NO_CHILDREN_FOR_EPHEMERALS',
    async () => {
      await create('/nzc-ephemeral', Buffer.from('e'), CreateMode.EPHEMERAL);
      expect((await exists('/nzc-ephemeral'))?.ephemeralOwner).toEqual(client.getSessionId());
      expect(await errorCode((callback) => client.create('/nzc-ephemeral/child', callback)))
        .toBe(Exception.NO_CHILDREN_FOR_EPHEMERALS);
    });

  it('PERSISTENT_SEQUENTIAL: 10-digit suffix counts earlier creates, not deletes', async () => {
    await create('/nzc-seq');
    const first = await create('/nzc-seq/item-', CreateMode.PERSISTENT_SEQUENTIAL);
    const second = await create('/nzc-seq/item-', CreateMode.PERSISTENT_SEQUENTIAL);
    await call((callback) => client.remove(second, -1, callback));
    await create('/nzc-seq/plain');
    const third = await create('/nzc-seq/item-', Buffer.from('3'),
      CreateMode.PERSISTENT_SEQUENTIAL);
    expect([first, second, third]).toEqual([
      '/nzc-seq/item-0000000000', '/nzc-seq/item-0000000001', '/nzc-seq/item-0000000003',
    ]);
    // cversion counts creates and deletes: 4 creates + 1 delete.
    const [children, stat] = await callAll<[string[], Stat]>((callback) =>
      client.getChildren('/nzc-seq', undefined, callback));
    expect(children.sort()).toEqual(['item-0000000000', 'item-0000000003', 'plain']);
    expect(stat).toMatchObject({ cversion: 5, numChildren: 3 });
  });

  it('EPHEMERAL_SEQUENTIAL: sequential name and owned by the session', async () => {
    await create('/nzc-eseq');
    const path = await create('/nzc-eseq/e-', CreateMode.EPHEMERAL_SEQUENTIAL);
    expect(path).toBe('/nzc-eseq/e-0000000000');
    expect((await exists(path))?.ephemeralOwner).toEqual(client.getSessionId());
  });

  it('errors: NODE_EXISTS (-110) twice, NO_NODE (-101) without parent, INVALID_ACL (-114)',
    async () => {
      expect(await errorCode((callback) => client.create('/nzc-create', callback)))
        .toBe(-110);
      expect(await errorCode((callback) => client.create('/nzc-missing/child', callback)))
        .toBe(-101);
      // CREATOR_ALL_ACL (auth scheme) needs an authenticated identity; this session has none.
      expect(await errorCode((callback) =>
        client.create('/nzc-creator', Acl.CREATOR_ALL_ACL, callback))).toBe(-114);
    });
});

describe('node-zookeeper-client reads and writes', () => {
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
    expect(await errorCode((callback) =>
      client.setData('/nzc-set', Buffer.from('x'), 0, callback))).toBe(-103);
    expect((await setData('/nzc-set', 'v2')).version).toBe(2);
    const [data, stat] = await getData('/nzc-set');
    expect([data.toString(), stat.version, stat.dataLength]).toEqual(['v2', 2, 2]);
    expect(await errorCode((callback) =>
      client.setData('/nzc-set-not', noData, -1, callback))).toBe(-101);
  });

  it('getChildren with stat: names, numChildren and cversion', async () => {
    await create('/nzc-children');
    for (const name of ['b', 'a', 'c']) await create(`/nzc-children/${name}`);
    const [children, stat] = await callAll<[string[], Stat]>((callback) =>
      client.getChildren('/nzc-children', undefined, callback));
    expect(children.sort()).toEqual(['a', 'b', 'c']);
    expect(stat).toMatchObject({ numChildren: 3, cversion: 3, version: 0 });
  });

  it('remove: NO_NODE (-101), NOT_EMPTY (-111), BAD_VERSION (-103), then version 1 works',
    async () => {
      await create('/nzc-remove');
      await create('/nzc-remove/child');
      await setData('/nzc-remove', 'one');
      const remove = (path: string, version: number) =>
        errorCode((callback) => client.remove(path, version, callback));
      expect(await remove('/nzc-remove-not', -1)).toBe(-101);
      expect(await remove('/nzc-remove', -1)).toBe(-111);
      expect(await remove('/nzc-remove/child', 3)).toBe(-103);
      expect(await remove('/nzc-remove/child', 0)).toBe(0);
      expect(await remove('/nzc-remove', 0)).toBe(-103);
      expect(await remove('/nzc-remove', 1)).toBe(0);
      expect(await exists('/nzc-remove')).toBeNull();
    });

  it('mkdirp: creates every missing level with data, and succeeds again', async () => {
    const path = await call<string>((callback) =>
      client.mkdirp('/nzc-mkdirp/a/b', Buffer.from('leaf'), callback));
    expect(path).toBe('/nzc-mkdirp/a/b');
    expect((await getData('/nzc-mkdirp/a/b'))[0].toString()).toBe('leaf');
    expect(await call((callback) => client.mkdirp('/nzc-mkdirp/a/b', callback)))
      .toBe('/nzc-mkdirp/a/b');
    expect((await exists('/nzc-mkdirp/a'))?.numChildren).toBe(1);
  });
});

describe('node-zookeeper-client ACLs and auth', () => {
  it('getACL/setACL: READ-only node refuses writes with NO_AUTH (-102); aversion counts',
    async () => {
      const readOnly = [new Acl(Permission.READ, new Id('world', 'anyone'))];
      await create('/nzc-acl', Buffer.from('r'), readOnly);
      const [acls, stat] = await callAll<[ACL[], Stat]>((callback) =>
        client.getACL('/nzc-acl', callback));
      expect(aclRows(acls)).toEqual([[1, 'world', 'anyone']]);
      expect(stat.aversion).toBe(0);
      expect(await errorCode((callback) =>
        client.setData('/nzc-acl', Buffer.from('w'), -1, callback))).toBe(-102);
      // setACL needs ADMIN, which the READ-only ACL lacks; the ACL check precedes the version
      // check, so a wrong version still answers NO_AUTH.
      expect(await errorCode((callback) =>
        client.setACL('/nzc-acl', Acl.OPEN_ACL_UNSAFE, 5, callback))).toBe(-102);
      await create('/nzc-acl2');
      const readAdmin = [new Acl(Permission.READ | Permission.ADMIN, new Id('world', 'anyone'))];
      const changed = await call<Stat>((callback) =>
        client.setACL('/nzc-acl2', readAdmin, 0, callback));
      expect(changed.aversion).toBe(1);
      expect(changed.version).toBe(0);
      expect(await errorCode((callback) =>
        client.setACL('/nzc-acl2', readAdmin, 0, callback))).toBe(-103);
      const [after] = await callAll<[ACL[], Stat]>((callback) =>
        client.getACL('/nzc-acl2', callback));
      expect(aclRows(after)).toEqual([[17, 'world', 'anyone']]);
    });

  it('addAuthInfo digest: CREATOR_ALL_ACL stores the digest id; others get NO_AUTH (-102)',
    async () => {
      const owner = await connectClient(target.connectString);
      const stranger = await connectClient(target.connectString);
      const wrong = await connectClient(target.connectString);
      try {
        owner.addAuthInfo('digest', Buffer.from('alice:secret'));
        wrong.addAuthInfo('digest', Buffer.from('alice:guess'));
        await call((callback) =>
          owner.create('/nzc-digest', Buffer.from('private'), Acl.CREATOR_ALL_ACL, callback));
        const [acls] = await callAll<[ACL[], Stat]>((callback) =>
          owner.getACL('/nzc-digest', callback));
        expect(aclRows(acls)).toEqual([[31, 'digest', digestId('alice', 'secret')]]);
        const read = (reader: Client) =>
          errorCode((callback) => reader.getData('/nzc-digest', undefined, callback));
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

describe('node-zookeeper-client transaction (multi)', () => {
  it('create, check, setData, remove commit together with per-op results', async () => {
    await create('/nzc-txn', Buffer.from('v0'));
    await create('/nzc-txn/old');
    await setData('/nzc-txn', 'v1');
    // The library sends version 0 as -1 (`version || -1`), so checks here use version 1.
    const results = await commit(client.transaction()
      .create('/nzc-txn/new', Buffer.from('n'))
      .check('/nzc-txn', 1)
      .setData('/nzc-txn', Buffer.from('v2'), 1)
      .remove('/nzc-txn/old'));
    expect(results.map((result) => result.type)).toEqual([1, 13, 5, 2]);
    expect(results[0]?.path).toBe('/nzc-txn/new');
    expect(results[2]?.stat?.version).toBe(2);
    const [children] = await callAll<[string[], Stat]>((callback) =>
      client.getChildren('/nzc-txn', undefined, callback));
    expect(children).toEqual(['new']);
  });

  it('a failing check aborts all: BAD_VERSION surfaced, results 0 / -103 / -2', async () => {
    await create('/nzc-txn-fail', Buffer.from('keep'));
    await setData('/nzc-txn-fail', 'keep');
    const failure = await new Promise<[number | undefined, OperationResult[]]>((resolve) =>
      client.transaction()
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

describe('node-zookeeper-client watches', () => {
  it('data watch fires NODE_DATA_CHANGED once for two setData calls', async () => {
    await create('/nzc-watch-data', Buffer.from('0'));
    const recorder = recordingWatcher();
    await getData('/nzc-watch-data', recorder.watcher);
    await setData('/nzc-watch-data', '1');
    // Same session: the notification precedes the reply, so the second setData settles it.
    await setData('/nzc-watch-data', '2');
    expect(recorder.events.map((event) => [event.getType(), event.getPath()]))
      .toEqual([[EventType.NODE_DATA_CHANGED, '/nzc-watch-data']]);
  });

  it('child watch fires NODE_CHILDREN_CHANGED on the parent for a create', async () => {
    await create('/nzc-watch-children');
    const recorder = recordingWatcher();
    await callAll((callback) =>
      client.getChildren('/nzc-watch-children', recorder.watcher, callback));
    await create('/nzc-watch-children/kid');
    const event = await within(recorder.first, watchMs);
    expect([event.getType(), event.getPath()])
      .toEqual([EventType.NODE_CHILDREN_CHANGED, '/nzc-watch-children']);
  });

  it('exists watch on a missing node fires NODE_CREATED for a create by another session',
    async () => {
      const recorder = recordingWatcher();
      expect(await exists('/nzc-watch-created', recorder.watcher)).toBeNull();
      const other = await connectClient(target.connectString);
      try {
        await call((callback) => other.create('/nzc-watch-created', callback));
      } finally {
        await closeClient(other);
      }
      const event = await within(recorder.first, watchMs);
      expect([event.getType(), event.getPath()])
        .toEqual([EventType.NODE_CREATED, '/nzc-watch-created']);
    });

  it('exists and getData watches both fire NODE_DELETED for a remove', async () => {
    await create('/nzc-watch-deleted');
    const viaExists = recordingWatcher();
    const viaData = recordingWatcher();
    await exists('/nzc-watch-deleted', viaExists.watcher);
    await getData('/nzc-watch-deleted', viaData.watcher);
    await call((callback) => client.remove('/nzc-watch-deleted', -1, callback));
    for (const recorder of [viaExists, viaData]) {
      const event = await within(recorder.first, watchMs);
      expect([event.getType(), event.getPath()])
        .toEqual([EventType.NODE_DELETED, '/nzc-watch-deleted']);
    }
  });
});

describe('node-zookeeper-client sessions', () => {
  it('ephemerals vanish when their session closes, seen by a watch of a second client',
    async () => {
      const owner = await connectClient(target.connectString);
      await call((callback) =>
        owner.create('/nzc-vanish', CreateMode.EPHEMERAL, callback));
      const recorder = recordingWatcher();
      expect(await exists('/nzc-vanish', recorder.watcher)).not.toBeNull();
      await closeClient(owner);
      const event = await within(recorder.first, watchMs);
      expect([event.getType(), event.getPath()])
        .toEqual([EventType.NODE_DELETED, '/nzc-vanish']);
      expect(await exists('/nzc-vanish')).toBeNull();
    });

  it('a second client given session id and password shares the session; close expires both',
    async () => {
      // The first client talks through a relay, so cutting it leaves the session open.
      const relay = await startRelay(target.port);
      const first = await connectClient(`127.0.0.1:${relay.port}`);
      await call((callback) => first.create('/nzc-shared-1', CreateMode.EPHEMERAL, callback));
      const sessionId = first.getSessionId();
      await relay.cut();
      const second = await connectClient(target.connectString, {
        sessionId,
        sessionPassword: first.getSessionPassword(),
      });
      expect(second.getSessionId()).toEqual(sessionId);
      await call((callback) => second.create('/nzc-shared-2', CreateMode.EPHEMERAL, callback));
      for (const path of ['/nzc-shared-1', '/nzc-shared-2']) {
        expect((await exists(path))?.ephemeralOwner).toEqual(sessionId);
      }
      await closeClient(second);
      expect(await exists('/nzc-shared-1')).toBeNull();
      // The first client reconnects with the closed session and is told it expired.
      const expired = waitFor(first, 'expired', watchMs);
      await relay.resume();
      await expired;
      expect(first.getState()).toBe(State.EXPIRED);
      first.close();
      await relay.cut();
    });

  it('reconnecting with a closed session id reports EXPIRED; requests fail SESSION_EXPIRED',
    async () => {
      const original = await connectClient(target.connectString);
      const credentials = {
        sessionId: original.getSessionId(),
        sessionPassword: original.getSessionPassword(),
      };
      await closeClient(original);
      const revived = zookeeper.createClient(target.connectString,
        { sessionTimeout: 2000, ...credentials });
      const states: string[] = [];
      revived.on('state', (state: { name: string }) => states.push(state.name));
      const expired = waitFor(revived, 'expired', watchMs);
      revived.connect();
      await expired;
      expect(revived.getState()).toBe(State.EXPIRED);
      expect(states).toContain('EXPIRED');
      expect(states).not.toContain('SYNC_CONNECTED');
      expect(await errorCode((callback) => revived.exists('/', undefined, callback)))
        .toBe(-112);
      revived.close();
    });

  it('negotiates the requested 2000 ms session timeout (tickTime 500: 1000..10000 ms)',
    () => {
      expect(client.getSessionTimeout()).toBe(2000);
      expect(client.getSessionId().length).toBe(8);
      expect(client.getSessionPassword().length).toBe(16);
    });
});
