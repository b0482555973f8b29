// `npm run bench -- --ensemble`: an N-replica Apache ZooKeeper 3.8 ensemble and an N-replica
// corral ensemble started one after the other on loopback, each measured under the same
// workloads (sessions spread round-robin over the servers) and for failover time (SIGKILL the
// leader, time to the first successful write), then the corral/ZooKeeper ratios.

import {
  Ensemble,
  EnsembleError,
  replicasMax,
  replicasMin,
  type EnsembleSystem,
} from './ensemble.js';
import { measureFailover } from './failover.js';
import { formatRatios, formatWorkload, median, workloadHeader } from './report.js';
import {
  measureWorkload,
  type Operation,
  type WorkloadResult,
  type WorkloadSettings,
} from './workload.js';

export interface EnsembleBenchOptions {
  replicas: number;
  /** Leader kills per system; the killed server is restarted between rounds. */
  failovers: number;
  systems: EnsembleSystem[];
  operations: Operation[];
  workload: WorkloadSettings;
  /** Members link over mutual TLS (sslQuorum). */
  quorumTls?: boolean;
}

export const failoversMax = 20;

interface SystemResults {
  workloads: Map<string, WorkloadResult>;
  failoverMs: number[];
}

function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

async function runFailovers(
  ensemble: Ensemble,
  options: EnsembleBenchOptions,
): Promise<number[]> {
  const figures: number[] = [];
  const value = Buffer.alloc(options.workload.valueBytes, 0x62);
  for (let round = 1; round <= options.failovers; round++) {
    const path = `/bench-failover-${process.pid}-${Date.now()}-${round}`;
    const { killed, recoveryMs } = await measureFailover(ensemble, path, value);
    figures.push(recoveryMs);
    console.log(`${ensemble.system.padEnd(10)} failover ${round}: ${formatMs(recoveryMs)} ` +
      `(killed leader server.${killed.id})`);
    if (round < options.failovers) await ensemble.restart(killed);
  }
  if (figures.length > 0) {
    console.log(`${ensemble.system.padEnd(10)} failover median: ${formatMs(median(figures))}`);
  }
  return figures;
}

async function benchSystem(
  system: EnsembleSystem,
  options: EnsembleBenchOptions,
): Promise<SystemResults> {
  const results: SystemResults = { workloads: new Map(), failoverMs: [] };
  const ensemble = await Ensemble.create(system, options.replicas, options.quorumTls ?? false);
  try {
    const startedAtMs = performance.now();
    await ensemble.start();
    const seconds = ((performance.now() - startedAtMs) / 1000).toFixed(1);
    console.log(`${system}: ${options.replicas} servers serving after ${seconds} s ` +
      `(${(await ensemble.modes()).join(', ')})`);
    console.log(workloadHeader);
    for (const operation of options.operations) {
      const result = await measureWorkload(ensemble.targets(), options.workload, operation);
      results.workloads.set(`${system}:${operation}`, result);
      console.log(formatWorkload(system, result));
    }
    results.failoverMs = await runFailovers(ensemble, options);
    return results;
  } finally {
    await ensemble.stop();
  }
}

function printComparison(
  corral: SystemResults,
  zookeeper: SystemResults,
  operations: Operation[],
): void {
  const workloads = new Map([...corral.workloads, ...zookeeper.workloads]);
  console.log(`\n${formatRatios(workloads, operations, 'corral', 'zookeeper').join('\n')}`);
  if (corral.failoverMs.length === 0 || zookeeper.failoverMs.length === 0) return;
  const ratio = median(corral.failoverMs) / Math.max(median(zookeeper.failoverMs), 0.001);
  console.log(`failover median ×${ratio.toFixed(2)} (lower is better): corral ` +
    `${formatMs(median(corral.failoverMs))}, zookeeper ${formatMs(median(zookeeper.failoverMs))}`);
}

function checkLimits(options: EnsembleBenchOptions): void {
  const { replicas, failovers } = options;
  if (!Number.isInteger(replicas) || replicas < replicasMin || replicas > replicasMax) {
    throw new EnsembleError(`--replicas must be an integer from ${replicasMin} to ${replicasMax}`);
  }
  if (!Number.isInteger(failovers) || failovers < 0 || failovers > failoversMax) {
    throw new EnsembleError(`--failovers must be an integer from 0 to ${failoversMax}`);
  }
}

/**
 * Runs ZooKeeper first, so its figures are printed even when corral's ensemble cannot serve;
 * a failing system still stops the run with an error once the other has been measured.
 */
export async function runEnsembleBench(options: EnsembleBenchOptions): Promise<void> {
  checkLimits(options);
  console.log(`ensembles of ${options.replicas}: ${options.workload.sessions} sessions × ` +
    `${options.workload.outstanding} outstanding, ${options.workload.valueBytes}-byte values, ` +
    `${options.workload.durationMs / 1000} s per workload, ${options.failovers} failovers\n`);
  const measured = new Map<EnsembleSystem, SystemResults>();
  const failures: Error[] = [];
  const order: EnsembleSystem[] = ['zookeeper', 'corral'];
  const systems = order.filter((name) => options.systems.includes(name));
  for (const system of systems) {
    try {
      measured.set(system, await benchSystem(system, options));
    } catch (error) {
      if (!(error instanceof EnsembleError)) throw error;
      // Alone, the error is reported once by the caller; else say it where it happened.
      if (systems.length > 1) console.error(`${system}: ${error.message}`);
      failures.push(error);
    }
    console.log('');
  }
  const corral = measured.get('corral');
  const zookeeper = measured.get('zookeeper');
  if (corral !== undefined && zookeeper !== undefined) {
    printComparison(corral, zookeeper, options.operations);
  }
  if (failures.length > 0) throw failures[0]!;
}
