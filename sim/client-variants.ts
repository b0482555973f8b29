// Deliberately broken reply queues for the client connections, to show that the simulator
// checks each session's FIFO order through the real client path: each must be caught, as the
// broken replica machines of sim/variants.ts are.

import type { RequestQueueFactory } from '../actors/server/client-connection.js';
import { RequestQueue, type ReadReply, type WriteSlot } from '../actors/server/request-queue.js';
import type { Frame } from '../protocol/frame-parts.js';

/** Answers every read at once, ahead of the session's earlier requests still unanswered. */
class ReadsFirstQueue extends RequestQueue {
  constructor(private readonly sendNow: (frame: Frame) => void) {
    super(sendNow);
  }

  override pushRead(run: () => ReadReply): void {
    const frame = run();
    if (frame instanceof Promise) void frame.then((late) => this.sendNow(late));
    else if (frame !== undefined) this.sendNow(frame);
  }
}

/**
 * Keeps replies in order but hands a write's answer in a microtask after it is applied (as a
 * promise would): the reads queued behind it run only once the rest of its batch is applied
 * too, so a later write of the same session shows them a future their session had not reached
 * (the server bug the real client path first found).
 */
class LateWriteRepliesQueue extends RequestQueue {
  override expectWrite(failed: () => Buffer, operation?: string): WriteSlot {
    const slot = super.expectWrite(failed, operation);
    return {
      answer: (frame) => queueMicrotask(() => slot.answer(frame)),
      fail: () => slot.fail(),
    };
  }
}

export const brokenRequestQueues = {
  readsFirst: ((send) => new ReadsFirstQueue(send)) satisfies RequestQueueFactory,
  lateWriteReplies: ((...queue) => new LateWriteRepliesQueue(...queue)) satisfies
    RequestQueueFactory,
};

export type BrokenRequestQueue = keyof typeof brokenRequestQueues;
