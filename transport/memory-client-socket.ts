// An in-memory stand-in for a client's TCP connection: a connected pair of sockets, the client's
// end and the server's, with the few socket methods the server's ClientConnection uses. Bytes and
// closes are queued on the receiving end and handed over only when the test or the simulator's
// scheduler says so — never inside write(), which would re-enter the sender.

/** One thing in flight towards an end: bytes, the peer's FIN, or a reset (or its own destroy). */
type InboundItem = { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'close' };

type Listeners = {
  data: Array<(chunk: Buffer) => void>;
  error: Array<(error: Error) => void>;
  close: Array<() => void>;
};

export interface MemorySocketAddresses {
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
}

/**
 * One end of a memory connection. Like a net.Socket without allowHalfOpen: the peer's end()
 * arrives as a FIN after the bytes sent before it, and this end then ends too and says 'close';
 * destroy() makes the peer say 'close' once what was already in flight reached it.
 */
export class MemoryClientSocket {
  private peer: MemoryClientSocket | undefined;
  private inbound: InboundItem[] = [];
  private readonly listeners: Listeners = { data: [], error: [], close: [] };
  /** False once this end has ended or been destroyed: what it writes then goes nowhere. */
  private writable = true;
  private destroyed = false;
  /** True once 'close' was said: nothing is delivered after it. */
  private closed = false;
  private reading = true;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  /** Connects two ends (see memorySocketPair). */
  static connect(first: MemoryClientSocket, second: MemoryClientSocket): void {
    first.peer = second;
    second.peer = first;
  }

  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: keyof Listeners, listener: (argument: never) => void): this {
    (this.listeners[event] as Array<(argument: never) => void>).push(listener);
    return this;
  }

  /** Queues the bytes on the peer; false (and nothing sent) once this end is ended. */
  write(chunk: Buffer | string): boolean {
    if (!this.writable) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.peer?.enqueue({ kind: 'data', chunk: bytes });
    return true;
  }

  /** Sends the last bytes (if any), then a FIN. */
  end(chunk?: Buffer | string): this {
    if (chunk !== undefined) this.write(chunk);
    if (!this.writable) return this;
    this.writable = false;
    this.peer?.enqueue({ kind: 'end' });
    return this;
  }

  /**
   * Drops the connection: what this end had not yet read is gone, the peer learns of it after
   * what is already in flight to it, and this end says 'close' on its next delivery, as a
   * destroyed net.Socket does on a later turn.
   */
  destroy(): this {
    if (this.destroyed || this.closed) return this;
    this.destroyed = true;
    this.writable = false;
    this.inbound = [{ kind: 'close' }];
    this.peer?.enqueue({ kind: 'close' });
    return this;
  }

  /** Stops reading (ClientConnection's backpressure): bytes and FINs wait, resets do not. */
  pause(): this {
    this.reading = false;
    return this;
  }

  resume(): this {
    this.reading = true;
    return this;
  }

  /** Nothing to batch or delay in memory: every write is one queued chunk. */
  cork(): void {}

  uncork(): void {}

  setNoDelay(): this {
    return this;
  }

  /** True until this end has said 'close'. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Items the scheduler may hand to this end now. */
  get deliverable(): number {
    if (this.reading) return this.inbound.length;
    return this.inbound[0]?.kind === 'close' ? 1 : 0;
  }

  /**
   * Hands up to `count` queued items to this end's listeners, in order; returns how many. A
   * listener may write back: that only queues on the peer.
   */
  deliver(count = 1): number {
    let delivered = 0;
    while (delivered < count && this.deliverable > 0) {
      const item = this.inbound.shift()!;
      delivered++;
      this.receive(item);
    }
    return delivered;
  }

  private enqueue(item: InboundItem): void {
    // A destroyed end has already been reset: late bytes from the peer are discarded.
    if (this.destroyed || this.closed) return;
    this.inbound.push(item);
  }

  private receive(item: InboundItem): void {
    switch (item.kind) {
      case 'data':
        for (const listener of this.listeners.data) listener(item.chunk);
        return;
      case 'end':
        // Without allowHalfOpen a socket answers the peer's FIN with its own, then closes.
        this.end();
        this.sayClose();
        return;
      case 'close':
        this.writable = false;
        this.sayClose();
        return;
    }
  }

  private sayClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbound = [];
    for (const listener of this.listeners.close) listener();
  }
}

/** A connected pair: `client` is what a client holds, `server` what the server accepts. */
export function memorySocketPair(addresses: MemorySocketAddresses): {
  client: MemoryClientSocket;
  server: MemoryClientSocket;
} {
  const client = new MemoryClientSocket(addresses.serverAddress, addresses.serverPort);
  const server = new MemoryClientSocket(addresses.clientAddress, addresses.clientPort);
  MemoryClientSocket.connect(client, server);
  return { client, server };
}
