// Splits a byte stream into length-prefixed frames (a 4-byte big-endian length, then that many
// bytes), the framing both ZooKeeper's client protocol and corral's peer protocol use. Pure and
// incremental: feed it chunks of any size, one byte at a time included.

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly frameBytesMax: number) {
    super(`frame length ${length} outside [0, ${frameBytesMax}]`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** May be changed between frames (a handshake limit widened once the peer is believed). */
  constructor(public frameBytesMax: number) {}

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** The first bytes buffered, without consuming them (for four-letter-word detection). */
  peek(bytes: number): Buffer | undefined {
    if (this.pendingBytes < bytes) return undefined;
    return this.joined().subarray(0, bytes);
  }

  /** The length prefix of the next frame (at least 4 bytes are buffered). */
  private nextLength(): number {
    if (this.pending[0]!.length < 4) {
      this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    }
    return this.pending[0]!.readInt32BE(0);
  }

  private joined(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0] ?? Buffer.alloc(0);
  }

  /**
   * Appends a chunk and returns every complete frame body it completes. Throws
   * FrameTooLargeError when a length prefix is negative or above the limit: the caller closes
   * the connection, since the stream can no longer be trusted.
   */
  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    for (let frame = this.next(); frame !== undefined; frame = this.next()) frames.push(frame);
    return frames;
  }

  /** Appends a chunk without decoding it; next() takes the frames out one at a time. */
  append(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /**
   * The next complete frame body, or undefined until more bytes arrive. Each frame's length is
   * checked against the limit in force when it is taken, so a reader can widen the limit once a
   * handshake frame has been believed (FrameTooLargeError as for push).
   */
  next(): Buffer | undefined {
    if (this.pendingBytes < 4) return undefined;
    const length = this.nextLength();
    if (length < 0 || length > this.frameBytesMax) {
      throw new FrameTooLargeError(length, this.frameBytesMax);
    }
    // Chunks are joined only once the whole frame is here: joining on every chunk would copy
    // a large frame's bytes again for each chunk that brings more of it (quadratic).
    if (this.pendingBytes < 4 + length) return undefined;
    const buffer = this.joined();
    const frame = buffer.subarray(4, 4 + length);
    const rest = buffer.subarray(4 + length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return frame;
  }
}
