// Curator 5's reconfig API (Debian's libcurator-framework-java, run by the JDK's source launcher)
// against a ZooKeeper 3.8 ensemble and a corral ensemble, both with reconfigEnabled=true and a
// super user: the steps of kazoo/reconfig.py through Curator's builders (curator/
// CuratorReconfig.java). corral must answer Curator as ZooKeeper does.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';
import { ReconfigEnsemble, type Implementation } from '../support/reconfig-ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';

const password = 'boss';
const superDigest = `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`;
const program = join(projectRoot, 'test', 'interop', 'curator', 'CuratorReconfig.java');
const jars = ['curator-framework', 'curator-client', 'zookeeper', 'zookeeper-jute', 'guava',
  'slf4j-api', 'slf4j-nop'].map((name) => `/usr/share/java/${name}.jar`);
/** Curator's jars and a JDK (the source launcher compiles the program): .ci/run installs both. */
const curatorAvailable = jars.every((jar) => existsSync(jar)) &&
  existsSync('/usr/lib/jvm/java-17-openjdk-amd64/bin/javac');

async function outcome(implementation: Implementation, ensembles: ReconfigEnsemble[]) {
  const ensemble = await ReconfigEnsemble.create({ implementation, size: 4, superDigest });
  ensembles.push(ensemble);
  for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
  ensemble.start(4, [1, 2, 3, [4, 'observer']]);
  await ensemble.waitForLeader([1, 2, 3, 4]);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('java', ['-cp', jars.join(':'), program, ensemble.connectString([2]), password,
      ensemble.serverLine(4, 'observer')], { timeout: 90_000 }, (error, out, err) => {
      if (error !== null) reject(new Error(`${error.message}\n${err}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
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
      const roles = { 1: 'participant', 2: 'participant', 3: 'participant' };
      expect(reference).toMatchObject({
        add_observer: { roles: { ...roles, 4: 'observer' }, version_is_mzxid: true,
          node_version: -1 },
        bad_server_line: { error: 'BADARGUMENTS' },
        no_ports: { error: 'BADARGUMENTS' },
        stale_from_config: { error: 'BADVERSION' },
        without_super: { error: 'NOAUTH' },
        no_voters_left: { error: 'BADARGUMENTS' },
        remove_observer: { roles },
        final: roles,
      });
      expect(await outcome('corral', ensembles)).toEqual(reference);
    }, 240_000);
  },
);
