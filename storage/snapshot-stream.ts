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

/** Each frame's payload, checksum checked, as the pieces of `source` complete it. */
async function* streamedPayloads(name: string, source: AsyncIterable<Buffer>,
  frameBytesMax: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let need = 8;
  let frameBytes: number | undefined;
  let index = 0;
  for await (const piece of source) {
    pending.push(piece);
    pendingBytes += piece.length;
    while (pendingBytes >= need) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      if (frameBytes === undefined) {
        frameBytes = all.readUInt32BE(0);
        if (frameBytes > frameBytesMax) {
          throw new SnapshotFrameTooLargeError(frameBytes, frameBytesMax);
        }
        need = 8 + frameBytes;
        pending = [all];
        continue;
      }
      const payload = all.subarray(8, need);
      if (crc32c(payload) !== all.readUInt32BE(4)) {
        throw corrupt(name, `frame ${index} fails its checksum`);
      }
      // The rest is copied, so that it does not keep this frame's memory alive.
      const rest = all.length > need ? Buffer.from(all.subarray(need)) : undefined;
      pending = rest === undefined ? [] : [rest];
      pendingBytes = rest?.length ?? 0;
      need = 8;
      frameBytes = undefined;
      index++;
      yield payload;
    }
  }
  if (pendingBytes > 0) throw corrupt(name, `frame ${index} runs past the end of the snapshot`);
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
