// The scale benchmark's latency rows, each on a fresh standalone server: getChildren of a node
// with N children (and the worst stall a probe session on its own thread saw meanwhile), the
// setData that fires an N-session watch herd (its reply, the last notification, and the worst
// write of other sessions during the fan-out), and standalone setData/create throughput.

import { loadavg } from 'node:os';
import { WireConnection, type ClientRequest } from '../client/wire.js';
import { waitQuiet } from './proc-cpu.js';
import { nowAbsoluteMs } from './scale-raw-sessions.js';
import { writeSettings } from './scale-ensemble.js';
import { progress, withServer, type Measurement } from './scale-rows.js';
import { ScaleWorker, wideRead as wideReadHere } from './scale-worker.js';
import { createRequest, measureWorkload } from './workload.js';

const host = '127.0.0.1';
const createsInFlight = 500;
/** A 100k-child reply is about 0.8 MB; room for larger --children. */
const wideReplyBytesMax = 64 << 20;
const sessionsPerWorker = 5000;
const herdWriters = 4;
const notifiedTimeoutMs = 120_000;

async function expectOk(connection: WireConnection, request: ClientRequest): Promise<void> {
  const { header } = await connection.request(request);
  if (header.err !== 0) throw new Error(`${request.kind} failed with ${header.err}`);
}

/** Creates `parent` and `count` empty children named c<base 36 index>, many in flight. */
async function createChildren(connection: WireConnection, parent: string, count: number):
  Promise<void> {
  await expectOk(connection, createRequest(parent));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      await expectOk(connection, createRequest(`${parent}/c${(next++).toString(36)}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(createsInFlight, count) }, lane));
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], percent: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Row `wide-children`: sequential getChildren calls (their latency), then as many again while a
 * probe process reads back to back (its worst wait), then the probe alone as long (the control:
 * the worst wait this machine gives it with nothing else asked of the server).
 */
export const wideChildrenMeasurement: Measurement = {
  rows: ['wide-children'],
  run: (system, sizes) => withServer(system, async (server) => {
    const setup = await WireConnection.open({ host, port: server.port, timeoutMs: 30_000 });
    await createChildren(setup, '/wide', sizes.children);
    await expectOk(setup, createRequest('/probe', Buffer.alloc(32, 0x70)));
    await setup.close();
    // The creates end in a snapshot (snapCount txns) and leave JIT and GC work behind; what the
    // probe measures is the getChildren calls, so they start once the server has gone quiet.
    const quietFromMs = performance.now();
    const quiet = await waitQuiet(server.pid);
    // The machine's load goes with the figures: on 2 cores shared with other work, a probe's
    // worst wait is mostly the time a server spends runnable but not running.
    progress(`${system}: ${quiet ? 'quiet' : 'still busy'} after ` +
      `${((performance.now() - quietFromMs) / 1000).toFixed(1)} s; machine load average ` +
      `${loadavg()[0]!.toFixed(1)}`);
    const read = { command: 'wide-read', host, port: server.port, path: '/wide',
      calls: sizes.getChildrenCalls, children: sizes.children,
      frameBytesMax: wideReplyBytesMax } as const;
    // First the getChildren latency, as a client alone with the server sees it.
    const { latenciesMs } = await wideReadHere({ ...read, nice: 0 });
    // Then the stall, with the same calls again while a probe reads back to back. The probe is
    // a process of its own (CORRAL_SCALE_PROBE=thread puts it back on a worker thread of this
    // process, to compare the two). So is the reader of the wide node, at niceness 19: clients
    // run on other machines, and here the decoding of its 100k names would otherwise take a
    // core from the server or the probe whenever the three are busy at once on 2 cores
    // (CORRAL_SCALE_WIDE_READER=main reads on this process's main thread at its priority
    // instead, to compare).
    const probe = new ScaleWorker({ ownProcess: process.env.CORRAL_SCALE_PROBE !== 'thread' });
    const ownReader = process.env.CORRAL_SCALE_WIDE_READER !== 'main';
    const reader = ownReader ? new ScaleWorker({ ownProcess: true }) : undefined;
    try {
      await probe.ask({ command: 'probe-start', host, port: server.port, path: '/probe' },
        'probing');
      const { fromMs, toMs } = reader === undefined
        ? await wideReadHere({ ...read, nice: 0 })
        : await reader.ask({ ...read, nice: 19 }, 'wide-read');
      const stall = await probe.ask({ command: 'probe-stop', fromMs, toMs }, 'probe');
      // The control: once the server is quiet again, the probe alone for as long, nothing else
      // asking the server. On a shared 2-core machine its worst wait is not 0 (a process waits
      // for a core, a timer fires late), and a stall measured above is the server's only as
      // far as it exceeds this one.
      await waitQuiet(server.pid);
      const floor = await probeAlone(probe, server.port, toMs - fromMs);
      return {
        'wide-children': {
          p50Ms: percentile(latenciesMs, 50),
          p99Ms: percentile(latenciesMs, 99),
          probeWorstMs: stall.worstMs,
          probeP99Ms: stall.p99Ms,
          probeRequests: stall.samplesInWindow,
          probeAloneWorstMs: floor.worstMs,
          probeAloneP99Ms: floor.p99Ms,
        },
      };
    } finally {
      await reader?.close();
      await probe.close();
    }
  }),
};

/** The probe reading back to back for `durationMs` with nothing else asking the server: its
 * worst wait and p99 (the machine's floor for the stall the wide reads are measured by). */
async function probeAlone(probe: ScaleWorker, port: number, durationMs: number):
  Promise<{ worstMs: number; p99Ms: number }> {
  await probe.ask({ command: 'probe-start', host, port, path: '/probe' }, 'probing');
  const fromMs = nowAbsoluteMs();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const toMs = nowAbsoluteMs();
  return probe.ask({ command: 'probe-stop', fromMs, toMs }, 'probe');
}

/** Sessions writing their own node back to back, each write's start and duration kept. */
class BackgroundWriters {
  private stopped = false;
  private readonly startsMs: number[] = [];
  private readonly durationsMs: number[] = [];
  private loops: Promise<void>[] = [];

  constructor(private readonly connections: WireConnection[]) {}

  start(): void {
    this.loops = this.connections.map(async (connection, index) => {
      const request: ClientRequest = { kind: 'setData', path: `/others/w${index}`,
        data: Buffer.alloc(32, 0x77), version: -1 };
      while (!this.stopped) {
        const startedMs = nowAbsoluteMs();
        const { header } = await connection.request(request);
        if (header.err !== 0) throw new Error(`background setData failed with ${header.err}`);
        this.startsMs.push(startedMs);
        this.durationsMs.push(nowAbsoluteMs() - startedMs);
      }
    });
  }

  /** Stops, then the longest write that overlapped [fromMs, toMs] and how many did. */
  async stop(fromMs: number, toMs: number): Promise<{ worstMs: number; writes: number }> {
    this.stopped = true;
    await Promise.all(this.loops);
    let worstMs = 0;
    let writes = 0;
    this.startsMs.forEach((startMs, index) => {
      const durationMs = this.durationsMs[index]!;
      if (startMs > toMs || startMs + durationMs < fromMs) return;
      writes++;
      worstMs = Math.max(worstMs, durationMs);
    });
    return { worstMs, writes };
  }
}

function shareOf(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/** Row `herd`: one setData fires a data watch held by each of N raw sessions. */
export const herdMeasurement: Measurement = {
  rows: ['herd'],
  run: (system, sizes) => withServer(system, async (server) => {
    const open = (): Promise<WireConnection> =>
      WireConnection.open({ host, port: server.port, timeoutMs: 30_000 });
    const trigger = await open();
    const writerConnections = await Promise.all(Array.from({ length: herdWriters }, open));
    await expectOk(trigger, createRequest('/herd', Buffer.alloc(32, 0x68)));
    await expectOk(trigger, createRequest('/others'));
    for (let index = 0; index < herdWriters; index++) {
      await expectOk(trigger, createRequest(`/others/w${index}`));
    }
    const workerCount = Math.max(1, Math.ceil(sizes.herd / sessionsPerWorker));
    const workers = Array.from({ length: workerCount }, () => new ScaleWorker());
    const writers = new BackgroundWriters(writerConnections);
    try {
      const options = { host, port: server.port, timeoutMs: 30_000, openWindow: 100,
        handshakeTimeoutMs: 60_000 };
      await Promise.all(workers.map((worker, index) => worker.ask(
        { command: 'open', options, count: shareOf(sizes.herd, workerCount, index) }, 'opened')));
      await Promise.all(workers.map((worker) =>
        worker.ask({ command: 'watch', path: '/herd' }, 'watching')));
      writers.start();
      await new Promise((done) => setTimeout(done, 200));
      const sentAtMs = nowAbsoluteMs();
      await expectOk(trigger, { kind: 'setData', path: '/herd', data: Buffer.alloc(32, 0x69),
        version: -1 });
      const replyMs = nowAbsoluteMs() - sentAtMs;
      const notified = await Promise.all(workers.map((worker, index) => worker.ask(
        { command: 'notified', expected: shareOf(sizes.herd, workerCount, index),
          timeoutMs: notifiedTimeoutMs }, 'notified', notifiedTimeoutMs + 10_000)));
      const notifications = notified.reduce((total, reply) => total + reply.notifications, 0);
      if (notifications !== sizes.herd) {
        throw new Error(`${notifications} of ${sizes.herd} watchers were notified`);
      }
      const lastAtMs = Math.max(...notified.map((reply) => reply.lastAtMs));
      const others = await writers.stop(sentAtMs, lastAtMs);
      progress(`${system}: herd of ${sizes.herd}: reply ${replyMs.toFixed(1)} ms, last ` +
        `notified ${(lastAtMs - sentAtMs).toFixed(1)} ms`);
      return {
        herd: {
          replyMs,
          lastNotifiedMs: lastAtMs - sentAtMs,
          otherWritesWorstMs: others.worstMs,
          otherWrites: others.writes,
        },
      };
    } finally {
      await writers.stop(0, 0);
      await Promise.all(workers.map((worker) => worker.close()));
      for (const connection of [trigger, ...writerConnections]) connection.destroy();
    }
  }),
};

/** Row `standalone-writes`: setData then create, 1 KiB, 16 sessions × 8 outstanding. */
export const standaloneWritesMeasurement: Measurement = {
  rows: ['standalone-writes'],
  run: (system, sizes) => withServer(system, async (server) => {
    const targets = [{ host, port: server.port }];
    const setData = await measureWorkload(targets, writeSettings(sizes.seconds), 'setData');
    const create = await measureWorkload(targets, writeSettings(sizes.seconds), 'create');
    for (const result of [setData, create]) {
      if (result.errors > 0) throw new Error(`${result.errors} ${result.operation} errors`);
    }
    return {
      'standalone-writes': {
        setDataOpsPerSecond: setData.opsPerSecond, setDataP50Ms: setData.p50Ms,
        setDataP99Ms: setData.p99Ms,
        createOpsPerSecond: create.opsPerSecond, createP50Ms: create.p50Ms,
        createP99Ms: create.p99Ms,
      },
    };
  }),
};
