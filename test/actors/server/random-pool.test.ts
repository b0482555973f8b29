import { describe, expect, it } from 'vitest';
import { RandomPool, randomBlockBytes } from '../../../actors/server/random-pool.js';

describe('RandomPool (session passwords drawn a block at a time)', () => {
  it.each([16, 1, 7, randomBlockBytes - 1, randomBlockBytes, randomBlockBytes * 2 + 5])(
    'hands out buffers of exactly %i bytes, each its own copy',
    (count) => {
      const pool = new RandomPool();
      const first = pool.take(count);
      const kept = Buffer.from(first);
      // Further draws refill the block; an earlier buffer must not change with it.
      for (let draw = 0; draw < 3; draw++) pool.take(randomBlockBytes);
      expect(first.length).toBe(count);
      expect(first.equals(kept)).toBe(true);
      expect(first.buffer.byteLength).toBeLessThan(randomBlockBytes + count + 1);
    },
  );

  it('gives 10,000 distinct 16-byte passwords across many block refills', () => {
    const pool = new RandomPool();
    const seen = new Set<string>();
    for (let session = 0; session < 10_000; session++) seen.add(pool.take(16).toString('hex'));
    expect(seen.size).toBe(10_000);
  });

  it('spreads byte values as a uniform source would (each within 3x of its share)', () => {
    const pool = new RandomPool();
    const counts = new Array<number>(256).fill(0);
    const draws = 64 * randomBlockBytes;
    for (let taken = 0; taken < draws; taken += 16) {
      for (const byte of pool.take(16)) counts[byte]!++;
    }
    const share = draws / 256;
    expect(Math.min(...counts)).toBeGreaterThan(share / 3);
    expect(Math.max(...counts)).toBeLessThan(share * 3);
  });
});
