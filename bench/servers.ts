// Starts the servers a benchmark compares, each in its own temp data dir on a loopback port:
// corral (the built CLI) and Apache ZooKeeper 3.8 (Debian's package), both durable (fsync on
// commit), so the comparison is like for like. Each is stopped by its own PID, and can be killed
// and started again on the same data dir (the scale benchmark's restart row). The port and
// `srvr` helpers are shared with the ensemble benchmark (bench/ensemble.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservedPorts } from './ports.js';
import { makeBenchTls, nettyJars, type BenchTls } from './tls.js';

export interface BenchServer {
  name: 'corral' | 'zookeeper';
  port: number;
  /** With --tls: the secure client port, and what a client connects to it with. */
  secure?: { port: number; tls: BenchTls };
  /** The current process's PID (a new one after respawn()). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Sends `signal` to the process and waits for it to exit; the data dir stays. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same data dir and port, without waiting for it to serve. */
  respawn(): void;
}

/** What a benchmark may add to the servers' zoo.cfg (e.g. `maxClientCnxns=0`). */
export interface BenchServerOptions {
  tls?: boolean;
  config?: readonly string[];
}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const zkServerScript = '/usr/share/zookeeper/bin/zkServer.sh';
const startTimeoutMs = 30_000;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await reservedPorts(1, host);
  return port!;
}

/** Ports no one listens on, all distinct, that no outgoing connection can take (bench/ports.ts). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  return reservedPorts(count, host);
}

/** The `srvr` four-letter word's answer, or '' when nothing answers within 2 s. */
export function askSrvr(port: number, host = '127.0.0.1'): Promise<string> {
  return askWord(port, 'srvr', host);
}

/** A four-letter word's answer, or '' when nothing answers within 2 s. */
export function askWord(port: number, word: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((done) => {
    const socket = connect({ host, port }, () => socket.write(word));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => done(''));
    socket.on('close', () => done(text));
    socket.setTimeout(2000, () => socket.destroy());
  });
}

async function waitServing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if ((await askSrvr(port)).includes('Mode:')) return;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  throw new Error(`server on port ${port} did not start within ${startTimeoutMs} ms`);
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill(signal);
  return exited;
}

/** A BenchServer around `spawnChild`, which is called again on respawn(). */
async function benchServer(
  fields: Pick<BenchServer, 'name' | 'port' | 'secure'>,
  dir: string,
  spawnChild: () => ChildProcess,
): Promise<BenchServer> {
  let child = spawnChild();
  try {
    await waitServing(fields.port, child);
  } catch (error) {
    await killChild(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...fields,
    get pid() {
      return child.pid ?? 0;
    },
    async stop() {
      await killChild(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: (signal) => killChild(child, signal),
    respawn() {
      child = spawnChild();
    },
  };
}

/** A secure client port and its certificates in `dir`, when the run asks for TLS. */
async function benchSecurePort(dir: string, tls: boolean):
  Promise<{ port: number; tls: BenchTls } | undefined> {
  return tls ? { port: await freePort(), tls: makeBenchTls(dir) } : undefined;
}

/** `tls` (a boolean, as bench/main.ts passes it) or the options. */
function optionsOf(options: boolean | BenchServerOptions): BenchServerOptions {
  return typeof options === 'boolean' ? { tls: options } : options;
}

export async function startBenchCorral(
  options: boolean | BenchServerOptions = false,
): Promise<BenchServer> {
  const { tls = false, config: extra = [] } = optionsOf(options);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-'));
  const secure = await benchSecurePort(dir, tls);
  const config = [`dataDir=${join(dir, 'data')}`, `clientPort=${port}`,
    'clientPortAddress=127.0.0.1', ...(secure?.tls.zooCfg(secure.port) ?? []), ...extra];
  writeFileSync(join(dir, 'zoo.cfg'), `${config.join('\n')}\n`);
  return benchServer({ name: 'corral', port, ...(secure === undefined ? {} : { secure }) }, dir,
    () => spawn(
      process.execPath,
      [join(projectRoot, 'dist', 'cli', 'main.js'), 'server', '--config', join(dir, 'zoo.cfg')],
      { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } },
    ));
}

/** The jars zkServer.sh would use, plus netty for the TLS connection factory. */
const zooKeeperClassPath = ['/etc/zookeeper/conf', '/usr/share/java/zookeeper.jar',
  '/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar', ...nettyJars].join(':');

export async function startBenchZooKeeper(
  options: boolean | BenchServerOptions = false,
): Promise<BenchServer> {
  const { tls = false, config: extra = [] } = optionsOf(options);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-zk-'));
  const secure = await benchSecurePort(dir, tls);
  const config = [
    'tickTime=2000', `dataDir=${join(dir, 'data')}`, `clientPort=${port}`,
    'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'maxClientCnxns=0',
    ...(secure?.tls.zooCfg(secure.port) ?? []), ...extra,
  ];
  writeFileSync(join(dir, 'zoo.cfg'), `${config.join('\n')}\n`);
  const fields = { name: 'zookeeper' as const, port, ...(secure === undefined ? {} : { secure }) };
  return benchServer(fields, dir, () => spawn(zkServerScript,
    ['start-foreground', join(dir, 'zoo.cfg')], {
      stdio: 'ignore',
      env: {
        ...process.env, JMXDISABLE: 'true', ZOOPIDFILE: join(dir, 'pid'), ZOO_LOG_DIR: dir,
        JVMFLAGS: secure === undefined ? '-Xmx2g' : `-Xmx2g -cp ${zooKeeperClassPath}`,
      },
    }));
}
