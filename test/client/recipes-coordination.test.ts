// Barriers, queues, group membership, counters, caches and service discovery against corral,
// each with several sessions at once, bounded in size and time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import {
  Barrier,
  Counter,
  DoubleBarrier,
  Group,
  NodeCache,
  PriorityQueue,
  Queue,
  ServiceDiscovery,
  TreeCache,
} from '../../client/recipes/index.js';
import { eventually, sleep, startServer, type TestServer } from './support.js';

describe('coordination recipes against corral', () => {
  let server: TestServer;
  const clients: Client[] = [];
  const client = () => clients[0] as Client;

  beforeAll(async () => {
    server = await startServer('corral', 200);
    for (let index = 0; index < 4; index++) clients.push(await connect(server.connectString));
  });
  afterAll(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await server?.stop();
  });

  it('holds waiters at a barrier until it is removed', async () => {
    const barrier = new Barrier(client(), '/barrier/simple');
    await barrier.setBarrier();
    let released = 0;
    const waiters = clients.slice(1).map((each) =>
      new Barrier(each, '/barrier/simple').waitOnBarrier().then(() => released++),
    );
    await sleep(50);
    expect(released).toBe(0);
    await barrier.removeBarrier();
    await Promise.all(waiters);
    expect(released).toBe(3);
  });

  it('starts and finishes a double barrier together', async () => {
    const log: string[] = [];
    await Promise.all(
      clients.map(async (each, index) => {
        const barrier = new DoubleBarrier(each, '/barrier/double', clients.length);
        await sleep(index * 10);
        await barrier.enter({ timeoutMs: 5_000 });
        log.push('entered');
        await sleep(index * 10);
        await barrier.leave({ timeoutMs: 5_000 });
        log.push('left');
      }),
    );
    expect(log).toEqual([...Array(4).fill('entered'), ...Array(4).fill('left')]);
  });

  it('delivers each queued item to exactly one consumer', async () => {
    const items = Array.from({ length: 20 }, (_, index) => `item-${index}`);
    const consumed: string[] = [];
    const consumers = clients.slice(2).map(async (each) => {
      const queue = new Queue(each, '/queue/fifo');
      for (;;) {
        const data = await queue.take({ timeoutMs: 1_000 }).catch(() => null);
        if (data === null) return;
        consumed.push(data.toString());
      }
    });
    const producers = clients.slice(0, 2).map(async (each, producer) => {
      const queue = new Queue(each, '/queue/fifo');
      for (const item of items.filter((_, index) => index % 2 === producer)) await queue.put(item);
    });
    await Promise.all([...producers, ...consumers]);
    expect([...consumed].sort()).toEqual([...items].sort());
  });

  it('takes by priority, then in order of arrival', async () => {
    const queue = new PriorityQueue(client(), '/queue/priority');
    await queue.put('low-1', 5);
    await queue.put('high', 1);
    await queue.put('low-2', 5);
    await queue.put('urgent', 0);
    expect(await queue.size()).toBe(4);
    const taken: string[] = [];
    for (let index = 0; index < 4; index++) taken.push((await queue.take()).toString());
    expect(taken).toEqual(['urgent', 'high', 'low-1', 'low-2']);
    expect(await queue.poll()).toBeNull();
  });

  it('tracks group membership, ending it with the session', async () => {
    const seen: string[][] = [];
    const stop = new AbortController();
    const record = (members: string[]) => seen.push(members);
    const following = new Group(client(), '/group').follow(record, stop.signal);
    const member = await connect(server.connectString);
    await new Group(member, '/group').join('worker-a', 'a');
    const own = await new Group(clients[1] as Client, '/group').join('worker-b');
    await eventually('both members', () => seen.at(-1)?.length === 2);
    await member.close();
    await eventually('member gone', () => seen.at(-1)?.join() === 'worker-b');
    await own.leave();
    expect(await new Group(client(), '/group').members()).toEqual([]);
    stop.abort();
    await following;
  });

  it('counts concurrent increments exactly and compares-and-sets', async () => {
    await Promise.all(
      clients.map(async (each) => {
        const counter = new Counter(each, '/counter/hits');
        for (let index = 0; index < 10; index++) await counter.increment();
      }),
    );
    const counter = new Counter(client(), '/counter/hits');
    expect(await counter.get()).toBe(40n);
    expect(await counter.compareAndSet(39n, 0n)).toBe(false);
    expect(await counter.compareAndSet(40n, 100n)).toBe(true);
    expect(await counter.add(-1n)).toBe(99n);
  });

  it('keeps a node cache and a tree cache current', async () => {
    const nodeCache = new NodeCache(clients[1] as Client, '/cached');
    await nodeCache.start();
    expect(nodeCache.current).toBeNull();
    const treeCache = new TreeCache(clients[2] as Client, '/cached');
    await treeCache.start();
    await client().create('/cached', 'v1');
    await client().create('/cached/a', 'child');
    await client().create('/cached/a/b', 'grandchild');
    await eventually('node cache', () => nodeCache.current?.data?.toString() === 'v1');
    const dataOf = (path: string) => treeCache.get(path)?.data?.toString();
    await eventually('tree cache', () => dataOf('/cached/a/b') === 'grandchild');
    expect(treeCache.children('/cached')).toEqual(['a']);
    await client().setData('/cached', 'v2');
    await eventually('node cache update', () => nodeCache.current?.data?.toString() === 'v2');
    await client().delete('/cached/a/b');
    await eventually('tree cache removal', () => treeCache.get('/cached/a/b') === undefined);
    expect(treeCache.size).toBe(2);
    // After a reconnect the tree cache reloads what changed while it was away.
    (clients[2] as Client).dropConnection();
    await client().create('/cached/a/c', 'while-away');
    await eventually('reload', () => dataOf('/cached/a/c') === 'while-away');
    nodeCache.close();
    await treeCache.close();
  });

  it('registers, lists and forgets service instances', async () => {
    const discovery = new ServiceDiscovery(client());
    const provider = await connect(server.connectString);
    const registration = await new ServiceDiscovery(provider).register({
      name: 'api',
      address: '127.0.0.1',
      port: 8080,
      payload: { zone: 'a' },
    });
    expect(await discovery.names()).toEqual(['api']);
    const instances = await discovery.instances('api');
    expect(instances).toEqual([registration.instance]);
    expect((await discovery.pick('api'))?.port).toBe(8080);
    await provider.close();
    expect(await discovery.instances('api')).toEqual([]);
    expect(await discovery.pick('api')).toBeNull();
  });
});
