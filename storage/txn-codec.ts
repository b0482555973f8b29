// How a txn is stored: a CRC-32C of the payload, then the payload: the compact layout
// (txn-compact.ts, first byte 0xc1) for the txns it holds, the msgpack-encoded txn for the rest
// and for every record written before it. Checksum on write, verify on read: a torn or
// corrupted record is detected, never applied.

import { crc32c } from '@node-rs/crc32';
import { Packr } from 'msgpackr';
import type { Txn } from '../protocol/txn.js';
import { compactMarker, encodeCompact } from './txn-compact.js';
import { decodeCompact } from './txn-compact-read.js';

// BigInts (session ids) keep their type through the extension; records stay plain maps so the
// format does not depend on structure definitions held elsewhere.
const packr = new Packr({ useRecords: false, useBigIntExtension: true });

export class CorruptRecordError extends Error {
  constructor(
    readonly location: string,
    readonly zxid: number,
    reason: string,
  ) {
    super(`corrupt txn record zxid 0x${zxid.toString(16)} in ${location}: ${reason}`);
    this.name = 'CorruptRecordError';
  }
}

/**
 * A txn's log record: the checksum, then the compact layout when the txn fits it (sessions and
 * single writes, which replay fastest), otherwise msgpack.
 */
export function encodeTxn(txn: Txn): Buffer {
  return withChecksum(encodeCompact(txn) ?? packr.pack(txn));
}

function withChecksum(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(4 + payload.length);
  record.writeUInt32BE(crc32c(payload), 0);
  payload.copy(record, 4);
  return record;
}

/** Why a stored record cannot be trusted, or undefined when its checksum holds. A startup scan
 * calls this on every record without decoding the payloads. */
export function recordProblem(record: Uint8Array): string | undefined {
  const buffer = asBuffer(record);
  if (buffer.length < 5) return 'truncated record';
  if (crc32c(buffer.subarray(4)) !== buffer.readUInt32BE(0)) return 'checksum mismatch';
  return undefined;
}

export function decodeTxn(record: Uint8Array, zxid: number, location: string): Txn {
  return recordTxn(decodeRecord(asBuffer(record), false), zxid, location);
}

/** Why a record read by decodeTxnCopying cannot be trusted (see recordTxn). */
export class RecordProblem {
  constructor(readonly reason: string) {}
}

/**
 * decodeTxn for a record that is a view valid only during the call (LMDB's read buffer,
 * Table.decodedEntries): the txn's bytes (data, passwords) are copied out of it, and a record
 * that cannot be trusted comes back as a RecordProblem, for recordTxn to refuse with its zxid.
 */
export function decodeTxnCopying(record: Buffer): Txn | RecordProblem {
  return decodeRecord(record, true);
}

/** The txn a record of `zxid` decoded to, or CorruptRecordError: a problem, or another zxid. */
export function recordTxn(decoded: Txn | RecordProblem, zxid: number, location: string): Txn {
  if (decoded instanceof RecordProblem) {
    throw new CorruptRecordError(location, zxid, decoded.reason);
  }
  if (decoded.zxid !== zxid) {
    throw new CorruptRecordError(location, zxid, `holds zxid ${decoded.zxid}`);
  }
  return decoded;
}

function decodeRecord(buffer: Buffer, copyBytes: boolean): Txn | RecordProblem {
  const problem = recordProblem(buffer);
  if (problem !== undefined) return new RecordProblem(problem);
  const payload = buffer.subarray(4);
  try {
    if (payload[0] === compactMarker) return decodeCompact(payload, copyBytes);
    // msgpack's byte fields are views of what it reads: a copy of the record, then.
    return packr.unpack(copyBytes ? Buffer.from(payload) : payload) as Txn;
  } catch (error) {
    return new RecordProblem(`undecodable payload: ${String(error)}`);
  }
}

/** 8-byte big-endian zxid key: LMDB's byte order is then zxid order. */
export function zxidKey(zxid: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(Math.floor(zxid / 0x1_0000_0000), 0);
  key.writeUInt32BE(zxid >>> 0, 4);
  return key;
}

/** Read from the bytes themselves: replay and sync streaming call this once per record. */
export function zxidOfKey(key: Uint8Array): number {
  const high = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
  const low = ((key[4]! << 24) | (key[5]! << 16) | (key[6]! << 8) | key[7]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** The record as a Buffer; backends hand out Buffers already, so this allocates nothing. */
function asBuffer(record: Uint8Array): Buffer {
  return Buffer.isBuffer(record)
    ? record
    : Buffer.from(record.buffer, record.byteOffset, record.byteLength);
}
