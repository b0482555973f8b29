// Reading the compact txn payload (txn-compact.ts has the layout and its writer): field by
// field in the layout's order, allocating only the objects the txn is made of, and not even
// those for the ids and session ids a replay's records repeat.

import { readInt64BE } from '../protocol/int64.js';
import type { ACL, Id } from '../protocol/records.js';
import type { CreateRequest, DeleteRequest, SetDataRequest } from '../protocol/requests.js';
import type { AuthContext, Txn, TxnBody, TxnDigest } from '../protocol/txn.js';
import { bodyKinds, compactMarker, headerFlags, twoToThe32, writeFlags } from './txn-compact.js';

/** Reads a compact payload (from its marker byte); throws on any payload it does not hold
 * exactly (the checksum has already passed, so that is a bug or a newer layout). */
export function decodeCompact(payload: Buffer, copyBytes = false): Txn {
  const reader = new CompactReader(payload, copyBytes);
  if (reader.u8() !== compactMarker) throw new Error('not a compact payload');
  const flags = reader.u8();
  const zxid = reader.zxid();
  const time = reader.double();
  const sessionId = reader.long();
  const cxid = reader.int();
  let digest: TxnDigest | undefined;
  if ((flags & headerFlags.digest) !== 0) {
    // Not through long(): a digest differs in every record and would push out the session id
    // that long() keeps for the next record's header.
    digest = { zxid: reader.zxid(), version: reader.int(), treeDigest: reader.uncachedLong() };
  }
  const txnBody = reader.body();
  if (reader.offset !== payload.length) throw new Error('bytes after the txn');
  const txn: Txn = { zxid, time, sessionId, cxid, body: txnBody };
  if (digest !== undefined) txn.digest = digest;
  return txn;
}

/** Ids of this many bytes at most are looked up in idCache before they are decoded. */
const cachedIdBytesMax = 32;
const idCacheSlots = 64;

/**
 * The id strings read last, by a hash of their bytes: the schemes and ids of auth and ACLs
 * ('world', 'anyone', 'ip', a client's address) repeat in nearly every record a replay reads,
 * and each would otherwise be a new string. Bytes decode to one string, so a hit is exact.
 */
const idCache = {
  bytes: new Array<Buffer | undefined>(idCacheSlots).fill(undefined),
  strings: new Array<string>(idCacheSlots).fill(''),
};

/** The session id read last and its bytes: a replay's records mostly come from few sessions. */
const lastLong = { high: 0, low: 0, value: 0n };

class CompactReader {
  offset = 0;

  /** `copyBytes`: byte fields are copies (the payload is a view valid only for the read);
   * otherwise views of the payload, as msgpack's decoding gave. */
  constructor(private readonly buffer: Buffer, private readonly copyBytes: boolean) {}

  u8(): number {
    return this.buffer.readUInt8(this.offset++);
  }

  int(): number {
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  double(): number {
    const value = this.buffer.readDoubleBE(this.offset);
    this.offset += 8;
    return value;
  }

  zxid(): number {
    const high = this.buffer.readUInt32BE(this.offset);
    const low = this.buffer.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return high * twoToThe32 + low;
  }

  long(): bigint {
    const high = this.buffer.readInt32BE(this.offset);
    const low = this.buffer.readInt32BE(this.offset + 4);
    if (high === lastLong.high && low === lastLong.low) {
      this.offset += 8;
      return lastLong.value;
    }
    const value = readInt64BE(this.buffer, this.offset);
    this.offset += 8;
    lastLong.high = high;
    lastLong.low = low;
    lastLong.value = value;
    return value;
  }

  /** A long that is not kept for the next read (see lastLong). */
  uncachedLong(): bigint {
    const value = readInt64BE(this.buffer, this.offset);
    this.offset += 8;
    return value;
  }

  /** string(), through idCache when short. */
  private idString(): string {
    const buffer = this.buffer;
    const length = buffer.readUInt32BE(this.offset);
    const start = this.offset + 4;
    const end = start + length;
    if (length > cachedIdBytesMax || end > buffer.length) return this.string();
    let hash = length;
    for (let index = start; index < end; index++) hash = (Math.imul(hash, 31) + buffer[index]!) | 0;
    const slot = hash & (idCacheSlots - 1);
    const cached = idCache.bytes[slot];
    this.offset = end;
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let index = 0; index < length && same; index++) {
        same = cached[index] === buffer[start + index];
      }
      if (same) return idCache.strings[slot]!;
    }
    const text = buffer.toString('utf8', start, end);
    idCache.bytes[slot] = Buffer.from(buffer.subarray(start, end));
    idCache.strings[slot] = text;
    return text;
  }

  string(): string {
    const length = this.buffer.readUInt32BE(this.offset);
    const start = this.offset + 4;
    const end = start + length;
    if (end > this.buffer.length) throw new RangeError('string past the payload');
    this.offset = end;
    return this.buffer.toString('utf8', start, end);
  }

  bytes(): Buffer | null {
    const length = this.int();
    if (length === -1) return null;
    const start = this.offset;
    const end = start + length;
    if (length < 0 || end > this.buffer.length) throw new RangeError('bytes past the payload');
    this.offset = end;
    const view = this.buffer.subarray(start, end);
    return this.copyBytes ? Buffer.from(view) : view;
  }

  id(): Id {
    const scheme = this.idString();
    return { scheme, id: this.idString() };
  }

  acl(): ACL[] | null {
    const count = this.int();
    if (count === -1) return null;
    this.bounded(count);
    const entries: ACL[] = [];
    for (let index = 0; index < count; index++) {
      const perms = this.int();
      entries.push({ perms, id: this.id() });
    }
    return entries;
  }

  auth(): AuthContext {
    const superUser = this.u8() === 1;
    const count = this.int();
    this.bounded(count);
    const ids: Id[] = [];
    for (let index = 0; index < count; index++) ids.push(this.id());
    return { ids, superUser };
  }

  /** A count no payload of this length can hold is damage (a loop must not run on it). */
  private bounded(count: number): void {
    if (count < 0 || count > this.buffer.length - this.offset) {
      throw new RangeError(`count ${count} past the payload`);
    }
  }

  body(): TxnBody {
    const kind = this.u8();
    switch (kind) {
      case bodyKinds.createSession: {
        const sessionId = this.long();
        const timeoutMs = this.double();
        const password = this.bytes();
        if (password === null) throw new Error('a session without a password');
        return { type: 'createSession', sessionId, timeoutMs, password };
      }
      case bodyKinds.closeSession:
        return { type: 'closeSession', sessionId: this.long() };
      case bodyKinds.create:
      case bodyKinds.delete:
      case bodyKinds.setData:
        return this.write(kind);
      default:
        throw new Error(`unknown compact body kind ${kind}`);
    }
  }

  private write(kind: number): TxnBody {
    const flags = this.u8();
    const auth = this.auth();
    let request: CreateRequest | DeleteRequest | SetDataRequest;
    if (kind === bodyKinds.create) {
      const opcode = this.int() as CreateRequest['opcode'];
      const path = this.string();
      const data = this.bytes();
      const acl = this.acl();
      const createFlags = this.int();
      request = { kind: 'create', opcode, path, data, acl, flags: createFlags, ttl: this.double() };
    } else if (kind === bodyKinds.delete) {
      const path = this.string();
      request = { kind: 'delete', path, version: this.int() };
    } else {
      const path = this.string();
      const data = this.bytes();
      request = { kind: 'setData', path, data, version: this.int() };
    }
    const body: TxnBody = { type: 'write', request, auth };
    if ((flags & writeFlags.enforceQuotaSet) !== 0) {
      body.enforceQuota = (flags & writeFlags.enforceQuota) !== 0;
    }
    if ((flags & writeFlags.localSessionSet) !== 0) {
      body.localSession = (flags & writeFlags.localSession) !== 0;
    }
    return body;
  }
}
