// Starts Apache ZooKeeper 3.8 (Debian's `zookeeper` package) standalone on a loopback port in a
// temp dir, as the reference the differential and interop tests compare corral against.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from './child-processes.js';
import { waitForServing } from './four-letter.js';
import { freePort } from './ports.js';

export const zkServerScript = '/usr/share/zookeeper/bin/zkServer.sh';
export const zkCliScript = '/usr/share/zookeeper/bin/zkCli.sh';

/**
 * JVM flags for the ZooKeeper servers tests start: they live seconds, so the optimizing JIT
 * (C2) would only compete with the test for the machine's two cores, and a serial collector
 * suits a 256-512 MB heap. ZooKeeper's behaviour is the same; only its steady-state speed is
 * not, and no test measures that (the benchmarks start ZooKeeper with its defaults).
 */
export const testJvmFlags = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-XX:-UsePerfData'];

export function zookeeperAvailable(): boolean {
  return existsSync(zkServerScript);
}

export interface ZooKeeperServer {
  port: number;
  dir: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export interface ZooKeeperOptions {
  /** Extra zoo.cfg lines. */
  extraConfig?: string[];
  /** Extra JVM flags, e.g. -Djava.security.auth.login.config=FILE. */
  jvmFlags?: string[];
  tickTimeMs?: number;
  /** The loopback address the client port binds to (127.0.0.1 unless a test needs its own). */
  clientAddress?: string;
  /** Starts the admin HTTP server (Jetty) on 127.0.0.1 at this port; off otherwise. */
  adminPort?: number;
  /** dataDir to use (and keep on stop) instead of one in the server's temp dir. */
  dataDir?: string;
}

/** Debian's jars plus an slf4j binding, so the server logs (see INTEROP.md). */
export const classPath = [
  '/etc/zookeeper/conf',
  '/usr/share/java/zookeeper.jar',
  '/usr/share/java/slf4j-log4j12.jar',
  '/usr/share/java/log4j-1.2.jar',
].join(':');

/** What the admin server (JettyAdminServer) needs on top: Debian installs these jars as
 * dependencies of libzookeeper-java, but zkServer.sh does not put them on its class path. */
export const adminClassPath = [
  classPath,
  ...['server', 'servlet', 'http', 'io', 'util', 'util-ajax', 'security']
    .map((part) => `/usr/share/java/jetty9-${part}.jar`),
  '/usr/share/java/servlet-api.jar',
  ...['core', 'databind', 'annotations'].map((part) => `/usr/share/java/jackson-${part}.jar`),
].join(':');

export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'corral-zk-'));
  const config = [
    `tickTime=${options.tickTimeMs ?? 2000}`,
    `dataDir=${options.dataDir ?? join(dir, 'data')}`,
    `clientPort=${port}`,
    `clientPortAddress=${options.clientAddress ?? '127.0.0.1'}`,
    ...(options.adminPort === undefined
      ? ['admin.enableServer=false']
      : ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${options.adminPort}`]),
    '4lw.commands.whitelist=*',
    'extendedTypesEnabled=true',
    'maxClientCnxns=0',
    ...(options.extraConfig ?? []),
  ];
  writeFileSync(join(dir, 'zoo.cfg'), `${config.join('\n')}\n`);
  const child = spawn(zkServerScript, ['start-foreground', join(dir, 'zoo.cfg')], {
    env: {
      ...process.env,
      JMXDISABLE: 'true',
      ZOOPIDFILE: join(dir, 'pid'),
      ZOO_LOG_DIR: dir,
      JVMFLAGS: [
        '-Xmx512m',
        ...testJvmFlags,
        `-cp ${options.adminPort === undefined ? classPath : adminClassPath}`,
        '-Dzookeeper.root.logger=INFO,CONSOLE',
        ...(options.jvmFlags ?? []),
      ].join(' '),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForServing(port, 30_000, options.clientAddress);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${output.slice(-3000)}`);
  }
  return { port, dir, process: child, output: () => output, stop };
}
