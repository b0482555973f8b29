// Curator 5's reconfig API (Debian's libcurator-framework-java, run by the JDK's source launcher)
// against a ZooKeeper 3.8 ensemble and a corral ensemble, both with reconfigEnabled=true and a
// super user: the steps of kazoo/reconfig.py through Curator's builders (curator/
// CuratorReconfig.java). corral must answer Curator as ZooKeeper does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import type { ReconfigEnsemble, Implementation } from '../support/reconfig-ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { expectedReconfigOutcome, reconfigOutcome } from './reconfig-outcome.js';

const program = join(projectRoot, 'test', 'interop', 'curator', 'CuratorReconfig.java');
const jars = ['curator-framework', 'curator-client', 'zookeeper', 'zookeeper-jute', 'guava',
  'slf4j-api', 'slf4j-nop'].map((name) => `/usr/share/java/${name}.jar`);
/** Curator's jars and a JDK (the source launcher compiles the program): .ci/run installs both. */
const curatorAvailable = jars.every((jar) => existsSync(jar)) &&
  spawnSync('javac', ['-version']).status === 0;

function outcome(implementation: Implementation, ensembles: ReconfigEnsemble[]) {
  return reconfigOutcome(implementation, ensembles,
    { file: 'java', leading: ['-cp', jars.join(':'), program], timeoutMs: 90_000 });
}

describe.skipIf(!zookeeperAvailable() || !curatorAvailable)(
  'Curator reconfig, ZooKeeper 3.8 and corral',
  () => {
    const ensembles: ReconfigEnsemble[] = [];
    afterEach(async () => {
      for (const ensemble of ensembles.splice(0)) await ensemble.destroy();
    });

    it('adds and removes an observer and refuses what ZooKeeper refuses', async () => {
      const reference = await outcome('zookeeper', ensembles);
      expect(reference).toMatchObject(expectedReconfigOutcome({
        badArguments: 'BADARGUMENTS', badVersion: 'BADVERSION', noAuth: 'NOAUTH',
      }));
      expect(await outcome('corral', ensembles)).toEqual(reference);
    }, 240_000);
  },
);
