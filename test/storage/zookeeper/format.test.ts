// ZooKeeper's file vocabulary: Adler-32 (checked against zlib's, which ends every zlib stream
// with it), the session password ZooKeeperServer.generatePasswd derives (checked against
// java.util.Random as OpenJDK 17 computed it), and the file names Util parses.

import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  adler32,
  parseFileName,
  snapshotFileName,
  zookeeperSessionPassword,
} from '../../../storage/zookeeper/format.js';
import { seededRandom } from '../fixtures.js';

describe('ZooKeeper file format helpers', () => {
  it.each([0, 1, 100, 5551, 5552, 5553, 70_000, 1 << 17])(
    'adler32 of %i seeded bytes equals the zlib stream trailer', (length) => {
      const random = seededRandom(length + 7);
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      const trailer = deflateSync(bytes).readUInt32BE(deflateSync(bytes).length - 4);
      expect(adler32(bytes)).toBe(trailer);
      // Continued over two pieces as CheckedInputStream sums a stream.
      const half = Math.floor(length / 2);
      expect(adler32(bytes.subarray(half), adler32(bytes.subarray(0, half)))).toBe(trailer);
    });

  // Computed by OpenJDK 17: new Random(id ^ 0xB3415C00L).nextBytes(new byte[16]).
  it.each([
    ['100000c0a3e0000', 'e0350bb3ed614205be6bbb557edc6390'],
    ['1', '054cc74a37327db215e702e20c73f005'],
    ['ffffffffffffffff', '20f62cb5648dc2d771471c8a2486a9ee'],
  ])('session 0x%s gets the password ZooKeeper generates', (id, password) => {
    const sessionId = BigInt.asIntN(64, BigInt(`0x${id}`));
    expect(zookeeperSessionPassword(sessionId).toString('hex')).toBe(password);
  });

  it.each([
    ['snapshot.0', 'snapshot', { zxid: 0, compression: 'none' }],
    ['snapshot.1f00000003', 'snapshot', { zxid: 0x1f00000003, compression: 'none' }],
    ['snapshot.20.gz', 'snapshot', { zxid: 0x20, compression: 'gz' }],
    ['snapshot.20.snappy', 'snapshot', { zxid: 0x20, compression: 'snappy' }],
    ['snapshot.20.zip', 'snapshot', undefined],
    ['log.100000001', 'log', { zxid: 0x100000001, compression: 'none' }],
    ['log.1.gz', 'log', undefined],
    ['acceptedEpoch', 'log', undefined],
    ['snapshot.xyz', 'snapshot', undefined],
  ] as const)('parses %s as a %s file name', (name, prefix, expected) => {
    expect(parseFileName(name, prefix)).toEqual(expected);
  });

  it('names a snapshot by its zxid in hex without padding, as Util.makeSnapshotName', () => {
    expect(snapshotFileName(0x100000002)).toBe('snapshot.100000002');
    expect(parseFileName(snapshotFileName(0x100000002), 'snapshot')?.zxid).toBe(0x100000002);
  });
});
