// The compact txn record (storage/txn-compact.ts): the txns it holds read back exactly, the
// others stay msgpack and read back too, records written before it (msgpack) still read, and a
// flipped byte anywhere in a compact record is refused, never decoded into a txn.

import { crc32c } from '@node-rs/crc32';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import type { Txn, TxnBody } from '../../protocol/txn.js';
import { compactMarker } from '../../storage/txn-compact.js';
import { CorruptRecordError, decodeTxn, encodeTxn } from '../../storage/txn-codec.js';
import { TxnStream } from './fixtures.js';

const zxid = 0x3_0000_0007;
const auth = { ids: [{ scheme: 'ip', id: '127.0.0.1' }, { scheme: 'digest', id: 'bob:x=' }],
  superUser: false };
const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } },
  { perms: 1, id: { scheme: 'digest', id: 'ünïcode:é' } }];

function txnOf(body: TxnBody, digest = true): Txn {
  return { zxid, time: 1_765_000_000_123, sessionId: -0x12_3456_789a_bcden, cxid: -5, body,
    ...(digest ? { digest: { zxid: zxid - 1, version: 2, treeDigest: -(2n ** 63n) + 7n } } : {}) };
}

const compactTxns: Array<[string, Txn]> = [
  ['createSession', txnOf({ type: 'createSession', sessionId: 0x7fff_0000_0000_0001n,
    timeoutMs: 30_000, password: Buffer.from('0123456789abcdef') })],
  ['closeSession', txnOf({ type: 'closeSession', sessionId: 5n }, false)],
  ['create', txnOf({ type: 'write', auth, request: { kind: 'create', opcode: 1,
    path: '/a/ünï/n0000000001', data: Buffer.alloc(32, 'x'), acl, flags: 2, ttl: -1 } })],
  ['create with null data, null ACL and a TTL', txnOf({ type: 'write', auth,
    enforceQuota: true, localSession: false, request: { kind: 'create', opcode: 21, path: '/t',
      data: null, acl: null, flags: 5, ttl: 2 ** 40 + 0.5 } })],
  ['create with empty data', txnOf({ type: 'write', auth: { ids: [], superUser: true },
    localSession: true, request: { kind: 'create', opcode: 15, path: '/e',
      data: Buffer.alloc(0), acl: [], flags: 0, ttl: -1 } })],
  ['delete', txnOf({ type: 'write', auth, enforceQuota: false,
    request: { kind: 'delete', path: '/a', version: -1 } })],
  ['setData', txnOf({ type: 'write', auth, request: { kind: 'setData', path: '/a',
    data: Buffer.from([0, 1, 2, 255]), version: 2 ** 31 - 1 } })],
  ['setData with null data', txnOf({ type: 'write', auth, request: { kind: 'setData', path: '/a',
    data: null, version: 0 } })],
];

/** Buffers as plain bytes, so a view and a copy of the same bytes compare equal. */
function plain(txn: Txn): unknown {
  return JSON.parse(JSON.stringify(txn, (_key, value: unknown) =>
    typeof value === 'bigint' ? `${value}n` : value));
}

describe('compact txn records', () => {
  it.each(compactTxns)('%s is stored compact and reads back exactly', (_name, txn) => {
    const record = encodeTxn(txn);
    expect(record[4]).toBe(compactMarker);
    const decoded = decodeTxn(record, zxid, 'test');
    expect(plain(decoded)).toEqual(plain(txn));
    expect(decoded.sessionId).toBe(txn.sessionId);
    // Null data stays null, empty data empty.
    expect(encodeTxn(decoded).equals(record)).toBe(true);
  });

  it.each<[string, Txn]>([
    ['a multi', txnOf({ type: 'write', auth, request: { kind: 'multi', ops: [
      { kind: 'delete', path: '/a', version: -1 }] } })],
    ['a setACL', txnOf({ type: 'write', auth, request: { kind: 'setACL', path: '/a', acl,
      version: -1 } })],
    ['a write with a field the layout does not know', txnOf({ type: 'write', auth,
      request: { kind: 'delete', path: '/a', version: -1, extra: 1 } as never })],
    ['a cxid that is not a 32-bit integer', { ...txnOf({ type: 'closeSession', sessionId: 5n }),
      cxid: 2 ** 40 }],
    ['an error txn', txnOf({ type: 'error', err: -101 })],
  ])('%s stays msgpack and reads back exactly', (_name, txn) => {
    const record = encodeTxn(txn);
    expect(record[4]).not.toBe(compactMarker);
    expect(plain(decodeTxn(record, zxid, 'test'))).toEqual(plain(txn));
  });

  it('a log of mixed txns reads back as written, most of it compact', () => {
    const txns = new TxnStream(11, 0, true).take(400);
    let compact = 0;
    for (const txn of txns) {
      const record = encodeTxn(txn);
      if (record[4] === compactMarker) compact++;
      expect(plain(decodeTxn(record, txn.zxid, 'test'))).toEqual(plain(txn));
    }
    expect(compact).toBeGreaterThan(300);
    expect(compact).toBeLessThan(400);
  });

  it('a msgpack record written before the compact layout still reads', () => {
    const [, txn] = compactTxns[2]!;
    const payload = new Packr({ useRecords: false, useBigIntExtension: true }).pack(txn);
    const record = Buffer.alloc(4 + payload.length);
    record.writeUInt32BE(crc32c(payload), 0);
    payload.copy(record, 4);
    expect(record[4]).not.toBe(compactMarker);
    expect(plain(decodeTxn(record, zxid, 'test'))).toEqual(plain(txn));
  });

  it.each(compactTxns)('a flipped byte anywhere in a compact %s record is refused', (_n, txn) => {
    const record = encodeTxn(txn);
    for (let at = 0; at < record.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const damaged = Buffer.from(record);
        damaged[at]! ^= mask;
        expect(() => decodeTxn(damaged, zxid, 'test')).toThrow(CorruptRecordError);
      }
    }
  });

  it('a compact record cut short is refused', () => {
    const record = encodeTxn(compactTxns[2]![1]);
    for (let length = 0; length < record.length; length++) {
      expect(() => decodeTxn(record.subarray(0, length), zxid, 'test'))
        .toThrow(CorruptRecordError);
    }
  });

  it('a compact record of another zxid is refused', () => {
    expect(() => decodeTxn(encodeTxn(compactTxns[1]![1]), zxid + 1, 'test'))
      .toThrow(CorruptRecordError);
  });
});

describe('compact records read ids and session ids through a cache (a replay\'s repeats)', () => {
  it('reads back many distinct ids and sessions, interleaved and repeated, exactly', () => {
    // More distinct ids than the cache has slots, of lengths on both sides of its limit, some
    // differing in one byte, some not ASCII: every hit must be the same bytes.
    const names = Array.from({ length: 300 }, (_, index) =>
      index % 3 === 0 ? `10.0.${index >> 8}.${index & 255}` :
        index % 3 === 1 ? `ü${'x'.repeat(index % 40)}é` :
          `user${index}:${'h'.repeat(index % 35)}=`);
    const txns = names.map((name, index): Txn => txnOf({ type: 'write',
      auth: { ids: [{ scheme: index % 2 === 0 ? 'ip' : 'digest', id: name }], superUser: false },
      request: { kind: 'create', opcode: 1, path: `/n${index}`, data: Buffer.from([index & 255]),
        acl: [{ perms: 31, id: { scheme: 'world', id: names[(index * 7) % names.length]! } }],
        flags: 0, ttl: -1 } }));
    const sessions = [5n, -1n, 2n ** 62n + 3n, 5n + 2n ** 32n];
    // Each record's digest differs (and sometimes equals a session id): neither may be read
    // back as the other.
    const withSessions = txns.map((txn, index) => ({ ...txn, zxid: zxid + index,
      sessionId: sessions[index % sessions.length]!,
      digest: { zxid: zxid + index - 1, version: 2,
        treeDigest: index % 5 === 0 ? sessions[(index + 1) % sessions.length]!
          : BigInt(index) * 7919n - 5n } }));
    const records = withSessions.map((txn) => encodeTxn(txn));
    for (const order of [[...records.keys()], [...records.keys()].reverse()]) {
      for (const index of order) {
        expect(decodeTxn(records[index]!, zxid + index, 'test')).toEqual(withSessions[index]);
      }
    }
  });
});
