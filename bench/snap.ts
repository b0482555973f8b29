// Learner sync benchmark: a 3-replica ensemble (corral, then Apache ZooKeeper 3.8) is given a
// tree of N znodes; then one follower is brought back after missing something. `--mode snap`
// (default): its data dir is wiped (myid kept), so the leader must send the whole tree.
// `--mode diff`: it is killed, misses `--missed` creates, and restarts, so the leader sends the
// txns it missed. Reports the time from that restart to the follower serving with the leader's
// zxid and node count, the tree's size as the leader's mntr reports it, and for corral how long
// its stream took and held the leader's event loop at most (its log's "sync stream sent").
// Usage: node dist/bench/snap.js [--nodes 300000] [--data-bytes 1024] [--mode snap|diff|files]
//   [--missed 100000] [--skip-zookeeper] [--skip-corral]
//   [--log-dir DIR] (each member's server log is copied there at the end)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { Ensemble, EnsembleError, type EnsembleSystem } from './ensemble.js';
import { askSrvr, askWord } from './servers.js';
import { buildTree } from './tree-builder.js';
import { measureSnapshotCompression } from '../cli/snapshot-figures.js';

/** `--mode files`: one snapshot of the tree per compression method, written then read back. */
async function reportSnapshotFiles(nodes: number, dataBytes: number): Promise<void> {
  console.log(`snapshot files: ${nodes} znodes of ${dataBytes} bytes`);
  console.log('method   bytes        write ms  read ms');
  for (const figure of await measureSnapshotCompression(nodes, dataBytes)) {
    console.log(`${figure.method.padEnd(8)} ${String(figure.bytes).padEnd(12)} ` +
      `${figure.writeMs.toFixed(0).padStart(8)}  ${figure.readMs.toFixed(0).padStart(7)}`);
  }
}

const catchUpTimeoutMs = 600_000;
const pollIntervalMs = 100;

interface SrvrFigures {
  mode: string | undefined;
  zxid: string | undefined;
  nodeCount: string | undefined;
}

function figures(answer: string): SrvrFigures {
  return {
    mode: /^Mode: (\S+)/m.exec(answer)?.[1],
    zxid: /^Zxid: (\S+)/m.exec(answer)?.[1],
    nodeCount: /^Node count: (\d+)/m.exec(answer)?.[1],
  };
}

async function approximateDataSize(port: number): Promise<number> {
  const answer = await askWord(port, 'mntr');
  return Number(/zk_approximate_data_size\s+(\d+)/.exec(answer)?.[1] ?? Number.NaN);
}

interface Result {
  system: EnsembleSystem;
  buildMs: number;
  dataBytes: number;
  nodeCount: string;
  catchUpMs: number;
  /** corral: the leader's last sync step for the follower, as its log reports it. */
  leaderSync: { mode: string; ms: number; txns: number; longestSliceMs: number } | undefined;
}

interface SyncOptions {
  mode: 'snap' | 'diff';
  nodes: number;
  dataBytes: number;
  missed: number;
}

/** The leader's "sync stream sent" log line for `learner`, the last one (corral only). */
function leaderSyncOf(dir: string, learner: number): Result['leaderSync'] {
  let found: Result['leaderSync'];
  let text = '';
  try {
    text = readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"sync stream sent"')) continue;
    const entry = JSON.parse(line) as {
      learner: number; mode: string; ms: number; txns: number; longestSliceMs: number;
    };
    if (entry.learner === learner) {
      found = {
        mode: entry.mode,
        ms: entry.ms,
        txns: entry.txns,
        longestSliceMs: entry.longestSliceMs,
      };
    }
  }
  return found;
}

async function measure(
  system: EnsembleSystem,
  options: SyncOptions,
  logDir: string | undefined,
): Promise<Result> {
  const ensemble = await Ensemble.create(system, 3);
  try {
    await ensemble.start();
    const leader = await ensemble.leader();
    const buildStart = Date.now();
    await buildTree(leader.clientPort, options.nodes, options.dataBytes);
    const buildMs = Date.now() - buildStart;
    const follower = ensemble.members.find((member) => member !== leader)!;
    await ensemble.kill(follower);
    if (options.mode === 'snap') {
      ensemble.wipe(follower);
    } else {
      await buildTree(leader.clientPort, options.missed, options.dataBytes, '/missed');
    }
    const restartedAt = Date.now();
    await ensemble.restart(follower);
    let target = figures(await askSrvr(leader.clientPort));
    for (;;) {
      // Against the leader as it is now: a session closing or expiring meanwhile is a txn too.
      const seen = figures(await askSrvr(follower.clientPort));
      target = figures(await askSrvr(leader.clientPort));
      if (seen.mode === 'follower' && seen.zxid === target.zxid &&
        seen.nodeCount === target.nodeCount) break;
      if (Date.now() - restartedAt > catchUpTimeoutMs) {
        throw new EnsembleError(`${system}: server.${follower.id} did not catch up ` +
          `(${JSON.stringify(seen)} vs ${JSON.stringify(target)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
    return {
      system,
      buildMs,
      dataBytes: await approximateDataSize(leader.clientPort),
      nodeCount: target.nodeCount ?? '?',
      catchUpMs: Date.now() - restartedAt,
      leaderSync: leaderSyncOf(leader.dir, follower.id),
    };
  } finally {
    if (logDir !== undefined) ensemble.saveLogs(join(logDir, system));
    await ensemble.stop();
  }
}

async function main(): Promise<void> {
  const values = new Command()
    .name('corral-bench-snap')
    .description('time to bring a wiped (snap) or lagging (diff) follower of 3 up to date, for ' +
      'corral and Apache ZooKeeper 3.8')
    .option('--nodes <n>', 'znodes in the tree', '300000')
    .option('--data-bytes <n>', 'bytes per znode', '1024')
    .option('--mode <mode>', 'snap (a wiped follower), diff (a follower that missed writes) or ' +
      'files (snapshot file size and write/read time per snapshot.compression.method)',
      'snap')
    .option('--missed <n>', 'creates the follower misses (--mode diff)', '100000')
    .option('--skip-zookeeper', 'measure corral only')
    .option('--skip-corral', 'measure ZooKeeper only')
    .option('--log-dir <dir>', 'keep every server\'s log there')
    .showHelpAfterError()
    .parse()
    .opts<{
      nodes: string;
      dataBytes: string;
      mode: string;
      missed: string;
      skipZookeeper?: boolean;
      skipCorral?: boolean;
      logDir?: string;
    }>();
  const nodes = Number(values.nodes);
  const dataBytes = Number(values.dataBytes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5_000_000) {
    throw new Error(`invalid --nodes "${values.nodes}": expected 1-5000000`);
  }
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > 1_000_000) {
    throw new Error(`invalid --data-bytes "${values.dataBytes}": expected 0-1000000`);
  }
  const mode = values.mode;
  if (mode === 'files') {
    await reportSnapshotFiles(nodes, dataBytes);
    return;
  }
  if (mode !== 'snap' && mode !== 'diff') {
    throw new Error(`invalid --mode "${mode}": expected snap, diff or files`);
  }
  const missed = Number(values.missed);
  if (!Number.isInteger(missed) || missed < 1 || missed > 5_000_000) {
    throw new Error(`invalid --missed "${values.missed}": expected 1-5000000`);
  }
  const systems: EnsembleSystem[] = [];
  if (values.skipCorral !== true) systems.push('corral');
  if (values.skipZookeeper !== true) systems.push('zookeeper');
  console.log(mode === 'snap'
    ? `SNAP of ${nodes} znodes of ${dataBytes} B to a wiped follower of 3`
    : `DIFF of ${missed} creates of ${dataBytes} B missed by a follower of 3 (tree ${nodes})`);
  console.log('system      build(s)  tree(MiB)  nodes      restart→caught up(s)  leader sync step');
  const results: Result[] = [];
  for (const system of systems) {
    const result = await measure(system, { mode, nodes, dataBytes, missed }, values.logDir);
    results.push(result);
    const step = result.leaderSync === undefined ? '-'
      : `${result.leaderSync.mode} ${result.leaderSync.txns} txns in ${result.leaderSync.ms} ms, ` +
        `event loop held ${result.leaderSync.longestSliceMs} ms at most`;
    console.log(`${system.padEnd(11)} ${(result.buildMs / 1000).toFixed(1).padStart(8)}  ` +
      `${(result.dataBytes / 2 ** 20).toFixed(0).padStart(9)}  ${result.nodeCount.padEnd(10)} ` +
      `${(result.catchUpMs / 1000).toFixed(2).padStart(8)}              ${step}`);
  }
  if (results.length === 2) {
    console.log(`corral/zookeeper catch-up time: ×${(results[0]!.catchUpMs /
      results[1]!.catchUpMs).toFixed(2)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
