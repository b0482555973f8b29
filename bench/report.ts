// The benchmark's printed tables: one line per workload run, and the corral/ZooKeeper ratios.
// Shared by the standalone comparison (bench/main.ts) and the ensemble one (bench/ensemble-run.ts)
// so both print the same columns, and the median the benchmarks that repeat a figure report.

import type { Operation, WorkloadResult } from './workload.js';

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const workloadHeader = 'server        workload     ops/s  p50(ms)  p99(ms)  p999(ms) errors';

export function formatWorkload(name: string, result: WorkloadResult): string {
  return [
    name.padEnd(13),
    result.operation.padEnd(8),
    `${Math.round(result.opsPerSecond)}`.padStart(9),
    result.p50Ms.toFixed(2).padStart(8),
    result.p99Ms.toFixed(2).padStart(8),
    result.p999Ms.toFixed(2).padStart(9),
    `${result.errors}`.padStart(7),
  ].join(' ');
}

/** Ratio lines for each operation both systems ran; results are keyed `<system>:<operation>`. */
export function formatRatios(
  results: Map<string, WorkloadResult>,
  operations: Operation[],
  corralName: string,
  zookeeperName: string,
): string[] {
  const lines = ['ratio corral/zookeeper (throughput: higher is better; p99: lower is better)'];
  for (const operation of operations) {
    const corral = results.get(`${corralName}:${operation}`);
    const zookeeper = results.get(`${zookeeperName}:${operation}`);
    if (corral === undefined || zookeeper === undefined) continue;
    const throughput = corral.opsPerSecond / zookeeper.opsPerSecond;
    const p99 = corral.p99Ms / Math.max(zookeeper.p99Ms, 0.001);
    lines.push(
      `${operation.padEnd(8)} throughput ×${throughput.toFixed(2)}  p99 ×${p99.toFixed(2)}`,
    );
  }
  return lines;
}
