// The leader's side of Zab 2.1 (ZooKeeper's LearnerHandler.syncFollower), in every world: the
// opening DIFF, TRUNC or SNAP, then the log after that point as PROPOSAL/COMMIT batches, streamed
// to the learner through the outbox a slice per event-loop turn (actors/replica/outbox.ts). What to
// send is decided by the machine (SyncStreamParams); this only reads, encodes and paces it.

import type { Logger } from 'pino';
import type { SyncStreamParams } from '../../machines/replica.js';
import { encodePeerMessage } from '../../protocol/peer-codec.js';
import type { Zxid } from '../../protocol/peer.js';
import { openSyncStream, syncStreamMessages, type SyncOpening } from
  '../../protocol/sync-stream.js';
import { peerSnapshotFormatVersion } from '../../storage/peer-snapshot.js';
import type { ReplicaStorage } from '../../storage/replica-storage.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { TreeCapture } from '../../tree/snapshot.js';
import { txnBatchBytesMax, txnBulkBytes, type Txn } from '../../protocol/txn.js';
import { snapFrames, type PeerOutbox } from './outbox.js';
import { type ReplicaLog } from './log.js';
import { hex } from '../../protocol/zxid.js';

export interface LearnerSyncParts {
  tree: DataTree;
  log: ReplicaLog;
  storage: ReplicaStorage;
  outbox: PeerOutbox;
  logger: Logger;
}

/** Txns read between event-loop turns of a sync stream, in one synchronous read each: at most
 * this many, and no more once they reach txnBatchBytesMax (one PROPOSAL batch's worth). */
const syncReadTxnsMax = 500;

/**
 * The log's txns after `afterZxid` through `throughZxid`, read a chunk at a time: each chunk is
 * one synchronous read of the log (LMDB, then what is on its way there), so nothing is skipped
 * or repeated while txns become durable between chunks.
 */
function* loggedTxnsBetween(log: ReplicaLog, afterZxid: Zxid, throughZxid: Zxid): Generator<Txn> {
  let last = afterZxid;
  while (last < throughZxid) {
    const chunk: Txn[] = [];
    let chunkBytes = 0;
    for (const txn of log.txnsBetween(last, throughZxid)) {
      chunk.push(txn);
      chunkBytes += txnBulkBytes(txn);
      if (chunk.length >= syncReadTxnsMax || chunkBytes >= txnBatchBytesMax) break;
    }
    if (chunk.length === 0) return;
    yield* chunk;
    last = chunk[chunk.length - 1]!.zxid;
  }
}

/**
 * The plan, or SNAP when the log it would stream holds a corrupt record: the startup check skips
 * records a snapshot covers (ReplicaStorage.startupLogCheck), so they are checked here, before a
 * DIFF or a TRUNC's tail sends any of them. A SNAP sends the tree instead, which never holds a
 * corrupt txn (one is never applied).
 */
function checkedPlan(to: number, plan: SyncOpening, throughZxid: Zxid, storage: ReplicaStorage,
  logger: Logger): SyncOpening {
  if (plan.mode === 'snap') return plan;
  const afterZxid = plan.mode === 'diff' ? plan.afterZxid : plan.truncateToZxid;
  const corrupt = storage.corruptRecordBetween(afterZxid, throughZxid);
  if (corrupt === undefined) return plan;
  logger.warn(
    { learner: to, mode: plan.mode, zxid: hex(corrupt.zxid), reason: corrupt.reason,
      dataDir: storage.dataDir },
    `txn log record zxid ${hex(corrupt.zxid)} is corrupt (${corrupt.reason}): sending the ` +
      `learner a SNAP instead of ${plan.mode.toUpperCase()}; restore or resync this data dir`,
  );
  return { mode: 'snap' };
}

/** Starts the sync stream to `to`; it logs how it went when it ends. */
export function streamLearnerSync(
  { to, plan, committedZxid, throughZxid }: SyncStreamParams,
  { tree, log, storage, outbox, logger }: LearnerSyncParts,
): void {
  // A SNAP's snapshot is encoded while it streams, from a capture of the tree as it is now.
  let capture: TreeCapture | undefined;
  const sent = checkedPlan(to, plan, throughZxid, storage, logger);
  const opening = openSyncStream(sent, committedZxid, () => {
    capture = tree.capture();
    const bytes = Buffer.alloc(0);
    return { zxid: capture.zxid, snapshot: { formatVersion: peerSnapshotFormatVersion, bytes } };
  });
  const afterZxid = opening.afterZxid;
  logger.info(
    { learner: to, mode: sent.mode, fromZxid: hex(afterZxid), throughZxid: hex(throughZxid) },
    'synchronizing learner',
  );
  // The txns the stream has yet to read stay in the log until it ends.
  const release = storage.holdLogAfter(afterZxid);
  let txns = 0;
  function* frames(): Generator<Uint8Array> {
    if (capture !== undefined && opening.message.type === 'snap') {
      yield* snapFrames(opening.message, capture, outbox.snapPartBytes);
    } else {
      capture?.release();
      yield encodePeerMessage(opening.message);
    }
    const logged = loggedTxnsBetween(log, afterZxid, throughZxid);
    for (const message of syncStreamMessages(logged, committedZxid)) {
      if (message.type === 'proposal') txns += message.txns.length;
      yield encodePeerMessage(message);
    }
  }
  outbox.stream(to, frames(), (outcome) => {
    release();
    logger.info(
      {
        learner: to,
        mode: sent.mode,
        sent: outcome.sent,
        txns,
        bytes: outcome.bytes,
        ms: Math.round(outcome.ms),
        longestSliceMs: Math.round(outcome.longestSliceMs),
        slices: outcome.slices,
      },
      outcome.sent ? 'sync stream sent' : 'sync stream abandoned',
    );
  });
}
