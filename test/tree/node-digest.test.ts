import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestLogInterval } from '../../tree/digest-history.js';
import { DataTree } from '../../tree/data-tree.js';
import { AdditiveHash, nodeDigest, type DigestFields } from '../../tree/node-digest.js';
import type { DigestMismatch } from '../../tree/types.js';
import type { Txn } from '../../protocol/txn.js';
import { restoreTree, snapshotOfTree } from '../../storage/peer-snapshot.js';
import type { NodeStore } from '../../tree/store.js';
import { treeOf, TxnStream } from '../storage/fixtures.js';

/** DigestCalculator's input written out field by field, CRC'd by another implementation. */
function byHand(path: string, node: DigestFields): number {
  const stat = Buffer.alloc(60);
  stat.writeBigInt64BE(BigInt(node.czxid), 0);
  stat.writeBigInt64BE(BigInt(node.mzxid), 8);
  stat.writeBigInt64BE(BigInt(node.pzxid), 16);
  stat.writeBigInt64BE(BigInt(node.ctime), 24);
  stat.writeBigInt64BE(BigInt(node.mtime), 32);
  stat.writeInt32BE(node.version, 40);
  stat.writeInt32BE(node.cversion, 44);
  stat.writeInt32BE(node.aversion, 48);
  stat.writeBigInt64BE(node.ephemeralOwner, 52);
  const data = node.data ?? Buffer.alloc(0);
  return crc32(Buffer.concat([Buffer.from(path, 'utf8'), data, stat]));
}

const zeros: DigestFields = {
  czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
  ephemeralOwner: 0n, data: Buffer.alloc(0),
};
const busy: DigestFields = {
  czxid: 0x1_0000_0003, mzxid: 0x2_0000_0010, pzxid: 0x2_0000_0011, ctime: 1_796_528_768_188,
  mtime: 1_796_528_790_445, version: 7, cversion: 3, aversion: -1,
  ephemeralOwner: 0x10000051ed10001n, data: Buffer.from('some data ✓'),
};

describe('node digest (DigestCalculator, version 2)', () => {
  it.each<[string, string, DigestFields, number]>([
    ['the root, as ""', '/', zeros, byHand('', zeros)],
    ['/zookeeper itself counts', '/zookeeper', zeros, byHand('/zookeeper', zeros)],
    ['a busy node (UTF-8 path and data, big-endian stat)', '/app/é', busy, byHand('/app/é', busy)],
    ['a container (owner Long.MIN_VALUE)', '/c', { ...busy, ephemeralOwner: -(1n << 63n) },
      byHand('/c', { ...busy, ephemeralOwner: -(1n << 63n) })],
    ...[255, 256, 257, 1024, 5000, 70_000].map((bytes) => {
      const fields = { ...busy, data: Buffer.alloc(bytes, bytes & 0xff) };
      // Short data is hashed with the path and stat in JavaScript, longer data natively.
      return [`${bytes} B of data`, '/app/data', fields, byHand('/app/data', fields)] as
        [string, string, DigestFields, number];
    }),
    ['/zookeeper/quota is left out', '/zookeeper/quota', busy, 0],
    ['/zookeeper/config is left out', '/zookeeper/config', busy, 0],
  ])('%s', (_name, path, fields, expected) => {
    expect(nodeDigest(path, fields)).toBe(expected);
  });

  it('the empty node under "" has the CRC-32 of 60 zero bytes', () => {
    expect(nodeDigest('/', zeros)).toBe(crc32(Buffer.alloc(60)));
  });
});

describe('AdHash', () => {
  it.each([
    [[1, 2, 3], [], 6n],
    [[0xffffffff, 0xffffffff], [], 0x1fffffffen],
    [[0xffffffff, 5], [0xffffffff], 5n],
    [[7], [7], 0n],
  ])('adds %j and removes %j: %s', (added, removed, expected) => {
    const hash = new AdditiveHash();
    for (const digest of added) hash.add(digest);
    for (const digest of removed) hash.remove(digest);
    expect(hash.value()).toBe(expected);
  });

  it('is read as a Java long: below zero it wraps to a negative value', () => {
    const hash = new AdditiveHash();
    hash.add(1);
    hash.remove(2);
    expect(hash.value()).toBe(-1n);
    hash.add(1);
    expect(hash.value()).toBe(0n);
  });
});

/** The digest summed afresh over every node of a tree (its store, read directly). */
function fromScratch(tree: DataTree): bigint {
  const store = (tree as unknown as { store: NodeStore }).store;
  const sum = new AdditiveHash();
  for (const path of store.paths()) sum.add(nodeDigest(path, store.node(path)!));
  return sum.value();
}

describe('the tree digest, kept on every change', () => {
  it.each([1, 2, 3])('equals the digest summed afresh after 3000 txns (seed %i)', (seed) => {
    const tree = treeOf(new TxnStream(seed).take(3000));
    expect(tree.treeDigest).not.toBe(0n);
    expect(tree.treeDigest).toBe(fromScratch(tree));
  });

  it('is 0 and stamps nothing with digest.enabled=false, and `hash` logs zeros', () => {
    const tree = new DataTree({ extendedTypesEnabled: true, digestEnabled: false });
    for (const txn of new TxnStream(4).take(300)) tree.apply(txn);
    expect(tree.treeDigest).toBe(0n);
    expect(tree.digestToStamp()).toBeUndefined();
    expect(tree.digestLog().map((entry) => [entry.zxid, entry.digest])).toEqual([
      [128, 0n], [256, 0n]]);
  });

  it('keeps a digest for `hash` every 128 zxids', () => {
    const tree = treeOf(new TxnStream(6).take(400));
    const log = tree.digestLog();
    expect(log.map((entry) => entry.zxid)).toEqual([128, 256, 384]);
    expect(log.every((entry) => entry.zxid % digestLogInterval === 0)).toBe(true);
    expect(log.every((entry) => entry.digestVersion === 2)).toBe(true);
  });

  it('a restored snapshot has the digest of the tree it was taken from', () => {
    const tree = treeOf(new TxnStream(8).take(1000));
    const copy = new DataTree({ extendedTypesEnabled: true });
    restoreTree(copy, snapshotOfTree(tree));
    expect(copy.treeDigest).toBe(tree.treeDigest);
    expect(copy.digestToStamp()).toEqual({ zxid: tree.lastZxid, version: 2,
      treeDigest: tree.treeDigest });
  });
});

describe('digest mismatch: a replica whose tree was tampered with', () => {
  /** Txns as a leader orders them: each stamped with the leader's newest digest. */
  function stamped(leader: DataTree, txns: readonly Txn[]): Txn[] {
    return txns.map((txn) => {
      const digest = leader.digestToStamp();
      const withDigest = digest === undefined ? txn : { ...txn, digest };
      leader.apply(withDigest);
      return withDigest;
    });
  }

  it('counts and reports the first txn stamped after the damage, and none before', () => {
    const txns = new TxnStream(11).take(600);
    const leader = new DataTree({ extendedTypesEnabled: true });
    const ordered = stamped(leader, txns);
    const mismatches: DigestMismatch[] = [];
    const follower = new DataTree({ extendedTypesEnabled: true,
      digestMismatch: (mismatch) => mismatches.push(mismatch) });
    for (const txn of ordered.slice(0, 300)) follower.apply(txn);
    expect(mismatches).toEqual([]);
    // The damage: this replica applies ten writes with another clock reading than the leader
    // stamped (as a log record altered under a valid checksum would), so the ctime or mtime of
    // what they create or change differs.
    for (const txn of ordered.slice(300, 310)) {
      follower.apply(txn.body.type === 'write' ? { ...txn, time: txn.time + 1 } : txn);
    }
    expect(follower.treeDigest).not.toBe(leader.treeDigest);
    for (const txn of ordered.slice(310)) follower.apply(txn);
    expect(mismatches.length).toBeGreaterThan(0);
    expect(mismatches[0]!.zxid).toBeGreaterThanOrEqual(301);
    expect(mismatches[0]!.expected).not.toBe(mismatches[0]!.actual);
    // The leader's own replay of what it ordered finds nothing.
    const replayed = new DataTree({ extendedTypesEnabled: true,
      digestMismatch: () => expect.unreachable('the leader\'s own txns mismatch') });
    for (const txn of ordered) replayed.apply(txn);
  });

  it('a stamp of a zxid no longer remembered, or of another version, is not compared', () => {
    const mismatches: DigestMismatch[] = [];
    const tree = new DataTree({ extendedTypesEnabled: true,
      digestMismatch: (mismatch) => mismatches.push(mismatch) });
    const [first, second] = new TxnStream(12).take(2);
    tree.apply({ ...first!, digest: { zxid: 0x7777, version: 2, treeDigest: 1n } });
    tree.apply({ ...second!, digest: { zxid: first!.zxid, version: 1, treeDigest: 1n } });
    expect(mismatches).toEqual([]);
  });
});
