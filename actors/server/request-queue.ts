// Keeps one session's replies in the order its requests arrived (ZooKeeper's FIFO client
// order). Writes are handed to the proposer at once, so a session can pipeline them; a read
// runs only when everything before it in the session has been answered, so it sees the
// session's own earlier writes. While a read waits, its connection holds back what follows it
// (client-connection.ts), so that no later write of the session is applied before it runs.

interface Item {
  /** When the request arrived (ms), for latency statistics. */
  receivedAtMs: number;
  /** Set once the reply is known. */
  reply?: Buffer;
  /** For reads: computes the reply when the item reaches the head. */
  run?: () => Buffer | undefined;
  /** Called after the reply is sent (e.g. close the connection after closeSession). */
  after?: () => void;
  /** For barriers: set once what the barrier waits for has settled; nothing is sent. */
  passed?: boolean;
  /** ZooKeeper's short name of the request (`GETD`), for the connection's statistics. */
  operation?: string;
}

export class RequestQueue {
  private readonly items: Item[] = [];
  /** Reads queued behind something unanswered, not yet run. */
  private readsWaitingCount = 0;

  constructor(
    private readonly send: (frame: Buffer) => void,
    /** Told each reply as it goes out: the request's latency, the frame, its operation name. */
    private readonly answered: (
      latencyMs: number,
      frame: Buffer,
      operation: string | undefined,
    ) => void = () => undefined,
    /** Told after the queue moved on (replies went out, reads ran), once per turn. */
    private readonly drained: () => void = () => undefined,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** True while a read waits for what is ahead of it to be answered. */
  get readWaiting(): boolean {
    return this.readsWaitingCount > 0;
  }

  /** A request answered from local state when its turn comes; `run` may return no reply. */
  pushRead(run: () => Buffer | undefined, operation?: string): void {
    const item: Item = { receivedAtMs: Date.now(), run };
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
    this.readsWaitingCount++;
    this.drain();
  }

  /**
   * A request whose reply arrives later (a write going through the proposer). `failed` answers
   * it when the write could not be made durable.
   */
  pushWrite(
    reply: Promise<Buffer>,
    after?: () => void,
    failed?: () => Buffer,
    operation?: string,
  ): void {
    const item: Item = { receivedAtMs: Date.now() };
    if (after !== undefined) item.after = after;
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
    reply.then(
      (frame) => {
        item.reply = frame;
        this.drain();
      },
      () => {
        if (failed === undefined) {
          // Nothing to say: let the requests behind it go on.
          item.passed = true;
        } else {
          item.reply = failed();
        }
        this.drain();
      },
    );
  }

  /**
   * Holds back everything queued after it until `settled` settles, without a reply of its own:
   * a session that moves to a new connection must not see reads answered before the writes it
   * sent on the old one are applied (ZooKeeper orders requests per session).
   */
  pushBarrier(settled: Promise<unknown>): void {
    const item: Item = { receivedAtMs: Date.now() };
    this.items.push(item);
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
  }

  private drain(): void {
    let moved = false;
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (head.reply === undefined && head.run === undefined && head.passed !== true) break;
      this.items.shift();
      moved = true;
      if (head.run !== undefined) this.readsWaitingCount--;
      const frame = head.reply ?? head.run?.();
      if (frame !== undefined) {
        this.send(frame);
        this.answered(Date.now() - head.receivedAtMs, frame, head.operation);
      }
      head.after?.();
    }
    if (moved) this.drained();
  }
}
