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
  /** For barriers: set once what the barrier waits for has settled; nothing is sent. */
  passed?: boolean;
  /** ZooKeeper's short name of the request (`GETD`), for the connection's statistics. */
  operation?: string;
}

export class RequestQueue {
  private readonly items: Item[] = [];

  constructor(
    private readonly send: (frame: Buffer) => void,
    /** Told each reply as it goes out: the request's latency, the frame, its operation name. */
    private readonly answered: (
      latencyMs: number,
      frame: Buffer,
      operation: string | undefined,
    ) => void = () => undefined,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** A request answered from local state when its turn comes; `run` may return no reply. */
  pushRead(run: () => Buffer | undefined, operation?: string): void {
    const item: Item = { receivedAtMs: Date.now(), run };
    if (operation !== undefined) item.operation = operation;
    this.items.push(item);
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
  }

  private drain(): void {
    while (this.items.length > 0) {
      const head = this.items[0]!;
      if (head.reply === undefined && head.run === undefined && head.passed !== true) return;
      this.items.shift();
      const frame = head.reply ?? head.run?.();
      if (frame !== undefined) {
        this.send(frame);
        this.answered(Date.now() - head.receivedAtMs, frame, head.operation);
      }
      head.after?.();
    }
  }
}
