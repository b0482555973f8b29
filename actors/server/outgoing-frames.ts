// Hands a connection's frames to its socket, a large one a chunk per turn. A socket write is a
// syscall that, on loopback, also runs the receiving side of TCP for every segment: an 850 KB
// getChildren reply took 0.3-5 ms in one write, all of it inside one turn of the event loop,
// when every other connection waits. Written 64 KiB per turn, each write takes a few dozen
// microseconds and other connections' requests are served in between. The frames that follow
// a large one on its connection (replies, notifications) wait behind its last chunk, so the
// client reads the same bytes in the same order.

import { FrameParts, type Frame } from '../../protocol/frame-parts.js';

/** Frames (or parts of one) longer than this go out in chunks. */
export const chunkedFrameBytesMin = 128 * 1024;
/** Bytes written per turn of a large frame. */
export const frameChunkBytes = 64 * 1024;

export class OutgoingFrames {
  /** The large frame being written, and how far. */
  private large: Buffer | undefined;
  private offset = 0;
  /** Frames behind it, in order (set only while a large frame is being written). */
  private behind: Buffer[] | undefined;
  /** Runs once everything is written (a close waiting for its last frames). */
  private whenDone: (() => void) | undefined;
  private waitingCount = 0;

  constructor(
    /** Writes bytes to the socket now. */
    private readonly sink: (bytes: Buffer) => void,
    /** Runs work after the current turn (setImmediate; the simulator's scheduler there). */
    private readonly nextTurn: (work: () => void) => void,
    /** Told when the bytes held here went out (the connection may take requests again). */
    private readonly drained: () => void = () => undefined,
  ) {}

  /** Bytes accepted but not yet handed to the socket. */
  get waitingBytes(): number {
    return this.waitingCount;
  }

  /** True while a large frame is being written. */
  get busy(): boolean {
    return this.large !== undefined;
  }

  write(frame: Frame): void {
    if (frame instanceof FrameParts) {
      // Each part in turn, a large one in chunks: the rest wait behind it, in order.
      for (const part of frame.parts) this.writeBuffer(part);
      return;
    }
    this.writeBuffer(frame);
  }

  private writeBuffer(frame: Buffer): void {
    if (this.behind !== undefined) {
      this.behind.push(frame);
      this.waitingCount += frame.length;
      return;
    }
    if (frame.length < chunkedFrameBytesMin) {
      this.sink(frame);
      return;
    }
    this.large = frame;
    this.offset = 0;
    this.behind = [];
    this.waitingCount += frame.length;
    this.writeChunk();
  }

  /** Runs `done` once what was written here has gone to the socket (now, when nothing waits). */
  afterWritten(done: () => void): void {
    if (this.large === undefined) done();
    else this.whenDone = done;
  }

  /** The socket is gone: nothing held is written. */
  clear(): void {
    this.large = undefined;
    this.behind = undefined;
    this.whenDone = undefined;
    this.waitingCount = 0;
  }

  private readonly writeChunk = (): void => {
    const frame = this.large;
    if (frame === undefined) return;
    const end = Math.min(frame.length, this.offset + frameChunkBytes);
    this.waitingCount -= end - this.offset;
    this.sink(frame.subarray(this.offset, end));
    this.offset = end;
    if (end < frame.length) {
      this.nextTurn(this.writeChunk);
      return;
    }
    this.large = undefined;
    const behind = this.behind ?? [];
    this.behind = undefined;
    // In order: a large frame among them starts its own chunks and takes the rest behind it.
    for (const next of behind) {
      this.waitingCount -= next.length;
      this.writeBuffer(next);
    }
    if (this.large !== undefined) return;
    const done = this.whenDone;
    this.whenDone = undefined;
    done?.();
    this.drained();
  };
}
