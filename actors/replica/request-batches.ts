// Client requests gathered for the rest of a turn of the event loop and handed to the replica
// machine as one `client.requests`: a busy leader then proposes them as one PROPOSAL batch and
// one log commit (ZooKeeper's request processors batch what they find queued the same way).
import type { ClientRequestEntry } from '../../machines/replica-context.js';
import type { ReplicaEvent } from '../../machines/replica.js';
import { bodyBulkBytes, txnBatchBytesMax, type TxnDigest } from '../../protocol/txn.js';

/** Requests handed to the machine in one `client.requests` at most; a batch is handed over
 * sooner once its requests reach txnBatchBytesMax (it becomes one PROPOSAL frame). */
const requestsPerBatchMax = 1000;

export class RequestBatches {
  private pendingRequests: ClientRequestEntry[] = [];
  private pendingBytes = 0;
  private flushQueued = false;

  constructor(
    private readonly nextTurn: (work: () => void) => void,
    /** The digest to stamp into the batch (DataTree.digestToStamp); undefined before a tree. */
    private readonly digestToStamp: () => TxnDigest | undefined,
    private readonly send: (event: ReplicaEvent) => void,
  ) {}

  /** One more request for this turn's batch (handed over at once when the batch is full). */
  add(entry: ClientRequestEntry): void {
    this.pendingRequests.push(entry);
    this.pendingBytes += bodyBulkBytes(entry.body);
    this.queueFlush();
  }

  /** Requests that go in the batch now, with the ones before them (a learner's REQUEST). */
  addAndFlush(entries: Iterable<ClientRequestEntry>): void {
    for (const entry of entries) this.pendingRequests.push(entry);
    this.flushRequests();
  }

  private queueFlush(): void {
    if (this.pendingRequests.length >= requestsPerBatchMax ||
      this.pendingBytes >= txnBatchBytesMax) {
      this.flushRequests();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      this.nextTurn(() => this.flushRequests());
    }
  }

  /** Hands what was gathered to the machine now (a sync follows the writes before it). */
  flushRequests(): void {
    this.flushQueued = false;
    if (this.pendingRequests.length === 0) return;
    const requests = this.pendingRequests;
    this.pendingRequests = [];
    this.pendingBytes = 0;
    const digest = this.digestToStamp();
    this.send(digest === undefined
      ? { type: 'client.requests', requests }
      : { type: 'client.requests', requests, digest });
  }
}
