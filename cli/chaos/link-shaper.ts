// A wide-area link between two loopback sockets, for a kernel without netem: bytes are held for
// the link's one-way delay and paced at its bandwidth (a token bucket with no burst: a chunk
// leaves once the bytes before it have had their time on the wire). Order is kept, as TCP keeps
// it. A limit on what one direction holds stops reading from the sender until it drains, and so
// does a receiver that stops reading: the proxy never takes more than a network would hold, so
// a sender that dies loses what it had not yet written, as it would without the proxy.
import type { Socket } from 'node:net';

/** One direction of a link between two sites (or inside one). */
export interface LinkShape {
  delayMs: number;
  /** Bytes per millisecond the link carries; Infinity for no limit. */
  bandwidthBytesPerMs: number;
  /** Bytes held before the sender is no longer read (default heldBytesMax): a thin link's. */
  heldBytesMax?: number;
}

export const unshapedLink: LinkShape = { delayMs: 0, bandwidthBytesPerMs: Infinity };

/** Bytes one direction holds before it stops reading from its sender (TCP's window, roughly). */
export const heldBytesMax = 8 * 1024 * 1024;

interface Held {
  chunk: Buffer;
  releaseAtMs: number;
}

/** One direction of one connection: what `source` sends reaches `sink` shaped by `shape`. */
export class ShapedDirection {
  private readonly held: Held[] = [];
  private heldBytes = 0;
  /** When the link has finished putting on the wire what it was given so far. */
  private wireFreeAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Told once everything held was released after the source ended (see finish). */
  private finished: (() => void) | undefined;
  /** The sink's own buffer is full (its reader is slow or stopped): wait for its drain. */
  private sinkFull = false;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    private readonly shape: LinkShape,
    /** Told of each chunk as it is released (the mesh counts bytes per link with it). */
    private readonly released: (bytes: number) => void,
    /** Asked again at release: a chunk held across a cut is lost with the cut. */
    private readonly stillOpen: () => boolean,
  ) {}

  /** Takes a chunk the source sent; it reaches the sink after its time on the wire and delay. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    if (this.shape.delayMs <= 0 && this.shape.bandwidthBytesPerMs === Infinity &&
      this.held.length === 0) {
      this.release(chunk);
      return;
    }
    const now = performance.now();
    const startMs = Math.max(now, this.wireFreeAtMs);
    this.wireFreeAtMs = startMs + chunk.byteLength / this.shape.bandwidthBytesPerMs;
    this.held.push({ chunk, releaseAtMs: this.wireFreeAtMs + this.shape.delayMs });
    this.heldBytes += chunk.byteLength;
    if (this.heldBytes > this.heldLimit) this.source.pause();
    this.schedule();
  }

  /**
   * The source ended: what it sent before its FIN still arrives, after its delay, and only then
   * is `done` told (a peer's last frame, a goodbye, must not be cut by the close behind it).
   */
  finish(done: () => void): void {
    if (this.finished !== undefined || this.closed) return;
    this.finished = done;
    if (this.held.length === 0) done();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held.length = 0;
    this.heldBytes = 0;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    const head = this.held[0];
    if (head === undefined) return;
    const waitMs = Math.max(0, head.releaseAtMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.releaseDue();
    }, Math.ceil(waitMs));
  }

  private releaseDue(): void {
    const now = performance.now();
    // A timer that fired early by this clock (libuv's is cached per loop turn) waits again.
    while (this.held[0] !== undefined && this.held[0].releaseAtMs <= now) {
      const { chunk } = this.held.shift()!;
      this.heldBytes -= chunk.byteLength;
      this.release(chunk);
    }
    this.resumeSource();
    if (this.held.length === 0) this.finished?.();
    this.schedule();
  }

  /** Read at each use: a test may change the shape of a link while it carries bytes. */
  private get heldLimit(): number {
    return this.shape.heldBytesMax ?? heldBytesMax;
  }

  private resumeSource(): void {
    if (this.heldBytes <= this.heldLimit / 2 && !this.sinkFull && this.source.isPaused()) {
      this.source.resume();
    }
  }

  private release(chunk: Buffer): void {
    if (!this.stillOpen() || this.sink.destroyed) return;
    this.released(chunk.byteLength);
    if (this.sink.write(chunk) || this.sinkFull) return;
    this.sinkFull = true;
    this.source.pause();
    this.sink.once('drain', () => {
      this.sinkFull = false;
      if (!this.closed) this.resumeSource();
    });
  }
}
