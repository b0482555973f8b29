// Deliberately broken reply queues for the client connections, to show that the simulator
// checks each session's FIFO order through the real client path: each must be caught, as the
// broken replica machines of sim/variants.ts are.

import type { RequestQueueFactory } from '../actors/server/client-connection.js';
import { RequestQueue } from '../actors/server/request-queue.js';

/** Answers every read at once, ahead of the session's earlier requests still unanswered. */
class ReadsFirstQueue extends RequestQueue {
  constructor(private readonly sendNow: (frame: Buffer) => void) {
    super(sendNow);
  }

  override pushRead(run: () => Buffer | undefined): void {
    const frame = run();
    if (frame !== undefined) this.sendNow(frame);
  }
}

/**
 * Keeps replies in order but never says a read is waiting, so its connection hands over the
 * session's later writes at once: one applied before an earlier read has run shows that read
 * a future its session had not reached (the server bug the real client path first found).
 */
class UnheldReadsQueue extends RequestQueue {
  override get readWaiting(): boolean {
    return false;
  }
}

export const brokenRequestQueues = {
  readsFirst: ((send) => new ReadsFirstQueue(send)) satisfies RequestQueueFactory,
  unheldReads: ((...queue) => new UnheldReadsQueue(...queue)) satisfies RequestQueueFactory,
};

export type BrokenRequestQueue = keyof typeof brokenRequestQueues;
