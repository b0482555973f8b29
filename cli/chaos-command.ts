// `corral chaos` (npm run chaos -- --duration 60 --replicas 5): real replica processes on
// loopback, real clients recording histories, and real faults — SIGKILL and restart, SIGSTOP and
// SIGCONT, partitions (both ways or one way) through a proxy mesh between the replicas. At the
// end every fault heals, the replicas must agree on one tree, and the history goes through the
// same linearizability checker as the simulator's. Bounded in time; only its own processes.
// With `--sites`, the mesh shapes links as a WAN between sites (cli/chaos/sites.ts) and whole
// sites are cut off or killed among the faults.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseValue, valueParsers } from '../actors/config/config.js';
import { checkClientHistory } from '../sim/sim-history.js';
import { runHistoryClient, seededRandom } from './chaos/history-clients.js';
import { ProxyMesh } from './chaos/proxy-mesh.js';
import { freePorts } from '../bench/servers.js';
import { ReplicaProcesses, type ReplicaPorts } from './chaos/replica-processes.js';
import { compareTrees } from './chaos/tree-digest.js';
import {
  bandwidthOfMbit, linkShapeOf, parseSites, replicasBySite, type SiteShaping,
} from './chaos/sites.js';

export interface ChaosFlags {
  duration: string;
  replicas: string;
  clients: string;
  seed: string;
  tickTime: string;
  sites?: string;
  wanDelayMs: string;
  lanDelayMs: string;
  wanBandwidthMbit: string;
}

export function addChaosOptions(command: Command): Command {
  return command
    .option('--duration <s>', 'seconds of faults and client load', '60')
    .option('--replicas <n>', 'voting replicas', '5')
    .option('--clients <n>', 'clients recording histories', '4')
    .option('--seed <n>', 'seed for the choice and timing of faults and operations', '1')
    .option('--tick-time <ms>', 'the replicas\' tickTime', '200')
    .option('--sites <names>', 'one site per replica, e.g. a,a,a,b,b,b,c,c,c (sets --replicas); ' +
      'links between sites are shaped as a WAN, and site partitions and site kills join the faults')
    .option('--wan-delay-ms <ms>', 'with --sites: one-way delay between two sites', '40')
    .option('--lan-delay-ms <ms>', 'with --sites: one-way delay inside a site', '1')
    .option('--wan-bandwidth-mbit <n>', 'with --sites: each link between sites, in Mbit/s ' +
      '(0: no limit)', '0');
}

type FaultKind =
  | 'kill' | 'pause' | 'partition' | 'oneWayPartition' | 'isolate' | 'sitePartition' | 'siteKill';
const faultKinds: FaultKind[] = ['kill', 'pause', 'partition', 'oneWayPartition', 'isolate'];
const siteFaultKinds: FaultKind[] = ['sitePartition', 'siteKill'];

export interface ChaosResult {
  verdict: 'ok' | 'violation' | 'unknown';
  lines: string[];
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/**
 * A loopback address of the chaos run's own: its many ports cannot collide with servers other
 * programs (or other tests) start on 127.0.0.1 meanwhile.
 */
const host = '127.0.0.3';

/** Injects faults until `stopAt`: each lasts 0.5-3 s and then heals (restart, resume, heal). */
async function injectFaults(
  replicas: ReplicaProcesses,
  mesh: ProxyMesh,
  random: () => number,
  stopAt: number,
  counts: Map<FaultKind, number>,
  sites: readonly string[] | undefined,
): Promise<void> {
  const ids = replicas.ids;
  const pick = () => ids[Math.floor(random() * ids.length)]!;
  const kinds = sites === undefined ? faultKinds : [...faultKinds, ...siteFaultKinds];
  const bySite = replicasBySite(sites ?? []);
  while (Date.now() < stopAt) {
    await sleep(500 + random() * 1500);
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const victim = pick();
    const other = ids.filter((id) => id !== victim)[Math.floor(random() * (ids.length - 1))]!;
    // The victim's whole site, for the site faults.
    const site = bySite.get(sites?.[victim - 1] ?? '') ?? [victim];
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (kind === 'kill') await replicas.kill(victim);
    else if (kind === 'pause') replicas.pause(victim);
    else if (kind === 'partition') mesh.partition(victim, other, 'both');
    else if (kind === 'oneWayPartition') mesh.partition(victim, other, 'oneWay');
    else if (kind === 'siteKill') for (const id of site) await replicas.kill(id);
    else if (kind === 'sitePartition') for (const id of site) mesh.isolateFrom(id, site, ids);
    else mesh.isolate(victim, ids);
    await sleep(500 + random() * 2500);
    if (kind === 'kill') replicas.start(victim);
    else if (kind === 'siteKill') for (const id of site) replicas.start(id);
    else if (kind === 'pause') replicas.resume(victim);
    else mesh.healAll();
  }
}

/** The WAN shaping `--sites` and its flags ask for; undefined without `--sites`. */
function shapingOf(flags: ChaosFlags): SiteShaping | undefined {
  if (flags.sites === undefined) return undefined;
  const delay = (flag: string, value: string) => count(flag, value, 0);
  return {
    sites: parseSites(flags.sites),
    wan: {
      delayMs: delay('--wan-delay-ms', flags.wanDelayMs),
      bandwidthBytesPerMs: bandwidthOfMbit(
        count('--wan-bandwidth-mbit', flags.wanBandwidthMbit, 0)),
    },
    lan: { delayMs: delay('--lan-delay-ms', flags.lanDelayMs), bandwidthBytesPerMs: Infinity },
  };
}

function count(flag: string, value: string, least: number): number {
  return Math.max(least, parseValue(valueParsers.nonNegativeInteger, flag, value));
}

export async function runChaos(flags: ChaosFlags, print = console.log): Promise<ChaosResult> {
  const durationMs = count('--duration', flags.duration, 1) * 1000;
  const shaping = shapingOf(flags);
  const replicaCount = shaping?.sites.length ?? count('--replicas', flags.replicas, 3);
  const clientCount = count('--clients', flags.clients, 1);
  const seed = count('--seed', flags.seed, 0);
  const tickTimeMs = count('--tick-time', flags.tickTime, 10);
  const dir = mkdtempSync(join(tmpdir(), 'corral-chaos-'));
  const ports = new Map<number, ReplicaPorts>();
  for (let id = 1; id <= replicaCount; id++) {
    const [client, quorum, election] = await freePorts(3, host);
    ports.set(id, { client: client!, quorum: quorum!, election: election! });
  }
  const quorumPorts = new Map([...ports].map(([id, replica]) => [id, replica.quorum]));
  const reserved = new Set([...ports.values()].flatMap((replica) => Object.values(replica)));
  const mesh = await ProxyMesh.create(quorumPorts, host, linkShapeOf(shaping), reserved);
  const replicas = new ReplicaProcesses(dir, ports, tickTimeMs, host);
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    print(line);
  };
  try {
    const siteLines = (shaping?.sites ?? []).map((site, index) => `site.${index + 1}=${site}`);
    replicas.configure(mesh, siteLines);
    for (const id of replicas.ids) replicas.start(id);
    if ((await replicas.settled(60_000)) === undefined) throw new Error('no leader within 60 s');
    const started = performance.now();
    const now = () => performance.now() - started;
    const stopAt = Date.now() + durationMs;
    const faults = new Map<FaultKind, number>();
    const clientRuns = Array.from({ length: clientCount }, (_, index) =>
      runHistoryClient(index + 1, replicas.connectString(), seed, now, durationMs),
    );
    await injectFaults(replicas, mesh, seededRandom(seed), stopAt, faults, shaping?.sites);
    const runs = await Promise.all(clientRuns);
    mesh.healAll();
    replicas.resumeAll();
    for (const id of replicas.ids) replicas.start(id);
    const zxid = await replicas.settled(60_000);
    const trees = zxid === undefined ? undefined : await compareTrees(replicas);
    const history = checkClientHistory(runs.flatMap((run) => run.history));
    const ok = zxid !== undefined && trees?.identical === true && history.verdict !== 'violation';
    const verdict = !ok ? 'violation' : history.verdict === 'ok' ? 'ok' : 'unknown';
    const report = {
      replicaCount, clientCount, durationMs, seed, faults, runs, zxid, trees, shaping,
    };
    for (const line of reportLines(report, history)) say(line);
    say(`verdict: ${verdict}`);
    return { verdict, lines };
  } finally {
    await replicas.stopAll();
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ChaosReport {
  replicaCount: number;
  clientCount: number;
  durationMs: number;
  seed: number;
  faults: ReadonlyMap<FaultKind, number>;
  runs: ReadonlyArray<{ sessions: number }>;
  zxid: number | undefined;
  trees: { identical: boolean; nodes: number; detail: string } | undefined;
  shaping: SiteShaping | undefined;
}

/** The run's summary, a line a figure. */
function reportLines(report: ChaosReport, history: ReturnType<typeof checkClientHistory>) {
  const { replicaCount, clientCount, durationMs, seed, faults, runs, zxid, trees } = report;
  const faultText = [...faults].map(([kind, times]) => `${kind} ${times}`).join(', ');
  const faultCount = [...faults.values()].reduce((total, times) => total + times, 0);
  const sessions = runs.reduce((total, run) => total + run.sessions, 0);
  const settled =
    zxid === undefined ? 'NO single leader within 60 s' : `zxid 0x${zxid.toString(16)}`;
  const treeText = trees === undefined
    ? 'not compared'
    : trees.identical ? `identical (${trees.nodes} nodes)` : `DIFFER: ${trees.detail}`;
  const detail = history.detail === undefined ? '' : ` — ${history.detail}`;
  const shaping = report.shaping;
  const sitesText = shaping === undefined ? '' : `, sites ${shaping.sites.join(',')} ` +
    `(WAN ${shaping.wan.delayMs} ms${shaping.wan.bandwidthBytesPerMs === Infinity
      ? '' : ` ${(shaping.wan.bandwidthBytesPerMs * 8 / 1000).toFixed(1)} Mbit/s`}, ` +
    `LAN ${shaping.lan.delayMs} ms)`;
  return [
    `chaos: ${replicaCount} replicas, ${clientCount} clients, ${durationMs / 1000} s, ` +
      `seed ${seed}${sitesText}`,
    `faults: ${faultCount} (${faultText})`,
    `operations: ${history.operations} (sessions ${sessions})`,
    `settled: ${settled}`,
    `trees: ${treeText}`,
    `linearizability: ${history.verdict}${detail}`,
  ];
}
