// A real corral ensemble for tests: N replica processes (`node dist/cli/main.js server --config`)
// on loopback ports in one temp dir, each with its zoo.cfg and myid as an operator would write
// them; replicas can be SIGKILLed, paused (SIGSTOP/SIGCONT), wiped and restarted by id.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from './child-processes.js';
import { corralMain } from './corral.js';
import { fourLetterWord, type FourLetterTls } from './four-letter.js';
import { freePorts } from './ports.js';

export interface ReplicaStatus {
  mode: 'leader' | 'follower' | 'observer' | 'standalone' | undefined;
  zxid: number | undefined;
}

export interface EnsembleOptions {
  /** Voting replicas (ids 1..voters). */
  voters: number;
  /** Observers, numbered after the voters. */
  observers?: number;
  tickTimeMs?: number;
  /** Extra zoo.cfg lines for every replica. */
  extraConfig?: string[];
  /** Gives every replica an admin HTTP server on 127.0.0.1 (its port: adminPort(id)). */
  adminServers?: boolean;
  /**
   * Serve clients on a secure client port only (secureClientPort at clientPort(id) on
   * 127.0.0.1, no plaintext clientPort); status() then asks `srvr` over TLS with these client
   * options. The ssl.* keys themselves belong in extraConfig.
   */
  secureClientsOnly?: FourLetterTls;
}

export interface RestartOptions {
  /**
   * zoo.cfg `key=value` lines for this replica from now on: each replaces the lines of its key
   * in the file as it is now (a committed reconfig may have rewritten it), or is appended.
   */
  extraConfig?: string[];
}

interface Replica {
  id: number;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  adminPort: number;
  dataDir: string;
  config: string;
  process: ChildProcess | undefined;
  output: string;
}

const startTimeoutMs = 20_000;

export class TestEnsemble {
  private constructor(
    readonly dir: string,
    private readonly replicas: Map<number, Replica>,
    private readonly statusTls: FourLetterTls | undefined,
  ) {}

  static async create(options: EnsembleOptions): Promise<TestEnsemble> {
    const dir = mkdtempSync(join(tmpdir(), 'corral-ensemble-'));
    const count = options.voters + (options.observers ?? 0);
    const replicas = new Map<number, Replica>();
    const ports = await freePorts(4 * count);
    for (let id = 1; id <= count; id++) {
      const dataDir = join(dir, `replica-${id}`);
      const [clientPort, quorumPort, electionPort, adminPort] = ports.slice(4 * (id - 1), 4 * id);
      replicas.set(id, {
        id,
        clientPort: clientPort!,
        quorumPort: quorumPort!,
        electionPort: electionPort!,
        adminPort: adminPort!,
        dataDir,
        config: join(dir, `zoo-${id}.cfg`),
        process: undefined,
        output: '',
      });
    }
    const serverLines = [...replicas.values()].map((replica) => {
      const observer = replica.id > options.voters ? ':observer' : '';
      const ports = `${replica.quorumPort}:${replica.electionPort}`;
      return `server.${replica.id}=127.0.0.1:${ports}${observer}`;
    });
    for (const replica of replicas.values()) {
      mkdirSync(replica.dataDir, { recursive: true });
      writeFileSync(join(replica.dataDir, 'myid'), `${replica.id}\n`);
      const lines = [
        `tickTime=${options.tickTimeMs ?? 200}`,
        // Generous for a 200 ms tick: a loaded 2-core machine stalls processes for a second at
        // times, and a dead peer is noticed by its socket closing, not by these limits.
        'initLimit=20',
        'syncLimit=10',
        `dataDir=${replica.dataDir}`,
        ...(options.secureClientsOnly === undefined
          ? [`clientPort=${replica.clientPort}`, 'clientPortAddress=127.0.0.1']
          : [`secureClientPort=${replica.clientPort}`, 'secureClientPortAddress=127.0.0.1']),
        '4lw.commands.whitelist=*',
        ...(options.adminServers === true
          ? ['admin.enableServer=true', 'admin.serverAddress=127.0.0.1',
            `admin.serverPort=${replica.adminPort}`]
          : ['admin.enableServer=false']),
        ...(replica.id > options.voters ? ['peerType=observer'] : []),
        ...serverLines,
        ...(options.extraConfig ?? []),
      ];
      writeFileSync(replica.config, `${lines.join('\n')}\n`);
    }
    return new TestEnsemble(dir, replicas, options.secureClientsOnly);
  }

  get ids(): number[] {
    return [...this.replicas.keys()];
  }

  private replica(id: number): Replica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new Error(`no replica ${id}`);
    return replica;
  }

  /** The port clients reach replica `id` on (its secure client port with secureClientsOnly). */
  clientPort(id: number): number {
    return this.replica(id).clientPort;
  }

  /** Replica `id`'s zoo.cfg (a test may append lines before starting it: later keys win). */
  configFile(id: number): string {
    return this.replica(id).config;
  }

  adminPort(id: number): number {
    return this.replica(id).adminPort;
  }

  /** Where peers (and a test's scripted stranger) reach replica `id`. */
  quorumPort(id: number): number {
    return this.replica(id).quorumPort;
  }

  /** host:port,… for the given replicas (all by default), as clients take it. */
  connectString(ids: number[] = this.ids): string {
    return ids.map((id) => `127.0.0.1:${this.clientPort(id)}`).join(',');
  }

  output(id: number): string {
    return this.replica(id).output;
  }

  /** The last `lines` lines a replica logged, for failure messages. */
  tail(id: number, lines: number): string {
    return this.replica(id).output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  pid(id: number): number | undefined {
    return this.replica(id).process?.pid;
  }

  isRunning(id: number): boolean {
    const child = this.replica(id).process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Starts a replica's process (it keeps its data dir across restarts). */
  start(id: number): void {
    const replica = this.replica(id);
    if (this.isRunning(id)) throw new Error(`replica ${id} is already running`);
    const child = spawn(process.execPath, [corralMain, 'server', '--config', replica.config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    const keep = (chunk: Buffer) => {
      replica.output += chunk.toString();
      // Bounded: the last 2 MB is all a failing test ever shows.
      if (replica.output.length > 4_000_000) replica.output = replica.output.slice(-2_000_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    replica.process = child;
  }

  startAll(order: number[] = this.ids): void {
    for (const id of order) this.start(id);
  }

  /** SIGKILL: the replica loses everything not yet durable. */
  async kill(id: number): Promise<void> {
    await this.signalAndWait(id, 'SIGKILL');
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(id: number): Promise<void> {
    const child = this.replica(id).process;
    if (child === undefined || !this.isRunning(id)) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.signalAndWait(id, 'SIGTERM');
    clearTimeout(timer);
  }

  private async signalAndWait(id: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.replica(id).process;
    if (child === undefined || !this.isRunning(id)) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /**
   * A graceful restart, as an operator rolls one: SIGTERM (SIGKILL after 5 s), the zoo.cfg
   * changes asked for, then a new process on the same data dir. Does not wait for it to serve.
   */
  async restart(id: number, options: RestartOptions = {}): Promise<void> {
    await this.stop(id);
    if (options.extraConfig !== undefined) this.setConfig(id, options.extraConfig);
    this.start(id);
  }

  /** Sets `key=value` lines in a replica's zoo.cfg: each replaces its key's lines, or is added. */
  setConfig(id: number, lines: string[]): void {
    const file = this.replica(id).config;
    const keyOf = (line: string) => line.slice(0, line.indexOf('=')).trim();
    const keys = new Set(lines.map((line) => {
      if (!line.includes('=')) throw new Error(`not a key=value line: ${line}`);
      return keyOf(line);
    }));
    const kept = readFileSync(file, 'utf8').split('\n')
      .filter((line) => line.trim() !== '' && !(line.includes('=') && keys.has(keyOf(line))));
    writeFileSync(file, `${[...kept, ...lines].join('\n')}\n`);
  }

  /**
   * The wire version of each peer link the running process of replica `id` has established, by
   * peer id (the latest `peer connected` line it logged; needs the default JSON log format).
   */
  peerLinkVersions(id: number): Map<number, number> {
    const pid = this.pid(id);
    const versions = new Map<number, number>();
    if (pid === undefined) return versions;
    for (const line of this.replica(id).output.split('\n')) {
      if (!line.includes('"peer connected"')) continue;
      try {
        const entry = JSON.parse(line) as { pid?: number; peer?: number; version?: number };
        if (entry.pid !== pid || entry.peer === undefined || entry.version === undefined) continue;
        versions.set(entry.peer, entry.version);
      } catch {
        // A line cut by the output bound is not a record.
      }
    }
    return versions;
  }

  pause(id: number): void {
    this.replica(id).process?.kill('SIGSTOP');
  }

  resume(id: number): void {
    this.replica(id).process?.kill('SIGCONT');
  }

  /** Deletes a stopped replica's data, keeping its myid (an operator replacing a disk). */
  wipe(id: number): void {
    const replica = this.replica(id);
    if (this.isRunning(id)) throw new Error(`replica ${id} is running`);
    rmSync(replica.dataDir, { recursive: true, force: true });
    mkdirSync(replica.dataDir, { recursive: true });
    writeFileSync(join(replica.dataDir, 'myid'), `${id}\n`);
  }

  /** What `srvr` says; undefined fields when it does not answer or does not serve. */
  async status(id: number): Promise<ReplicaStatus> {
    try {
      const text = await fourLetterWord(this.clientPort(id), 'srvr', 2000, '127.0.0.1',
        this.statusTls);
      const mode = /Mode: (\w+)/.exec(text)?.[1] as ReplicaStatus['mode'];
      const zxid = /Zxid: (0x[0-9a-f]+)/.exec(text)?.[1];
      return { mode, zxid: zxid === undefined ? undefined : Number(zxid) };
    } catch {
      return { mode: undefined, zxid: undefined };
    }
  }

  /**
   * Waits until the running replicas among `ids` all serve, exactly one of the voters leads,
   * and returns the leader's id.
   */
  async waitForLeader(ids: number[] = this.runningIds(), timeoutMs = startTimeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last: ReplicaStatus[] = [];
    while (Date.now() < deadline) {
      last = await Promise.all(ids.map((id) => this.status(id)));
      const leaders = ids.filter((_, index) => last[index]!.mode === 'leader');
      const serving = last.every((status) => status.mode !== undefined);
      if (serving && leaders.length === 1) return leaders[0]!;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const summary = ids.map((id, index) => `${id}:${last[index]?.mode ?? 'down'}`).join(' ');
    const logs = ids.map((id) => `--- replica ${id}\n${this.tail(id, 15)}`).join('\n');
    const problem = `no single leader among ${ids.join(',')} in ${timeoutMs} ms (${summary})`;
    throw new Error(`${problem}\n${logs}`);
  }

  /** Waits until every running replica among `ids` reports the same zxid; returns it. */
  async waitForSameZxid(ids: number[] = this.runningIds(), timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let zxids: Array<number | undefined> = [];
    while (Date.now() < deadline) {
      zxids = (await Promise.all(ids.map((id) => this.status(id)))).map((status) => status.zxid);
      if (zxids[0] !== undefined && zxids.every((zxid) => zxid === zxids[0])) return zxids[0];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replicas ${ids.join(',')} never agreed on a zxid: ${zxids.join(' ')}`);
  }

  /** The running replicas among `ids` whose `srvr` says `Mode: follower`, in id order. */
  async followers(ids: number[] = this.runningIds()): Promise<number[]> {
    const statuses = await Promise.all(ids.map((id) => this.status(id)));
    return ids.filter((_, index) => statuses[index]!.mode === 'follower');
  }

  runningIds(): number[] {
    return this.ids.filter((id) => this.isRunning(id));
  }

  /** Stops every replica (resuming paused ones first) and removes the temp dir. */
  async destroy(): Promise<void> {
    for (const id of this.runningIds()) this.resume(id);
    await Promise.all(this.runningIds().map((id) => this.kill(id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
