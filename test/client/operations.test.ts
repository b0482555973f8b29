// Every client operation over real TCP, against corral and (where installed) Apache ZooKeeper 3.8
// with the same expectations: results, typed errors, chroot, auth, abort and timeout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadVersionError,
  ConnectionLossError,
  NoNodeError,
  NodeExistsError,
  NotEmptyError,
  connect,
  type Client,
  type WatchEvent,
  type ZooKeeperError,
} from '../../client/index.js';
import { serverKinds, startServer, type TestServer } from './support.js';

describe.each(serverKinds)('client operations against %s', (kind) => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startServer(kind);
    client = await connect(server.connectString, { sessionTimeoutMs: 6_000 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('creates in every mode and reads back', async () => {
    const created = await client.create('/modes', 'root');
    expect(created.path).toBe('/modes');
    expect(created.stat.version).toBe(0);
    const ephemeral = await client.create('/modes/e', 'x', { mode: 'ephemeral' });
    expect(ephemeral.stat.ephemeralOwner).toBe(client.sessionId);
    const sequential = await client.create('/modes/s-', '', { mode: 'persistentSequential' });
    expect(sequential.path).toMatch(/^\/modes\/s-\d{10}$/);
    const ephemeralSequential = await client.create('/modes/es-', '', {
      mode: 'ephemeralSequential',
    });
    expect(ephemeralSequential.path).toMatch(/^\/modes\/es-\d{10}$/);
    await client.create('/modes/container', '', { mode: 'container' });
    const ttl = await client.create('/modes/ttl', '', { mode: 'persistentWithTtl', ttlMs: 60_000 });
    expect(ttl.path).toBe('/modes/ttl');
    const ttlSequential = await client.create('/modes/ttls-', '', {
      mode: 'persistentSequentialWithTtl',
      ttlMs: 60_000,
    });
    expect(ttlSequential.path).toMatch(/^\/modes\/ttls-\d{10}$/);
    await expect(client.create('/modes', '')).rejects.toBeInstanceOf(NodeExistsError);
    await expect(client.create('/missing/child', '')).rejects.toBeInstanceOf(NoNodeError);
    const { data, stat } = await client.getData('/modes');
    expect(data?.toString()).toBe('root');
    expect(stat.numChildren).toBe(6);
    expect((await client.getChildren('/modes')).sort()).toContain('container');
    const withStat = await client.getChildren2('/modes');
    expect(withStat.stat.numChildren).toBe(6);
    expect(await client.getAllChildrenNumber('/modes')).toBe(6);
    expect((await client.getEphemerals('/modes')).sort()).toEqual(
      ['/modes/e', ephemeralSequential.path].sort(),
    );
  });

  it('updates and deletes with versions, and reports typed errors', async () => {
    await client.create('/versions', 'a');
    const stat = await client.setData('/versions', 'b', 0);
    expect(stat.version).toBe(1);
    await expect(client.setData('/versions', 'c', 0)).rejects.toBeInstanceOf(BadVersionError);
    const error = await client.delete('/versions', 0).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadVersionError);
    expect((error as ZooKeeperError).code).toBe(-103);
    expect((error as ZooKeeperError).path).toBe('/versions');
    await client.create('/versions/child', '');
    await expect(client.delete('/versions')).rejects.toBeInstanceOf(NotEmptyError);
    await client.delete('/versions/child');
    await client.delete('/versions', 1);
    expect(await client.exists('/versions')).toBeNull();
    await expect(client.getData('/versions')).rejects.toBeInstanceOf(NoNodeError);
  });

  it('reads and sets ACLs, syncs, and authenticates with digest', async () => {
    await client.create('/acl', '');
    const { acl, stat } = await client.getACL('/acl');
    expect(acl).toEqual([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
    await client.addAuth('digest', 'alice:secret');
    expect(await client.whoAmI()).toEqual(
      expect.arrayContaining([{ authScheme: 'digest', user: 'alice' }]),
    );
    const authAcl = [{ perms: 31, id: { scheme: 'auth', id: '' } }];
    const updated = await client.setACL('/acl', authAcl, stat.aversion);
    expect(updated.aversion).toBe(1);
    expect((await client.getACL('/acl')).acl[0]?.id.scheme).toBe('digest');
    await client.sync('/acl');
  });

  it('commits multi atomically and reports the failing op', async () => {
    const results = await client
      .transaction()
      .create('/multi', 'm')
      .create('/multi/a', '', { mode: 'ephemeral' })
      .setData('/multi', 'n', 0)
      .check('/multi', 1)
      .commit();
    expect(results.map((result) => result.kind)).toEqual(['create', 'create', 'setData', 'check']);
    const failure = await client
      .multi([
        { kind: 'create', path: '/multi/b' },
        { kind: 'delete', path: '/multi/none' },
      ])
      .catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(NoNodeError);
    expect((failure as { results: unknown[] }).results).toHaveLength(2);
    expect(await client.exists('/multi/b')).toBeNull();
    const reads = await client.multiRead([
      { kind: 'getData', path: '/multi' },
      { kind: 'getChildren', path: '/multi' },
      { kind: 'getData', path: '/multi/none' },
    ]);
    expect(reads[0]).toMatchObject({ kind: 'getData' });
    expect(reads[1]).toEqual({ kind: 'getChildren', children: ['a'] });
    expect(reads[2]).toEqual({ kind: 'error', err: -101 });
  });

  it('sends data: null as null and reads it back as null; omitted data is empty', async () => {
    await client.create('/nulls', null);
    await client.create('/nulls/omitted');
    await client.create('/nulls/set', 'before');
    await client.setData('/nulls/set', null);
    await client.transaction().create('/nulls/multi', null).setData('/nulls/omitted', '')
      .create('/nulls/multi-set', 'x').setData('/nulls/multi-set', null).commit();
    const read = async (path: string) => {
      const { data, stat } = await client.getData(path);
      return [data === null ? null : data.toString(), stat.dataLength];
    };
    const paths = ['/nulls', '/nulls/omitted', '/nulls/set', '/nulls/multi', '/nulls/multi-set'];
    expect(await Promise.all(paths.map(read)))
      .toEqual([[null, 0], ['', 0], [null, 0], [null, 0], [null, 0]]);
    const results = await client.multiRead(paths.map((path) => ({ kind: 'getData', path })));
    expect(results.map((result) => (result.kind === 'getData' ? result.data : result.kind)))
      .toEqual([null, Buffer.alloc(0), null, null, null]);
  });

  it('applies the chroot to every path in and out', async () => {
    await client.create('/chroot', '');
    await client.create('/chroot/app', '');
    const rooted = await connect(`${server.connectString}/chroot/app`);
    try {
      const created = await rooted.create('/seq-', 'x', { mode: 'ephemeralSequential' });
      expect(created.path).toMatch(/^\/seq-\d{10}$/);
      expect(await client.getChildren('/chroot/app')).toEqual([created.path.slice(1)]);
      expect(await rooted.getChildren('/')).toEqual([created.path.slice(1)]);
      expect(await rooted.getEphemerals('/')).toEqual([created.path]);
      const results = await rooted.transaction().create('/t', '').commit();
      expect(results[0]).toMatchObject({ kind: 'create', path: '/t' });
      const events: string[] = [];
      const watch = (event: WatchEvent) => events.push(`${event.type} ${event.path}`);
      await rooted.exists('/later', { watch });
      await client.create('/chroot/app/later', '');
      await expect.poll(() => events).toEqual(['nodeCreated /later']);
      const error = await rooted.getData('/none').catch((caught: unknown) => caught);
      expect((error as ZooKeeperError).path).toBe('/none');
    } finally {
      await rooted.close();
    }
  });

  it('honours abort signals', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(client.getData('/', { signal: controller.signal })).rejects.toThrow('stop');
    // A request still gets through afterwards: the connection is unaffected.
    expect(await client.exists('/')).not.toBeNull();
  });

  it('fails requests after close with ConnectionLoss and removes ephemerals', async () => {
    const other = await connect(server.connectString);
    await other.create('/closing', '', { mode: 'ephemeral' });
    await other.close();
    expect(other.state).toBe('closed');
    await expect(other.exists('/')).rejects.toBeInstanceOf(ConnectionLossError);
    expect(await client.exists('/closing')).toBeNull();
  });
});
