import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Prefix } from '../../tree/crc32.js';
import { nodeDigest, type DigestFields } from '../../tree/node-digest.js';

/** Bytes from a small seeded generator, so a failure can be replayed. */
function bytesOf(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

describe('crc32Prefix (slicing by 8), against zlib', () => {
  it.each([0, 1, 7, 8, 9, 15, 16, 63, 112, 1000, 4171])('%i bytes', (length) => {
    const bytes = bytesOf(length + 5, length);
    expect(crc32Prefix(bytes, length)).toBe(crc32(bytes.subarray(0, length)));
  });

  it.each([[0, 3], [5, 8], [13, 100], [64, 1]])('continues a CRC (%i then %i bytes)',
    (first, second) => {
      const bytes = bytesOf(first + second, first * 31 + second);
      const head = crc32Prefix(bytes, first);
      expect(crc32Prefix(bytes.subarray(first), second, head)).toBe(crc32(bytes));
    });
});

/** DigestCalculator's input laid out by hand and CRC'd by zlib. */
function byHand(path: string, node: DigestFields): number {
  const stat = Buffer.alloc(60);
  const longs = [node.czxid, node.mzxid, node.pzxid, node.ctime, node.mtime];
  longs.forEach((value, index) => stat.writeBigInt64BE(BigInt(value), index * 8));
  stat.writeInt32BE(node.version, 40);
  stat.writeInt32BE(node.cversion, 44);
  stat.writeInt32BE(node.aversion, 48);
  stat.writeBigInt64BE(node.ephemeralOwner, 52);
  return crc32(Buffer.concat([Buffer.from(path === '/' ? '' : path), node.data ?? Buffer.alloc(0),
    stat]));
}

function fieldsWith(data: Buffer | null, ephemeralOwner = 0x10000051ed10001n): DigestFields {
  return { czxid: 0x1_0000_0003, mzxid: 0x2_0000_0010, pzxid: 2 ** 53 - 1,
    ctime: 1_796_528_768_188, mtime: 1_796_528_790_445, version: 7, cversion: -3,
    aversion: 2_147_483_647, ephemeralOwner, data };
}

describe('nodeDigest through its scratch buffer', () => {
  it.each([
    ['null data', '/a', fieldsWith(null)],
    ['data at the inline bound (4096 bytes)', '/b', fieldsWith(bytesOf(4096, 1))],
    ['data past the inline bound, hashed in place', '/c', fieldsWith(bytesOf(4097, 2))],
    ['large data (1 MiB)', '/d', fieldsWith(bytesOf(1 << 20, 3))],
    ['a path longer than the scratch, with multi-byte characters', `/${'é✓'.repeat(3000)}`,
      fieldsWith(bytesOf(50, 4))],
    ['a negative owner (container)', '/e', fieldsWith(bytesOf(9, 5), -(1n << 63n))],
    ['no owner', '/f', fieldsWith(bytesOf(32, 6), 0n)],
  ])('%s', (_name, path, fields) => {
    expect(nodeDigest(path, fields)).toBe(byHand(path, fields));
  });

  it('gives the same value again after a longer node grew the scratch', () => {
    const small = fieldsWith(bytesOf(32, 7));
    const before = nodeDigest('/small', small);
    nodeDigest(`/${'x'.repeat(20_000)}`, fieldsWith(bytesOf(4000, 8)));
    expect(nodeDigest('/small', small)).toBe(before);
    expect(before).toBe(byHand('/small', small));
  });
});
