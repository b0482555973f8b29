// A frame sent as several buffers one after another, so that bytes already encoded elsewhere go
// to the socket as they are instead of being copied into one buffer first: a wide node's kept
// list of names (870 KB for 100k children) between a fresh reply header and Stat. The bytes the
// client reads are those of the whole frame.

export class FrameParts {
  /** Bytes of the whole frame, its 4-byte length prefix included. */
  readonly length: number;

  /** `parts` in order; the first holds the length prefix and the reply header (20 bytes). */
  constructor(readonly parts: readonly Buffer[]) {
    let length = 0;
    for (const part of parts) length += part.length;
    this.length = length;
  }
}

/** A frame to send: one buffer, or several in order. */
export type Frame = Buffer | FrameParts;

/** The buffer that starts the frame (where its length prefix and reply header are). */
export function frameHead(frame: Frame): Buffer {
  return frame instanceof FrameParts ? frame.parts[0]! : frame;
}
