// Online backup and restore over the admin server, as ZooKeeper 3.9's SnapshotCommand (GET
// /commands/snapshot) and RestoreCommand (POST /commands/restore) offer them: the same names,
// header names, query parameter, feature flags, rate limit and HTTP statuses. The snapshot is a
// corral snapshot file's bytes, encoded from a copy-on-write capture of the tree at one zxid
// while the server goes on serving. A restore is streamed and ordered as txns by the leader
// (admin-restore.ts, tree/restore-staging.ts) and replaces only a new tree, so every replica of
// the ensemble restores alike, whatever the backup's size.

import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RestoreTxnBody } from '../../protocol/txn.js';
import { streamRestore, type RestoreStepBody } from './admin-restore.js';
import { snapshotPieces, visitSnapshotBytes } from '../../storage/snapshot-file.js';
import type { StagedRestore } from '../../tree/restore-staging.js';
import type { TreeCapture } from '../../tree/snapshot.js';
import { rootAdminAuth, type AdminAuthRequest } from './admin-auth.js';

export interface AdminBackupOptions {
  /** admin.snapshot.enabled and admin.restore.enabled (ZooKeeper 3.9: both true). */
  snapshotEnabled: boolean;
  restoreEnabled: boolean;
  /** admin.rateLimiterIntervalInMS: one snapshot, and one restore, per interval. */
  rateLimiterIntervalMs: number;
  /** A consistent capture of the tree now; the caller of snapshotPieces releases it. */
  capture(): TreeCapture;
  /** Orders a restore step (admin-restore.ts) through this server's pipeline; its zxid and
   * error code once applied. */
  restore(body: RestoreStepBody): Promise<{ zxid: number; err: number }>;
  /** The restore staged in this server's tree now, if any (one cut off is dropped by the
   * next restore: the answer and the log say so). */
  stagedRestore?(): StagedRestore | undefined;
  /** This server's role now, and the leader it follows (for the refusal on a follower). */
  role(): { role: 'standalone' | 'leader' | 'follower' | 'observer'; leaderId?: number };
  nowMs(): number;
  /** Where backups taken and restores applied or refused are recorded for operators. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** The commands this module answers, by every name ZooKeeper 3.9 gives them. */
export const backupCommandNames: ReadonlyMap<string, 'snapshot' | 'restore'> = new Map([
  ['snapshot', 'snapshot'],
  ['snap', 'snapshot'],
  ['restore', 'restore'],
  ['rest', 'restore'],
]);

/** ZooKeeper's SnapshotCommand header names. */
export const lastZxidHeader = 'last_zxid';
export const snapshotSizeHeader = 'snapshot_size';
/**
 * A restore travels to every replica as txns of at most this many bytes of znodes each, one
 * PROPOSAL at a time, whose frame the peer links bound at 16 MiB (transport/tcp-peer-options.ts):
 * a quarter of that leaves room for the encoding and for client txns batched with it.
 */
export const restoreChunkBytes = 4 * 1024 * 1024;
/** One znode is never split: a single one up to this size travels in a chunk of its own. */
export const restoreNodeBytesMax = 12 * 1024 * 1024;
/** The largest backup frame the leader buffers while reading a restore's body: a snapshot
 * frame holds 250 znodes (storage/snapshot-encoding.ts), each at most jute.maxbuffer (1 MiB by
 * default) and its path and stat. */
export const restoreFrameBytesMax = 300 * 1024 * 1024;
/** A restore step not applied within this long cuts the restore off with 504 (a quorum lost
 * meanwhile); running the restore again starts it afresh. */
const restoreStepMs = 60_000;
/** The snapshot is streamed in pieces of this size, one encoded per event-loop turn. */
const pieceBytes = 1024 * 1024;
/** A client that reads nothing of the stream for this long is dropped: the capture it holds
 * keeps the old version of every node changed since, so it must not be held for ever. */
const stalledReaderMs = 30_000;

/** ZooKeeper's RateLimiter with a rate of one: the first request of each interval passes. */
export class RateLimiter {
  private windowStartMs: number;
  private left = 1;

  constructor(private readonly intervalMs: number, nowMs: number) {
    this.windowStartMs = nowMs;
  }

  allow(nowMs: number): boolean {
    if (nowMs > this.windowStartMs + this.intervalMs) {
      this.windowStartMs = nowMs;
      this.left = 1;
    }
    if (this.left === 0) return false;
    this.left--;
    return true;
  }
}

/** Refuses a command that asks for authentication (admin-server.ts's guard). */
export type BackupGuard = (request: AdminAuthRequest) => { status: number; error: string } |
  undefined;

function json(response: ServerResponse, status: number, body: Record<string, unknown>,
  headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** The zxid as ZooKeeper's SnapshotCommand writes it in last_zxid: `0x` and lower-case hex. */
function zxidHeader(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

export class AdminBackup {
  private readonly snapshotLimiter: RateLimiter;
  private readonly restoreLimiter: RateLimiter;

  constructor(private readonly options: AdminBackupOptions) {
    const now = options.nowMs();
    this.snapshotLimiter = new RateLimiter(options.rateLimiterIntervalMs, now);
    this.restoreLimiter = new RateLimiter(options.rateLimiterIntervalMs, now);
  }

  /**
   * Answers `name` (a key of backupCommandNames) as ZooKeeper 3.9's Commands.runCommand does:
   * the method, serving, authentication, then the command's own checks in its order (enabled
   * 503, no body 400, rate limit 429), then the command.
   */
  async handle(name: string, request: IncomingMessage, response: ServerResponse,
    parameters: URLSearchParams, serving: boolean, guard: BackupGuard): Promise<void> {
    const command = backupCommandNames.get(name)!;
    const method = command === 'snapshot' ? 'GET' : 'POST';
    if (request.method !== method) {
      json(response, 405, { command, error: `${command} takes HTTP ${method}` });
      request.resume();
      return;
    }
    if (!serving) {
      // ZooKeeper answers a command that needs a serving server with status 200 and this error.
      json(response, 200, { command, error: 'This ZooKeeper instance is not currently serving ' +
        'requests' });
      request.resume();
      return;
    }
    const refused = guard(rootAdminAuth);
    if (refused !== undefined) {
      json(response, refused.status, { command: name, error: refused.error });
      request.resume();
      return;
    }
    if (command === 'snapshot') await this.snapshot(response, parameters);
    else await this.restore(request, response);
  }

  private async snapshot(response: ServerResponse, parameters: URLSearchParams): Promise<void> {
    const command = 'snapshot';
    if (!this.options.snapshotEnabled) {
      json(response, 503, { command, error: 'snapshot is disabled (admin.snapshot.enabled)' });
      return;
    }
    if (!this.snapshotLimiter.allow(this.options.nowMs())) {
      json(response, 429, { command, error: 'snapshot is rate limited: one per ' +
        `${this.options.rateLimiterIntervalMs} ms (admin.rateLimiterIntervalInMS)` });
      return;
    }
    // SnapshotCommand: `streaming` is true unless given as something other than "true".
    const given = parameters.get('streaming');
    const streaming = given === null || given.toLowerCase() === 'true';
    const capture = this.options.capture();
    const zxid = capture.zxid;
    const pieces = snapshotPieces(capture, pieceBytes);
    if (!streaming) {
      // Its size, as the header tells it, costs an encoding; nothing is kept of it.
      let size = 0;
      for (const piece of pieces) {
        size += piece.length;
        await nextTurn();
      }
      json(response, 200, { command, error: null },
        { [lastZxidHeader]: zxidHeader(zxid), [snapshotSizeHeader]: String(size) });
      return;
    }
    const bytes = await streamPieces(response, pieces, zxid);
    if (bytes === undefined) this.options.logger?.warn({ zxid }, 'admin snapshot stream cut');
    else this.options.logger?.info({ zxid, bytes }, 'admin snapshot streamed (a backup)');
  }

  private async restore(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const command = 'restore';
    if (!this.options.restoreEnabled) {
      request.resume();
      json(response, 503, { command, error: 'restore is disabled (admin.restore.enabled)' });
      return;
    }
    const body = await bodyStream(request);
    if (body === undefined) {
      json(response, 400, { command, error: 'no backup in the request body' });
      return;
    }
    const refuse = (status: number, error: string): void => {
      json(response, status, { command, error });
      void body.drain();
    };
    if (!this.restoreLimiter.allow(this.options.nowMs())) {
      refuse(429, 'restore is rate limited: one per ' +
        `${this.options.rateLimiterIntervalMs} ms (admin.rateLimiterIntervalInMS)`);
      return;
    }
    const role = this.options.role();
    if (role.role === 'follower' || role.role === 'observer') {
      const leader = role.leaderId === undefined ? 'the leader' : `server.${role.leaderId}`;
      refuse(409, `restore is ordered by the leader: send it to ${leader}'s admin server`);
      return;
    }
    // The body is read only as fast as the ensemble applies it, so the connection may rest
    // for as long as a step may take; a sender silent for longer than that is dropped.
    request.socket.setTimeout(restoreStepMs + 10_000, () => request.socket.destroy());
    const earlier = this.options.stagedRestore?.();
    const dropped = earlier === undefined ? {} : { dropped_staging: {
      begin_zxid: zxidHeader(earlier.restoreZxid), last_zxid: earlier.sourceZxid,
      chunks: earlier.chunks } };
    this.options.logger?.info(earlier === undefined ? {} : { earlier: dropped.dropped_staging },
      earlier === undefined ? 'admin restore started'
        : 'admin restore started; it drops what an earlier restore (cut off?) staged');
    const result = await streamRestore(body, {
      propose: (step) => this.options.restore(step),
      chunkBytes: restoreChunkBytes,
      nodeBytesMax: restoreNodeBytesMax,
      frameBytesMax: restoreFrameBytesMax,
      stepMs: restoreStepMs,
    });
    if (result.status !== 200) {
      // A client gone is simply not answered.
      if (!response.destroyed) {
        json(response, result.status, { command, error: result.error,
          ...(result.beginZxid === undefined ? {} : dropped) });
      }
      void body.drain();
      this.options.logger?.warn({ status: result.status, error: result.error,
        beginZxid: result.beginZxid, chunksStaged: result.chunks },
      'admin restore refused or cut off');
      return;
    }
    json(response, 200, {
      // RestoreCommand's field: the zxid the restored data is current to.
      last_zxid: result.sourceZxid,
      restore_zxid: zxidHeader(result.endZxid),
      begin_zxid: zxidHeader(result.beginZxid),
      node_count: result.backupNodes,
      restored_nodes: result.restoredNodes,
      chunks: result.chunks,
      bytes: result.bytes,
      ...dropped,
      command,
      error: null,
    });
    this.options.logger?.info({ sourceZxid: result.sourceZxid, beginZxid: result.beginZxid,
      zxid: result.endZxid, nodes: result.backupNodes, restored: result.restoredNodes,
      chunks: result.chunks, bytes: result.bytes }, 'admin restore applied');
  }
}

/** Streams the pieces as the response body, the size following as an HTTP trailer (it is known
 * only at the end); a client that goes away stops the encoding and releases the capture. The
 * bytes sent, or undefined when the stream was cut. */
async function streamPieces(response: ServerResponse, pieces: Generator<Buffer>,
  zxid: number): Promise<number | undefined> {
  response.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    [lastZxidHeader]: zxidHeader(zxid),
    Trailer: snapshotSizeHeader,
  });
  let size = 0;
  try {
    for (const piece of pieces) {
      if (response.destroyed) return undefined;
      size += piece.length;
      if (!response.write(piece)) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            response.destroy();
            resolve();
          }, stalledReaderMs);
        });
        await Promise.race([once(response, 'drain'), once(response, 'close'), stalled])
          .finally(() => clearTimeout(timer));
      }
      await nextTurn();
    }
    response.addTrailers({ [snapshotSizeHeader]: String(size) });
    response.end();
    return size;
  } finally {
    pieces.return(undefined);
  }
}

/** The request body as pieces, read on demand (so a slow restore slows the sender down). */
interface BodyPieces extends AsyncIterable<Buffer> {
  /** Reads and drops whatever is left, so an answer given early reaches a client still
   * sending; a body cut off ends it quietly. */
  drain(): Promise<void>;
}

/** The request body, or undefined when it holds none (read up to its first piece). */
async function bodyStream(request: IncomingMessage): Promise<BodyPieces | undefined> {
  // The stream's own iterator, not `for await`: leaving a loop over that would destroy the
  // request and with it the socket the answer goes out on.
  const pieces = (request as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let first = await pieces.next();
  while (first.done !== true && first.value.length === 0) first = await pieces.next();
  if (first.done === true) return undefined;
  let head: Buffer | undefined = first.value;
  return {
    async *[Symbol.asyncIterator]() {
      if (head !== undefined) yield head;
      head = undefined;
      for (let next = await pieces.next(); next.done !== true; next = await pieces.next()) {
        yield next.value;
      }
    },
    async drain() {
      head = undefined;
      try {
        for (let next = await pieces.next(); next.done !== true; next = await pieces.next()) {
          // dropped
        }
      } catch {
        // The client went away: nothing is left to read.
      }
    },
  };
}

/** A backup's bytes as the single restore txn earlier versions ordered (still applied from
 * their logs; tests build one this way): every frame checked; its sessions are left out (they
 * belong to the ensemble the backup was taken from). */
export function restoreBody(bytes: Buffer): RestoreTxnBody {
  const acls: RestoreTxnBody['acls'] = [];
  const nodes: RestoreTxnBody['nodes'] = [];
  const { zxid } = visitSnapshotBytes('restore request', bytes, {
    acls: (table) => acls.push(...table),
    nodes: (records) => nodes.push(...records),
  });
  return { type: 'restore', sourceZxid: zxid, acls, nodes };
}
