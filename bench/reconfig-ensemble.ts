// An ensemble whose membership a test or benchmark changes with reconfig, run as real processes of
// either Apache ZooKeeper 3.8 (one JVM per server) or corral (`node dist/cli/main.js server`), from
// the same zoo.cfg files an operator would write: reconfigEnabled, the 3.5+ server lines with their
// client address, a super user's digest. A server that joins later is started with the current
// members plus itself, as ZooKeeper's guide has it. One script then runs against both
// (test/interop/reconfig-*.test.ts, bench/reconfig.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { askSrvr, freePorts, zkServerScript } from './servers.js';

/** The built CLI: beside this file once built (dist/bench), or under dist/ from the source. */
const here = dirname(fileURLToPath(import.meta.url));
const corralMain = existsSync(join(here, '..', 'cli', 'main.js'))
  ? join(here, '..', 'cli', 'main.js')
  : join(here, '..', 'dist', 'cli', 'main.js');
const classPath = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:' +
  '/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar';

export type Implementation = 'zookeeper' | 'corral';

interface Server {
  id: number;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  dir: string;
  process: ChildProcess | undefined;
  output: string;
}

export interface ReconfigEnsembleOptions {
  implementation: Implementation;
  /** Every server the test may run, ids 1..size. */
  size: number;
  tickTimeMs?: number;
  /** The super user's digest id (`super:<base64 sha1>`), for reconfig's ACL check. */
  superDigest: string;
  extraConfig?: string[];
}

const outputCharsMax = 1_000_000;

export class ReconfigEnsemble {
  private constructor(
    readonly options: ReconfigEnsembleOptions,
    readonly dir: string,
    private readonly servers: Map<number, Server>,
  ) {}

  static async create(options: ReconfigEnsembleOptions): Promise<ReconfigEnsemble> {
    const dir = mkdtempSync(join(tmpdir(), `corral-reconfig-${options.implementation}-`));
    const ports = await freePorts(options.size * 3);
    const servers = new Map<number, Server>();
    for (let id = 1; id <= options.size; id++) {
      const [clientPort, quorumPort, electionPort] = ports.slice((id - 1) * 3, id * 3) as
        [number, number, number];
      const serverDir = join(dir, `server-${id}`);
      mkdirSync(join(serverDir, 'data'), { recursive: true });
      writeFileSync(join(serverDir, 'data', 'myid'), `${id}\n`);
      servers.set(id, { id, clientPort, quorumPort, electionPort, dir: serverDir,
        process: undefined, output: '' });
    }
    return new ReconfigEnsemble(options, dir, servers);
  }

  private server(id: number): Server {
    const server = this.servers.get(id);
    if (server === undefined) throw new Error(`no server ${id}`);
    return server;
  }

  /** `server.N=127.0.0.1:q:e:role;127.0.0.1:c`, the line a reconfig -add names. */
  serverLine(id: number, role: 'participant' | 'observer' = 'participant'): string {
    const server = this.server(id);
    return `server.${id}=127.0.0.1:${server.quorumPort}:${server.electionPort}:${role};` +
      `127.0.0.1:${server.clientPort}`;
  }

  clientPort(id: number): number {
    return this.server(id).clientPort;
  }

  connectString(ids: number[]): string {
    return ids.map((id) => `127.0.0.1:${this.clientPort(id)}`).join(',');
  }

  configFile(id: number): string {
    return join(this.server(id).dir, 'zoo.cfg');
  }

  output(id: number): string {
    return this.server(id).output;
  }

  /** Writes server `id`'s zoo.cfg naming `members` (with roles), then starts it. */
  start(id: number, members: Array<number | [number, 'participant' | 'observer']>): void {
    const server = this.server(id);
    const lines = members.map((member) =>
      typeof member === 'number' ? this.serverLine(member) : this.serverLine(...member));
    const config = [
      `tickTime=${this.options.tickTimeMs ?? 200}`, 'initLimit=10', 'syncLimit=5',
      `dataDir=${join(server.dir, 'data')}`,
      'reconfigEnabled=true', 'standaloneEnabled=false',
      'admin.enableServer=false', '4lw.commands.whitelist=*',
      `DigestAuthenticationProvider.superDigest=${this.options.superDigest}`,
      ...lines, ...(this.options.extraConfig ?? []),
    ];
    writeFileSync(this.configFile(id), `${config.join('\n')}\n`);
    this.spawnServer(server);
  }

  /**
   * Starts server `id` again from the zoo.cfg it has now (a reconfig may have rewritten it to
   * name a dynamic file), after kill.
   */
  restart(id: number): void {
    this.spawnServer(this.server(id));
  }

  /**
   * Gives server `id` new ports (for a reconfig that moves it): its line and client port say
   * them from now on. Returns the new server line.
   */
  async move(id: number, role: 'participant' | 'observer' = 'participant'): Promise<string> {
    const server = this.server(id);
    [server.clientPort, server.quorumPort, server.electionPort] =
      await freePorts(3) as [number, number, number];
    return this.serverLine(id, role);
  }

  private spawnServer(server: Server): void {
    const id = server.id;
    server.process = this.options.implementation === 'zookeeper'
      ? spawn(zkServerScript, ['start-foreground', this.configFile(id)], {
        env: {
          ...process.env, JMXDISABLE: 'true', ZOOPIDFILE: join(server.dir, 'pid'),
          ZOO_LOG_DIR: server.dir,
          JVMFLAGS: ['-Xmx256m', `-cp ${classPath}`, '-Dzookeeper.root.logger=INFO,CONSOLE']
            .join(' '),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      : spawn(process.execPath, [corralMain, 'server', '--config', this.configFile(id),
        '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      server.output += chunk.toString();
      if (server.output.length > outputCharsMax) {
        server.output = server.output.slice(-outputCharsMax / 2);
      }
    };
    server.process.stdout?.on('data', keep);
    server.process.stderr?.on('data', keep);
  }

  /** SIGKILLs server `id` (a process this ensemble started) and waits for it to exit. */
  async kill(id: number): Promise<void> {
    const child = this.server(id).process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** `srvr`'s Mode, or undefined when the server does not answer or does not serve. */
  async mode(id: number): Promise<string | undefined> {
    return /Mode: (\w+)/.exec(await askSrvr(this.clientPort(id)))?.[1];
  }

  /** Ids of the servers this ensemble started that still run. */
  running(): number[] {
    return [...this.servers.values()]
      .filter((server) => server.process !== undefined && server.process.exitCode === null &&
        server.process.signalCode === null)
      .map((server) => server.id);
  }

  /** Waits until each of `ids` serves and exactly one leads; returns the leader. */
  async waitForLeader(ids: number[], timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let modes: Array<string | undefined> = [];
    while (Date.now() < deadline) {
      modes = await Promise.all(ids.map((id) => this.mode(id)));
      const leaders = ids.filter((_, index) => modes[index] === 'leader');
      if (leaders.length === 1 && modes.every((mode) => mode !== undefined)) return leaders[0]!;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.options.implementation}: no leader among ${ids.join(',')} in ` +
      `${timeoutMs} ms (modes ${modes.join(' ')})`);
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.kill(id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
