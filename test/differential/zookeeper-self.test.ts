// The harness's self-test: two Apache ZooKeeper servers fed the same seeded sequences must give
// identical normalized transcripts. A mismatch here is a harness bug (or nondeterminism to tame).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZooKeeperServer } from '../support/zookeeper.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { compareSeed, seedsToRun, stepsPerSeed } from './compare.js';
import { startReferenceZooKeeper } from './servers.js';

describe.skipIf(!zookeeperAvailable())('differential: ZooKeeper 3.8 against itself', () => {
  let left: ZooKeeperServer;
  let right: ZooKeeperServer;

  beforeAll(async () => {
    [left, right] = await Promise.all([startReferenceZooKeeper(), startReferenceZooKeeper()]);
  });

  afterAll(async () => {
    await Promise.all([left?.stop(), right?.stop()]);
  });

  it.each(seedsToRun(5))(`agrees with itself on seed %i (${stepsPerSeed} ops)`, async (seed) => {
    const outcome = await compareSeed(
      seed,
      stepsPerSeed,
      { name: 'zookeeper-1', port: left.port },
      { name: 'zookeeper-2', port: right.port },
    );
    if (outcome.mismatch !== undefined) console.error(outcome.mismatch);
    // A server that died (ZooKeeper halts on some txns) explains every later failure.
    for (const server of [left, right]) {
      if (server.process.exitCode !== null) console.error(server.output().slice(-3000));
    }
    expect(outcome.mismatch).toBeUndefined();
    expect(outcome.lines).toBeGreaterThan(stepsPerSeed);
  });
});
