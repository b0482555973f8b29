// The scale benchmark's memory rows, each on a fresh standalone server: RSS with N znodes of
// 32 B (then, on the same tree, the restart row), bytes per znode of 1 KiB (RSS after − before,
// over the count), and RSS with N concurrent sessions open plus the rate they opened at. Memory
// is read from /proc after a quiet period, with the file-backed and anonymous shares apart.

import { quietProcessMemory, type ProcessMemory } from './proc-memory.js';
import { measureRestart } from './scale-restart.js';
import { lastBuiltZnode, progress, withServer, type Figures, type Measurement } from
  './scale-rows.js';
import { ScaleWorker } from './scale-worker.js';
import { buildTree } from './tree-builder.js';

const smallDataBytes = 32;
const kibDataBytes = 1024;
/** Sessions one helper thread opens and holds. */
const sessionsPerWorker = 5000;
const sessionTimeoutMs = 30_000;
const openWindow = 200;
const handshakeTimeoutMs = 60_000;

function memoryFigures(memory: ProcessMemory, prefix = ''): Figures {
  return {
    [`${prefix}rssBytes`]: memory.rssBytes,
    [`${prefix}rssFileBytes`]: memory.rssFileBytes,
    [`${prefix}rssAnonBytes`]: memory.rssAnonBytes,
  };
}

/** Rows `znodes` and `restart`: one tree of N znodes of 32 B built through the server. */
export const treeMeasurement: Measurement = {
  rows: ['znodes', 'restart'],
  run: (system, sizes, selected) => withServer(system, async (server) => {
    const builtAt = performance.now();
    await buildTree(server.port, sizes.znodes, smallDataBytes);
    const buildMs = performance.now() - builtAt;
    progress(`${system}: built ${sizes.znodes} znodes of ${smallDataBytes} B in ` +
      `${(buildMs / 1000).toFixed(1)} s`);
    const figures: Partial<Record<'znodes' | 'restart', Figures>> = {};
    if (selected.has('znodes')) {
      const memory = await quietProcessMemory(server.pid, sizes.quietMs);
      figures.znodes = { ...memoryFigures(memory), buildMs };
    }
    if (selected.has('restart')) {
      figures.restart = { restartMs: await measureRestart(server, lastBuiltZnode(sizes.znodes)) };
    }
    return figures;
  }),
};

/** Row `bytes-per-znode`: (RSS after − RSS before) / count, for znodes of 1 KiB. */
export const bytesPerZnodeMeasurement: Measurement = {
  rows: ['bytes-per-znode'],
  run: (system, sizes) => withServer(system, async (server) => {
    const before = await quietProcessMemory(server.pid, sizes.quietMs);
    await buildTree(server.port, sizes.kibZnodes, kibDataBytes, '/kib');
    const after = await quietProcessMemory(server.pid, sizes.quietMs);
    return {
      'bytes-per-znode': {
        bytesPerZnode: (after.rssBytes - before.rssBytes) / sizes.kibZnodes,
        anonBytesPerZnode: (after.rssAnonBytes - before.rssAnonBytes) / sizes.kibZnodes,
        ...memoryFigures(after),
      },
    };
  }),
};

/** Row `sessions`: N sessions opened over raw sockets by helper threads and kept alive. */
export const sessionsMeasurement: Measurement = {
  rows: ['sessions'],
  run: (system, sizes) => withServer(system, async (server) => {
    const before = await quietProcessMemory(server.pid, sizes.quietMs);
    const workerCount = Math.max(1, Math.ceil(sizes.sessions / sessionsPerWorker));
    const workers = Array.from({ length: workerCount }, () => new ScaleWorker());
    try {
      const options = { host: '127.0.0.1', port: server.port, timeoutMs: sessionTimeoutMs,
        openWindow: Math.ceil(openWindow / workerCount), handshakeTimeoutMs };
      const opened = await Promise.all(workers.map((worker, index) => {
        const count = Math.floor(sizes.sessions / workerCount) +
          (index < sizes.sessions % workerCount ? 1 : 0);
        return worker.ask({ command: 'open', options, count }, 'opened');
      }));
      const startedAtMs = Math.min(...opened.map((reply) => reply.figures.startedAtMs));
      const endedAtMs = Math.max(...opened.map((reply) => reply.figures.endedAtMs));
      const openMs = endedAtMs - startedAtMs;
      progress(`${system}: opened ${sizes.sessions} sessions in ${openMs.toFixed(0)} ms`);
      const after = await quietProcessMemory(server.pid, sizes.quietMs);
      // Every session must still be open after the quiet period: a dropped one costs nothing.
      const statuses = await Promise.all(workers.map((worker) =>
        worker.ask({ command: 'status' }, 'status')));
      const failure = statuses.find((status) => status.failure !== undefined)?.failure;
      const open = statuses.reduce((total, status) => total + status.open, 0);
      if (failure !== undefined || open !== sizes.sessions) {
        throw new Error(`${open} of ${sizes.sessions} sessions open (${failure ?? 'no error'})`);
      }
      return {
        sessions: {
          rssAddedBytes: after.rssBytes - before.rssBytes,
          bytesPerSession: (after.rssBytes - before.rssBytes) / sizes.sessions,
          ...memoryFigures(after),
          openMs,
          openPerSecond: (sizes.sessions / Math.max(openMs, 1)) * 1000,
        },
      };
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  }),
};
