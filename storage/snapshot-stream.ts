// Reading a snapshot as it arrives (the admin restore's request body): frames are cut from the
// incoming pieces, checked and visited one at a time, so no more than one frame (and the piece
// that completes it) is held, however large the snapshot. The same checks as visitPayloads:
// header first, every checksum, end frame last, counts matching.

import { crc32c } from '@node-rs/crc32';
import { decodeFrame, SnapshotFrameWalk, type SnapshotVisitor } from './snapshot-decoding.js';
import { corrupt } from './snapshot-format.js';

/** A SnapshotVisitor told when each frame has been visited; the next frame is not read until
 * the promise it returns settles (so a slow consumer slows the sender down). */
export interface StreamedSnapshotVisitor extends Pick<SnapshotVisitor, 'header' | 'acls' |
  'node'> {
  frameDone?(): Promise<void>;
}

export class SnapshotFrameTooLargeError extends Error {
  constructor(readonly frameBytes: number, readonly frameBytesMax: number) {
    super(`a snapshot frame of ${frameBytes} bytes is over the ${frameBytesMax} bytes buffered ` +
      'at most');
    this.name = 'SnapshotFrameTooLargeError';
  }
}

/**
 * Cuts a snapshot arriving in pieces into its frames' payloads, each checksum checked, as the
 * pieces complete them. A frame within one piece is handed over as a view of it; a frame that
 * spans pieces is joined once, when its last byte has come (never piece by piece, so a large
 * frame costs one copy). Payloads are views: they keep the pieces they lie in alive.
 */
export class FrameCutter {
  /** The bytes not yet cut into frames, in order. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes the next step needs: a frame's 8-byte head, then its whole frame. */
  private need = 8;
  private frameBytes: number | undefined;
  private index = 0;

  constructor(
    private readonly name: string,
    private readonly frameBytesMax: number,
  ) {}

  /** The payloads `piece` completes, in order; throws on a frame over frameBytesMax
   * (SnapshotFrameTooLargeError) or one failing its checksum (CorruptSnapshotError). */
  push(piece: Buffer): Buffer[] {
    const payloads: Buffer[] = [];
    if (piece.length === 0) return payloads;
    this.parts.push(piece);
    this.partsBytes += piece.length;
    // Bounded: each pass consumes a frame's head or a whole frame from what has come.
    while (this.partsBytes >= this.need) {
      if (this.parts[0]!.length < this.need) {
        this.parts = [Buffer.concat(this.parts, this.partsBytes)];
      }
      const first = this.parts[0]!;
      if (this.frameBytes === undefined) {
        this.frameBytes = first.readUInt32BE(0);
        if (this.frameBytes > this.frameBytesMax) {
          throw new SnapshotFrameTooLargeError(this.frameBytes, this.frameBytesMax);
        }
        this.need = 8 + this.frameBytes;
        continue;
      }
      const payload = first.subarray(8, this.need);
      if (crc32c(payload) !== first.readUInt32BE(4)) {
        throw corrupt(this.name, `frame ${this.index} fails its checksum`);
      }
      payloads.push(payload);
      if (first.length > this.need) this.parts[0] = first.subarray(this.need);
      else this.parts.shift();
      this.partsBytes -= this.need;
      this.need = 8;
      this.frameBytes = undefined;
      this.index++;
    }
    return payloads;
  }

  /** Bytes that came and are not part of a whole frame yet (a torn frame if the end came). */
  get heldBytes(): number {
    return this.partsBytes;
  }

  /** The frame being cut, for an error about it. */
  get frameIndex(): number {
    return this.index;
  }
}

/** Each frame's payload, checksum checked, as the pieces of `source` complete it. No more than
 * a frame and the piece completing it are held: each payload is copied off the pieces, so
 * that a payload kept by the visitor does not keep a piece alive. */
async function* streamedPayloads(name: string, source: AsyncIterable<Buffer>,
  frameBytesMax: number): AsyncGenerator<Buffer> {
  const frames = new FrameCutter(name, frameBytesMax);
  for await (const piece of source) {
    for (const payload of frames.push(piece)) yield Buffer.from(payload);
  }
  if (frames.heldBytes > 0) {
    throw corrupt(name, `frame ${frames.frameIndex} runs past the end of the snapshot`);
  }
}

/** Visits a snapshot arriving in pieces; its zxid and znode count once its end frame is read.
 * A frame over `frameBytesMax` stops it (SnapshotFrameTooLargeError). */
export async function visitSnapshotStream(
  name: string,
  source: AsyncIterable<Buffer>,
  visitor: StreamedSnapshotVisitor,
  frameBytesMax: number,
): Promise<{ zxid: number; nodeCount: number }> {
  // A restore leaves the backup's sessions out (they belong to its ensemble): the walk is given
  // no sessions visitor, and counts them only.
  const { header, acls, node } = visitor;
  const walk = new SnapshotFrameWalk(name, {
    ...(header === undefined ? {} : { header }),
    ...(acls === undefined ? {} : { acls }),
    ...(node === undefined ? {} : { node }),
  });
  for await (const payload of streamedPayloads(name, source, frameBytesMax)) {
    const whole = walk.take(decodeFrame(name, payload));
    if (whole !== undefined) return whole;
    await visitor.frameDone?.();
  }
  throw corrupt(name, 'no end frame (torn write)');
}
