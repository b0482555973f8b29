// Sync from the same site with real processes: 5 replicas on 127.0.0.1 in sites a,a,b,b,b
// (zoo.cfg site.N), snapshots every 20 txns so that a wiped follower needs a SNAP. The wiped
// follower takes its snapshot from a synced follower of its own site (each process's JSON log
// says who served and who loaded it), the leader sends it only a DIFF, and it serves the same
// data. When that follower stops answering and dies during the fetch, the learner goes back to
// the leader, which sends the SNAP itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { dumpTree } from '../../cli/chaos/tree-digest.js';
import { TestEnsemble } from '../support/ensemble.js';
import { until } from '../support/ensemble-requests.js';

const sites: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'b' };
const tickMs = 200;
// A frozen follower stays "synced" for the leader for a while (its lag limit is syncLimit - 1
// ticks), long enough for the wiped learner to restart and be sent to it.
const extraConfig = [
  ...Object.entries(sites).map(([id, site]) => `site.${id}=${site}`),
  'syncLimit=50',
  'snapCount=20',
  'txnsRetainedMin=5',
  'autopurge.snapRetainCount=3',
];

let ensemble: TestEnsemble;

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 5, tickTimeMs: tickMs, extraConfig });
  ensemble.startAll();
  await ensemble.waitForLeader();
});

afterAll(async () => {
  await ensemble?.destroy();
});

interface LogEntry {
  msg?: string;
  pid?: number;
  learner?: number;
  peer?: number;
  mode?: string;
}

/** The JSON log entries of replica `id`'s running process with message `msg`. */
function logged(id: number, msg: string): LogEntry[] {
  const pid = ensemble.pid(id);
  const entries: LogEntry[] = [];
  for (const line of ensemble.output(id).split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      const entry = JSON.parse(line) as LogEntry;
      if (entry.pid === pid) entries.push(entry);
    } catch {
      // A line cut by the output bound is not a record.
    }
  }
  return entries;
}

/** A learner in a site other than the leader's, and the lowest other member of its site. */
function learnerAndSource(leader: number): { learner: number; source: number } {
  const remote = ensemble.ids.filter((id) => sites[id] !== sites[leader]);
  const [source, learner] = [...remote].sort((first, second) => first - second);
  return { learner: learner!, source: source! };
}

async function createAll(port: number, prefix: string, count: number): Promise<void> {
  const client = await connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 4000 });
  try {
    for (let index = 0; index < count; index++) {
      await client.create(`/${prefix}-${index}`, `data of ${prefix}-${index}`);
    }
  } finally {
    await client.close();
  }
}

async function expectSameTrees(): Promise<Map<string, string>> {
  await ensemble.waitForSameZxid(ensemble.runningIds(), 20_000);
  const ids = ensemble.runningIds();
  const dumps = await Promise.all(ids.map((id) => dumpTree(ensemble.clientPort(id))));
  for (const dump of dumps) expect(dump.digest).toBe(dumps[0]!.digest);
  return dumps[0]!.data;
}

/** Stops `learner`, wipes it, writes enough for the leader's log to be purged past it. */
async function wipeWhileWriting(learner: number, leader: number, prefix: string) {
  await ensemble.kill(learner);
  ensemble.wipe(learner);
  await createAll(ensemble.clientPort(leader), prefix, 70);
  expect(ensemble.output(leader)).toMatch(/"purgedTxns":[1-9]/);
}

describe('sync from the same site (real processes, sites a,a,b,b,b)', { timeout: 60_000 }, () => {
  it('a wiped follower takes its snapshot from its site and a DIFF from the leader', async () => {
    const leader = await ensemble.waitForLeader();
    const { learner, source } = learnerAndSource(leader);
    await createAll(ensemble.clientPort(leader), 'before', 20);
    await ensemble.waitForSameZxid();
    await wipeWhileWriting(learner, leader, 'missed');
    const leaderSyncs = logged(leader, 'synchronizing learner').length;

    ensemble.start(learner);
    await until(async () => (await ensemble.status(learner)).mode === 'follower', 20_000,
      `replica ${learner} following`);
    const tree = await expectSameTrees();
    expect(tree.get('/missed-69')).toBe('data of missed-69');

    // The learner loaded the snapshot of its site's follower...
    expect(logged(learner, 'snapshot from a follower of the site').map((entry) => entry.peer))
      .toEqual([source]);
    expect(logged(source, 'site snapshot sent').map((entry) => entry.learner)).toContain(learner);
    // ...and the leader sent it no SNAP: only the DIFF after the snapshot's zxid.
    const modes = logged(leader, 'synchronizing learner').slice(leaderSyncs)
      .filter((entry) => entry.learner === learner).map((entry) => entry.mode);
    expect(modes).toEqual(['diff']);
    // It serves what it loaded.
    const client = await connect(`127.0.0.1:${ensemble.clientPort(learner)}`);
    try {
      expect((await client.getData('/before-7')).data?.toString()).toBe('data of before-7');
    } finally {
      await client.close();
    }
  });

  it('falls back to the leader\'s SNAP when the site\'s follower dies during the fetch',
    async () => {
      const leader = await ensemble.waitForLeader();
      const { learner, source } = learnerAndSource(leader);
      await wipeWhileWriting(learner, leader, 'again');
      const leaderSyncs = logged(leader, 'synchronizing learner').length;

      // The source freezes (its link stays up, so the leader still counts it synced), the
      // learner is sent to it, and it dies before it served anything.
      ensemble.pause(source);
      ensemble.start(learner);
      await until(async () =>
        logged(learner, 'taking the snapshot from a follower of the site').length > 0, 20_000,
      `replica ${learner} sent to ${source}`);
      await ensemble.kill(source);

      await until(async () => (await ensemble.status(learner)).mode === 'follower', 20_000,
        `replica ${learner} following`);
      const tree = await expectSameTrees();
      expect(tree.get('/again-69')).toBe('data of again-69');
      expect(logged(learner, 'snapshot from a follower of the site')).toEqual([]);
      const modes = logged(leader, 'synchronizing learner').slice(leaderSyncs)
        .filter((entry) => entry.learner === learner).map((entry) => entry.mode);
      expect(modes).toEqual(['snap']);
    });
});
