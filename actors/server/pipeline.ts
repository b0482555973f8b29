// The write pipeline a server's request handling submits txns to. A standalone server orders
// txns itself (actors/server/proposer.ts: a quorum of one); a replica of an ensemble hands them
// to its replica machine, which orders them on the leader (actors/replica/pipeline.ts). Either
// way a promise settles only once the txn is applied here, so replies follow the tree.

import type { ApplyOutcome } from '../../tree/data-tree.js';
import type { RequestBody } from '../../protocol/txn.js';

export interface WritePipeline {
  /**
   * Orders a txn for the session's request `cxid`; resolves with its outcome once it is applied
   * to this server's tree. Rejects when it cannot be made durable, or when this replica stops
   * serving before it is applied (the client then sees ConnectionLoss, as with ZooKeeper).
   * `applied`, when given, is told the outcome the moment the txn is applied, before the next
   * txn is: the session's reads queued behind this write then run against the tree as this
   * write left it (ZooKeeper's CommitProcessor runs them before it applies the next commit).
   */
  propose(
    sessionId: bigint,
    cxid: number,
    body: RequestBody,
    applied?: (outcome: ApplyOutcome) => void,
  ): Promise<ApplyOutcome>;
  /**
   * The same as propose without a promise, where the pipeline can: `applied` is told the outcome
   * as the txn is applied, `failed` when it will not be. The standalone server's write path
   * orders every client write this way (a promise and its reactions per write are measurable
   * at tens of thousands of writes a second).
   */
  submit?(
    sessionId: bigint,
    cxid: number,
    body: RequestBody,
    applied: (outcome: ApplyOutcome) => void,
    failed: (error: unknown) => void,
  ): void;
  /** True where a reconfig goes to an ensemble's leader (absent standalone: Unimplemented). */
  readonly acceptsReconfig?: boolean;
  /**
   * ZooKeeper's sync: resolves once this server has applied every txn the leader committed
   * before it processed the sync (at once on a standalone server).
   */
  sync(sessionId: bigint, cxid: number, path: string): Promise<void>;
  /**
   * A learner's question to the leader before it hands a reconnecting client its session
   * (ZooKeeper's REVALIDATE): true when the leader still holds the session alive. Absent where
   * this server decides expiry itself (standalone, leader).
   */
  revalidate?(sessionId: bigint, timeoutMs: number): Promise<boolean>;
  /** Txns submitted here and not yet applied. */
  readonly outstanding: number;
  /** Resolves once no txn ordered here is being made durable (a stopping server waits for it
   * before it closes its storage). Absent where a replica's host does this itself. */
  drained?(): Promise<void>;
}

/**
 * Tells a listener a txn's outcome as the txn is applied. A listener that throws must not stop
 * the txns after it from being applied: its error surfaces on its own, as an unhandled
 * rejection of the promise it stands for would have.
 */
export function tell<Outcome>(
  listener: ((outcome: Outcome) => void) | undefined,
  outcome: Outcome,
): void {
  if (listener === undefined) return;
  try {
    listener(outcome);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** A replica that is not serving (looking, or still synchronizing) cannot take requests. */
export class NotServingError extends Error {
  constructor(detail: string) {
    super(`this replica is not serving: ${detail}`);
    this.name = 'NotServingError';
  }
}
