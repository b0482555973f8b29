// Keeps one session's replies in the order its requests arrived (ZooKeeper's FIFO client
// order). Writes are handed to the proposer at once, so a session can pipeline them; a read
// runs only when everything before it in the session has been answered, so it sees the
// session's own earlier writes, and no later one: a write's answer is handed in the moment the
// write is applied (`expectWrite`), so the reads behind it run before the next txn is applied,
// as ZooKeeper's CommitProcessor runs them before its next commit. What settles only later (a
// sync, a session moving in from another connection, the rare write answered by a promise)
// cannot promise that: while a read waits behind one of those, the connection holds back the
// session's later writes (client-connection.ts).

import type { Frame } from '../../protocol/frame-parts.js';

interface Item {
  /** When the request arrived (ms), for latency statistics. */
  receivedAtMs: number;
  /** Set once the reply is known. */
  reply?: Frame;
  /** For reads: computes the reply when the item reaches the head (or a promise of it, for a
   * reply encoded over later turns: see sliced-replies.ts). */
  run?: () => ReadReply;
  /** Called after the reply is sent (e.g. close the connection after closeSession). */
  after?: () => void;
  /** For barriers: set once what the barrier waits for has settled; nothing is sent. */
  passed?: boolean;
  /** ZooKeeper's short name of the request (`GETD`), for the connection's statistics. */
  operation?: string;
  /** Settles in a later microtask (a promise), not as the tree changes. */
  late?: boolean;
}

/** A read's reply: a frame, none, or a frame still being encoded. */
export type ReadReply = Frame | Promise<Frame> | undefined;

/** The answer to a write handed to the queue (see RequestQueue.expectWrite). */
export interface WriteSlot {
  /** The write was applied: its reply, handed in before the next txn is applied. */
  answer(frame: Buffer): void;
  /** The write was not applied (not durable, or the replica stopped serving). */
  fail(): void;
}

export class RequestQueue {
  private readonly items: Item[] = [];
  /** Reads queued behind something unanswered, not yet run. */
  private readsWaitingCount = 0;
  /** Queued items that settle in a later microtask, not as the tree changes. */
  private lateCount = 0;
  private drainedScheduled = false;
  /** Bytes of replies known and not yet sent: answered behind an item still unanswered. */
  private replyBytesWaitingCount = 0;

  constructor(
    private readonly send: (frame: Frame) => void,
    /** Told each reply as it goes out: the request's latency, the frame, its operation name. */
    private readonly answered: (
      latencyMs: number,
      frame: Frame,
      operation: string | undefined,
    ) => void = () => undefined,
    /** Told after the queue moved on (replies went out, reads ran), once per turn. */
    private readonly drained: () => void = () => undefined,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Bytes of replies already known but waiting for an earlier item's reply to be sent. */
  get replyBytesWaiting(): number {
    return this.replyBytesWaitingCount;
  }

  /**
   * True while a read waits and something queued settles only in a later microtask: a write
   * the session sends now could be applied before that read runs, so it must be held back.
   */
  get readWaiting(): boolean {
    return this.readsWaitingCount > 0 && this.lateCount > 0;
  }

  /** A request answered from local state when its turn comes; `run` may return no reply. */
  pushRead(run: () => ReadReply, operation?: string): void {
    const item: Item = { receivedAtMs: Date.now(), run };
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
    this.readsWaitingCount++;
    this.drain();
  }

  /**
   * A write whose answer is handed in as it is applied (`WriteSlot.answer`), which runs the
   * reads queued behind it there and then. `failed` answers it when it was not applied.
   */
  expectWrite(failed: () => Buffer, operation?: string): WriteSlot {
    const item: Item = { receivedAtMs: Date.now() };
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
    return {
      answer: (frame) => {
        if (item.reply === undefined) this.settle(item, frame);
      },
      fail: () => {
        if (item.reply === undefined) this.settle(item, failed());
      },
    };
  }

  /**
   * A request whose reply a promise settles, in a later microtask: the reads behind it make
   * the connection hold back the session's later writes until it is answered. `failed`
   * answers it when the write could not be made durable.
   */
  pushWrite(
    reply: Promise<Buffer>,
    after?: () => void,
    failed?: () => Buffer,
    operation?: string,
  ): void {
    const item: Item = { receivedAtMs: Date.now(), late: true };
    if (after !== undefined) item.after = after;
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
    this.lateCount++;
    reply.then(
      (frame) => this.settle(item, frame),
      () => {
        if (failed === undefined) {
          // Nothing to say: let the requests behind it go on.
          item.passed = true;
          this.drain();
        } else {
          this.settle(item, failed());
        }
      },
    );
  }

  /**
   * Holds back everything queued after it until `settled` settles, without a reply of its own:
   * a session that moves to a new connection must not see reads answered before the writes it
   * sent on the old one are applied (ZooKeeper orders requests per session).
   */
  pushBarrier(settled: Promise<unknown>): void {
    const item: Item = { receivedAtMs: Date.now(), late: true };
    this.items.push(item);
    this.lateCount++;
    const pass = (): void => {
      item.passed = true;
      this.drain();
    };
    settled.then(pass, pass);
  }

  /** Drops everything queued (the connection is gone). */
  clear(): void {
    this.items.length = 0;
    this.readsWaitingCount = 0;
    this.lateCount = 0;
    this.replyBytesWaitingCount = 0;
  }

  /** Puts a read whose reply is still being encoded back at the head, until it is. */
  private awaitReply(read: Item, reply: Promise<Frame>): void {
    const item: Item = { receivedAtMs: read.receivedAtMs, late: true };
    if (read.operation !== undefined) item.operation = read.operation;
    this.items.unshift(item);
    this.lateCount++;
    void reply.then((frame) => this.settle(item, frame));
  }

  /** The item's reply is known: counted as waiting until drain sends it. */
  private settle(item: Item, frame: Frame): void {
    item.reply = frame;
    this.replyBytesWaitingCount += frame.length;
    this.drain();
  }

  private drain(): void {
    let moved = false;
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (head.reply === undefined && head.run === undefined && head.passed !== true) break;
      this.items.shift();
      moved = true;
      if (head.run !== undefined) this.readsWaitingCount--;
      if (head.late === true) this.lateCount--;
      if (head.reply !== undefined) this.replyBytesWaitingCount -= head.reply.length;
      const frame = head.reply ?? head.run?.();
      if (frame instanceof Promise) {
        // The read ran; its reply is still being encoded. It keeps its place at the head, and
        // settles later, as a write's answer does: reads behind it hold back later writes.
        this.awaitReply(head, frame);
        break;
      }
      if (frame !== undefined) {
        this.send(frame);
        this.answered(Date.now() - head.receivedAtMs, frame, head.operation);
      }
      head.after?.();
    }
    // Told in a microtask, once: a drain may run in the middle of applying a batch, where the
    // connection must not hand the server new requests.
    if (moved && !this.drainedScheduled) {
      this.drainedScheduled = true;
      queueMicrotask(() => {
        this.drainedScheduled = false;
        this.drained();
      });
    }
  }
}
