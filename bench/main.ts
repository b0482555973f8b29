// `npm run bench`: N sessions × K outstanding requests of create / setData / getData / mixed
// (1 KiB values by default) against a connect string, or, with --compare, against a fresh
// corral and a fresh Apache ZooKeeper 3.8 started side by side, or, with --ensemble, against a
// 3-replica ensemble of each (plus leader failover time), printing ops/s, latency percentiles
// and the corral/ZooKeeper ratios measured in the same run.

import { Command } from 'commander';
import { EnsembleError, type EnsembleSystem } from './ensemble.js';
import { runEnsembleBench } from './ensemble-run.js';
import { formatRatios, formatWorkload, workloadHeader } from './report.js';
import { startBenchCorral, startBenchZooKeeper, type BenchServer } from './servers.js';
import {
  measureWorkload,
  type Operation,
  type WorkloadResult,
  type WorkloadSettings,
} from './workload.js';

interface BenchFlags {
  connect?: string;
  compare?: boolean;
  tls?: boolean;
  ensemble?: boolean;
  quorumTls?: boolean;
  replicas: string;
  failovers: string;
  skipCorral?: boolean;
  skipZookeeper?: boolean;
  sessions: string;
  outstanding: string;
  duration: string;
  valueBytes: string;
  workloads: string;
  readShare: string;
}

/** The ensemble mode's default: write-only, read-only and mixed on pre-created nodes. */
const ensembleOperations: Operation[] = ['setData', 'getData', 'mixed'];

function workloadSettings(flags: BenchFlags): WorkloadSettings {
  return {
    sessions: Number(flags.sessions),
    outstanding: Number(flags.outstanding),
    durationMs: Number(flags.duration) * 1000,
    valueBytes: Number(flags.valueBytes),
    readShare: Number(flags.readShare),
  };
}

async function compare(flags: BenchFlags, operations: Operation[]): Promise<void> {
  const results = new Map<string, WorkloadResult>();
  const tls = flags.tls === true;
  console.log(workloadHeader);
  for (const start of [startBenchCorral, startBenchZooKeeper]) {
    let server: BenchServer | undefined;
    try {
      server = await start(tls);
      for (const operation of operations) {
        const plain = { host: '127.0.0.1', port: server.port };
        const result = await measureWorkload([plain], workloadSettings(flags), operation);
        results.set(`${server.name}:${operation}`, result);
        console.log(formatWorkload(server.name, result));
        if (server.secure === undefined) continue;
        const { ca, cert, key } = server.secure.tls;
        const secure = { host: '127.0.0.1', port: server.secure.port, tls: { ca, cert, key } };
        const overTls = await measureWorkload([secure], workloadSettings(flags), operation);
        results.set(`${server.name}+tls:${operation}`, overTls);
        console.log(formatWorkload(`${server.name}+tls`, overTls));
      }
    } finally {
      await server?.stop();
    }
  }
  console.log(`\n${formatRatios(results, operations, 'corral', 'zookeeper').join('\n')}`);
  if (!tls) return;
  console.log(`\nover TLS:\n${formatRatios(results, operations, 'corral+tls',
    'zookeeper+tls').join('\n')}`);
  for (const name of ['corral', 'zookeeper']) {
    console.log(`\n${name} TLS/plaintext:`);
    console.log(formatRatios(results, operations, `${name}+tls`, name).slice(1).join('\n'));
  }
}

async function ensemble(flags: BenchFlags, operations: Operation[]): Promise<void> {
  const systems: EnsembleSystem[] = [];
  if (flags.skipZookeeper !== true) systems.push('zookeeper');
  if (flags.skipCorral !== true) systems.push('corral');
  if (systems.length === 0) {
    throw new EnsembleError('--skip-corral with --skip-zookeeper leaves nothing to measure');
  }
  await runEnsembleBench({
    replicas: Number(flags.replicas),
    failovers: Number(flags.failovers),
    systems,
    operations,
    workload: workloadSettings(flags),
    quorumTls: flags.quorumTls === true,
  });
}

const program = new Command()
  .name('corral-bench')
  .option('--connect <host:port>', 'server to measure (default: --compare)')
  .option('--compare', 'start corral and Apache ZooKeeper 3.8 and measure both')
  .option('--tls', 'with --compare: measure each workload over a secure client port too')
  .option('--ensemble', 'start a corral and an Apache ZooKeeper 3.8 ensemble and measure both')
  .option('--replicas <n>', 'servers per ensemble (--ensemble)', '3')
  .option('--quorum-tls', 'with --ensemble: the servers link over mutual TLS (sslQuorum)')
  .option('--failovers <n>', 'leader kills per ensemble (--ensemble)', '3')
  .option('--skip-corral', 'measure only the ZooKeeper ensemble (--ensemble)')
  .option('--skip-zookeeper', 'measure only the corral ensemble (--ensemble)')
  .option('--sessions <n>', 'sessions', '8')
  .option('--outstanding <k>', 'requests in flight per session', '16')
  .option('--duration <seconds>', 'seconds per workload', '10')
  .option('--value-bytes <n>', 'znode value size', '1024')
  .option('--workloads <list>', 'create,setData,getData,mixed (--ensemble: setData,getData,mixed)',
    'create,setData,getData,mixed')
  .option('--read-share <fraction>', 'reads in the mixed workload', '0.9')
  .action(async (flags: BenchFlags) => {
    const operations = flags.workloads.split(',').map((name) => name.trim() as Operation);
    if (flags.ensemble === true) {
      const chosen = program.getOptionValueSource('workloads') !== 'default';
      await ensemble(flags, chosen ? operations : ensembleOperations);
      return;
    }
    if (flags.connect === undefined) {
      await compare(flags, operations);
      return;
    }
    const [host = '127.0.0.1', port] = flags.connect.split(':');
    console.log(workloadHeader);
    for (const operation of operations) {
      const result = await measureWorkload([{ host, port: Number(port) }],
        workloadSettings(flags), operation);
      console.log(formatWorkload(flags.connect, result));
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // An ensemble that cannot serve is a finding, not a crash: its message says what happened.
  console.error(error instanceof EnsembleError ? `bench: ${error.message}` : error);
  process.exit(1);
});
