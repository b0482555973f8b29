// The scale benchmark's helper threads: a pool of raw sessions (opened, watching, counting
// notifications) or a probe session issuing small getData requests back to back. Each runs on
// its own event loop, so the time the benchmark's main thread spends decoding a 100k-child reply
// or fanning out writes is never charged to the server as a stall. A helper can also be a
// process of its own (the wide-children probe is: nothing of it is shared with the main
// thread's heap or V8's helper threads). The same file holds the main thread's handle
// (ScaleWorker) and, when loaded as a worker or forked, the helper's body.

import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { WireConnection } from '../client/wire.js';
import {
  nowAbsoluteMs,
  RawSessionPool,
  type OpenFigures,
  type RawSessionPoolOptions,
} from './scale-raw-sessions.js';

export type WorkerCommand =
  | { command: 'open'; options: RawSessionPoolOptions; count: number }
  | { command: 'watch'; path: string }
  | { command: 'notified'; expected: number; timeoutMs: number }
  | { command: 'status' }
  | { command: 'probe-start'; host: string; port: number; path: string }
  | { command: 'probe-stop'; fromMs: number; toMs: number }
  | { command: 'wide-read'; host: string; port: number; path: string; calls: number;
    children: number; frameBytesMax: number; nice: number }
  | { command: 'close' };

export type WorkerReply =
  | { event: 'opened'; figures: OpenFigures }
  | { event: 'watching' }
  | { event: 'notified'; notifications: number; lastAtMs: number }
  | { event: 'status'; open: number; failure: string | undefined }
  | { event: 'probing' }
  | { event: 'probe'; worstMs: number; p99Ms: number; samplesInWindow: number }
  | { event: 'wide-read'; latenciesMs: number[]; fromMs: number; toMs: number }
  | { event: 'closed' }
  | { event: 'error'; message: string };

/** The longest a command may take (opening 10k sessions on a loaded machine included). */
const askTimeoutMs = 180_000;

/** Set in a forked helper's environment: it answers over the process's IPC channel. */
const forkedHelperVariable = 'CORRAL_SCALE_HELPER';

/** What the main thread talks to: a worker thread or a forked process. */
interface HelperChannel {
  on(event: 'error', listener: (error: Error) => void): unknown;
  onceMessage(listener: (reply: WorkerReply) => void): unknown;
  onceError(listener: (error: Error) => void): unknown;
  send(command: WorkerCommand): void;
  end(): Promise<unknown>;
}

function threadChannel(): HelperChannel {
  const worker = new Worker(new URL(import.meta.url));
  return {
    on: (event, listener) => worker.on(event, listener),
    onceMessage: (listener) => worker.once('message', listener),
    onceError: (listener) => worker.once('error', listener),
    send: (command) => worker.postMessage(command),
    end: () => worker.terminate(),
  };
}

function processChannel(): HelperChannel {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [],
    { env: { ...process.env, [forkedHelperVariable]: '1' }, stdio: 'inherit' });
  return {
    on: (event, listener) => child.on(event, listener),
    onceMessage: (listener) => child.once('message', listener),
    onceError: (listener) => child.once('error', listener),
    send: (command) => void child.send(command),
    end: () => new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        done();
        return;
      }
      child.once('exit', () => done());
      child.kill('SIGKILL');
    }),
  };
}

/** The main thread's side: one command at a time, each answered by one reply. */
export class ScaleWorker {
  private readonly worker: HelperChannel;
  private failure: Error | undefined;

  /** A worker thread, or with `ownProcess` a forked process. */
  constructor(options: { ownProcess?: boolean } = {}) {
    this.worker = options.ownProcess === true ? processChannel() : threadChannel();
    this.worker.on('error', (error) => (this.failure = error));
  }

  /** Sends `command` and waits, at most `timeoutMs`, for the reply `event`. */
  async ask<Event extends WorkerReply['event']>(
    command: WorkerCommand,
    event: Event,
    timeoutMs = askTimeoutMs,
  ): Promise<Extract<WorkerReply, { event: Event }>> {
    if (this.failure !== undefined) throw this.failure;
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`worker: no ${event} within ${timeoutMs} ms`)),
        timeoutMs);
      this.worker.onceMessage(resolve);
      this.worker.onceError(reject);
      this.worker.send(command);
    }).finally(() => clearTimeout(timer));
    if (reply.event === 'error') throw new Error(reply.message);
    if (reply.event !== event) throw new Error(`worker answered ${reply.event}, not ${event}`);
    return reply as Extract<WorkerReply, { event: Event }>;
  }

  /** Closes what the thread holds and ends it. */
  async close(): Promise<void> {
    try {
      await this.ask({ command: 'close' }, 'closed');
    } finally {
      await this.worker.end();
    }
  }
}

const pollMs = 2;

/** A session reading one small node back to back, keeping each request's start and duration. */
class Probe {
  private readonly startsMs: number[] = [];
  private readonly durationsMs: number[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  async start(host: string, port: number, path: string): Promise<void> {
    const connection = await WireConnection.open({ host, port, timeoutMs: 30_000 });
    this.loop = (async () => {
      while (!this.stopped) {
        const startedMs = nowAbsoluteMs();
        const { header } = await connection.request({ kind: 'getData', path, watch: false });
        if (header.err !== 0) throw new Error(`probe getData failed with ${header.err}`);
        this.startsMs.push(startedMs);
        this.durationsMs.push(nowAbsoluteMs() - startedMs);
      }
      connection.destroy();
    })();
  }

  /** The longest request that overlapped [fromMs, toMs], and the p99 of those requests. */
  async stop(fromMs: number, toMs: number):
    Promise<{ worstMs: number; p99Ms: number; samples: number }> {
    this.stopped = true;
    await this.loop;
    const overlapping: number[] = [];
    for (let index = 0; index < this.startsMs.length; index++) {
      const startMs = this.startsMs[index]!;
      const durationMs = this.durationsMs[index]!;
      if (startMs > toMs || startMs + durationMs < fromMs) continue;
      overlapping.push(durationMs);
    }
    overlapping.sort((left, right) => left - right);
    const p99Index = Math.max(0, Math.ceil(0.99 * overlapping.length) - 1);
    return { worstMs: overlapping.at(-1) ?? 0, p99Ms: overlapping[p99Index] ?? 0,
      samples: overlapping.length };
  }
}

/**
 * Sets this process's niceness on every one of its threads. Linux keeps a niceness per thread,
 * and setPriority(n) changes only the calling one: V8's garbage-collection helpers and libuv's
 * pool, started with the process, kept niceness 0 and took a core from the server and the probe
 * while this process decoded 100k names (perf sched showed them running for ~600 ms of a 2 s
 * window). Threads started later inherit it from the main thread.
 */
function niceEveryThread(nice: number): void {
  setPriority(nice);
  // A worker thread shares its process with the benchmark: only the thread itself is niced.
  if (!isMainThread) return;
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return; // Not Linux: the process's own niceness is what there is.
  }
  for (const thread of threads) {
    try {
      setPriority(Number(thread), nice);
    } catch {
      // The thread ended meanwhile.
    }
  }
}

/**
 * getChildren of `path` `calls` times in a row, each checked for `children` names, from a process
 * at niceness `nice`: the load a wide-children row puts on the server, decoded where it does not
 * take a core from the server or the probe it is measured against (on 2 cores, three busy
 * processes leave one of them waiting for a core most of the time).
 */
export async function wideRead(message: Extract<WorkerCommand, { command: 'wide-read' }>):
  Promise<Extract<WorkerReply, { event: 'wide-read' }>> {
  if (message.nice !== 0) niceEveryThread(message.nice);
  const { host, port, path, calls, children, frameBytesMax } = message;
  const reader = await WireConnection.open({ host, port, timeoutMs: 30_000, frameBytesMax });
  try {
    const latenciesMs: number[] = [];
    const fromMs = nowAbsoluteMs();
    for (let call = 0; call < calls; call++) {
      const sentAt = performance.now();
      const { header, body } = await reader.request({ kind: 'getChildren', path, watch: false });
      latenciesMs.push(performance.now() - sentAt);
      if (header.err !== 0 || body.kind !== 'children' || body.children.length !== children) {
        throw new Error(`getChildren answered err ${header.err} with the wrong children`);
      }
    }
    return { event: 'wide-read', latenciesMs, fromMs, toMs: nowAbsoluteMs() };
  } finally {
    reader.destroy();
  }
}

async function waitNotified(pool: RawSessionPool, expected: number, timeoutMs: number):
  Promise<WorkerReply> {
  const deadline = performance.now() + timeoutMs;
  while (pool.notifications < expected && performance.now() < deadline) {
    if (pool.failed !== undefined) throw pool.failed;
    await new Promise((done) => setTimeout(done, pollMs));
  }
  return { event: 'notified', notifications: pool.notifications,
    lastAtMs: pool.lastNotificationAtMs };
}

/** The helper's end of its channel: the worker port, or the forked process's IPC. */
interface HelperPort {
  on(event: 'message', listener: (message: WorkerCommand) => void): unknown;
  postMessage(reply: WorkerReply): void;
}

function helperPort(): HelperPort {
  if (parentPort !== null) return parentPort;
  return {
    on: (event, listener) => process.on(event, listener),
    postMessage: (reply) => void process.send!(reply),
  };
}

function runWorker(): void {
  const port = helperPort();
  let pool: RawSessionPool | undefined;
  let probe = new Probe();
  const handle = async (message: WorkerCommand): Promise<WorkerReply> => {
    switch (message.command) {
      case 'open':
        pool = new RawSessionPool(message.options);
        return { event: 'opened', figures: await pool.open(message.count) };
      case 'watch':
        await pool!.watch(message.path);
        if (pool!.failed !== undefined) throw pool!.failed;
        return { event: 'watching' };
      case 'notified':
        return waitNotified(pool!, message.expected, message.timeoutMs);
      case 'status':
        return { event: 'status', open: pool?.openSessions ?? 0, failure: pool?.failed?.message };
      case 'probe-start':
        // A probe per window: a control window, then the measured one.
        probe = new Probe();
        await probe.start(message.host, message.port, message.path);
        return { event: 'probing' };
      case 'probe-stop': {
        const { worstMs, p99Ms, samples } = await probe.stop(message.fromMs, message.toMs);
        return { event: 'probe', worstMs, p99Ms, samplesInWindow: samples };
      }
      case 'wide-read':
        return wideRead(message);
      case 'close':
        pool?.close();
        return { event: 'closed' };
    }
  };
  port.on('message', (message: WorkerCommand) => {
    handle(message).then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ event: 'error',
        message: error instanceof Error ? error.message : String(error) }),
    );
  });
}

if (!isMainThread || process.env[forkedHelperVariable] === '1') runWorker();
