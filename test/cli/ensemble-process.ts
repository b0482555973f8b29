// `corral ensemble` as a real process for the tests of test/cli/: spawned from dist/, its own
// lines kept whole (the banner, what it keeps) and its replicas' logs kept as a bounded tail, then
// stopped with SIGINT as Ctrl-C stops it. Also the wire helpers those tests read replicas with.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { WireConnection } from '../../client/wire.js';
import type { ClientRequest } from '../../protocol/requests.js';

export const corralRoot = resolve(import.meta.dirname, '../..');
export const corralMainJs = resolve(corralRoot, 'dist/cli/main.js');

/** The replicas' logs kept for a failure message: the last this many characters. */
const replicaOutputCharsMax = 200_000;

export class EnsembleProcess {
  /** Lines of the supervisor itself (not `[replica-i] …`), in order. */
  readonly lines: string[] = [];
  private replicaOutput = '';
  private partial = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    const take = (chunk: Buffer): void => {
      const text = this.partial + chunk.toString();
      const pieces = text.split('\n');
      this.partial = pieces.pop() ?? '';
      for (const line of pieces) {
        if (line.startsWith('[replica-')) {
          this.replicaOutput = `${this.replicaOutput}${line}\n`.slice(-replicaOutputCharsMax);
        } else {
          this.lines.push(line);
        }
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static start(args: readonly string[], cwd: string): EnsembleProcess {
    const child = spawn(process.execPath, [corralMainJs, 'ensemble', ...args],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    return new EnsembleProcess(child);
  }

  /** Everything seen so far, for failure messages. */
  report(): string {
    return `${this.lines.join('\n')}\n--- replicas (tail) ---\n${this.replicaOutput}`;
  }

  /** The PIDs of the replicas it said it started. */
  replicaPids(): number[] {
    return this.lines.flatMap((line) => /started replica-\d+ \(pid (\d+)\)/.exec(line)?.[1] ?? [])
      .map(Number);
  }

  /** Waits for a line of its own matching `pattern`; returns it. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    let found: string | undefined;
    await until(() => (found = this.lines.find((line) => pattern.test(line))) !== undefined,
      timeoutMs, () => this.report());
    return found!;
  }

  /** SIGINT (Ctrl-C); resolves with the exit code, or 'timeout'. */
  async interrupt(timeoutMs: number): Promise<number | null | 'timeout'> {
    this.child.kill('SIGINT');
    return Promise.race([this.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
  }

  /** SIGKILLs it and any replica it started that is still alive (after a failed test). */
  killAll(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
    for (const pid of this.replicaPids().filter(isAlive)) process.kill(pid, 'SIGKILL');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `check` every 100 ms until it holds, failing after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  report: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms:\n${report()}`);
    await sleep(100);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * A base port whose client, quorum, election and admin ranges (base, base + 1000, base + 2000,
 * base + 3000, each `replicas` long) are all free. Drawn from 10000-28999, below Linux's ephemeral
 * ports, so an outgoing connection elsewhere cannot take one of them meanwhile.
 */
export async function freeBasePort(replicas: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 10_000 + Math.floor(Math.random() * 19_000);
    const ports = [0, 1000, 2000, 3000].flatMap((offset) =>
      Array.from({ length: replicas }, (_, index) => base + offset + index));
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free base port found in 50 attempts');
}

/** Runs `requests` on one new session of the replica at `port`; the replies' bodies or errors. */
export async function onSession<T>(
  port: number,
  use: (request: (request: ClientRequest) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  const connection = await WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  try {
    return await use(async (request) => {
      const reply = await connection.request(request);
      if (reply.header.err !== 0) {
        throw new Error(`${request.kind} on port ${port} answered error ${reply.header.err}`);
      }
      return reply.body;
    });
  } finally {
    await connection.close();
  }
}

/** The server ids /zookeeper/config names on the replica at `port`, after a sync. */
export async function configuredIds(port: number): Promise<number[]> {
  return onSession(port, async (request) => {
    await request({ kind: 'sync', path: '/zookeeper/config' });
    const body = await request({ kind: 'getData', path: '/zookeeper/config', watch: false });
    const text = (body as { data?: Buffer | null }).data?.toString('utf8') ?? '';
    return text.split('\n').flatMap((line) => /^server\.(\d+)=/.exec(line)?.[1] ?? [])
      .map(Number).sort((first, second) => first - second);
  });
}
