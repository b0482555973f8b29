// The admin restore of a backup of any size: the request body is read frame by frame
// (storage/snapshot-stream.ts) and ordered through the leader as a family of txns
// (tree/restore-staging.ts): a begin, then chunks of at most chunkBytes each, one at a time and
// each applied before the next body bytes are read, then an end that checks the count and
// digest and puts the staged tree in place in one step. So the leader holds at most one frame
// of the body and one chunk at a time, every PROPOSAL stays far under the 16 MiB peer frame,
// and no client ever sees a half-restored tree. A restore cut off midway (client gone, a step
// not applied in time, a bad frame) is abandoned when it can be, and in any case a new run
// starts afresh: its begin drops any staging left behind.

import { ErrorCode } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import type { RestoreBeginTxnBody, RestoreChunkTxnBody, RestoreEndTxnBody } from
  '../../protocol/txn.js';
import { CorruptSnapshotError } from '../../storage/snapshot-file.js';
import { SnapshotFrameTooLargeError, visitSnapshotStream } from '../../storage/snapshot-stream.js';
import { RestoreChunkBuilder } from '../../tree/restore-chunk.js';
import { RestoreCheck } from '../../tree/restore-staging.js';
import { isLeftOut } from '../../tree/restore.js';

export type RestoreStepBody = RestoreBeginTxnBody | RestoreChunkTxnBody | RestoreEndTxnBody;

export interface RestoreStreamOptions {
  /** Orders a step through this server's pipeline: its zxid and error code once applied. */
  propose(body: RestoreStepBody): Promise<{ zxid: number; err: number }>;
  /** A chunk is closed before it would pass this many bytes. */
  chunkBytes: number;
  /** A single znode larger than this cannot travel in one PROPOSAL: the restore is refused. */
  nodeBytesMax: number;
  /** The largest backup frame buffered; a larger one refuses the restore. */
  frameBytesMax: number;
  /** A step not applied within this long cuts the restore off. */
  stepMs: number;
}

export type RestoreResult =
  | {
      status: 200;
      sourceZxid: number;
      /** The begin txn's zxid (the restore's name) and the end txn's. */
      beginZxid: number;
      endZxid: number;
      /** Znodes in the backup, and those restored (without ephemerals and its config). */
      backupNodes: number;
      restoredNodes: number;
      chunks: number;
      bytes: number;
    }
  | { status: 400 | 409 | 413 | 500 | 504; error: string; beginZxid?: number; chunks?: number };

/** Why a restore stopped, with the HTTP status its answer takes. */
class RestoreStop extends Error {
  constructor(readonly status: 400 | 409 | 413 | 500 | 504, message: string) {
    super(message);
  }
}

/** Streams `source` (a backup's bytes) into the ensemble as restore txns (see above). */
export async function streamRestore(source: AsyncIterable<Buffer>,
  options: RestoreStreamOptions): Promise<RestoreResult> {
  const run = new RestoreRun(options);
  try {
    return await run.run(source);
  } catch (error) {
    const stop = error instanceof RestoreStop ? error : stopOf(error);
    if (run.beginZxid !== undefined) await run.abandon();
    return {
      status: stop.status,
      error: stop.message,
      ...(run.beginZxid === undefined ? {} : { beginZxid: run.beginZxid, chunks: run.chunks }),
    };
  }
}

function stopOf(error: unknown): RestoreStop {
  if (error instanceof CorruptSnapshotError) {
    return new RestoreStop(400, `not a usable backup: ${error.message}`);
  }
  if (error instanceof SnapshotFrameTooLargeError) return new RestoreStop(413, error.message);
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNRESET' || (error as Error).message === 'aborted') {
    return new RestoreStop(400, 'the request body was cut off (the client went away)');
  }
  return new RestoreStop(500, `the restore stopped: ${String(error)}`);
}

/** How long an abandonment is waited for before the answer goes out regardless. */
const abandonMs = 5_000;

class RestoreRun {
  beginZxid: number | undefined;
  chunks = 0;
  private sourceZxid = 0;
  private announcedNodes = 0;
  private readonly check = new RestoreCheck();
  private readonly acls: ACL[][] = [];
  private builder = new RestoreChunkBuilder();
  private readonly ready: RestoreChunkBuilder[] = [];
  private bytes = 0;

  constructor(private readonly options: RestoreStreamOptions) {}

  async run(source: AsyncIterable<Buffer>): Promise<RestoreResult> {
    const counted = this.counted(source);
    const { nodeCount } = await visitSnapshotStream('restore request', counted, {
      header: (zxid, nodes) => {
        this.sourceZxid = zxid;
        this.announcedNodes = nodes;
      },
      acls: (acls) => this.acls.push(...acls),
      node: (fields) => {
        this.check.node(fields);
        if (this.check.problem !== undefined || isLeftOut(fields)) return;
        const acl = this.acls[fields.aclIndex];
        if (acl === undefined) {
          this.check.problem = `${fields.path}: unknown ACL ${fields.aclIndex}`;
          return;
        }
        const nodeBytes = RestoreChunkBuilder.nodeBytes(fields);
        if (nodeBytes > this.options.nodeBytesMax) {
          throw new RestoreStop(413, `${fields.path} takes ${nodeBytes} bytes: over the ` +
            `${this.options.nodeBytesMax} bytes one restore txn carries`);
        }
        if (this.builder.nodes > 0 && this.builder.bytes + nodeBytes > this.options.chunkBytes) {
          this.ready.push(this.builder);
          this.builder = new RestoreChunkBuilder();
        }
        this.builder.add(fields, acl);
      },
      frameDone: () => this.frameDone(),
    }, this.options.frameBytesMax);
    const problem = this.check.endProblem();
    if (problem !== undefined) throw new RestoreStop(400, `not a usable backup: ${problem}`);
    await this.begin();
    if (this.builder.nodes > 0) this.ready.push(this.builder);
    await this.sendReady();
    const end = await this.step({ type: 'restoreEnd', restoreZxid: this.beginZxid!,
      chunks: this.chunks, nodes: this.check.nodes, digest: this.check.digest }, 'end');
    if (end.err === ErrorCode.notEmpty) {
      throw new RestoreStop(409, 'restore needs a new ensemble: znodes were created while the ' +
        'restore was staged; nothing was restored');
    }
    if (end.err !== ErrorCode.ok) {
      throw new RestoreStop(end.err === ErrorCode.badArguments ? 400 : 500, `the ensemble ` +
        `refused to end the restore (error ${end.err}): the staged chunks do not make the backup`);
    }
    return {
      status: 200,
      sourceZxid: this.sourceZxid,
      beginZxid: this.beginZxid!,
      endZxid: end.zxid,
      backupNodes: nodeCount,
      restoredNodes: this.check.nodes,
      chunks: this.chunks,
      bytes: this.bytes,
    };
  }

  /** Drops the staging area of this run (best effort: a new run drops it anyway). */
  async abandon(): Promise<void> {
    try {
      // Briefly: the answer waits for it, and a step that failed may mean no quorum now.
      await this.step({ type: 'restoreEnd', restoreZxid: this.beginZxid!, chunks: this.chunks,
        nodes: 0, digest: 0n, abandon: true }, 'abandon', abandonMs);
    } catch {
      // Left for the next run's begin.
    }
  }

  private async *counted(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const piece of source) {
      this.bytes += piece.length;
      yield piece;
    }
  }

  private async frameDone(): Promise<void> {
    if (this.check.problem !== undefined) {
      throw new RestoreStop(400, `not a usable backup: ${this.check.problem}`);
    }
    await this.begin();
    await this.sendReady();
  }

  /** Orders the begin once, after the header: a tree with data of its own refuses it at once. */
  private async begin(): Promise<void> {
    if (this.beginZxid !== undefined) return;
    const begun = await this.step({ type: 'restoreBegin', sourceZxid: this.sourceZxid,
      nodeCount: this.announcedNodes }, 'begin');
    if (begun.err === ErrorCode.notEmpty) {
      throw new RestoreStop(409, 'restore needs a new ensemble: this tree holds znodes of its ' +
        'own (restore into servers started on empty data dirs)');
    }
    if (begun.err !== ErrorCode.ok) {
      throw new RestoreStop(500, `the ensemble refused to begin the restore (error ${begun.err})`);
    }
    this.beginZxid = begun.zxid;
  }

  private async sendReady(): Promise<void> {
    for (let builder = this.ready.shift(); builder !== undefined; builder = this.ready.shift()) {
      const index = this.chunks;
      const staged = await this.step({ type: 'restoreChunk', restoreZxid: this.beginZxid!, index,
        nodes: builder.nodes, bytes: builder.encode() }, `chunk ${index}`);
      if (staged.err !== ErrorCode.ok) {
        throw new RestoreStop(409, `chunk ${index} was refused (error ${staged.err}): another ` +
          'restore was begun meanwhile, or this one was abandoned');
      }
      this.chunks++;
    }
  }

  /** Proposes one step and waits for it to be applied, at most stepMs. */
  private async step(body: RestoreStepBody, name: string, waitMs = this.options.stepMs):
    Promise<{ zxid: number; err: number }> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.options.propose(body),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === undefined) {
      throw new RestoreStop(504, `the restore's ${name} was not applied within ` +
        `${waitMs} ms (a quorum lost?); run the restore again: it starts afresh`);
    }
    return outcome;
  }
}
