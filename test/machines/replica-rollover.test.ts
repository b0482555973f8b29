// ZooKeeper's XidRolloverException as a transcript: a leader whose epoch has no counter left for a
// batch of requests proposes none of them and goes back to looking, so the next leader starts a
// new epoch whose counter restarts at 1. Checked with the pure transition() on the real machine.
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { replicaMachine, type ReplicaEvent } from '../../machines/replica.js';
import { counterOfZxid, epochOfZxid, makeZxid, zxidCounterMax } from '../../protocol/zxid.js';
import { Cluster, createTxnBody } from '../../sim/cluster.js';

function requests(count: number): ReplicaEvent {
  const body = createTxnBody('/rollover');
  return {
    type: 'client.requests',
    requests: Array.from({ length: count }, (_, cxid) => ({ sessionId: 1n, cxid, time: 0, body })),
  };
}

/** The established leader of a fresh R=3 cluster, its last zxid moved to `lastZxid`. */
async function leaderAt(counter: number) {
  const cluster = new Cluster({ voters: [1, 2, 3] });
  await cluster.startAll();
  const leaderId = await cluster.stabilize();
  const snapshot = cluster.replica(leaderId).actor.getSnapshot();
  const epoch = snapshot.context.currentEpoch;
  const lastZxid = makeZxid(epoch, counter);
  const state = replicaMachine.resolveState({
    value: snapshot.value,
    context: { ...snapshot.context, lastZxid, durableZxid: lastZxid },
  });
  return { state, epoch };
}

describe('zxid counter rollover (leading.broadcast)', () => {
  it.each([
    ['the counter is spent', zxidCounterMax, 1],
    ['the batch does not fit in what is left', zxidCounterMax - 2, 3],
  ])('goes back to looking when %s', async (_case, counter, batch) => {
    const { state } = await leaderAt(counter);
    const [next, actions] = transition(replicaMachine, state, requests(batch));
    expect(next.value).toEqual({ looking: 'notServing' });
    const types = actions.map((action) => action.type);
    expect(types).not.toContain('appendProposals');
    expect(types).not.toContain('sendPeerMessage');
  });

  it('proposes a batch that exactly uses up the counter', async () => {
    const { state, epoch } = await leaderAt(zxidCounterMax - 3);
    const [next, actions] = transition(replicaMachine, state, requests(3));
    expect(next.matches({ leading: { phase: 'broadcast' } })).toBe(true);
    const append = actions.find((action) => action.type === 'appendProposals');
    const zxids = (append?.params as { txns: Array<{ zxid: number }> }).txns.map((t) => t.zxid);
    const counters = zxids.map(counterOfZxid);
    expect(counters).toEqual([zxidCounterMax - 2, zxidCounterMax - 1, zxidCounterMax]);
    expect(zxids.every((zxid) => epochOfZxid(zxid) === epoch)).toBe(true);
  });
});
