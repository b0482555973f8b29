// REVALIDATE as a transcript over the cluster harness: a learner asked about a reconnecting
// client's session forwards the question to the leader, whose session table answers; the
// learner's host hears the verdict (true while the session lives, false once it is closed).
import { describe, expect, it } from 'vitest';
import { Cluster, clusterSessionId } from '../../sim/cluster.js';

describe('session revalidation through the leader (R=3)', () => {
  it('answers true for a live session and false once the leader closed it', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3] });
    await cluster.startAll();
    const leaderId = await cluster.stabilize();
    await cluster.openSession();
    const learner = cluster.replica([1, 2, 3].find((id) => id !== leaderId)!);
    const ask = async () => {
      const answer = learner.host.pipeline.revalidate(clusterSessionId, 30_000);
      await Promise.resolve();
      learner.runHostWork();
      await cluster.settle();
      return answer;
    };
    expect(await ask()).toBe(true);
    cluster.submit({ type: 'closeSession', sessionId: clusterSessionId });
    await cluster.settle();
    expect(await ask()).toBe(false);
  });
});
