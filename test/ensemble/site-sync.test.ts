// Sync from the same site with real processes: 5 replicas on 127.0.0.1 in sites a,a,b,b,b
// (zoo.cfg site.N), snapshots every 20 txns so that a wiped follower needs a SNAP, their peer
// links through the chaos proxy mesh (unshaped unless a test says so). The wiped follower takes
// its snapshot from a synced follower of its own site (each process's JSON log says who served
// and who loaded it), the leader sends it only a DIFF, and it serves the same data. When that
// follower stops answering and dies during the fetch, or is killed while it streams the
// snapshot, the learner goes back to the leader, which sends the SNAP itself. Each replica's
// Prometheus endpoint counts where its syncs came from (corral_sync_*).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { unshapedLink, type LinkShape } from '../../cli/chaos/link-shaper.js';
import { ProxyMesh } from '../../cli/chaos/proxy-mesh.js';
import { dumpTree } from '../../cli/chaos/tree-digest.js';
import { TestEnsemble } from '../support/ensemble.js';
import { until } from '../support/ensemble-requests.js';
import { freePorts } from '../support/ports.js';

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
let mesh: ProxyMesh;
const metricsPorts = new Map<number, number>();
/** The one direction the mesh shapes while a test wants it (read as each connection opens). */
let thinned: { from: number; to: number; shape: LinkShape } | undefined;

/** The replica that leads: the highest id, started first, wins an election of empty histories. */
const firstLeader = 5;

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 5, tickTimeMs: tickMs, extraConfig });
  const ids = ensemble.ids;
  const electionPort = (id: number) =>
    Number(/:(\d+)$/.exec(readConfig(id, id))?.[1]);
  const ports = await freePorts(ids.length);
  ids.forEach((id, index) => metricsPorts.set(id, ports[index]!));
  const reserved = new Set([...ports, ...ids.flatMap((id) => [ensemble.clientPort(id),
    ensemble.quorumPort(id), ensemble.adminPort(id), electionPort(id)])]);
  const quorumPorts = new Map(ids.map((id) => [id, ensemble.quorumPort(id)]));
  mesh = await ProxyMesh.create(quorumPorts, '127.0.0.1', (from, to) =>
    (thinned?.from === from && thinned.to === to ? thinned.shape : unshapedLink), reserved);
  for (const id of ids) {
    // Each replica reaches its peers through the mesh. Every zoo.cfg names the peers as the
    // leader's does (its own line is its real port), so taking the leader's membership changes
    // no address and closes no link; the mesh tells the dialer by its hello, whichever proxy.
    const servers = ids.map((peer) => {
      const real = peer === id || peer === firstLeader;
      const quorum = real ? ensemble.quorumPort(peer) : mesh.portFor(firstLeader, peer);
      return `server.${peer}=127.0.0.1:${quorum}:${electionPort(peer)}`;
    });
    ensemble.setConfig(id, [
      ...servers,
      'metricsProvider.className=' +
        'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost=127.0.0.1',
      `metricsProvider.httpPort=${metricsPorts.get(id)}`,
    ]);
  }
  ensemble.startAll([...ids].reverse());
  expect(await ensemble.waitForLeader()).toBe(firstLeader);
});

afterAll(async () => {
  await ensemble?.destroy();
  await mesh?.close();
});

/** Replica `id`'s zoo.cfg line for server `peer`. */
function readConfig(id: number, peer: number): string {
  const text = readFileSync(ensemble.configFile(id), 'utf8');
  return text.split('\n').find((line) => line.startsWith(`server.${peer}=`)) ?? '';
}

/** One series' value on replica `id`'s Prometheus endpoint (e.g. `name{a="b"}`). */
async function metric(id: number, series: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${metricsPorts.get(id)}/metrics`);
  const text = await response.text();
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  if (line === undefined) throw new Error(`replica ${id}: no ${series}`);
  return Number(line.slice(series.length + 1));
}

const siteSnaps = 'corral_sync_source_total{source="site",kind="snap"}';
const leaderSnaps = 'corral_sync_source_total{source="leader",kind="snap"}';
const leaderDiffs = 'corral_sync_source_total{source="leader",kind="diff"}';

/** The leader's delegation counters now. */
async function delegationCounts(leader: number) {
  return {
    delegations: await metric(leader, 'corral_sync_delegations_total'),
    fallbacks: await metric(leader, 'corral_sync_fallbacks_total'),
  };
}

interface LogEntry {
  msg?: string;
  pid?: number;
  learner?: number;
  peer?: number;
  mode?: string;
  bytes?: number;
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

/** Znodes of 64 KiB the mid-stream test writes. */
const largeCount = 192;

/** Value `index` of createLarge: `bytes` bytes, different for each index. */
function largeValue(index: number, bytes: number): Buffer {
  return Buffer.alloc(bytes, `value ${index} `);
}

/** `count` znodes of `bytes` bytes each, 16 creates in flight at a time. */
async function createLarge(port: number, prefix: string, count: number, bytes: number) {
  const client = await connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 10_000 });
  try {
    for (let first = 0; first < count; first += 16) {
      const batch = [];
      for (let index = first; index < Math.min(count, first + 16); index++) {
        batch.push(client.create(`/${prefix}-${index}`, largeValue(index, bytes)));
      }
      await Promise.all(batch);
    }
  } finally {
    await client.close();
  }
}

/** As until, polling every 10 ms: a log line the test must act on at once. */
async function untilQuick(probe: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
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

describe('sync from the same site (real processes, sites a,a,b,b,b)', { timeout: 90_000 }, () => {
  it('a wiped follower takes its snapshot from its site and a DIFF from the leader', async () => {
    const leader = await ensemble.waitForLeader();
    const { learner, source } = learnerAndSource(leader);
    await createAll(ensemble.clientPort(leader), 'before', 20);
    await ensemble.waitForSameZxid();
    await wipeWhileWriting(learner, leader, 'missed');
    const leaderSyncs = logged(leader, 'synchronizing learner').length;
    const counted = await delegationCounts(leader);

    ensemble.start(learner);
    await until(async () => (await ensemble.status(learner)).mode === 'follower', 20_000,
      `replica ${learner} following`);
    const tree = await expectSameTrees();
    expect(tree.get('/missed-69')).toBe('data of missed-69');

    // The learner loaded the snapshot of its site's follower...
    expect(logged(learner, 'snapshot from a follower of the site').map((entry) => entry.peer))
      .toEqual([source]);
    expect(logged(source, 'site snapshot sent').map((entry) => entry.learner)).toContain(learner);
    // ...and the leader sent it no SNAP: only the DIFF after the snapshot's zxid (and another
    // DIFF if, on a loaded machine, the new follower fell behind syncLimit and synced again).
    const modes = logged(leader, 'synchronizing learner').slice(leaderSyncs)
      .filter((entry) => entry.learner === learner).map((entry) => entry.mode);
    expect(modes.length).toBeGreaterThanOrEqual(1);
    expect(modes.filter((mode) => mode !== 'diff')).toEqual([]);
    // The counters say so: the learner's SNAP came from its site and its DIFFs from the leader;
    // the leader delegated once and sent no SNAP of its own.
    expect(await metric(learner, siteSnaps)).toBe(1);
    expect(await metric(learner, leaderSnaps)).toBe(0);
    expect(await metric(learner, leaderDiffs)).toBe(modes.length);
    expect(await delegationCounts(leader))
      .toEqual({ delegations: counted.delegations + 1, fallbacks: counted.fallbacks });
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
      const counted = await delegationCounts(leader);

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
      expect(await metric(learner, siteSnaps)).toBe(0);
      expect(await metric(learner, leaderSnaps)).toBe(1);
      expect(await delegationCounts(leader))
        .toEqual({ delegations: counted.delegations + 1, fallbacks: counted.fallbacks + 1 });
    });

  it('falls back to the leader\'s SNAP when the site\'s follower is killed mid-stream',
    async () => {
      const leader = await ensemble.waitForLeader();
      const { learner, source } = learnerAndSource(leader);
      // The source died in the test before: back, synced, serving.
      if (!ensemble.isRunning(source)) ensemble.start(source);
      await until(async () => (await ensemble.status(source)).mode === 'follower', 20_000,
        `replica ${source} following`);
      await ensemble.kill(learner);
      ensemble.wipe(learner);
      // 12 MiB of 64 KiB values (far more than the sockets between two replicas hold), written
      // while the learner is down: the leader's log is purged past it, so it needs a SNAP.
      await createLarge(ensemble.clientPort(leader), 'large', largeCount, 64 * 1024);
      await ensemble.waitForSameZxid();
      const leaderSyncs = logged(leader, 'synchronizing learner').length;
      const counted = await delegationCounts(leader);

      // The source's link to the learner is thin (256 KB/s, 64 KiB in flight): its handshake
      // and votes pass, but its snapshot leaves it slowly, the rest waiting in its own queue.
      // It is killed while it streams; the link is then opened up, so what had left it arrives
      // at once, and the learner sees the link close with the snapshot incomplete.
      const shape = { delayMs: 0, bandwidthBytesPerMs: 256, heldBytesMax: 64 * 1024 };
      thinned = { from: source, to: learner, shape };
      const carriedBefore = mesh.bytesCarried(source, learner);
      const serving = () => logged(source, 'serving a snapshot to a learner of the site').length;
      const servedBefore = serving();
      try {
        ensemble.start(learner);
        await untilQuick(() => serving() > servedBefore, 20_000, `replica ${source} serving`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(logged(learner, 'snapshot from a follower of the site')).toEqual([]);
        await ensemble.kill(source);
      } finally {
        shape.bandwidthBytesPerMs = Infinity;
        thinned = undefined;
      }
      await until(async () => (await ensemble.status(learner)).mode === 'follower', 20_000,
        `replica ${learner} following`);
      const tree = await expectSameTrees();
      expect(tree.get(`/large-${largeCount - 1}`)?.length).toBe(64 * 1024);
      // The learner took none of the source's snapshot: the leader sent its own.
      expect(logged(learner, 'snapshot from a follower of the site')).toEqual([]);
      const syncs = logged(leader, 'synchronizing learner').slice(leaderSyncs)
        .filter((entry) => entry.learner === learner);
      expect(syncs.map((entry) => entry.mode)).toEqual(['snap']);
      // The source was mid-way: part of its stream had left it (up to the kernel's socket
      // buffers, about 4 MB here, reach the learner after the kill), far from all of it.
      const snapBytes = logged(leader, 'sync stream sent')
        .filter((entry) => entry.learner === learner && entry.mode === 'snap')
        .map((entry) => entry.bytes ?? 0).at(-1) ?? 0;
      expect(snapBytes).toBeGreaterThan(12 * 1024 * 1024);
      const carried = mesh.bytesCarried(source, learner) - carriedBefore;
      expect(carried).toBeGreaterThan(64 * 1024);
      expect(carried).toBeLessThan(snapBytes - 4 * 1024 * 1024);
      expect(await metric(learner, siteSnaps)).toBe(0);
      expect(await metric(learner, leaderSnaps)).toBe(1);
      expect(await delegationCounts(leader))
        .toEqual({ delegations: counted.delegations + 1, fallbacks: counted.fallbacks + 1 });
      // Every znode reads back whole from the learner itself.
      const client = await connect(`127.0.0.1:${ensemble.clientPort(learner)}`);
      try {
        for (let index = 0; index < largeCount; index += 1) {
          const { data } = await client.getData(`/large-${index}`);
          expect(data?.equals(largeValue(index, 64 * 1024))).toBe(true);
        }
      } finally {
        await client.close();
      }
    });
});
