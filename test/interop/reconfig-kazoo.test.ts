// kazoo 2.8's reconfig API against a ZooKeeper 3.8 ensemble and a corral ensemble, both with
// reconfigEnabled=true and a super user: adding and removing an observer, bad input, a stale
// from_config, a client without super auth (kazoo/reconfig.py). corral must answer as ZooKeeper.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import type { ReconfigEnsemble, Implementation } from '../support/reconfig-ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { expectedReconfigOutcome, reconfigOutcome } from './reconfig-outcome.js';

const script = join(projectRoot, 'test', 'interop', 'kazoo', 'reconfig.py');

function outcome(implementation: Implementation, ensembles: ReconfigEnsemble[]) {
  return reconfigOutcome(implementation, ensembles,
    { file: '/usr/bin/python3', leading: [script], timeoutMs: 60_000 });
}

describe.skipIf(!zookeeperAvailable())('kazoo reconfig, ZooKeeper 3.8 and corral', () => {
  const ensembles: ReconfigEnsemble[] = [];
  afterEach(async () => {
    for (const ensemble of ensembles.splice(0)) await ensemble.destroy();
  });

  it('adds and removes an observer and refuses what ZooKeeper refuses', async () => {
    const reference = await outcome('zookeeper', ensembles);
    expect(reference).toMatchObject(expectedReconfigOutcome({
      badArguments: 'BadArgumentsError', badVersion: 'BadVersionError', noAuth: 'NoAuthError',
    }));
    expect(await outcome('corral', ensembles)).toEqual(reference);
  }, 180_000);
});
