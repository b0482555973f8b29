// Curator 5's recipes (Debian's libcurator-recipes-java, run by the JDK's source launcher) against
// a standalone corral, Apache ZooKeeper 3.8 and a follower of a 3-replica corral ensemble:
// curator/CuratorRecipes.java prints one line per step, and the three outputs must be equal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { startTarget } from './target.js';

const program = join(projectRoot, 'test', 'interop', 'curator', 'CuratorRecipes.java');
const jars = ['curator-framework', 'curator-client', 'curator-recipes', 'zookeeper',
  'zookeeper-jute', 'guava', 'slf4j-api', 'slf4j-nop'].map((name) => `/usr/share/java/${name}.jar`);
/** Curator's jars and a JDK (the source launcher compiles the program): .ci/run installs both. */
const curatorAvailable = jars.every((jar) => existsSync(jar)) &&
  spawnSync('javac', ['-version']).status === 0;

interface Step { step: string; value: string }

/** Where the program is compiled once (javac), for the three runs. */
let classes: string;

function runRecipes(connectString: string): Step[] {
  const run = spawnSync('java', ['-cp', [classes, ...jars].join(':'), 'CuratorRecipes',
    connectString], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    throw new Error(`CuratorRecipes exited ${run.status}\n${run.stdout}\n${run.stderr}`);
  }
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Step);
}

/** What Curator's recipes must see from any server that behaves as ZooKeeper does. */
const expected: Record<string, string> = {
  'mutex b while held': 'false',
  'mutex b after release': 'true',
  'mutex nodes left': '0',
  'semaphore third refused': 'true',
  'semaphore third after return': 'true',
  'write lock c refused': 'false',
  'write lock c after reads': 'true',
  'latch leader id after': 'b',
  'cache create deep': 'NODE_CREATED /cache/x/deep 2',
  'cache delete deep': 'NODE_DELETED /cache/x/deep -',
  'persistent watch child': 'NodeChildrenChanged /cache/x',
  'persistent watch removed': 'PersistentWatchRemoved /cache/x',
  'after removal': 'null',
  'atomic long value': '20',
  'shared count stale set': 'false',
  'queue consumed in order': '[one, two, three]',
  'group after leave': '[one]',
  'persistent node recreated': 'true',
  'ttl node created': 'true',
  'transaction failed check': 'BADVERSION',
  'protected create shape': 'true',
  done: 'true',
};

let corralSteps: Step[] = [];

describe.skipIf(!curatorAvailable)('Curator 5 recipes', () => {
  beforeAll(() => {
    classes = mkdtempSync(join(tmpdir(), 'corral-curator-'));
    const compiled = spawnSync('javac', ['-d', classes, '-cp', jars.join(':'), program],
      { encoding: 'utf8', timeout: 120_000 });
    if (compiled.status !== 0) {
      throw new Error(`javac failed\n${compiled.stdout}\n${compiled.stderr}`);
    }
  }, 150_000);

  afterAll(() => {
    if (classes !== undefined) rmSync(classes, { recursive: true, force: true });
  });

  it('work against a standalone corral', async () => {
    const server = await startCorral({ zooCfg: ['tickTime=2000', 'extendedTypesEnabled=true'] });
    try {
      corralSteps = runRecipes(`127.0.0.1:${server.port}`);
    } finally {
      await server.stop();
    }
    const values = new Map(corralSteps.map((entry) => [entry.step, entry.value]));
    for (const [step, value] of Object.entries(expected)) {
      expect([step, values.get(step)]).toEqual([step, value]);
    }
  }, 150_000);

  it.skipIf(!zookeeperAvailable())('see the same as against Apache ZooKeeper 3.8', async () => {
    const server = await startZooKeeper({ tickTimeMs: 2000 });
    let zookeeperSteps: Step[];
    try {
      zookeeperSteps = runRecipes(`127.0.0.1:${server.port}`);
    } finally {
      await server.stop();
    }
    expect(corralSteps.length).toBeGreaterThan(0);
    expect(corralSteps).toEqual(zookeeperSteps);
  }, 150_000);

  it('see the same through a follower of a 3-replica ensemble', async () => {
    const target = await startTarget({
      topology: 'ensemble', tickTimeMs: 2000, zooCfg: ['extendedTypesEnabled=true'],
    });
    let steps: Step[];
    try {
      steps = runRecipes(target.connectString);
    } finally {
      await target.stop();
    }
    expect(corralSteps.length).toBeGreaterThan(0);
    expect(steps).toEqual(corralSteps);
  }, 150_000);
});
