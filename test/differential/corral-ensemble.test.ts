// corral as a 3-replica ensemble against a standalone Apache ZooKeeper 3.8 on the same seeded
// sequences: session slots A and B on different replicas (which ones rotates by seed), so writes
// are forwarded, watches fire on other replicas and sessions are created and closed through the
// leader. Both servers get a sync whenever the acting slot changes (see RunOptions.syncOnSwitch).
// CORRAL_DIFFERENTIAL=0 switches it off; DIFF_SEEDS=N runs more seeds.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';
import { compareSeed, seedsToRun, stepsPerSeed } from './compare.js';
import {
  assertStandaloneReference, layoutName, slotPorts, startCorralEnsemble, startReferenceZooKeeper,
  type StartedEnsemble,
} from './servers.js';

const enabled = process.env.CORRAL_DIFFERENTIAL !== '0' && zookeeperAvailable();

describe.skipIf(!enabled)('differential: corral ensemble (R=3) against ZooKeeper 3.8', () => {
  let zookeeper: ZooKeeperServer;
  let ensemble: StartedEnsemble;

  beforeAll(async () => {
    [zookeeper, ensemble] = await Promise.all([startReferenceZooKeeper(), startCorralEnsemble()]);
    await assertStandaloneReference(zookeeper);
  });

  afterAll(async () => {
    await Promise.all([zookeeper?.stop(), ensemble?.destroy()]);
  });

  it.each(seedsToRun(3).map((seed) => [seed, layoutName(seed)] as const))(
    `matches ZooKeeper on seed %i, %s (${stepsPerSeed} ops)`,
    async (seed) => {
      const outcome = await compareSeed(
        seed,
        stepsPerSeed,
        { name: 'zookeeper-standalone', port: zookeeper.port },
        { name: 'corral-ensemble', port: 0, ports: slotPorts(ensemble, seed) },
        // /zookeeper/config legitimately differs between an ensemble and a standalone server.
        { syncOnSwitch: true, configNodeByShape: true },
      );
      if (outcome.mismatch !== undefined) console.error(outcome.mismatch);
      // An election during the seed (a starved replica) explains any difference after it.
      expect(await ensemble.keptRoles(), 'the ensemble elected a new leader').toBe(true);
      expect(outcome.mismatch).toBeUndefined();
    },
  );
});
