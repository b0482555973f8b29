// Keeps one session's replies in the order its requests arrived (ZooKeeper's FIFO client
// order). Writes are handed to the proposer at once, so a session can pipeline them; a read
// runs only when everything before it in the session has been answered, so it sees the
// session's own earlier writes.

interface Item {
  /** When the request arrived (ms), for latency statistics. */
  receivedAtMs: number;
  /** Set once the reply is known. */
  reply?: Buffer;
  /** For reads: computes the reply when the item reaches the head. */
  run?: () => Buffer | undefined;
  /** Called after the reply is sent (e.g. close the connection after closeSession). */
  after?: () => void;
}

export class RequestQueue {
  private readonly items: Item[] = [];

  constructor(
    private readonly send: (frame: Buffer) => void,
    /** Told each request's latency when its reply goes out. */
    private readonly answered: (latencyMs: number) => void = () => undefined,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** A request answered from local state when its turn comes; `run` may return no reply. */
  pushRead(run: () => Buffer | undefined): void {
    this.items.push({ receivedAtMs: Date.now(), run });
    this.drain();
  }

  /** A request whose reply arrives later (a write going through the proposer). */
  pushWrite(reply: Promise<Buffer>, after?: () => void): void {
    const item: Item = { receivedAtMs: Date.now() };
    if (after !== undefined) item.after = after;
    this.items.push(item);
    reply.then(
      (frame) => {
        item.reply = frame;
        this.drain();
      },
      () => {
        // The proposer failed: the connection is being torn down; leave the item unanswered.
      },
    );
  }

  /** Drops everything queued (the connection is gone). */
  clear(): void {
    this.items.length = 0;
  }

  private drain(): void {
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (head.reply === undefined && head.run === undefined) return;
      this.items.shift();
      const frame = head.reply ?? head.run!();
      if (frame !== undefined) {
        this.send(frame);
        this.answered(Date.now() - head.receivedAtMs);
      }
      head.after?.();
    }
  }
}
