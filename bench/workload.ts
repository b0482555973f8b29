// Drives one workload against one server or an ensemble: N sessions spread round-robin over the
// targets, each keeping K requests outstanding, for a fixed time, recording every request's
// latency in an HDR histogram. Used by `npm run bench` for corral and for Apache ZooKeeper
// alike, through the same wire client.

import hdr from 'hdr-histogram-js';
import { WireConnection, type ClientRequest } from '../client/wire.js';

export type Operation = 'create' | 'setData' | 'getData' | 'mixed';

/** One server a session connects to. */
export interface WorkloadTarget {
  host: string;
  port: number;
  /** Connect over TLS (a secure client port) with these PEM texts. */
  tls?: { ca: string; cert: string; key: string };
}

/** The flags every workload run shares (--sessions, --outstanding, …). */
export interface WorkloadSettings {
  sessions: number;
  outstanding: number;
  durationMs: number;
  valueBytes: number;
  /** Share of reads in the mixed workload (0..1). */
  readShare: number;
}

export interface WorkloadOptions extends WorkloadSettings {
  /** Session i connects to targets[i % targets.length] (one target for a standalone server). */
  targets: WorkloadTarget[];
  operation: Operation;
  /** A distinct root per run so runs never collide. */
  root: string;
}

export interface WorkloadResult {
  operation: Operation;
  ops: number;
  errors: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** Nodes each session reads and writes in the setData/getData/mixed workloads. */
const nodesPerSession = 16;

/** A persistent create open to anyone, as the workloads and the scale benchmark issue it. */
export function createRequest(path: string, data: Buffer = Buffer.alloc(0)): ClientRequest {
  return { kind: 'create', opcode: 1, path, data, acl: openAcl, flags: 0, ttl: -1 };
}

async function prepare(connection: WireConnection, base: string, value: Buffer): Promise<void> {
  await connection.request(createRequest(base, Buffer.alloc(0)));
  await Promise.all(
    Array.from({ length: nodesPerSession }, (_, index) =>
      connection.request(createRequest(`${base}/n${index}`, value)),
    ),
  );
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const value = Buffer.alloc(options.valueBytes, 0x61);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  if (options.targets.length === 0) throw new Error('a workload needs at least one target');
  const connections = await Promise.all(
    Array.from({ length: options.sessions }, (_, session) => {
      const target = options.targets[session % options.targets.length]!;
      return WireConnection.open({ host: target.host, port: target.port, timeoutMs: 30_000,
        ...(target.tls === undefined ? {} : { tls: target.tls }) });
    }),
  );
  await connections[0]!.request(createRequest(options.root, Buffer.alloc(0)));
  await Promise.all(
    connections.map((connection, index) => prepare(connection, `${options.root}/s${index}`, value)),
  );
  let ops = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const loop = async (connection: WireConnection, session: number): Promise<void> => {
    let counter = 0;
    while (performance.now() < deadline) {
      const request = nextRequest(options, session, counter++, value);
      const sent = performance.now();
      const { header } = await connection.request(request);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      ops++;
      if (header.err !== 0) errors++;
    }
  };
  await Promise.all(
    connections.flatMap((connection, session) =>
      Array.from({ length: options.outstanding }, (_, lane) =>
        loop(connection, session * 1000 + lane),
      ),
    ),
  );
  const elapsedMs = performance.now() - started;
  await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
  const result: WorkloadResult = {
    operation: options.operation,
    ops,
    errors,
    opsPerSecond: (ops / elapsedMs) * 1000,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    p999Ms: histogram.getValueAtPercentile(99.9) / 1000,
  };
  histogram.destroy();
  return result;
}

function nextRequest(
  options: WorkloadOptions,
  lane: number,
  counter: number,
  value: Buffer,
): ClientRequest {
  const session = Math.floor(lane / 1000);
  const node = `${options.root}/s${session}/n${counter % nodesPerSession}`;
  switch (options.operation) {
    case 'create':
      return createRequest(`${options.root}/s${session}/c${lane % 1000}-${counter}`, value);
    case 'setData':
      return { kind: 'setData', path: node, data: value, version: -1 };
    case 'getData':
      return { kind: 'getData', path: node, watch: false };
    case 'mixed':
      return Math.random() < options.readShare
        ? { kind: 'getData', path: node, watch: false }
        : { kind: 'setData', path: node, data: value, version: -1 };
  }
}

/** Runs one workload under a fresh root named after the operation, this process and the time. */
export function measureWorkload(
  targets: WorkloadTarget[],
  settings: WorkloadSettings,
  operation: Operation,
): Promise<WorkloadResult> {
  const root = `/bench-${operation}-${process.pid}-${Date.now()}`;
  return runWorkload({ ...settings, targets, operation, root });
}
