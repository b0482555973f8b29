// The ensemble comparison's self-test: a 3-server Apache ZooKeeper ensemble, with the same session
// placement, syncs and normalization as corral-ensemble.test.ts, must match a standalone
// ZooKeeper. That is what makes an ensemble-only difference in corral a finding rather than an
// artifact of comparing an ensemble with one server. Four JVMs on two cores: run it on demand
// with DIFF_ZOOKEEPER_ENSEMBLE=1 (DIFF_SEEDS=N for more seeds).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';
import { compareSeed, seedsToRun, stepsPerSeed } from './compare.js';
import {
  assertStandaloneReference, layoutName, slotPorts, startReferenceZooKeeper, startZooKeeperEnsemble,
  type StartedEnsemble,
} from './servers.js';

const enabled = process.env.DIFF_ZOOKEEPER_ENSEMBLE === '1' && zookeeperAvailable();

describe.skipIf(!enabled)('differential: ZooKeeper ensemble (R=3) against standalone', () => {
  let zookeeper: ZooKeeperServer;
  let ensemble: StartedEnsemble;

  beforeAll(async () => {
    [zookeeper, ensemble] = await Promise.all([
      startReferenceZooKeeper(), startZooKeeperEnsemble(),
    ]);
    await assertStandaloneReference(zookeeper);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([zookeeper?.stop(), ensemble?.destroy()]);
  });

  it.each(seedsToRun(6).map((seed) => [seed, layoutName(seed)] as const))(
    `agrees on seed %i, %s (${stepsPerSeed} ops)`,
    async (seed) => {
      const outcome = await compareSeed(
        seed,
        stepsPerSeed,
        { name: 'zookeeper-standalone', port: zookeeper.port },
        { name: 'zookeeper-ensemble', port: 0, ports: slotPorts(ensemble, seed) },
        { syncOnSwitch: true, configNodeByShape: true },
      );
      if (outcome.mismatch !== undefined) console.error(outcome.mismatch);
      // An election during the seed (a starved replica) explains any difference after it.
      expect(await ensemble.keptRoles(), 'the ensemble elected a new leader').toBe(true);
      expect(outcome.mismatch).toBeUndefined();
    },
  );
});
