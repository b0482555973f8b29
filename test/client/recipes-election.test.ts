// Leader election with several sessions against corral: a LeaderLatch group always has exactly
// one leader, and leadership moves when the leader leaves or its session expires; LeaderElection
// terms never overlap and every participant gets one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { LeaderElection, LeaderLatch } from '../../client/recipes/index.js';
import { startRelay } from '../interop/proxy.js';
import { eventually, sleep, startServer, type TestServer } from './support.js';

describe('leader recipes against corral', () => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startServer('corral', 200);
    for (let index = 0; index < 5; index++) clients.push(await connect(server.connectString));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.stop();
  });

  it('keeps exactly one latch leader as leaders leave', async () => {
    const latches = clients.map(
      (client, index) => new LeaderLatch(client, '/election/latch', `p${index}`),
    );
    for (const latch of latches) await latch.start();
    const leaders = () => latches.filter((latch) => latch.hasLeadership);
    for (let remaining = latches.length; remaining > 0; remaining--) {
      await eventually('one leader', () => leaders().length === 1);
      const leader = leaders()[0] as LeaderLatch;
      expect(leader).toBe(latches[latches.length - remaining]); // oldest first: fair order
      await leader.close();
      expect(leader.hasLeadership).toBe(false);
    }
  });

  it('moves leadership when the leader session expires', async () => {
    const relay = await startRelay(server.port);
    const doomed = await connect(`127.0.0.1:${relay.port}`, { sessionTimeoutMs: 800 });
    const first = new LeaderLatch(doomed, '/election/expiry');
    await first.start();
    await first.await(AbortSignal.timeout(5_000));
    const second = new LeaderLatch(clients[0] as Client, '/election/expiry');
    await second.start();
    const changes: boolean[] = [];
    first.onChange((isLeader) => changes.push(isLeader));
    await relay.cut();
    await second.await(AbortSignal.timeout(8_000));
    expect(first.hasLeadership).toBe(false);
    expect(changes).toEqual([false]);
    await second.close();
    await doomed.close();
  });

  it('runs non-overlapping leadership terms, one per participant', async () => {
    let leaders = 0;
    let maximum = 0;
    const terms: number[] = [];
    const elections = clients.map(
      (client, index) =>
        new LeaderElection(client, '/election/selector', {
          requeue: false,
          takeLeadership: async () => {
            leaders++;
            maximum = Math.max(maximum, leaders);
            terms.push(index);
            await sleep(10);
            leaders--;
          },
        }),
    );
    for (const election of elections) election.start();
    await eventually('every term', () => terms.length === clients.length);
    await Promise.all(elections.map((election) => election.close()));
    expect(maximum).toBe(1);
    expect([...terms].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
