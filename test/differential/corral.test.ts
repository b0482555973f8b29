// corral against Apache ZooKeeper 3.8 on the same seeded sequences (the launcher runs dist/, so
// `npm test` builds first). CORRAL_DIFFERENTIAL=0 switches it off; DIFF_SEEDS=N runs more seeds.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral, type CorralServer } from '../support/corral.js';
import { zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';
import { compareSeed, seedsToRun, stepsPerSeed } from './compare.js';
import { corralZooCfg, startReferenceZooKeeper } from './servers.js';

const enabled = process.env.CORRAL_DIFFERENTIAL !== '0' && zookeeperAvailable();

describe.skipIf(!enabled)('differential: corral against ZooKeeper 3.8', () => {
  let zookeeper: ZooKeeperServer;
  let corral: CorralServer;

  beforeAll(async () => {
    [zookeeper, corral] = await Promise.all([
      startReferenceZooKeeper(),
      startCorral({ zooCfg: corralZooCfg }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([zookeeper?.stop(), corral?.stop()]);
  });

  it.each(seedsToRun(5))(`matches ZooKeeper on seed %i (${stepsPerSeed} ops)`, async (seed) => {
    const outcome = await compareSeed(
      seed,
      stepsPerSeed,
      { name: 'zookeeper', port: zookeeper.port },
      { name: 'corral', port: corral.port },
    );
    if (outcome.mismatch !== undefined) console.error(outcome.mismatch);
    expect(outcome.mismatch).toBeUndefined();
  });
});
