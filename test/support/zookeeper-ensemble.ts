// An Apache ZooKeeper 3.8 ensemble on loopback (one JVM per server, each with its zoo.cfg and
// myid), with the same accessors as TestEnsemble, so the ensemble variants of the interop and
// differential suites can be proven against the reference before they are pointed at corral.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from './child-processes.js';
import type { ReplicaStatus } from './ensemble.js';
import { fourLetterWord, type FourLetterTls } from './four-letter.js';
import { freePort } from './ports.js';
import { classPath, testJvmFlags, zkServerScript } from './zookeeper.js';

export interface ZooKeeperEnsembleOptions {
  voters: number;
  tickTimeMs?: number;
  /** Extra zoo.cfg lines for every server. */
  extraConfig?: string[];
  /** Extra JVM flags for every server. */
  jvmFlags?: string[];
  /** As EnsembleOptions.secureClientsOnly: a secure client port only, `srvr` asked over TLS. */
  secureClientsOnly?: FourLetterTls;
}

interface Member {
  id: number;
  clientPort: number;
  dir: string;
  process: ChildProcess | undefined;
  output: string;
}

/** JVMs on two cores elect more slowly than corral processes do. */
const electionTimeoutMs = 60_000;
const outputCharsMax = 2_000_000;

export class ZooKeeperEnsemble {
  private constructor(
    readonly dir: string,
    private readonly members: Map<number, Member>,
    private readonly options: ZooKeeperEnsembleOptions,
  ) {}

  static async create(options: ZooKeeperEnsembleOptions): Promise<ZooKeeperEnsemble> {
    const dir = mkdtempSync(join(tmpdir(), 'corral-zk-ensemble-'));
    const members = new Map<number, Member>();
    const serverLines: string[] = [];
    for (let id = 1; id <= options.voters; id++) {
      const [clientPort, quorumPort, electionPort] = [await freePort(), await freePort(),
        await freePort()];
      members.set(id, { id, clientPort, dir: join(dir, `server-${id}`), process: undefined,
        output: '' });
      serverLines.push(`server.${id}=127.0.0.1:${quorumPort}:${electionPort}`);
    }
    for (const member of members.values()) {
      const dataDir = join(member.dir, 'data');
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'myid'), `${member.id}\n`);
      const config = [
        // initLimit only bounds a learner's sync with a new leader: 10 s of it, because a JVM
        // that is still loading classes on a loaded machine misses 2 s, and the election then
        // starts over, again and again. syncLimit (1 s) stays what failure tests expect.
        `tickTime=${options.tickTimeMs ?? 200}`,
        `initLimit=${Math.max(10, Math.ceil(10_000 / (options.tickTimeMs ?? 200)))}`, 'syncLimit=5',
        `dataDir=${dataDir}`,
        // ZooKeeper refuses clientPortAddress without clientPort, as corral does.
        ...(options.secureClientsOnly === undefined
          ? [`clientPort=${member.clientPort}`, 'clientPortAddress=127.0.0.1']
          : [`secureClientPort=${member.clientPort}`, 'secureClientPortAddress=127.0.0.1']),
        'admin.enableServer=false', '4lw.commands.whitelist=*', 'extendedTypesEnabled=true',
        'maxClientCnxns=0', ...serverLines, ...(options.extraConfig ?? []),
      ];
      writeFileSync(join(member.dir, 'zoo.cfg'), `${config.join('\n')}\n`);
    }
    return new ZooKeeperEnsemble(dir, members, options);
  }

  get ids(): number[] {
    return [...this.members.keys()];
  }

  private member(id: number): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no server ${id}`);
    return member;
  }

  /** The port clients reach server `id` on (its secure client port with secureClientsOnly). */
  clientPort(id: number): number {
    return this.member(id).clientPort;
  }

  /** Server `id`'s zoo.cfg (a test may append lines before starting it: later keys win). */
  configFile(id: number): string {
    return join(this.member(id).dir, 'zoo.cfg');
  }

  /** host:port,… for the given servers (all by default), as clients take it. */
  connectString(ids: number[] = this.ids): string {
    return ids.map((id) => `127.0.0.1:${this.clientPort(id)}`).join(',');
  }

  output(id: number): string {
    return this.member(id).output;
  }

  /** Starts every server's JVM (`start-foreground` execs java, so the child is the JVM). */
  startAll(): void {
    for (const id of this.members.keys()) this.start(id);
  }

  /** Starts server `id`'s JVM (again, after kill: it keeps its data dir). */
  start(id: number): void {
    const member = this.member(id);
    const child = spawn(zkServerScript, ['start-foreground', join(member.dir, 'zoo.cfg')], {
      env: {
        ...process.env, JMXDISABLE: 'true', ZOOPIDFILE: join(member.dir, 'pid'),
        ZOO_LOG_DIR: member.dir,
        JVMFLAGS: ['-Xmx256m', ...testJvmFlags, `-cp ${classPath}`, '-Dzookeeper.root.logger=INFO,CONSOLE',
          ...(this.options.jvmFlags ?? [])].join(' '),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const keep = (chunk: Buffer): void => {
      member.output += chunk.toString();
      if (member.output.length > outputCharsMax) {
        member.output = member.output.slice(-outputCharsMax / 2);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    member.process = child;
  }

  /** SIGTERMs server `id`'s JVM (an operator's stop) and waits for it to exit. */
  async terminate(id: number): Promise<void> {
    await this.signal(id, 'SIGTERM');
  }

  /** SIGKILLs server `id`'s JVM (one this ensemble started) and waits for it to exit. */
  async kill(id: number): Promise<void> {
    await this.signal(id, 'SIGKILL');
  }

  private async signal(id: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.member(id).process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** What `srvr` says; undefined fields when the server does not answer or does not serve. */
  async status(id: number): Promise<ReplicaStatus> {
    try {
      const text = await fourLetterWord(this.clientPort(id), 'srvr', 2000, '127.0.0.1',
        this.options.secureClientsOnly);
      const mode = /Mode: (\w+)/.exec(text)?.[1] as ReplicaStatus['mode'];
      const zxid = /Zxid: (0x[0-9a-f]+)/.exec(text)?.[1];
      return { mode, zxid: zxid === undefined ? undefined : Number(zxid) };
    } catch {
      return { mode: undefined, zxid: undefined };
    }
  }

  /** Waits until the servers among `ids` (all by default) serve and exactly one of them leads;
   * returns the leader's id. */
  async waitForLeader(timeoutMs = electionTimeoutMs, ids = this.ids): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let modes: Array<ReplicaStatus['mode']> = [];
    while (Date.now() < deadline) {
      modes = (await Promise.all(ids.map((id) => this.status(id)))).map((s) => s.mode);
      const leaders = ids.filter((_, index) => modes[index] === 'leader');
      if (leaders.length === 1 && modes.every((mode) => mode !== undefined)) return leaders[0]!;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no ZooKeeper leader in ${timeoutMs} ms (${modes.join(' ')})`);
  }

  /** The servers whose `srvr` says `Mode: follower`, in id order. */
  async followers(): Promise<number[]> {
    const statuses = await Promise.all(this.ids.map((id) => this.status(id)));
    return this.ids.filter((_, index) => statuses[index]!.mode === 'follower');
  }

  /** SIGKILLs every JVM this ensemble started, waits for each, and removes the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all([...this.members.values()].map(async (member) => {
      const child = member.process;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
