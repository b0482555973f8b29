// kazoo 2.8's reconfig API against a ZooKeeper 3.8 ensemble and a corral ensemble, both with
// reconfigEnabled=true and a super user: adding and removing an observer, bad input, a stale
// from_config, a client without super auth (kazoo/reconfig.py). corral must answer as ZooKeeper.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import { ReconfigEnsemble, type Implementation } from '../support/reconfig-ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';

const password = 'boss';
const superDigest = `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`;
const script = join(projectRoot, 'test', 'interop', 'kazoo', 'reconfig.py');

async function outcome(implementation: Implementation, ensembles: ReconfigEnsemble[]) {
  const ensemble = await ReconfigEnsemble.create({ implementation, size: 4, superDigest });
  ensembles.push(ensemble);
  for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
  ensemble.start(4, [1, 2, 3, [4, 'observer']]);
  await ensemble.waitForLeader([1, 2, 3, 4]);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('/usr/bin/python3', [script, ensemble.connectString([2]), password,
      ensemble.serverLine(4, 'observer')], { timeout: 60_000 }, (error, out, err) => {
      if (error !== null) reject(new Error(`${error.message}\n${err}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

describe.skipIf(!zookeeperAvailable())('kazoo reconfig, ZooKeeper 3.8 and corral', () => {
  const ensembles: ReconfigEnsemble[] = [];
  afterEach(async () => {
    for (const ensemble of ensembles.splice(0)) await ensemble.destroy();
  });

  it('adds and removes an observer and refuses what ZooKeeper refuses', async () => {
    const reference = await outcome('zookeeper', ensembles);
    const roles = { 1: 'participant', 2: 'participant', 3: 'participant' };
    expect(reference).toMatchObject({
      add_observer: { roles: { ...roles, 4: 'observer' }, version_is_mzxid: true,
        node_version: -1 },
      bad_server_line: { error: 'BadArgumentsError' },
      no_ports: { error: 'BadArgumentsError' },
      stale_from_config: { error: 'BadVersionError' },
      without_super: { error: 'NoAuthError' },
      no_voters_left: { error: 'BadArgumentsError' },
      remove_observer: { roles },
      final: roles,
    });
    expect(await outcome('corral', ensembles)).toEqual(reference);
  }, 180_000);
});
