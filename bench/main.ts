// `npm run bench`: N sessions × K outstanding requests of create / setData / getData / mixed
// (1 KiB values by default) against a connect string, or, with --compare, against a fresh
// corral and a fresh Apache ZooKeeper 3.8 started side by side, printing ops/s, latency
// percentiles and the corral/ZooKeeper ratios measured in the same run.

import { Command } from 'commander';
import { startBenchCorral, startBenchZooKeeper, type BenchServer } from './servers.js';
import { runWorkload, type Operation, type WorkloadResult } from './workload.js';

interface BenchFlags {
  connect?: string;
  compare?: boolean;
  sessions: string;
  outstanding: string;
  duration: string;
  valueBytes: string;
  workloads: string;
  readShare: string;
}

function format(name: string, result: WorkloadResult): string {
  return [
    name.padEnd(10),
    result.operation.padEnd(8),
    `${Math.round(result.opsPerSecond)}`.padStart(9),
    result.p50Ms.toFixed(2).padStart(8),
    result.p99Ms.toFixed(2).padStart(8),
    result.p999Ms.toFixed(2).padStart(9),
    `${result.errors}`.padStart(7),
  ].join(' ');
}

const header = 'server     workload     ops/s  p50(ms)  p99(ms)  p999(ms) errors';

async function measure(
  host: string,
  port: number,
  flags: BenchFlags,
  operation: Operation,
): Promise<WorkloadResult> {
  return runWorkload({
    host,
    port,
    operation,
    sessions: Number(flags.sessions),
    outstanding: Number(flags.outstanding),
    durationMs: Number(flags.duration) * 1000,
    valueBytes: Number(flags.valueBytes),
    readShare: Number(flags.readShare),
    root: `/bench-${operation}-${process.pid}-${Date.now()}`,
  });
}

async function compare(flags: BenchFlags, operations: Operation[]): Promise<void> {
  const results = new Map<string, WorkloadResult>();
  console.log(header);
  for (const start of [startBenchCorral, startBenchZooKeeper]) {
    let server: BenchServer | undefined;
    try {
      server = await start();
      for (const operation of operations) {
        const result = await measure('127.0.0.1', server.port, flags, operation);
        results.set(`${server.name}:${operation}`, result);
        console.log(format(server.name, result));
      }
    } finally {
      await server?.stop();
    }
  }
  console.log('\nratio corral/zookeeper (throughput: higher is better; p99: lower is better)');
  for (const operation of operations) {
    const corral = results.get(`corral:${operation}`);
    const zookeeper = results.get(`zookeeper:${operation}`);
    if (corral === undefined || zookeeper === undefined) continue;
    const throughput = corral.opsPerSecond / zookeeper.opsPerSecond;
    const p99 = corral.p99Ms / Math.max(zookeeper.p99Ms, 0.001);
    console.log(`${operation.padEnd(8)} throughput ×${throughput.toFixed(2)}  p99 ×${p99.toFixed(2)}`);
  }
}

const program = new Command()
  .name('corral-bench')
  .option('--connect <host:port>', 'server to measure (default: --compare)')
  .option('--compare', 'start corral and Apache ZooKeeper 3.8 and measure both')
  .option('--sessions <n>', 'sessions', '8')
  .option('--outstanding <k>', 'requests in flight per session', '16')
  .option('--duration <seconds>', 'seconds per workload', '10')
  .option('--value-bytes <n>', 'znode value size', '1024')
  .option('--workloads <list>', 'create,setData,getData,mixed', 'create,setData,getData,mixed')
  .option('--read-share <fraction>', 'reads in the mixed workload', '0.9')
  .action(async (flags: BenchFlags) => {
    const operations = flags.workloads.split(',').map((name) => name.trim() as Operation);
    if (flags.connect === undefined) {
      await compare(flags, operations);
      return;
    }
    const [host, port] = flags.connect.split(':');
    console.log(header);
    for (const operation of operations) {
      console.log(format(flags.connect, await measure(host ?? '127.0.0.1', Number(port), flags, operation)));
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
