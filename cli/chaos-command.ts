// `corral chaos` (npm run chaos -- --duration 60 --replicas 5): real replica processes on
// loopback, real clients recording histories, and real faults — SIGKILL and restart, SIGSTOP and
// SIGCONT, partitions (both ways or one way) through a proxy mesh between the replicas. At the
// end every fault heals, the replicas must agree on one tree, and the history goes through the
// same linearizability checker as the simulator's. Bounded in time; only its own processes.

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

export interface ChaosFlags {
  duration: string;
  replicas: string;
  clients: string;
  seed: string;
  tickTime: string;
}

export function addChaosOptions(command: Command): Command {
  return command
    .option('--duration <s>', 'seconds of faults and client load', '60')
    .option('--replicas <n>', 'voting replicas', '5')
    .option('--clients <n>', 'clients recording histories', '4')
    .option('--seed <n>', 'seed for the choice and timing of faults and operations', '1')
    .option('--tick-time <ms>', 'the replicas\' tickTime', '200');
}

type FaultKind = 'kill' | 'pause' | 'partition' | 'oneWayPartition' | 'isolate';
const faultKinds: FaultKind[] = ['kill', 'pause', 'partition', 'oneWayPartition', 'isolate'];

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
): Promise<void> {
  const ids = replicas.ids;
  const pick = () => ids[Math.floor(random() * ids.length)]!;
  while (Date.now() < stopAt) {
    await sleep(500 + random() * 1500);
    const kind = faultKinds[Math.floor(random() * faultKinds.length)]!;
    const victim = pick();
    const other = ids.filter((id) => id !== victim)[Math.floor(random() * (ids.length - 1))]!;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (kind === 'kill') await replicas.kill(victim);
    else if (kind === 'pause') replicas.pause(victim);
    else if (kind === 'partition') mesh.partition(victim, other, 'both');
    else if (kind === 'oneWayPartition') mesh.partition(victim, other, 'oneWay');
    else mesh.isolate(victim, ids);
    await sleep(500 + random() * 2500);
    if (kind === 'kill') replicas.start(victim);
    else if (kind === 'pause') replicas.resume(victim);
    else mesh.healAll();
  }
}

function count(flag: string, value: string, least: number): number {
  return Math.max(least, parseValue(valueParsers.nonNegativeInteger, flag, value));
}

export async function runChaos(flags: ChaosFlags, print = console.log): Promise<ChaosResult> {
  const durationMs = count('--duration', flags.duration, 1) * 1000;
  const replicaCount = count('--replicas', flags.replicas, 3);
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
  const mesh = await ProxyMesh.create(quorumPorts, host);
  const replicas = new ReplicaProcesses(dir, ports, tickTimeMs, host);
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    print(line);
  };
  try {
    replicas.configure(mesh);
    for (const id of replicas.ids) replicas.start(id);
    if ((await replicas.settled(60_000)) === undefined) throw new Error('no leader within 60 s');
    const started = performance.now();
    const now = () => performance.now() - started;
    const stopAt = Date.now() + durationMs;
    const faults = new Map<FaultKind, number>();
    const clientRuns = Array.from({ length: clientCount }, (_, index) =>
      runHistoryClient(index + 1, replicas.connectString(), seed, now, durationMs),
    );
    await injectFaults(replicas, mesh, seededRandom(seed), stopAt, faults);
    const runs = await Promise.all(clientRuns);
    mesh.healAll();
    replicas.resumeAll();
    for (const id of replicas.ids) replicas.start(id);
    const zxid = await replicas.settled(60_000);
    const trees = zxid === undefined ? undefined : await compareTrees(replicas);
    const history = checkClientHistory(runs.flatMap((run) => run.history));
    const ok = zxid !== undefined && trees?.identical === true && history.verdict !== 'violation';
    const verdict = !ok ? 'violation' : history.verdict === 'ok' ? 'ok' : 'unknown';
    const report = { replicaCount, clientCount, durationMs, seed, faults, runs, zxid, trees };
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
  return [
    `chaos: ${replicaCount} replicas, ${clientCount} clients, ${durationMs / 1000} s, seed ${seed}`,
    `faults: ${faultCount} (${faultText})`,
    `operations: ${history.operations} (sessions ${sessions})`,
    `settled: ${settled}`,
    `trees: ${treeText}`,
    `linearizability: ${history.verdict}${detail}`,
  ];
}
