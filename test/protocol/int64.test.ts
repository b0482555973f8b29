import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readInt64BE, writeInt64BE } from '../../protocol/int64.js';

describe('64-bit big-endian integers', () => {
  it('write the same bytes as Buffer#writeBigInt64BE and read back what it reads', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
      fc.nat({ max: 24 }), (value, offset) => {
        const ours = Buffer.alloc(32, 0xaa);
        const node = Buffer.alloc(32, 0xaa);
        writeInt64BE(ours, value, offset);
        node.writeBigInt64BE(value, offset);
        expect(ours).toEqual(node);
        expect(readInt64BE(node, offset)).toBe(value);
      }), { numRuns: 2000 });
  });

  it.each([0n, -1n, 1n, (1n << 63n) - 1n, -(1n << 63n), 0x10000051ed10001n])('%s round-trips',
    (value) => {
      const bytes = new Uint8Array(9);
      writeInt64BE(bytes, value, 1);
      expect(bytes[0]).toBe(0);
      expect(readInt64BE(bytes, 1)).toBe(value);
    });

  it('an unsigned value of 64 bits is written as the signed long with its bits', () => {
    const bytes = Buffer.alloc(8);
    writeInt64BE(bytes, 0xff00_0000_0000_0001n, 0);
    expect(bytes.toString('hex')).toBe('ff00000000000001');
    expect(readInt64BE(bytes, 0)).toBe(BigInt.asIntN(64, 0xff00_0000_0000_0001n));
  });
});
