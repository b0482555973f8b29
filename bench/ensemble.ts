// Starts an N-replica ensemble of Apache ZooKeeper 3.8 or of corral on loopback for the ensemble
// benchmark: one temp dir per ensemble, a data dir with `myid` and a zoo.cfg with `server.N`
// lines per member (corral reads zoo.cfg as ZooKeeper does), every process tracked by its PID so
// the benchmark can kill a leader, restart it, and stop everything — also on SIGINT/SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askSrvr, freePorts, projectRoot, zkServerScript } from './servers.js';
import { makeBenchTls } from './tls.js';
import type { WorkloadTarget } from './workload.js';

export type EnsembleSystem = 'corral' | 'zookeeper';

/** A failure of the ensemble itself (no leader, a member exited): reported without a stack. */
export class EnsembleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnsembleError';
  }
}

export interface EnsembleMember {
  /** The server id: `server.<id>` in zoo.cfg and the content of `myid`. */
  id: number;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  /** Holds this member's zoo.cfg, its log file and its data dir. */
  dir: string;
  process: ChildProcess | undefined;
}

/** Fewer than three cannot lose their leader and keep a quorum, so failover is unmeasurable. */
export const replicasMin = 3;
export const replicasMax = 9;
/** How long an ensemble may take to elect a leader, and a restarted member to rejoin. */
export const electionTimeoutMs = 60_000;
const pollIntervalMs = 200;
const logTailLines = 5;
const zkClassPath = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:' +
  '/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar';

/** Ensembles still running, stopped by the signal handler if the benchmark is interrupted. */
const liveEnsembles = new Set<Ensemble>();
let signalHandlersInstalled = false;

function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the ensembles this benchmark started`);
      for (const ensemble of liveEnsembles) ensemble.stopNow();
      process.exit(130);
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The role a `srvr` answer reports (leader, follower, standalone …), or 'no answer'. */
export function modeOf(answer: string): string {
  return /^Mode: (\S+)/m.exec(answer)?.[1] ?? 'no answer';
}

export class Ensemble {
  private constructor(
    readonly system: EnsembleSystem,
    private readonly rootDir: string,
    readonly members: EnsembleMember[],
    /** zoo.cfg lines every member gets too (quorum TLS). */
    private readonly extraConfig: readonly string[],
  ) {}

  /**
   * Lays out the dirs and configs; call start(), and stop() in a finally. With `quorumTls` the
   * members link over mutual TLS (sslQuorum, a throwaway CA's PEM stores).
   */
  static async create(
    system: EnsembleSystem,
    replicas: number,
    quorumTls = false,
  ): Promise<Ensemble> {
    if (system === 'zookeeper' && !existsSync(zkServerScript)) {
      throw new EnsembleError(`${zkServerScript} not found: apt-get install -y zookeeper`);
    }
    installSignalHandlers();
    const ports = await freePorts(replicas * 3);
    const rootDir = mkdtempSync(join(tmpdir(), `corral-bench-ensemble-${system}-`));
    const members = Array.from({ length: replicas }, (_, index): EnsembleMember => ({
      id: index + 1,
      clientPort: ports[index * 3]!,
      quorumPort: ports[index * 3 + 1]!,
      electionPort: ports[index * 3 + 2]!,
      dir: join(rootDir, `server${index + 1}`),
      process: undefined,
    }));
    const extraConfig = quorumTls ? makeBenchTls(rootDir).quorumZooCfg() : [];
    const ensemble = new Ensemble(system, rootDir, members, extraConfig);
    liveEnsembles.add(ensemble);
    try {
      for (const member of members) ensemble.writeConfig(member);
    } catch (error) {
      ensemble.removeDir();
      throw error;
    }
    return ensemble;
  }

  targets(): WorkloadTarget[] {
    return this.members.map((member) => ({ host: '127.0.0.1', port: member.clientPort }));
  }

  /** Starts every member and waits until they have elected a leader. */
  async start(): Promise<void> {
    for (const member of this.members) this.spawnMember(member);
    await this.waitForQuorum('did not elect a leader');
  }

  /**
   * Waits until every member answers `srvr` with `Mode: leader` or `Mode: follower` and exactly
   * one is the leader, failing after electionTimeoutMs or as soon as a member exits.
   */
  async waitForQuorum(failure: string): Promise<void> {
    const deadline = Date.now() + electionTimeoutMs;
    let modes: string[] = [];
    while (Date.now() < deadline) {
      this.assertAllRunning();
      modes = await this.modes();
      const leaders = modes.filter((mode) => mode === 'leader').length;
      const followers = modes.filter((mode) => mode === 'follower').length;
      if (leaders === 1 && leaders + followers === this.members.length) return;
      await sleep(pollIntervalMs);
    }
    const seen = modes.map((mode, index) => `server.${index + 1}: ${mode}`).join(', ');
    throw new EnsembleError(
      `${this.system} ensemble ${failure} within ${electionTimeoutMs / 1000} s (srvr: ${seen})`,
    );
  }

  /** Each member's current `srvr` Mode, in id order. */
  async modes(): Promise<string[]> {
    const answers = await Promise.all(this.members.map((member) => askSrvr(member.clientPort)));
    return answers.map(modeOf);
  }

  /** The member whose `srvr` says `Mode: leader`. */
  async leader(): Promise<EnsembleMember> {
    const modes = await this.modes();
    const index = modes.indexOf('leader');
    if (index < 0) throw new EnsembleError(`${this.system} ensemble has no leader`);
    return this.members[index]!;
  }

  /** Sends SIGKILL to the member's PID now; the promise settles once the process is gone. */
  kill(member: EnsembleMember): Promise<void> {
    const child = member.process;
    if (child === undefined || !isRunning(child)) return Promise.resolve();
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    return exited;
  }

  /** Starts a killed member again on its data dir and waits until the ensemble is whole. */
  async restart(member: EnsembleMember): Promise<void> {
    await this.kill(member);
    this.spawnMember(member);
    await this.waitForQuorum(`did not take server.${member.id} back`);
  }

  /** Copies every member's server.log into `dir` (as server<id>.log), for a look afterwards. */
  saveLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const member of this.members) {
      copyFileSync(join(member.dir, 'server.log'), join(dir, `server${member.id}.log`));
    }
  }

  /** Deletes a killed member's data, keeping its myid: it rejoins empty and needs a SNAP. */
  wipe(member: EnsembleMember): void {
    if (member.process !== undefined && isRunning(member.process)) {
      throw new EnsembleError(`server.${member.id} is running; kill it before wiping it`);
    }
    const dataDir = join(member.dir, 'data');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${member.id}\n`);
  }

  /** Kills every member, waits for each to exit, and removes the temp dir. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => this.kill(member)));
    this.removeDir();
  }

  /** As stop(), synchronously, for a signal handler that exits right after. */
  stopNow(): void {
    for (const member of this.members) {
      if (member.process !== undefined && isRunning(member.process)) {
        member.process.kill('SIGKILL');
      }
    }
    this.removeDir();
  }

  private removeDir(): void {
    rmSync(this.rootDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    liveEnsembles.delete(this);
  }

  private writeConfig(member: EnsembleMember): void {
    const dataDir = join(member.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${member.id}\n`);
    const config = [
      'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${dataDir}`,
      `clientPort=${member.clientPort}`, 'clientPortAddress=127.0.0.1',
      'admin.enableServer=false', '4lw.commands.whitelist=*', 'maxClientCnxns=0',
      ...this.members.map(
        (peer) => `server.${peer.id}=127.0.0.1:${peer.quorumPort}:${peer.electionPort}`,
      ),
      ...this.extraConfig,
    ];
    writeFileSync(join(member.dir, 'zoo.cfg'), `${config.join('\n')}\n`);
  }

  /** Starts the member in the foreground, its output appended to its own log file. */
  private spawnMember(member: EnsembleMember): void {
    const config = join(member.dir, 'zoo.cfg');
    const log = openSync(join(member.dir, 'server.log'), 'a');
    const stdio: ['ignore', number, number] = ['ignore', log, log];
    try {
      member.process = this.system === 'zookeeper'
        // start-foreground execs java, so this child's PID is the JVM's.
        ? spawn(zkServerScript, ['start-foreground', config], {
          stdio,
          env: {
            ...process.env, JMXDISABLE: 'true', ZOOPIDFILE: join(member.dir, 'pid'),
            ZOO_LOG_DIR: member.dir,
            JVMFLAGS: `-Xmx2g -cp ${zkClassPath} -Dzookeeper.root.logger=INFO,CONSOLE`,
          },
        })
        : spawn(process.execPath, [join(projectRoot, 'dist', 'cli', 'main.js'), 'server',
          '--config', config], { stdio });
    } finally {
      closeSync(log);
    }
    member.process.once('error', (error) => {
      console.error(`${this.system} server.${member.id} could not start: ${error.message}`);
    });
  }

  private assertAllRunning(): void {
    for (const member of this.members) {
      const child = member.process;
      if (child === undefined || isRunning(child)) continue;
      const status = child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode;
      throw new EnsembleError(
        `${this.system} server.${member.id} (pid ${child.pid}) exited with ${status}; ` +
          `last log lines:\n${this.logTail(member)}`,
      );
    }
  }

  private logTail(member: EnsembleMember): string {
    try {
      const lines = readFileSync(join(member.dir, 'server.log'), 'utf8').trimEnd().split('\n');
      return lines.slice(-logTailLines).map((line) => `  ${line}`).join('\n');
    } catch {
      return '  (no log)';
    }
  }
}
