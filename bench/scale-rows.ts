// What the scale benchmark's measurements share: the systems compared, the sizes a run uses
// (issue 16's table by default, a CI-sized set with --small), the figures one measurement
// returns, and how a measurement starts its server and waits for a znode to be readable.

import { WireConnection } from '../client/wire.js';
import { startBenchCorral, startBenchZooKeeper, type BenchServer } from './servers.js';

export type ScaleSystem = 'corral' | 'zookeeper';

/** The rows of issue 16's table, in its order; each is selectable with --rows. */
export const rowNames = [
  'znodes', 'bytes-per-znode', 'sessions', 'wide-children', 'herd', 'standalone-writes',
  'restart', 'follower-catchup', 'ensemble5',
] as const;
export type RowName = (typeof rowNames)[number];

export interface ScaleSizes {
  /** znodes of 32 B for the memory, restart and follower catch-up rows. */
  znodes: number;
  /** znodes of 1 KiB for the bytes-per-znode row. */
  kibZnodes: number;
  sessions: number;
  children: number;
  /** getChildren calls of the wide node per measurement. */
  getChildrenCalls: number;
  herd: number;
  /** Seconds per throughput measurement. */
  seconds: number;
  /** How long a server is left alone before its memory is read. */
  quietMs: number;
}

/** Named figures of one measurement of one system (bytes, ms, per second …). */
export type Figures = Record<string, number>;

/** A measurement covers one or more rows (the restart row reuses the znodes row's tree). */
export interface Measurement {
  rows: RowName[];
  /** Figures keyed by row, for the selected rows among `rows`. */
  run(system: ScaleSystem, sizes: ScaleSizes, selected: ReadonlySet<RowName>):
    Promise<Partial<Record<RowName, Figures>>>;
}

/** Progress lines go to stderr, so stdout holds the table alone. */
export function progress(line: string): void {
  console.error(line);
}

/** A standalone server of `system` with no per-IP connection limit (ZooKeeper's bench config
 * already has maxClientCnxns=0). */
export function startScaleServer(system: ScaleSystem): Promise<BenchServer> {
  return system === 'corral'
    ? startBenchCorral({ config: ['maxClientCnxns=0'] })
    : startBenchZooKeeper();
}

/** Runs `body` with a fresh server, stopping it afterwards whatever happens. */
export async function withServer<T>(
  system: ScaleSystem,
  body: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await startScaleServer(system);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** The last znode bench/tree-builder.ts creates for a tree of `nodes` under `root`. */
export function lastBuiltZnode(nodes: number, root = '/bench'): string {
  return `${root}/p${Math.floor((nodes - 1) / 1000)}/n${nodes - 1}`;
}

/** `promise`, or a rejection once `timeoutMs` passed without it settling. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const readPollMs = 10;
const readAttemptTimeoutMs = 2000;

/**
 * Polls `port` until a fresh session reads `path` successfully; resolves with the instant
 * (performance.now()) it did. A server that does not listen yet, refuses or lacks the node is
 * tried again after readPollMs, until `timeoutMs`.
 */
export async function waitReadable(port: number, path: string, timeoutMs: number):
  Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let connection: WireConnection | undefined;
    try {
      connection = await WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 10_000,
        handshakeTimeoutMs: readAttemptTimeoutMs, pingIntervalMs: 0 });
      const { header } = await withTimeout(
        connection.request({ kind: 'getData', path, watch: false }), readAttemptTimeoutMs);
      if (header.err === 0) return performance.now();
    } catch {
      // Not serving yet: try again.
    } finally {
      connection?.destroy();
    }
    await new Promise((done) => setTimeout(done, readPollMs));
  }
  throw new Error(`${path} was not readable on port ${port} within ${timeoutMs} ms`);
}
