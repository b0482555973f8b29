// Random bytes drawn from the system's CSPRNG a block at a time. Every new session needs a
// 16-byte password; asking crypto for 16 bytes per session crosses into OpenSSL once per
// handshake, which showed in the profile of opening 10k sessions. One fill per block serves
// `blockBytes / 16` passwords with the same randomness, each byte handed out once.

import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the CSPRNG at once (256 session passwords). */
export const randomBlockBytes = 4096;

export class RandomPool {
  private readonly block = Buffer.allocUnsafeSlow(randomBlockBytes);
  /** Bytes of `block` already handed out; a full block is refilled before the next draw. */
  private usedBytes = randomBlockBytes;

  /**
   * `count` fresh random bytes in a buffer of their own (a copy, not a view of the block, so a
   * password kept for a session's lifetime neither pins the block nor changes on refill).
   */
  take(count: number): Buffer {
    const bytes = Buffer.alloc(count);
    let filled = 0;
    while (filled < count) {
      if (this.usedBytes === randomBlockBytes) {
        randomFillSync(this.block);
        this.usedBytes = 0;
      }
      const step = Math.min(count - filled, randomBlockBytes - this.usedBytes);
      this.block.copy(bytes, filled, this.usedBytes, this.usedBytes + step);
      // Used bytes are zeroed so no later copy of the block can reveal a handed-out secret.
      this.block.fill(0, this.usedBytes, this.usedBytes + step);
      this.usedBytes += step;
      filled += step;
    }
    return bytes;
  }
}
