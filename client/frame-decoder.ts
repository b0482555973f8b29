// ZooKeeper's framing: every message is a 4-byte big-endian length and that many bytes. The
// decoder splits a TCP byte stream into frames, however the stream is chunked, and refuses a
// length it cannot trust before allocating anything for it.

/** A frame whose length prefix is negative or above the limit: the stream cannot be trusted. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Splits a byte stream into length-prefixed frames. Whole frames inside one chunk are handed
 * out as views without copying; a frame split across chunks is copied once into its own buffer.
 */
export class FrameDecoder {
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthFilled = 0;
  private body: Buffer | null = null;
  private bodyFilled = 0;

  constructor(
    private readonly frameBytesMax: number,
    public onFrame: (frame: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body === null) {
        if (this.lengthFilled === 0 && chunk.length - offset >= 4) {
          const length = this.checkedLength(chunk.readInt32BE(offset));
          offset += 4;
          if (chunk.length - offset >= length) {
            this.onFrame(chunk.subarray(offset, offset + length));
            offset += length;
            continue;
          }
          this.startBody(length);
        } else {
          const count = Math.min(4 - this.lengthFilled, chunk.length - offset);
          chunk.copy(this.lengthBytes, this.lengthFilled, offset, offset + count);
          this.lengthFilled += count;
          offset += count;
          if (this.lengthFilled < 4) return;
          this.lengthFilled = 0;
          const length = this.checkedLength(this.lengthBytes.readInt32BE(0));
          if (length === 0) {
            this.onFrame(Buffer.alloc(0));
            continue;
          }
          this.startBody(length);
        }
      }
      offset = this.fillBody(chunk, offset);
    }
  }

  private checkedLength(length: number): number {
    if (length < 0 || length > this.frameBytesMax) {
      throw new FrameError(`frame length ${length} outside 0..${this.frameBytesMax}`);
    }
    return length;
  }

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyFilled = 0;
  }

  private fillBody(chunk: Buffer, offset: number): number {
    const body = this.body as Buffer;
    const count = Math.min(body.length - this.bodyFilled, chunk.length - offset);
    chunk.copy(body, this.bodyFilled, offset, offset + count);
    this.bodyFilled += count;
    if (this.bodyFilled === body.length) {
      this.body = null;
      this.onFrame(body);
    }
    return offset + count;
  }
}
