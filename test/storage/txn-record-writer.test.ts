// The append side's one-pass txn record writer must write exactly what msgpackr writes for a txn
// that does not fit the compact layout (txn-codec.ts's encodeTxnMsgpack): compared byte for byte
// on the txns a server orders, on random values of every kind a txn holds, and at each msgpack
// size boundary; what it cannot reproduce it leaves to msgpackr.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { decodeRequest, type WriteRequest } from '../../protocol/requests.js';
import type { Txn, TxnBody } from '../../protocol/txn.js';
import { decodeTxn, encodeTxnMsgpack } from '../../storage/txn-codec.js';
import { writeTxnRecord } from '../../storage/txn-record-writer.js';

/** True when the writer wrote the record (and it matched); false when it left it to msgpackr. */
function sameAsCodec(txn: Txn): boolean {
  const record = writeTxnRecord(txn);
  const expected = encodeTxnMsgpack(txn);
  if (record === undefined) return false;
  expect(record.toString('hex')).toBe(expected.toString('hex'));
  return true;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const auth = { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false };

/** A setData and a create as a client's frame carries them, decoded as the server does. */
function decodedWrites(path: string, data: Buffer): TxnBody[] {
  const setData = new JuteWriter(64).ustring(path).bytes(data).int(-1).body();
  const create = new JuteWriter(64).ustring(path).bytes(data).int(1).int(31).ustring('world')
    .ustring('anyone').int(0).body();
  return [5, 1].map((opcode, index) => ({
    type: 'write',
    request: decodeRequest(opcode, new JuteReader([setData, create][index]!)) as WriteRequest,
    auth,
  }));
}

describe('txn record writer', () => {
  it('writes the records of the writes a server orders exactly as encodeTxn does', () => {
    const data = Buffer.alloc(1024, 0x61);
    const bodies: TxnBody[] = [
      ...decodedWrites('/bench-setData-1234-1733512345678/s3/n7', data),
      { type: 'write', request: { kind: 'setData', path: '/a', data: null, version: 3 }, auth },
      { type: 'write', request: { kind: 'create', opcode: 21, path: '/t', data, acl: openAcl,
        flags: 5, ttl: 86_400_000 }, auth, enforceQuota: true, localSession: true },
      { type: 'write', request: { kind: 'delete', path: '/a/b', version: -1 },
        auth: { ids: [], superUser: true } },
      { type: 'error', err: -101 },
      { type: 'createSession', sessionId: 0x1ff_0000_0000_0001n, timeoutMs: 30_000,
        password: Buffer.alloc(16, 7) },
      { type: 'closeSession', sessionId: 0xff00_0000_0000_0001n },
    ];
    for (const body of bodies) {
      const txn: Txn = { zxid: 0x1_0000_0005, time: 1_733_512_345_678, sessionId: 0x0123_4567n,
        cxid: 42, body, digest: { zxid: 0x1_0000_0004, version: 2, treeDigest: 987_654_321_987n } };
      const record = writeTxnRecord(txn);
      expect(record, body.type).toBeDefined();
      expect(record!.toString('hex')).toBe(encodeTxnMsgpack(txn).toString('hex'));
      expect(decodeTxn(record!, txn.zxid, 'test')).toEqual(txn);
    }
  });

  it('agrees with encodeTxn at every size boundary of numbers, strings, bytes, lists and maps', () => {
    const numbers = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffff_ffff, 0x1_0000_0000,
      -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -0x8000_0000, -0x8000_0001, 0.5, -0,
      Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY];
    const bigints = [0n, 1n, -1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n),
      2n ** 64n, -(2n ** 63n) - 1n];
    const lengths = [0, 1, 0x1f, 0x20, 0xff, 0x100, 0xffff, 0x10000];
    const values: unknown[] = [...numbers, ...bigints, true, false, null, undefined,
      ...lengths.map((length) => 'p'.repeat(length)),
      ...lengths.map((length) => Buffer.alloc(length, 1)), new Uint8Array([1, 2]),
      ...[0, 15, 16, 0xffff, 0x10000].map((length) => Array.from({ length }, (_, index) => index)),
      Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, index])),
      'é', '\ud800', new Date(0), new Map([[1, 2]]), new Float32Array(2)];
    const written = values.filter((value) =>
      sameAsCodec({ zxid: 1, time: 2, sessionId: 3n, cxid: 4, body: value as TxnBody }));
    // All but the two strings over 4096 characters, the two bigints beyond 64 bits, the two
    // non-ASCII strings and the three class instances are written here, not left to msgpackr.
    expect(written.length).toBe(values.length - 9);
  });

  it('agrees with encodeTxn on random txns', () => {
    const text = fc.oneof({ arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }), weight: 8 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }), weight: 1 });
    const int64ish = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
    const leaf = fc.oneof(fc.integer(), fc.double(), int64ish, fc.bigInt(), text, fc.boolean(),
      fc.constant(null), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit: 'binary-ascii', maxLength: 10 }), tie('node'), { maxKeys: 5 })),
    })).node;
    let written = 0;
    fc.assert(fc.property(fc.nat(), fc.integer(), int64ish, value, (zxid, cxid, sessionId,
      body) => {
      if (sameAsCodec({ zxid, time: Date.now(), sessionId, cxid, body: body as TxnBody })) written++;
    }), { numRuns: 500 });
    expect(written).toBeGreaterThan(100);
  });
});
