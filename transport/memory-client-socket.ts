// An in-memory stand-in for a client's TCP connection: a connected pair of sockets, the client's
// end and the server's, with the few socket methods the server's ClientConnection uses. Bytes and
// closes are queued on the receiving end and handed over only when the test or the simulator's
// scheduler says so — never inside write(), which would re-enter the sender. What one end wrote
// and the other has not yet taken is that end's writableLength, as a socket's unsent bytes are,
// and its 'drain' is one more thing the scheduler delivers, so a server that stops reading a
// client who does not read behaves here as over TCP.

/** One thing in flight towards an end: bytes, the peer's FIN, or a reset (or its own destroy). */
type InboundItem = { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'close' };

type Listeners = {
  data: Array<(chunk: Buffer) => void>;
  drain: Array<() => void>;
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
  private readonly listeners: Listeners = { data: [], drain: [], error: [], close: [] };
  /** False once this end has ended or been destroyed: what it writes then goes nowhere. */
  private writable = true;
  private destroyed = false;
  /** True once 'close' was said: nothing is delivered after it. */
  private closed = false;
  private reading = true;
  /** Bytes this end wrote that the peer has not yet taken. */
  private unsentBytes = 0;
  /** Set when a write left the high-water mark reached: 'drain' follows once all is taken. */
  private needDrain = false;
  /** 'drain' is due: delivered by the scheduler like any item, even while paused. */
  private drainPending = false;
  /** As net.Socket's default: a write leaving this many bytes unsent returns false. */
  readonly writableHighWaterMark = 16 * 1024;

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
  on(event: 'drain', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: keyof Listeners, listener: (argument: never) => void): this {
    (this.listeners[event] as Array<(argument: never) => void>).push(listener);
    return this;
  }

  /** Bytes written and not yet taken by the peer (net.Socket's unsent bytes). */
  get writableLength(): number {
    return this.unsentBytes;
  }

  /**
   * Queues the bytes on the peer; false once this end is ended (nothing sent), or once the
   * peer has the high-water mark or more still to take ('drain' follows).
   */
  write(chunk: Buffer | string): boolean {
    if (!this.writable) return false;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.peer?.enqueue({ kind: 'data', chunk: bytes }) !== true) return true;
    this.unsentBytes += bytes.length;
    if (this.unsentBytes < this.writableHighWaterMark) return true;
    this.needDrain = true;
    return false;
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
    // What the peer wrote and this end had not yet taken is gone; what this end wrote still
    // reaches the peer, before the reset.
    this.peer?.forgetUnsent();
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
    const drain = this.drainPending ? 1 : 0;
    if (this.reading) return drain + this.inbound.length;
    return drain + (this.inbound[0]?.kind === 'close' ? 1 : 0);
  }

  /**
   * Hands up to `count` queued items to this end's listeners, in order (a due 'drain' first);
   * returns how many. A listener may write back: that only queues on the peer.
   */
  deliver(count = 1): number {
    let delivered = 0;
    while (delivered < count && this.deliverable > 0) {
      delivered++;
      if (this.drainPending) {
        this.drainPending = false;
        for (const listener of this.listeners.drain) listener.call(this);
        continue;
      }
      this.receive(this.inbound.shift()!);
    }
    return delivered;
  }

  /** Queues an item from the peer; false when this end discards it. */
  private enqueue(item: InboundItem): boolean {
    // A destroyed end has already been reset: late bytes from the peer are discarded.
    if (this.destroyed || this.closed) return false;
    this.inbound.push(item);
    return true;
  }

  /** The peer took `bytes` this end wrote: 'drain' is due once it took them all. */
  private taken(bytes: number): void {
    this.unsentBytes -= bytes;
    if (this.unsentBytes > 0 || !this.needDrain) return;
    this.needDrain = false;
    if (!this.closed && !this.destroyed) this.drainPending = true;
  }

  /** What this end wrote is gone with the peer's reset: nothing waits, no 'drain' comes. */
  private forgetUnsent(): void {
    this.unsentBytes = 0;
    this.needDrain = false;
  }

  private receive(item: InboundItem): void {
    switch (item.kind) {
      case 'data':
        this.peer?.taken(item.chunk.length);
        for (const listener of this.listeners.data) listener.call(this, item.chunk);
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
    this.drainPending = false;
    // What the peer had not yet handed to this end is dropped with it.
    this.peer?.forgetUnsent();
    this.inbound = [];
    for (const listener of this.listeners.close) listener.call(this);
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
