// The messages of a leader's sync stream after DIFF, TRUNC or SNAP: the logged txns as PROPOSAL
// batches, each followed by a COMMIT for the last of them the leader has committed. The replica
// host (actors/replica/learner-sync.ts) streams through this one function in every world.
import { txnBatchBytesMax, txnBulkBytes, type Txn } from './txn.js';
import type { PeerMessage, TreeSnapshot, Zxid } from './peer.js';

/** Txns per PROPOSAL in a sync stream at most (and fewer once they reach txnBatchBytesMax). */
export const syncBatchTxnsMax = 500;

export function* syncStreamMessages(
  txns: Iterable<Txn>,
  committedZxid: Zxid,
  batchTxnsMax = syncBatchTxnsMax,
): Generator<PeerMessage> {
  let batch: Txn[] = [];
  let batchBytes = 0;
  const flush = function* (): Generator<PeerMessage> {
    if (batch.length === 0) return;
    yield { type: 'proposal', txns: batch };
    const committed = batch.filter((txn) => txn.zxid <= committedZxid).at(-1);
    if (committed !== undefined) yield { type: 'commit', zxid: committed.zxid };
    batch = [];
    batchBytes = 0;
  };
  for (const txn of txns) {
    batch.push(txn);
    batchBytes += txnBulkBytes(txn);
    if (batch.length >= batchTxnsMax || batchBytes >= txnBatchBytesMax) yield* flush();
  }
  yield* flush();
}

/** How a sync stream opens, from the leader's plan for the learner (machines/leading/rules.ts). */
export type SyncOpening =
  | { mode: 'diff'; afterZxid: Zxid }
  | { mode: 'trunc'; truncateToZxid: Zxid }
  | { mode: 'snap' };

/**
 * The first message of a sync stream and the zxid after which the log follows it: DIFF (the
 * stream is committed up to `committedZxid`), TRUNC to the point, or SNAP of the tree as it is.
 */
export function openSyncStream(
  plan: SyncOpening,
  committedZxid: Zxid,
  snapshotOfTree: () => { zxid: Zxid; snapshot: TreeSnapshot },
): { message: PeerMessage; afterZxid: Zxid } {
  switch (plan.mode) {
    case 'diff':
      return { message: { type: 'diff', zxid: committedZxid }, afterZxid: plan.afterZxid };
    case 'trunc': {
      const zxid = plan.truncateToZxid;
      return { message: { type: 'trunc', zxid }, afterZxid: zxid };
    }
    case 'snap': {
      const { zxid, snapshot } = snapshotOfTree();
      return { message: { type: 'snap', zxid, snapshot }, afterZxid: zxid };
    }
    default:
      return plan satisfies never;
  }
}
