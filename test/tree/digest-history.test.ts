import { describe, expect, it } from 'vitest';
import { DigestHistory, recentDigestsMax } from '../../tree/digest-history.js';
import { digestVersion } from '../../tree/node-digest.js';
import type { DigestMismatch } from '../../tree/types.js';

const epoch = (n: number): number => n * 2 ** 32;
const stamp = (zxid: number, treeDigest: bigint) => ({ zxid, version: digestVersion, treeDigest });

describe('DigestHistory: the recent digests stamps are checked against', () => {
  it('checks a stamp against the digest recorded at its zxid, and counts a mismatch', () => {
    const told: DigestMismatch[] = [];
    const history = new DigestHistory((mismatch) => told.push(mismatch));
    for (let counter = 1; counter <= 100; counter++) {
      history.record(epoch(3) + counter, BigInt(counter * 7));
    }
    expect(history.check(epoch(3) + 101, stamp(epoch(3) + 50, 350n))).toBe(true);
    expect(history.check(epoch(3) + 101, stamp(epoch(3) + 50, 351n))).toBe(false);
    expect(history.mismatches).toBe(1);
    expect(told).toEqual([{ txnZxid: epoch(3) + 101, zxid: epoch(3) + 50, expected: 351n,
      actual: 350n }]);
    expect(history.latest()).toEqual(stamp(epoch(3) + 100, 700n));
  });

  it('keeps the last recentDigestsMax zxids: an older stamp, or one never recorded, is not ' +
    'compared', () => {
    const history = new DigestHistory(undefined);
    const last = recentDigestsMax * 3;
    for (let counter = 1; counter <= last; counter++) history.record(epoch(1) + counter, 1n);
    const oldest = last - recentDigestsMax + 1;
    expect(history.check(0, stamp(epoch(1) + oldest, 2n))).toBe(false);
    expect(history.check(0, stamp(epoch(1) + oldest - 1, 2n))).toBe(true);
    expect(history.check(0, stamp(epoch(1) + last + 1, 2n))).toBe(true);
    // The same low bits in another epoch are another zxid.
    expect(history.check(0, stamp(epoch(2) + last, 2n))).toBe(true);
    expect(history.mismatches).toBe(1);
  });

  it('across a new epoch, the old epoch\'s zxids stay checkable until a new zxid takes their ' +
    'slot', () => {
    const history = new DigestHistory(undefined);
    for (let counter = 1; counter <= 10; counter++) history.record(epoch(4) + counter, 40n);
    for (let counter = 1; counter <= 5; counter++) history.record(epoch(5) + counter, 50n);
    expect(history.check(0, stamp(epoch(4) + 10, 41n))).toBe(false);
    expect(history.check(0, stamp(epoch(4) + 5, 41n))).toBe(true);
    expect(history.check(0, stamp(epoch(5) + 1, 51n))).toBe(false);
    expect(history.check(0, stamp(epoch(5) + 1, 50n))).toBe(true);
  });
});
