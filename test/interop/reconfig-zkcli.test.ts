// The operator's reconfig story through zkCli.sh 3.8, run as one script against Apache ZooKeeper
// 3.8 and against corral: three participants with reconfigEnabled=true; two more servers started
// with the current configuration plus themselves; `reconfig -add` of both as the super user;
// `config` on any server lists five; the leader and one more of the original three are killed;
// writes go on with the remaining three; `reconfig -remove` of the dead two; `config` lists
// three; every znode written along the way reads back.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ReconfigEnsemble, type Implementation } from '../support/reconfig-ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { runZkCli } from './zkcli.js';

const password = 'boss';
const superDigest = `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`;
const addAuth = `addauth digest super:${password}`;

/** The server ids and version a `config` (or reconfig) printout names. */
function configOf(lines: string[]): { ids: number[]; version: string | undefined } {
  const ids = lines.flatMap((line) => /^server\.(\d+)=/.exec(line)?.[1] ?? []).map(Number);
  const version = lines.map((line) => /^version=([0-9a-f]+)$/.exec(line)?.[1]).find(Boolean);
  return { ids: [...new Set(ids)].sort((first, second) => first - second), version };
}

interface Outcome {
  afterAdd: number[];
  addedOnJoiner: number[];
  afterRemove: number[];
  children: string;
  versionsGrow: boolean;
}

async function scenario(implementation: Implementation, ensembles: ReconfigEnsemble[]) {
  const ensemble = await ReconfigEnsemble.create({ implementation, size: 5, superDigest });
  ensembles.push(ensemble);
  for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
  await ensemble.waitForLeader([1, 2, 3]);
  const first = await runZkCli(ensemble.connectString([1]), ['create /r x', 'create /r/a1 x',
    'config']);
  const initial = configOf(first.lines);
  expect(initial.ids, first.raw).toEqual([1, 2, 3]);

  ensemble.start(4, [1, 2, 3, 4]);
  ensemble.start(5, [1, 2, 3, 5]);
  await ensemble.waitForLeader([1, 2, 3, 4, 5]);
  const add = await runZkCli(ensemble.connectString([2]), [
    addAuth, `reconfig -add ${ensemble.serverLine(4)},${ensemble.serverLine(5)}`, 'config',
  ]);
  const afterAdd =
    configOf(add.lines.slice(add.lines.findIndex((line) => /version=/.test(line)) + 1));
  const onJoiner = await runZkCli(ensemble.connectString([4]), ['create /r/a2 x', 'config']);

  const leader = await ensemble.waitForLeader([1, 2, 3, 4, 5]);
  const other = [1, 2, 3].find((id) => id !== leader)!;
  await ensemble.kill(leader);
  await ensemble.kill(other);
  const remaining = [1, 2, 3, 4, 5].filter((id) => id !== leader && id !== other);
  await ensemble.waitForLeader(remaining);
  const remove = await runZkCli(ensemble.connectString([remaining[0]!]), [
    'create /r/a3 x', addAuth, `reconfig -remove ${leader},${other}`, 'create /r/a4 x', 'config',
  ]);
  const afterRemove = configOf(remove.lines.slice(
    remove.lines.findIndex((line) => /version=/.test(line)) + 1));
  const read = await runZkCli(ensemble.connectString([remaining[2]!]), ['sync /r', 'ls /r']);
  const children = read.lines.find((line) => line.startsWith('[')) ?? read.raw;
  const versions = [initial.version, afterAdd.version, afterRemove.version]
    .map((version) => Number.parseInt(version ?? 'NaN', 16));
  const outcome: Outcome = {
    afterAdd: afterAdd.ids,
    addedOnJoiner: configOf(onJoiner.lines).ids,
    afterRemove: afterRemove.ids,
    children,
    versionsGrow: versions[0]! < versions[1]! && versions[1]! < versions[2]!,
  };
  return { outcome, raw: [first.raw, add.raw, onJoiner.raw, remove.raw, read.raw].join('\n') };
}

describe.skipIf(!zookeeperAvailable())(
  'reconfig through zkCli.sh, ZooKeeper 3.8 and corral', () => {
  const ensembles: ReconfigEnsemble[] = [];
  afterEach(async () => {
    for (const ensemble of ensembles.splice(0)) await ensemble.destroy();
  });

  it('grows 3 → 5, loses the leader and one more, shrinks to 3, and loses no znode',
    async () => {
      const expected: Outcome = {
        afterAdd: [1, 2, 3, 4, 5],
        addedOnJoiner: [1, 2, 3, 4, 5],
        afterRemove: [],
        children: '[a1, a2, a3, a4]',
        versionsGrow: true,
      };
      const reference = await scenario('zookeeper', ensembles);

      expect(reference.outcome.afterRemove).toHaveLength(3);
      expect({ ...reference.outcome, afterRemove: [] }, reference.raw).toEqual(expected);
      const corral = await scenario('corral', ensembles);
      expect(corral.outcome.afterRemove, corral.raw).toHaveLength(3);
      expect({ ...corral.outcome, afterRemove: [] }, corral.raw).toEqual(expected);
    }, 240_000);
});
