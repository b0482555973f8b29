// Locks, read-write locks and semaphores with many sessions contending over real TCP: an
// independent record of holders checks exclusion, and a relay we cut shows lock loss on expiry
// and that protected creates never orphan a node when the connection drops mid-create.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { Lock, ReadWriteLock, Semaphore, createProtected } from '../../client/recipes/index.js';
import { startRelay } from '../interop/proxy.js';
import { eventually, serverKinds, sleep, startServer, type TestServer } from './support.js';

describe.each(serverKinds)('lock recipes against %s', (kind) => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startServer(kind, 200);
    for (let index = 0; index < 10; index++) clients.push(await connect(server.connectString));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.stop();
  });

  it('excludes: ten sessions, three turns each, never two holders', async () => {
    let holders = 0;
    let maximum = 0;
    const order: number[] = [];
    await Promise.all(
      clients.map(async (client, index) => {
        const lock = new Lock(client, '/locks/mutex');
        for (let turn = 0; turn < 3; turn++) {
          await lock.withLock(async () => {
            holders++;
            maximum = Math.max(maximum, holders);
            order.push(index);
            await sleep(1);
            holders--;
          });
        }
      }),
    );
    expect(maximum).toBe(1);
    expect(order).toHaveLength(30);
    expect(await clients[0]?.getChildren('/locks/mutex')).toEqual([]);
  });

  it('gives up after a timeout and leaves no node behind', async () => {
    const [first, second] = clients as [Client, Client];
    const holding = await new Lock(first, '/locks/timeout').acquire();
    await expect(new Lock(second, '/locks/timeout').acquire({ timeoutMs: 100 })).rejects.toThrow();
    expect(await first.getChildren('/locks/timeout')).toHaveLength(1);
    await holding.release();
  });

  it('shares among readers and excludes writers', async () => {
    const active = { readers: 0, writers: 0, readersMaximum: 0 };
    const violations: string[] = [];
    await Promise.all(
      clients.slice(0, 6).map(async (client, index) => {
        const lock = new ReadWriteLock(client, '/locks/rw');
        const writer = index % 3 === 0;
        const holding = await (writer ? lock.writeLock : lock.readLock).acquire();
        if (writer) active.writers++;
        else active.readers++;
        active.readersMaximum = Math.max(active.readersMaximum, active.readers);
        if (active.writers > 1 || (active.writers === 1 && active.readers > 0)) {
          violations.push(`writers ${active.writers} readers ${active.readers}`);
        }
        await sleep(20);
        if (writer) active.writers--;
        else active.readers--;
        await holding.release();
      }),
    );
    expect(violations).toEqual([]);
    expect(active.readersMaximum).toBeGreaterThanOrEqual(2);
  });

  it('grants at most the number of leases', async () => {
    let holders = 0;
    let maximum = 0;
    await Promise.all(
      clients.slice(0, 8).map(async (client) => {
        const lease = await new Semaphore(client, '/locks/semaphore', 3).acquire();
        holders++;
        maximum = Math.max(maximum, holders);
        await sleep(15);
        holders--;
        await lease.release();
      }),
    );
    expect(maximum).toBe(3);
  });

  it('reports the lock lost when its session expires, and frees it for others', async () => {
    const relay = await startRelay(server.port);
    const doomed = await connect(`127.0.0.1:${relay.port}`, { sessionTimeoutMs: 800 });
    try {
      const holding = await new Lock(doomed, '/locks/expiry').acquire();
      let lost = false;
      holding.onLost(() => (lost = true));
      await relay.cut();
      const other = new Lock(clients[1] as Client, '/locks/expiry');
      const taken = await other.acquire({ timeoutMs: 8_000 });
      await eventually('lock lost', () => lost);
      expect(holding.lost).toBe(true);
      await taken.release();
    } finally {
      await relay.cut();
      await doomed.close();
    }
  });

  // Needs the server to order a session's requests across connections: a read on the new
  // connection must see a write still in flight from the old one (ZooKeeper orders by session).
  it('never orphans a protected create when the connection drops', async () => {
    const relay = await startRelay(server.port);
    const flaky = await connect(`127.0.0.1:${relay.port}`, {
      sessionTimeoutMs: 4_000,
      reconnectBackoffMsBase: 10,
      reconnectBackoffMsMax: 50,
    });
    try {
      const created: string[] = [];
      for (let round = 0; round < 5; round++) {
        const creating = createProtected(flaky, '/', 'protected-', 'persistentSequential');
        // Cut after the request may or may not have reached the server.
        await sleep(round);
        await relay.cut();
        await relay.resume();
        created.push(await creating);
      }
      const all = (await clients[0]?.getChildren('/')) ?? [];
      const children = all.filter((name) => name.includes('protected-'));
      expect(children.sort()).toEqual(created.map((path) => path.slice(1)).sort());
    } finally {
      await relay.cut();
      await flaky.close();
    }
  });
});
