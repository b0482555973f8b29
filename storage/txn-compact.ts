// The compact txn payload: the txns nearly every log holds (sessions opened and closed, and
// single create, delete and setData writes) in a fixed binary layout instead of a msgpack map.
// Replaying a log tail was mostly msgpack decoding its maps, key by key; this layout is read
// field by field in a known order, allocating only the objects the txn is made of. Any other
// txn, or one with a field this layout does not know, stays msgpack (txn-codec.ts): a payload
// is one or the other, told apart by its first byte, and both are read forever.

import { writeInt64BE } from '../protocol/int64.js';
import type { ACL, Id } from '../protocol/records.js';
import type { AuthContext, Txn, TxnBody } from '../protocol/txn.js';

/**
 * The first byte of a compact payload: 0xc1 is the one byte MessagePack never uses, so no
 * msgpack payload (every one written before this layout) begins with it.
 */
export const compactMarker = 0xc1;

export const bodyKinds =
  { createSession: 1, closeSession: 2, create: 3, delete: 4, setData: 5 } as const;
export const headerFlags = { digest: 1 } as const;
export const writeFlags =
  { enforceQuota: 1, enforceQuotaSet: 2, localSession: 4, localSessionSet: 8 };

export const twoToThe32 = 2 ** 32;

/** Grown as a txn needs; reused across encodes (the caller copies the bytes out). */
let scratch = Buffer.allocUnsafe(64 * 1024);
let at = 0;

/** Thrown inside the encoder when a txn does not fit the layout; the caller uses msgpack. */
class NotCompact extends Error {}
const notCompact = new NotCompact();

function keyCount(object: object): number {
  let count = 0;
  for (const _key in object) count++;
  return count;
}

function room(bytes: number): void {
  if (at + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, at + bytes));
  scratch.copy(grown, 0, 0, at);
  scratch = grown;
}

function u8(value: number): void {
  room(1);
  scratch[at++] = value;
}

/** A 32-bit signed integer; anything else does not fit. */
function int(value: unknown): void {
  if (typeof value !== 'number' || (value | 0) !== value || Object.is(value, -0)) throw notCompact;
  room(4);
  scratch.writeInt32BE(value, at);
  at += 4;
}

/** Any number, exactly (times, timeouts, TTLs). */
function double(value: unknown): void {
  if (typeof value !== 'number') throw notCompact;
  room(8);
  scratch.writeDoubleBE(value, at);
  at += 8;
}

/** A zxid: a non-negative safe integer, as two u32s. */
function zxid(value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw notCompact;
  room(8);
  const high = Math.floor(value / twoToThe32);
  scratch.writeUInt32BE(high, at);
  scratch.writeUInt32BE(value - high * twoToThe32, at + 4);
  at += 8;
}

function long(value: unknown): void {
  if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) throw notCompact;
  room(8);
  writeInt64BE(scratch, value, at);
  at += 8;
}

function string(value: unknown): void {
  if (typeof value !== 'string') throw notCompact;
  room(4 + value.length * 3);
  const length = scratch.write(value, at + 4, 'utf8');
  scratch.writeUInt32BE(length, at);
  at += 4 + length;
}

/** Bytes, or null (length -1). */
function bytes(value: unknown): void {
  if (value === null) return int(-1);
  if (!(value instanceof Uint8Array)) throw notCompact;
  int(value.length);
  room(value.length);
  scratch.set(value, at);
  at += value.length;
}

function id(value: Id): void {
  if (keyCount(value) !== 2) throw notCompact;
  string(value.scheme);
  string(value.id);
}

function acl(value: ACL[] | null): void {
  if (value === null) return int(-1);
  if (!Array.isArray(value)) throw notCompact;
  int(value.length);
  for (const entry of value) {
    if (keyCount(entry) !== 2 || typeof entry.id !== 'object' || entry.id === null) {
      throw notCompact;
    }
    int(entry.perms);
    id(entry.id);
  }
}

function auth(value: AuthContext): void {
  if (typeof value !== 'object' || keyCount(value) !== 2 || !Array.isArray(value.ids) ||
    typeof value.superUser !== 'boolean') throw notCompact;
  u8(value.superUser ? 1 : 0);
  int(value.ids.length);
  for (const entry of value.ids) id(entry);
}

function optionalFlag(value: unknown, set: number, on: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'boolean') throw notCompact;
  return set | (value ? on : 0);
}

function writeBody(body: Extract<TxnBody, { type: 'write' }>): void {
  const { request } = body;
  let expected = 3;
  if ('enforceQuota' in body) expected++;
  if ('localSession' in body) expected++;
  if (keyCount(body) !== expected || typeof request !== 'object') throw notCompact;
  const flags = optionalFlag(body.enforceQuota, writeFlags.enforceQuotaSet,
    writeFlags.enforceQuota) |
    optionalFlag(body.localSession, writeFlags.localSessionSet, writeFlags.localSession);
  switch (request.kind) {
    case 'create':
      if (keyCount(request) !== 7) throw notCompact;
      u8(bodyKinds.create);
      u8(flags);
      auth(body.auth);
      int(request.opcode);
      string(request.path);
      bytes(request.data);
      acl(request.acl);
      int(request.flags);
      double(request.ttl);
      return;
    case 'delete':
      if (keyCount(request) !== 3) throw notCompact;
      u8(bodyKinds.delete);
      u8(flags);
      auth(body.auth);
      string(request.path);
      int(request.version);
      return;
    case 'setData':
      if (keyCount(request) !== 4) throw notCompact;
      u8(bodyKinds.setData);
      u8(flags);
      auth(body.auth);
      string(request.path);
      bytes(request.data);
      int(request.version);
      return;
    default:
      throw notCompact;
  }
}

function body(value: TxnBody): void {
  switch (value.type) {
    case 'createSession':
      if (keyCount(value) !== 4) throw notCompact;
      u8(bodyKinds.createSession);
      long(value.sessionId);
      double(value.timeoutMs);
      bytes(value.password);
      return;
    case 'closeSession':
      if (keyCount(value) !== 2) throw notCompact;
      u8(bodyKinds.closeSession);
      long(value.sessionId);
      return;
    case 'write':
      return writeBody(value);
    default:
      throw notCompact;
  }
}

/**
 * The txn's compact payload, in a scratch buffer valid until the next call (the caller copies
 * it), or undefined when the txn does not fit the layout exactly: then it is stored as msgpack,
 * so nothing a txn holds is ever lost to this layout.
 */
export function encodeCompact(txn: Txn): Buffer | undefined {
  at = 0;
  try {
    const hasDigest = txn.digest !== undefined;
    if (keyCount(txn) !== 5 + ('digest' in txn ? 1 : 0) || typeof txn.body !== 'object') {
      return undefined;
    }
    u8(compactMarker);
    u8(hasDigest ? headerFlags.digest : 0);
    zxid(txn.zxid);
    double(txn.time);
    long(txn.sessionId);
    int(txn.cxid);
    if (hasDigest) {
      const digest = txn.digest!;
      if (keyCount(digest) !== 3) return undefined;
      zxid(digest.zxid);
      int(digest.version);
      long(digest.treeDigest);
    }
    body(txn.body);
    return scratch.subarray(0, at);
  } catch (error) {
    if (error === notCompact) return undefined;
    throw error;
  }
}
