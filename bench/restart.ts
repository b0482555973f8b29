// Restart benchmark: builds a tree of N znodes through the real server (corral, then Apache
// ZooKeeper 3.8 with the same creates), SIGKILLs it, restarts it on the same data dir and reports
// the time from process start to serving, the CPU time the restarted process used until then
// (steadier than wall time on a shared machine), its peak RSS, and the data dir size.
// Usage: node dist/bench/restart.js [--nodes 1000000] [--data-bytes 32] [--skip-zookeeper]
//   [--cpu-prof-dir DIR] (corral's restart runs under --cpu-prof and stops with SIGTERM)

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { readProcessMemory } from './proc-memory.js';
import { freePort } from './servers.js';
import { buildTree } from './tree-builder.js';

const corralMain = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const zkServerScript = '/usr/share/zookeeper/bin/zkServer.sh';
const zkClassPath = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:' +
  '/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar';
const servingTimeoutMs = 600_000;

interface Target {
  name: string;
  start(dataDir: string, port: number, profileDir?: string): ChildProcess;
}

const corral: Target = {
  name: 'corral',
  start: (dataDir, port, profileDir) =>
    spawn(process.execPath, [
      ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
      corralMain, 'server', '--data-dir', dataDir, '--client-port', String(port),
      '--client-port-address', '127.0.0.1'], { stdio: 'ignore' }),
};

const apacheZooKeeper: Target = {
  name: 'zookeeper-3.8',
  start: (dataDir, port) => {
    const config = join(dirname(dataDir), 'zoo.cfg');
    writeFileSync(config, [`dataDir=${dataDir}`, `clientPort=${port}`,
      'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'tickTime=2000', ''].join('\n'));
    // zkServer.sh execs java, so the child's pid is the JVM's.
    return spawn(zkServerScript, ['start-foreground', config], {
      stdio: 'ignore',
      env: { ...process.env, JMXDISABLE: 'true', ZOO_LOG_DIR: dirname(dataDir),
        ZOOPIDFILE: join(dirname(dataDir), 'pid'),
        JVMFLAGS: `-Xmx4g -cp ${zkClassPath} -Dzookeeper.root.logger=WARN,CONSOLE` },
    });
  },
};


/** Answers `srvr`, or undefined when nothing listens yet. */
function srvr(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('connect', () => socket.write('srvr'));
    socket.on('close', () => done(text === '' ? undefined : text));
    socket.on('error', () => done(undefined));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

async function waitServing(port: number, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + servingTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const answer = await srvr(port);
    if (answer?.includes('Node count') === true) return answer;
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error('server did not start serving');
}

/** User plus system CPU time of a live process so far, in milliseconds (/proc/<pid>/stat). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command; in 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  await exited;
}

interface Result {
  target: string;
  buildMs: number;
  restartMs: number;
  restartCpuMs: number;
  peakRssBytes: number;
  dataDirBytes: number;
  nodeCount: string;
}

async function measure(
  target: Target,
  nodes: number,
  dataBytes: number,
  profileDir: string | undefined,
): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `bench-restart-${target.name}-`));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  try {
    const first = target.start(dataDir, port);
    await waitServing(port, first);
    const buildStartedAt = performance.now();
    await buildTree(port, nodes, dataBytes);
    const buildMs = performance.now() - buildStartedAt;
    await kill(first);
    const startedAt = performance.now();
    const second = target.start(dataDir, port, profileDir);
    const answer = await waitServing(port, second);
    const restartMs = performance.now() - startedAt;
    const result = {
      target: target.name,
      buildMs,
      restartMs,
      restartCpuMs: cpuMs(second.pid!),
      peakRssBytes: readProcessMemory(second.pid!).peakRssBytes,
      dataDirBytes: directoryBytes(dataDir),
      nodeCount: /Node count: (\d+)/.exec(answer)?.[1] ?? '?',
    };
    // SIGTERM lets a profiled corral exit normally, which writes its profile.
    await kill(second, profileDir === undefined ? 'SIGKILL' : 'SIGTERM');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const values = new Command()
    .name('corral-bench-restart')
    .description('time from a restart to serving, for corral and Apache ZooKeeper 3.8, on a ' +
      'tree built through each server')
    .option('--nodes <n>', 'znodes to build', '1000000')
    .option('--data-bytes <n>', 'bytes per znode', '32')
    .option('--skip-zookeeper', 'measure corral only')
    .option('--cpu-prof-dir <dir>', 'write a CPU profile of corral\'s restart there')
    .showHelpAfterError()
    .parse()
    .opts<{ nodes: string; dataBytes: string; skipZookeeper?: boolean; cpuProfDir?: string }>();
  const nodes = Number(values.nodes);
  const dataBytes = Number(values.dataBytes);
  const targets = [corral];
  if (values.skipZookeeper !== true && existsSync(zkServerScript)) targets.push(apacheZooKeeper);
  console.log(`restart benchmark: ${nodes} znodes of ${dataBytes} bytes, built via each server`);
  for (const target of targets) {
    const profileDir = target === corral ? values.cpuProfDir : undefined;
    const result = await measure(target, nodes, dataBytes, profileDir);
    console.log(
      `${result.target.padEnd(14)} build ${(result.buildMs / 1000).toFixed(1)} s  ` +
        `restart-to-serving ${(result.restartMs / 1000).toFixed(2)} s ` +
        `(cpu ${(result.restartCpuMs / 1000).toFixed(2)} s)  ` +
        `peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB  ` +
        `data dir ${(result.dataDirBytes / 2 ** 20).toFixed(0)} MiB  ` +
        `node count ${result.nodeCount}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
