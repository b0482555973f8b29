// The append side's encoder of a txn record: the same bytes storage/txn-codec.ts's encodeTxn
// writes (a CRC-32C of the payload, then the txn as msgpackr packs it with useRecords off and
// the BigInt extension), written in one pass for the values a txn holds. The format is
// txn-codec.ts's; this only writes it with less work per write: msgpackr's general encoder,
// its buffer management and a second copy were a tenth of a standalone server's CPU per write.
// Whatever this does not reproduce exactly (a non-ASCII or long string, a bigint beyond 64
// bits, a class instance) is left to encodeTxn: writeTxnRecord returns undefined.
// test/storage/txn-record-writer.test.ts compares the two byte for byte.

import { crc32c } from '@node-rs/crc32';
import type { Txn } from '../protocol/txn.js';

/** Strings longer than this go to msgpackr (its header choice for long strings is its own). */
const stringLengthMax = 4096;
const int64Min = -(2n ** 63n);
const int64Limit = 2n ** 63n;
const uint64Limit = 2n ** 64n;

/** A bigint's 64 bits, read out in the byte order of this machine (see writeBigInt). */
const bigintWord = new BigInt64Array(1);
const bigintBytes = new Uint8Array(bigintWord.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Where records are encoded before they are copied out; grows for large values. */
let scratch = Buffer.allocUnsafe(64 * 1024);
let position = 0;

function ensure(bytes: number): void {
  if (position + bytes <= scratch.length) return;
  const larger = Buffer.allocUnsafe(Math.max(scratch.length * 2, position + bytes + 1024));
  scratch.copy(larger, 0, 0, position);
  scratch = larger;
}

/** The record for `txn`, or undefined when it holds a value this encoder leaves to msgpackr. */
export function writeTxnRecord(txn: Txn): Buffer | undefined {
  position = 4;
  ensure(0);
  if (!writeValue(txn)) return undefined;
  const record = Buffer.allocUnsafe(position);
  scratch.copy(record, 0, 0, position);
  record.writeUInt32BE(crc32c(record.subarray(4)), 0);
  return record;
}

function writeValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      writeNumber(value);
      return true;
    case 'bigint':
      return writeBigInt(value);
    case 'boolean':
      ensure(1);
      scratch[position++] = value ? 0xc3 : 0xc2;
      return true;
    case 'undefined':
      // msgpackr's undefined: a fixext 1 of type 0.
      ensure(3);
      scratch[position++] = 0xd4;
      scratch[position++] = 0;
      scratch[position++] = 0;
      return true;
    case 'object':
      if (value === null) {
        ensure(1);
        scratch[position++] = 0xc0;
        return true;
      }
      if (value instanceof Uint8Array) {
        const constructor = value.constructor;
        return (constructor === Buffer || constructor === Uint8Array) && writeBinary(value);
      }
      if (Array.isArray(value)) return writeArray(value);
      return Object.getPrototypeOf(value) === Object.prototype &&
        writeMap(value as Record<string, unknown>);
    default:
      return false;
  }
}

/** ASCII only: msgpackr's UTF-8 of other strings (lone surrogates) is its own. */
function writeString(value: string): boolean {
  const length = value.length;
  if (length > stringLengthMax) return false;
  ensure(length + 3);
  if (length < 0x20) {
    scratch[position++] = 0xa0 | length;
  } else if (length < 0x100) {
    scratch[position++] = 0xd9;
    scratch[position++] = length;
  } else {
    scratch[position++] = 0xda;
    scratch.writeUInt16BE(length, position);
    position += 2;
  }
  for (let index = 0; index < length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0x80) return false;
    scratch[position++] = code;
  }
  return true;
}

/** msgpackr's choice: the smallest unsigned, then signed, 32-bit form, else a float64. */
function writeNumber(value: number): void {
  ensure(9);
  if (value >>> 0 === value) {
    if (value < 0x80) {
      scratch[position++] = value;
    } else if (value < 0x100) {
      scratch[position++] = 0xcc;
      scratch[position++] = value;
    } else if (value < 0x10000) {
      scratch[position++] = 0xcd;
      scratch.writeUInt16BE(value, position);
      position += 2;
    } else {
      scratch[position++] = 0xce;
      scratch.writeUInt32BE(value, position);
      position += 4;
    }
  } else if (value >> 0 === value) {
    if (value >= -0x20) {
      scratch[position++] = value & 0xff;
    } else if (value >= -0x80) {
      scratch[position++] = 0xd0;
      scratch.writeInt8(value, position);
      position += 1;
    } else if (value >= -0x8000) {
      scratch[position++] = 0xd1;
      scratch.writeInt16BE(value, position);
      position += 2;
    } else {
      scratch[position++] = 0xd2;
      scratch.writeInt32BE(value, position);
      position += 4;
    }
  } else {
    scratch[position++] = 0xcb;
    scratch.writeDoubleBE(value, position);
    position += 8;
  }
}

function writeBigInt(value: bigint): boolean {
  ensure(9);
  if (value >= int64Min && value < int64Limit) scratch[position++] = 0xd3;
  else if (value >= 0n && value < uint64Limit) scratch[position++] = 0xcf;
  else return false;
  // The 64 bits through a typed array (Buffer's writeBigInt64BE shifts bigints, and every
  // txn holds two): as two's complement, which is the unsigned form too.
  bigintWord[0] = BigInt.asIntN(64, value);
  for (let index = 0; index < 8; index++) {
    scratch[position + index] = bigintBytes[littleEndian ? 7 - index : index]!;
  }
  position += 8;
  return true;
}

function writeBinary(value: Uint8Array): boolean {
  const length = value.length;
  ensure(length + 5);
  if (length < 0x100) {
    scratch[position++] = 0xc4;
    scratch[position++] = length;
  } else if (length < 0x10000) {
    scratch[position++] = 0xc5;
    scratch.writeUInt16BE(length, position);
    position += 2;
  } else {
    scratch[position++] = 0xc6;
    scratch.writeUInt32BE(length, position);
    position += 4;
  }
  scratch.set(value, position);
  position += length;
  return true;
}

function writeArray(value: readonly unknown[]): boolean {
  const length = value.length;
  ensure(5);
  if (length < 0x10) {
    scratch[position++] = 0x90 | length;
  } else if (length < 0x10000) {
    scratch[position++] = 0xdc;
    scratch.writeUInt16BE(length, position);
    position += 2;
  } else {
    scratch[position++] = 0xdd;
    scratch.writeUInt32BE(length, position);
    position += 4;
  }
  for (let index = 0; index < length; index++) {
    if (!writeValue(value[index])) return false;
  }
  return true;
}

/** msgpackr writes a plain object as a map16 whatever its size, its count filled in after. */
function writeMap(value: Record<string, unknown>): boolean {
  ensure(3);
  scratch[position++] = 0xde;
  const countAt = position;
  position += 2;
  let count = 0;
  for (const key in value) {
    if (!writeString(key) || !writeValue(value[key])) return false;
    count++;
  }
  if (count > 0xffff) return false;
  scratch.writeUInt16BE(count, countAt);
  return true;
}
