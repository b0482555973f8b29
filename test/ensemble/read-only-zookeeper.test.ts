// The read-only scenario (read-only-scenario.ts) against Apache ZooKeeper 3.8, the reference:
// its clients must see exactly what corral's see (read-only.test.ts asserts the same). ZooKeeper
// reads the switch only as the JVM property -Dreadonlymode.enabled=true, and its read-only
// server creates sessions only with localSessionsEnabled=true (without it no client connects).

import { afterEach, describe, expect, it } from 'vitest';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import {
  cleanUpScenario,
  expectedReadOnlyObservations,
  observeReadOnlyScenario,
} from './read-only-scenario.js';

let ensemble: ZooKeeperEnsemble | undefined;

afterEach(async () => {
  await cleanUpScenario();
  await ensemble?.destroy();
  ensemble = undefined;
});

describe('read-only mode against ZooKeeper 3.8 (reference, R=3)', { timeout: 240_000 }, () => {
  it('shows its clients what corral shows them', async () => {
    ensemble = await ZooKeeperEnsemble.create({
      voters: 3,
      extraConfig: ['4lw.commands.whitelist=*', 'localSessionsEnabled=true'],
      jvmFlags: ['-Dreadonlymode.enabled=true'],
    });
    ensemble.startAll();
    const started = ensemble;
    const { observed } = await observeReadOnlyScenario({
      ids: [1, 2, 3],
      clientPort: (id) => started.clientPort(id),
      connectString: (ids) => started.connectString(ids),
      kill: (id) => started.kill(id),
      start: (id) => started.start(id),
      waitForLeader: () => started.waitForLeader(),
      followers: () => started.followers(),
    });
    expect(observed).toEqual(expectedReadOnlyObservations);
  });
});
