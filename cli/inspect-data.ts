// `corral inspect-data`: what a stopped server's data dir holds (format, epochs, log range,
// snapshots, znodes, sessions, size) and, with --dump, its log entries one per line, for
// operators and for debugging recovery. Opens LMDB read-only and never repairs anything.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from '../storage/backend.js';
import { storedFormatVersion, storedPurgedThroughZxid } from '../storage/durable-log.js';
import { DurableEpochStore } from '../storage/epochs.js';
import { lmdbStorageBackend } from '../storage/lmdb-backend.js';
import { nodeFiles } from '../storage/node-files.js';
import { listSnapshots, visitSnapshot } from '../storage/snapshot-file.js';
import { decodeTxn, recordProblem, zxidKey, zxidOfKey } from '../storage/txn-codec.js';
import type { Txn } from '../protocol/txn.js';

export interface InspectDataOptions {
  dataDir: string;
  dump?: boolean;
  /** First zxid dumped (default: the first in the log). */
  fromZxid?: number;
  /** Entries dumped at most (default 100). */
  limit?: number;
}

export class NotADataDirError extends Error {
  constructor(dataDir: string) {
    super(`${dataDir} holds no corral data (no corral.lmdb)`);
    this.name = 'NotADataDirError';
  }
}

const hex = (value: number | bigint): string =>
  `0x${BigInt.asUintN(64, BigInt(value)).toString(16)}`;

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

/** Prints the summary (and the dump) through `print`, one line per call. */
export async function inspectData(
  options: InspectDataOptions,
  print: (line: string) => void = console.log,
): Promise<void> {
  const location = join(options.dataDir, 'corral.lmdb');
  if (!existsSync(location)) throw new NotADataDirError(options.dataDir);
  const session = await lmdbStorageBackend(options.dataDir, { readOnly: true }).open();
  try {
    const log = session.table('log');
    const epochs = new DurableEpochStore(session);
    let first = 0;
    let last = 0;
    for (const key of log.keys({ limit: 1 })) first = zxidOfKey(key);
    for (const key of log.keys({ reverse: true, limit: 1 })) last = zxidOfKey(key);
    print(`data dir          ${options.dataDir}`);
    print(`format version    ${String(storedFormatVersion(session))}`);
    print(`acceptedEpoch     ${epochs.acceptedEpoch()}`);
    print(`currentEpoch      ${epochs.currentEpoch()}`);
    print(`log entries       ${log.count()}`);
    print(`log zxids         ${hex(first)} .. ${hex(last)}`);
    print(`purged through    ${hex(storedPurgedThroughZxid(session))}`);
    await printSnapshots(options.dataDir, print);
    print(`size on disk      ${directoryBytes(options.dataDir)} bytes`);
    if (options.dump === true) {
      printEntries(log, location, options.fromZxid ?? first, options.limit ?? 100, print);
    }
  } finally {
    await session.close();
  }
}

async function printSnapshots(dataDir: string, print: (line: string) => void): Promise<void> {
  const snapshots = await listSnapshots(nodeFiles, join(dataDir, 'snapshots'));
  print(`snapshots         ${snapshots.map((snapshot) => hex(snapshot.zxid)).join(' ') || 'none'}`);
  for (const snapshot of snapshots) {
    let nodes = 0;
    let sessions = 0;
    try {
      visitSnapshot(nodeFiles, snapshot.file, {
        nodes: (records) => (nodes += records.length),
        sessions: (records) => (sessions += records.length),
      });
    } catch (error) {
      print(`  ${hex(snapshot.zxid)}  damaged: ${error instanceof Error ? error.message : error}`);
      continue;
    }
    const bytes = statSync(snapshot.file).size;
    print(`  ${hex(snapshot.zxid)}  znodes ${nodes}  sessions ${sessions}  ${bytes} bytes`);
    // Only the newest whole snapshot describes the state a restart starts from.
    print(`znodes (newest)   ${nodes}`);
    print(`sessions (newest) ${sessions}`);
    return;
  }
}

function printEntries(
  log: Table,
  location: string,
  fromZxid: number,
  limit: number,
  print: (line: string) => void,
): void {
  for (const { key, value } of log.entries({ start: zxidKey(fromZxid), limit })) {
    const zxid = zxidOfKey(key);
    const problem = recordProblem(value);
    if (problem !== undefined) {
      print(`${hex(zxid)}  CORRUPT (${problem})`);
      continue;
    }
    print(describeTxn(decodeTxn(value, zxid, location)));
  }
}

/** One readable line per txn: zxid, time, session, cxid, then what it does. */
export function describeTxn(txn: Txn): string {
  const head = `${hex(txn.zxid)}  ${new Date(txn.time).toISOString()}  session ${hex(
    txn.sessionId,
  )}  cxid ${txn.cxid}  `;
  const body = txn.body;
  switch (body.type) {
    case 'createSession':
      return `${head}createSession timeout ${body.timeoutMs} ms`;
    case 'closeSession':
      return `${head}closeSession`;
    case 'deleteContainer':
      return `${head}deleteContainer ${body.path}`;
    case 'error':
      return `${head}error ${body.err}`;
    case 'reconfig': {
      const members = body.membership.servers.map((server) => `${server.id}:${server.peerType}`);
      return `${head}reconfig ${members.join(',')}`;
    }
    case 'restore':
      return `${head}restore ${body.nodes.length} znodes of backup ${hex(body.sourceZxid)}`;
    case 'restoreBegin':
      return `${head}restoreBegin backup ${hex(body.sourceZxid)} (${body.nodeCount} znodes)`;
    case 'restoreChunk':
      return `${head}restoreChunk ${body.index} of restore ${hex(body.restoreZxid)}: ` +
        `${body.nodes} znodes, ${body.bytes.length} bytes`;
    case 'restoreEnd':
      return `${head}restoreEnd of restore ${hex(body.restoreZxid)}: ` + (body.abandon === true
        ? 'abandoned' : `${body.chunks} chunks, ${body.nodes} znodes`);
    case 'write':
      return `${head}${describeRequest(body.request as unknown as Described)}`;
  }
}

type Described = { kind: string } & Record<string, unknown>;

function describeRequest(request: Described): string {
  const parts = [request.kind];
  if (typeof request.path === 'string') parts.push(request.path);
  // Null data (a create or setData that sent none) is its own thing, not zero bytes.
  if (request.data === null) parts.push('data null');
  if (Buffer.isBuffer(request.data) || request.data instanceof Uint8Array) {
    const data = Buffer.from(request.data as Uint8Array);
    const printable = /^[\x20-\x7e]*$/.test(data.toString('latin1'));
    const shown = printable ? JSON.stringify(data.subarray(0, 40).toString('latin1')) : 'binary';
    parts.push(`data ${data.length} bytes ${shown}`);
  }
  if (typeof request.version === 'number') parts.push(`version ${request.version}`);
  if (typeof request.flags === 'number') parts.push(`flags ${request.flags}`);
  if (Array.isArray(request.ops)) {
    const ops = request.ops as Described[];
    parts.push(`[${ops.map((op) => describeRequest(op)).join('; ')}]`);
  }
  return parts.join(' ');
}
