// A wide-area link between two loopback sockets, for a kernel without netem: bytes are held for
// the link's one-way delay and paced at its bandwidth (a token bucket with no burst: a chunk
// leaves once the bytes before it have had their time on the wire). Order is kept, as TCP keeps
// it. A limit on what one direction holds stops reading from the sender until it drains.
import type { Socket } from 'node:net';

/** One direction of a link between two sites (or inside one). */
export interface LinkShape {
  delayMs: number;
  /** Bytes per millisecond the link carries; Infinity for no limit. */
  bandwidthBytesPerMs: number;
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
    if (this.heldBytes > heldBytesMax) this.source.pause();
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
    if (this.heldBytes <= heldBytesMax / 2 && this.source.isPaused()) this.source.resume();
    if (this.held.length === 0) this.finished?.();
    this.schedule();
  }

  private release(chunk: Buffer): void {
    if (!this.stillOpen() || this.sink.destroyed) return;
    this.released(chunk.byteLength);
    this.sink.write(chunk);
  }
}
