// The watch notifications of one client connection that are not written yet, and the rule that
// orders them against its replies: a client sees a watch event before any reply that reveals
// the change (ZooKeeper's guarantee), and never an event before the reply that set its watch.
// A watch herd's notifications are queued here on every watcher at once and written in slices
// (notification-fan-out.ts); a reply written meanwhile takes its connection's queue with it.

import type { Frame } from '../../protocol/frame-parts.js';

/** Where the frames go: the connection's socket (a connection is its own writer). */
export interface FrameWriter {
  write(frame: Frame, notification: boolean): void;
}

export class ConnectionNotifications {
  /** Notifications not yet written, in order (allocated only while there are some). */
  private queued: Buffer[] | undefined = undefined;
  /** Set while a reply that ran before the notifications now queued is being encoded. */
  private replyUnderway = false;

  constructor(private readonly writer: FrameWriter) {}

  /** Queues one; true when none was queued before (the caller must see that it is flushed). */
  queue(frame: Buffer): boolean {
    if (this.queued === undefined) {
      this.queued = [frame];
      return true;
    }
    this.queued.push(frame);
    return false;
  }

  /** Writes what is queued, unless a reply computed before it is still on its way. */
  flush(): void {
    const queued = this.queued;
    if (queued === undefined || this.replyUnderway) return;
    this.queued = undefined;
    for (const frame of queued) this.writer.write(frame, true);
  }

  /**
   * A read has run and its reply will be encoded over later turns (sliced-replies.ts). What is
   * queued now happened before the read and goes first; what is queued from now on tells of
   * changes after it, so it waits until that reply is written.
   */
  replyPending(): void {
    this.flush();
    this.replyUnderway = true;
  }

  /**
   * Writes a reply: the notifications queued go first, since the reply may reveal the change
   * they tell of. The one exception is the reply `replyPending` announced: the connection's
   * reply queue sends nothing else while it is underway, so this frame is that reply, and the
   * notifications queued meanwhile follow it.
   */
  reply(frame: Frame): void {
    const announced = this.replyUnderway;
    this.replyUnderway = false;
    if (!announced) this.flush();
    this.writer.write(frame, false);
    if (announced) this.flush();
  }

  /** The connection is gone: nothing queued will be written. */
  clear(): void {
    this.queued = undefined;
    this.replyUnderway = false;
  }
}
