// The real replica processes of a chaos run: one `corral server --config` per replica on
// loopback, each configured to reach its peers through the proxy mesh, with SIGKILL and restart,
// SIGSTOP/SIGCONT, and `srvr` to see who leads. Only processes this run started are signalled.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { askSrvr } from '../../bench/servers.js';
import { corralMain } from '../package-root.js';
import type { ProxyMesh } from './proxy-mesh.js';
import { directoryMode, fileMode } from '../../storage/file-modes.js';

export interface ReplicaPorts {
  client: number;
  quorum: number;
  election: number;
}

export class ReplicaProcesses {
  private readonly children = new Map<number, ChildProcess>();
  private readonly paused = new Set<number>();

  constructor(
    readonly dir: string,
    readonly ports: ReadonlyMap<number, ReplicaPorts>,
    private readonly tickTimeMs: number,
    /** The loopback address every replica and proxy of this run binds. */
    readonly host: string,
    /** The built corral to run (a test importing this file from source names dist's). */
    private readonly main: string = corralMain(),
  ) {}

  get ids(): number[] {
    return [...this.ports.keys()];
  }

  connectString(): string {
    return this.ids.map((id) => `${this.host}:${this.ports.get(id)!.client}`).join(',');
  }

  /**
   * Writes each replica's myid and zoo.cfg: its own line real, its peers through the mesh;
   * `extraLines` are added to every replica's (site.N lines, a bench's switches); `observers`
   * are listed as observers, and run as ones.
   */
  configure(
    mesh: ProxyMesh,
    extraLines: readonly string[] = [],
    observers: ReadonlySet<number> = new Set(),
  ): void {
    for (const [id, own] of this.ports) {
      const dataDir = join(this.dir, `replica-${id}`);
      mkdirSync(dataDir, { recursive: true, mode: directoryMode });
      writeFileSync(join(dataDir, 'myid'), `${id}\n`, { mode: fileMode });
      const servers = this.ids.map((peer) => {
        const quorum = peer === id ? own.quorum : mesh.portFor(id, peer);
        const role = observers.has(peer) ? ':observer' : '';
        return `server.${peer}=${this.host}:${quorum}:${this.ports.get(peer)!.election}${role}`;
      });
      // Limits generous for a short tick on a loaded machine: faults are what should fail here.
      const lines = [
        `tickTime=${this.tickTimeMs}`, 'initLimit=20', 'syncLimit=10', `dataDir=${dataDir}`,
        `clientPort=${own.client}`, `clientPortAddress=${this.host}`, '4lw.commands.whitelist=*',
        'admin.enableServer=false', 'maxClientCnxns=0', ...servers, ...extraLines,
        ...(observers.has(id) ? ['peerType=observer'] : []),
      ];
      writeFileSync(join(dataDir, 'zoo.cfg'), `${lines.join('\n')}\n`, { mode: fileMode });
    }
  }

  isRunning(id: number): boolean {
    const child = this.children.get(id);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  start(id: number): void {
    if (this.isRunning(id)) return;
    const config = join(this.dir, `replica-${id}`, 'zoo.cfg');
    const child = spawn(process.execPath, [this.main, 'server', '--config', config], {
      stdio: 'ignore',
    });
    this.children.set(id, child);
    this.paused.delete(id);
  }

  async kill(id: number): Promise<void> {
    const child = this.children.get(id);
    if (child === undefined || !this.isRunning(id)) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    this.paused.delete(id);
  }

  pause(id: number): void {
    if (!this.isRunning(id) || this.paused.has(id)) return;
    this.children.get(id)!.kill('SIGSTOP');
    this.paused.add(id);
  }

  resume(id: number): void {
    if (!this.paused.delete(id)) return;
    this.children.get(id)?.kill('SIGCONT');
  }

  resumeAll(): void {
    for (const id of [...this.paused]) this.resume(id);
  }

  async status(id: number): Promise<{ mode: string | undefined; zxid: number | undefined }> {
    const text = await askSrvr(this.ports.get(id)!.client, this.host);
    const zxid = /Zxid: (0x[0-9a-f]+)/.exec(text)?.[1];
    const mode = /Mode: (\w+)/.exec(text)?.[1];
    return { mode, zxid: zxid === undefined ? undefined : Number(zxid) };
  }

  /**
   * Waits (bounded) until all replicas serve one leader at one zxid; returns that zxid. A
   * replica that exited meanwhile (not killed by this run) is started again.
   */
  async settled(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of this.ids) if (!this.isRunning(id)) this.start(id);
      const statuses = await Promise.all(this.ids.map((id) => this.status(id)));
      const leaders = statuses.filter((status) => status.mode === 'leader').length;
      const zxids = new Set(statuses.map((status) => status.zxid));
      const serving = statuses.every((status) => status.mode !== undefined);
      if (serving && leaders === 1 && zxids.size === 1) return statuses[0]!.zxid;
      await new Promise((done) => setTimeout(done, 200));
    }
    return undefined;
  }

  async stopAll(): Promise<void> {
    this.resumeAll();
    await Promise.all(this.ids.map((id) => this.kill(id)));
  }
}
