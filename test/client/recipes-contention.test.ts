// Recipes under contention by 20 sessions, some in child processes: a Lock never has two holders
// and each LeaderLatch/LeaderElection step has exactly one leader as leaders are closed or
// SIGKILLed one by one. An append-only holder log, written by every contender, is the independent
// record; a lock that skips waiting run through the same checker proves the check can fail.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { LeaderElection, LeaderLatch, Lock } from '../../client/recipes/index.js';
import { ContenderProcess, type ContenderConfig } from './contender.js';
import {
  appendHolderEvent,
  checkExclusion,
  readHolderEvents,
  type HolderEvent,
} from './holder-log.js';
import { eventually, serverKinds, sleep, startServer, type TestServer } from './support.js';

const sessionsTotal = 20;
const inProcessSessions = 17;
const lockRounds = 3;
const lockHoldMs = 2;
/** Children whose session must expire after a SIGKILL: short, so the test stays short. */
const killedSessionTimeoutMs = 1_000;

const event = (kind: HolderEvent['kind'], id: string): HolderEvent => ({ atMs: 0, kind, id });

describe('holder log checker', () => {
  it.each([
    ['hand-offs', [event('enter', 'a'), event('exit', 'a'), event('enter', 'b')], 0],
    ['an overlap', [event('enter', 'a'), event('enter', 'b'), event('exit', 'a')], 1],
    ['a lead after a kill', [event('lead', 'a'), event('killed', 'a'), event('lead', 'b')], 0],
    ['a lead before the kill', [event('lead', 'a'), event('lead', 'b'), event('killed', 'a')], 1],
    ['an exit without entry', [event('exit', 'a')], 1],
  ])('finds %s to have %i violations', (_name, events, count) => {
    expect(checkExclusion(events).violations).toHaveLength(count);
  });
});

describe.each(serverKinds)('recipes under contention against %s', (kind) => {
  let server: TestServer;
  let dir: string;
  const clients: Client[] = [];
  const processes: ContenderProcess[] = [];

  beforeAll(async () => {
    server = await startServer(kind, 200);
    dir = mkdtempSync(join(tmpdir(), 'corral-contention-'));
    const connecting = Array.from({ length: inProcessSessions }, () =>
      connect(server.connectString, { sessionTimeoutMs: 4_000 }),
    );
    clients.push(...(await Promise.all(connecting)));
  });
  afterAll(async () => {
    await Promise.all(processes.map((child) => child.destroy()));
    await Promise.all(clients.map((client) => client.close()));
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function spawnContender(config: Omit<ContenderConfig, 'connectString'>): ContenderProcess {
    const child = new ContenderProcess({ connectString: server.connectString, ...config });
    processes.push(child);
    return child;
  }

  /** In-process twin of the child's loop: the real Lock, or one that skips waiting. */
  async function holdRounds(client: Client, recipe: 'lock' | 'brokenLock', path: string,
    id: string, log: string): Promise<void> {
    for (let round = 0; round < lockRounds; round++) {
      const release =
        recipe === 'lock'
          ? await new Lock(client, path).acquire({ timeoutMs: 30_000 }).then((holding) =>
            () => holding.release())
          : await client.create(`${path}/lock-`, '', { mode: 'ephemeralSequential' }).then(
            (created) => () => client.delete(created.path));
      appendHolderEvent(log, 'enter', id);
      await sleep(lockHoldMs);
      appendHolderEvent(log, 'exit', id);
      await release();
    }
  }

  /** 12 sessions here and 8 in 4 child processes take the lock 3 times each, together. */
  async function contendForLock(recipe: 'lock' | 'brokenLock', path: string) {
    const log = join(dir, `${recipe}.log`);
    await clients[0]?.create(path, '');
    const children = [0, 1, 2, 3].map((index) =>
      spawnContender({ recipe, path, log, ids: [`c${index}a`, `c${index}b`],
        rounds: lockRounds, holdMs: lockHoldMs }),
    );
    await Promise.all(children.map((child) => child.waitFor('ready')));
    const local = clients.slice(0, sessionsTotal - 8);
    for (const child of children) child.send('go');
    await Promise.all(
      local.map((client, index) => holdRounds(client, recipe, path, `l${index}`, log)),
    );
    expect(await Promise.all(children.map((child) => child.finished()))).toEqual([0, 0, 0, 0]);
    return checkExclusion(readHolderEvents(log));
  }

  it('a Lock shared by 20 sessions (8 in 4 processes), 3 turns each: never two holders',
    async () => {
      const report = await contendForLock('lock', '/contention-lock');
      expect(report.violations).toEqual([]);
      expect(report.order).toHaveLength(sessionsTotal * lockRounds);
      expect(new Set(report.order).size).toBe(sessionsTotal);
      expect(await clients[0]?.getChildren('/contention-lock')).toEqual([]);
    });

  it('the same checker catches a lock that skips waiting (20 sessions)', async () => {
    const report = await contendForLock('brokenLock', '/contention-broken');
    expect(report.violations.length).toBeGreaterThan(0);
  });

  /**
   * Joins 20 participants in order, every seventh (from the fourth) in its own process; then, step
   * by step, waits for exactly one leader and removes it: closed if local, SIGKILLed if a child.
   * Returns the leaders in the order they led.
   */
  async function electOneByOne(recipe: 'latch' | 'election', path: string) {
    const log = join(dir, `${recipe}.log`);
    const removers = new Map<string, () => Promise<void>>();
    const joinOrder: string[] = [];
    let local = 0;
    for (let index = 0; index < sessionsTotal; index++) {
      if (index % 7 === 3) {
        const id = `c${index}`;
        const child = spawnContender({ recipe, path, log, ids: [id],
          sessionTimeoutMs: killedSessionTimeoutMs });
        await child.waitFor(`joined ${id}`);
        removers.set(id, () => child.kill());
        joinOrder.push(id);
        continue;
      }
      const id = `l${index}`;
      const client = clients[local++] as Client;
      removers.set(id, await joinHere(recipe, client, path, id, log));
      joinOrder.push(id);
    }
    const led: string[] = [];
    for (let step = 0; step < sessionsTotal; step++) {
      let report = checkExclusion(readHolderEvents(log));
      await eventually(`leader #${step + 1}`, () => {
        report = checkExclusion(readHolderEvents(log));
        return report.holders.length === 1 || report.violations.length > 0;
      }, 10_000);
      expect(report.violations).toEqual([]);
      const leader = report.holders[0] as string;
      expect(led).not.toContain(leader);
      led.push(leader);
      await removers.get(leader)?.();
    }
    await sleep(100); // nobody left: nobody may lead
    const final = checkExclusion(readHolderEvents(log));
    expect(final.violations).toEqual([]);
    expect(final.holders).toEqual([]);
    return { led, joinOrder };
  }

  async function joinHere(recipe: 'latch' | 'election', client: Client, path: string,
    id: string, log: string): Promise<() => Promise<void>> {
    if (recipe === 'latch') {
      const latch = new LeaderLatch(client, path, id);
      latch.onChange((isLeader) => appendHolderEvent(log, isLeader ? 'lead' : 'unlead', id));
      await latch.start();
      return () => latch.close();
    }
    const election = new LeaderElection(client, path, {
      requeue: false,
      takeLeadership: async (signal) => {
        appendHolderEvent(log, 'lead', id);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        appendHolderEvent(log, 'unlead', id);
      },
    });
    election.start();
    return () => election.close();
  }

  it('a LeaderLatch of 20 has one leader at each step as leaders close or die (3 killed)',
    async () => {
      const { led, joinOrder } = await electOneByOne('latch', '/contention-latch');
      expect(led).toEqual(joinOrder); // the oldest participant leads
    });

  it('a LeaderElection of 20 has one leader at each step as leaders close or die (3 killed)',
    async () => {
      const { led, joinOrder } = await electOneByOne('election', '/contention-election');
      expect([...led].sort()).toEqual([...joinOrder].sort());
    });
});
