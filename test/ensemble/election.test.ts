// Leader election with real replica processes over TCP and LMDB: 3 and 5 replicas started in any
// order elect exactly one leader; a restarted follower rejoins without disturbing it; killing the
// leader elects a new one among the replicas with the most recent log.

import { afterEach, describe, expect, it } from 'vitest';
import { TestEnsemble } from '../support/ensemble.js';
import { connect } from '../../client/index.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

/** A fixed permutation per case, so the start order differs from case to case. */
function startOrder(ids: number[], seed: number): number[] {
  const order = [...ids];
  let state = seed;
  for (let index = order.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const other = state % (index + 1);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

async function writeThrough(connectString: string, path: string): Promise<void> {
  const client = await connect(connectString, { sessionTimeoutMs: 4000 });
  try {
    await client.create(path, 'x');
  } finally {
    await client.close();
  }
}

describe('election (real processes)', { timeout: 60_000 }, () => {
  it.each([
    [3, 1],
    [3, 7],
    [5, 3],
  ])('elects exactly one leader among %i replicas (start order seed %i)', async (size, seed) => {
    ensemble = await TestEnsemble.create({ voters: size });
    for (const id of startOrder(ensemble.ids, seed)) {
      ensemble.start(id);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const leader = await ensemble.waitForLeader();
    const modes = await Promise.all(ensemble.ids.map((id) => ensemble!.status(id)));
    expect(modes.filter((status) => status.mode === 'leader')).toHaveLength(1);
    expect(modes.filter((status) => status.mode === 'follower')).toHaveLength(size - 1);
    // Writes go through whichever replica a client picks.
    for (const id of ensemble.ids) await writeThrough(ensemble.connectString([id]), `/via-${id}`);
    expect(await ensemble.waitForLeader()).toBe(leader);
  });

  it('rejoins a restarted follower without disturbing the leader (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const epochBefore = (await ensemble.status(leader)).zxid! / 2 ** 32;
    const follower = ensemble.ids.find((id) => id !== leader)!;
    await ensemble.kill(follower);
    await writeThrough(ensemble.connectString([leader]), '/while-down');
    ensemble.start(follower);
    await ensemble.waitForLeader();
    expect((await ensemble.status(follower)).mode).toBe('follower');
    expect((await ensemble.status(leader)).mode).toBe('leader');
    await ensemble.waitForSameZxid();
    // The leader kept its epoch: the rejoin was not an election.
    expect(Math.floor((await ensemble.status(leader)).zxid! / 2 ** 32)).toBe(
      Math.floor(epochBefore),
    );
  });

  it('elects a replica with the most recent log when the leader is killed (R=5)', async () => {
    ensemble = await TestEnsemble.create({ voters: 5 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    // One follower misses some writes, so it is not up to date when the leader dies.
    const lagging = ensemble.ids.find((id) => id !== leader)!;
    await ensemble.kill(lagging);
    for (let index = 0; index < 5; index++) {
      await writeThrough(ensemble.connectString([leader]), `/before-${index}`);
    }
    await ensemble.kill(leader);
    ensemble.start(lagging);
    const survivors = ensemble.ids.filter((id) => id !== leader);
    const next = await ensemble.waitForLeader(survivors);
    expect(next).not.toBe(lagging);
    await writeThrough(ensemble.connectString(survivors), '/after');
    await ensemble.waitForSameZxid(survivors);
  });
});
