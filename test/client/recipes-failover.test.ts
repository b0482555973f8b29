// A Lock and a LeaderLatch held through a 3-replica corral ensemble while the replica their
// sessions use is SIGKILLed: with other replicas in the connect string the sessions move before
// they expire and nothing changes hands; with only the dead replica to go back to the sessions
// expire, the holders are told (the latch at once, the lock when the session timeout has run out)
// and the waiting contenders take over.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SessionExpiredError,
  connect,
  type Client,
  type ClientOptions,
} from '../../client/index.js';
import { LeaderLatch, Lock } from '../../client/recipes/index.js';
import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';
import { eventually, sleep } from './support.js';

const movingSessionTimeoutMs = 4_000;
const expiringSessionTimeoutMs = 1_200;
/** How far apart the holder's onLost and the contender's acquisition may be (either order). */
const lostNoticeSkewMsMax = 400;

describe('recipes under failover (corral, R=3)', { timeout: 60_000 }, () => {
  let ensemble: TestEnsemble;
  const clients: Client[] = [];

  beforeAll(async () => {
    ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs: 200 });
    ensemble.startAll();
    await ensemble.waitForLeader();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await ensemble?.destroy();
  });

  /** Restarts what an earlier test killed, so each test starts with all three serving. */
  async function allServing(): Promise<number> {
    for (const id of ensemble.ids) if (!ensemble.isRunning(id)) ensemble.start(id);
    return ensemble.waitForLeader(ensemble.ids);
  }

  /** A client that tries `ids` in exactly this order (no shuffle: random() near 1). */
  async function connectTo(ids: number[], options: ClientOptions): Promise<Client> {
    const client = await connect(ensemble.connectString(ids), { random: () => 0.999, ...options });
    clients.push(client);
    return client;
  }

  /** The replica whose `cons` lists a connection of this client's session. */
  async function replicaOf(client: Client): Promise<number | undefined> {
    const session = `sid=0x${client.sessionId.toString(16)},`;
    for (const id of ensemble.runningIds()) {
      const cons = await fourLetterWord(ensemble.clientPort(id), 'cons').catch(() => '');
      if (cons.includes(session)) return id;
    }
    return undefined;
  }

  /** Holders on `target` (then the others), contenders on a replica that stays up. */
  async function holdThrough(target: number, failover: number[], sessionTimeoutMs: number,
    path: string) {
    const survivor = ensemble.ids.find((id) => id !== target) as number;
    const lockHolder = await connectTo([target, ...failover], { sessionTimeoutMs });
    const latchHolder = await connectTo([target, ...failover], { sessionTimeoutMs });
    const contender = await connectTo([survivor], { sessionTimeoutMs: movingSessionTimeoutMs });
    expect([await replicaOf(lockHolder), await replicaOf(latchHolder)]).toEqual([target, target]);
    const timeline: string[] = [];
    const noted = new Map<string, number>();
    const note = (entry: string) => {
      timeline.push(entry);
      noted.set(entry, performance.now());
    };
    const holding = await new Lock(lockHolder, `${path}/lock`).acquire();
    holding.onLost(() => note('holder lost the lock'));
    const latch = new LeaderLatch(latchHolder, `${path}/latch`, 'holder');
    await latch.start();
    await latch.await(AbortSignal.timeout(5_000));
    latch.onChange((isLeader) => note(`holder ${isLeader ? 'leads' : 'stopped leading'}`));
    const acquiring = new Lock(contender, `${path}/lock`).acquire({ timeoutMs: 30_000 });
    acquiring.then(() => note('contender took the lock'), () => undefined);
    const contenderLatch = new LeaderLatch(contender, `${path}/latch`, 'contender');
    contenderLatch.onChange((isLeader) => isLeader && note('contender leads'));
    await contenderLatch.start();
    await eventually('the contender queued', async () =>
      (await contender.getChildren(`${path}/lock`)).length === 2);
    return { lockHolder, latchHolder, contender, holding, latch, acquiring, contenderLatch,
      timeline, noted };
  }

  it.each(['follower', 'leader'] as const)(
    'keeps a Lock and a LeaderLatch when the %s the holders use is SIGKILLed',
    async (role) => {
      const leader = await allServing();
      const target = role === 'leader' ? leader : ((await ensemble.followers())[0] as number);
      const others = ensemble.ids.filter((id) => id !== target);
      const held = await holdThrough(target, others, movingSessionTimeoutMs, `/failover-${role}`);
      const sawLoss = [held.lockHolder, held.latchHolder].map((client) => {
        const seen = { loss: false };
        client.on('state', (state) => (seen.loss ||= state === 'suspended'));
        return seen;
      });
      const killedAt = Date.now();
      await ensemble.kill(target);
      // Back and served by a surviving replica (after a leader's death a holder may first land
      // on a follower that then drops it to elect, and move once more).
      const moved = async () => {
        if (!sawLoss.every((seen) => seen.loss)) return false;
        const replicas = [await replicaOf(held.lockHolder), await replicaOf(held.latchHolder)];
        return replicas.every((replica) => replica !== undefined && others.includes(replica));
      };
      await eventually('both holders moved', moved, movingSessionTimeoutMs);
      await held.latch.await(AbortSignal.timeout(5_000));
      // A whole session timeout after the kill: a session that had not moved would be gone.
      await sleep(killedAt + movingSessionTimeoutMs + 500 - Date.now());
      expect(held.holding.lost).toBe(false);
      expect(held.latch.hasLeadership).toBe(true);
      // Leadership paused while suspended (maybe more than once) and came back; nobody else led.
      expect(held.timeline[0]).toBe('holder stopped leading');
      expect(held.timeline.at(-1)).toBe('holder leads');
      expect(held.timeline.filter((entry) => !entry.startsWith('holder '))).toEqual([]);
      const before = held.timeline.length;
      const owner = await held.contender.exists(held.holding.path);
      expect(owner?.ephemeralOwner).toBe(held.lockHolder.sessionId);
      // Handing over works as before the failover.
      await held.holding.release();
      const taken = await held.acquiring;
      await held.latch.close();
      await held.contenderLatch.await(AbortSignal.timeout(5_000));
      expect(held.timeline.slice(before).sort()).toEqual([
        'contender leads', 'contender took the lock', 'holder stopped leading',
      ]);
      await taken.release();
      await held.contenderLatch.close();
    },
  );

  it('loses a Lock and a LeaderLatch cleanly when the holders\' sessions expire', async () => {
    await allServing();
    const target = (await ensemble.followers())[0] as number;
    // Only the replica that dies: the holders cannot move and their sessions expire.
    const held = await holdThrough(target, [], expiringSessionTimeoutMs, '/failover-expiry');
    await ensemble.kill(target);
    const taken = await held.acquiring;
    await held.contenderLatch.await(AbortSignal.timeout(10_000));
    const expired = () =>
      held.lockHolder.state === 'expired' && held.latchHolder.state === 'expired';
    await eventually('both holders expired', expired, expiringSessionTimeoutMs);
    expect(held.holding.lost).toBe(true);
    expect(held.latch.hasLeadership).toBe(false);
    // The latch says false at the suspension, long before anyone else can lead.
    const at = (entry: string) => held.timeline.indexOf(entry);
    expect(at('holder stopped leading')).toBeGreaterThanOrEqual(0);
    expect(at('holder stopped leading')).toBeLessThan(at('contender leads'));
    // The lock holder is told when its local timer runs out: a session timeout after the last
    // frame from the server, which is about when the leader expires the session (a little
    // earlier or later, by the leader's touch and expiry granularity).
    const lostAtMs = held.noted.get('holder lost the lock') as number;
    const takenAtMs = held.noted.get('contender took the lock') as number;
    expect(lostAtMs).toBeDefined();
    expect(Math.abs(lostAtMs - takenAtMs)).toBeLessThan(lostNoticeSkewMsMax);
    expect(await held.contender.getChildren('/failover-expiry/lock')).toEqual([
      taken.path.split('/').at(-1),
    ]);
    // A late release by the old holder cannot touch the new holder's node.
    await held.holding.release();
    await expect(held.lockHolder.exists('/')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(await held.contender.exists(taken.path)).not.toBeNull();
    await taken.release();
    await held.contenderLatch.close();
  });
});
