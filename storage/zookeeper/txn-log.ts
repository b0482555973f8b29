// ZooKeeper's txn log files (FileTxnLog): a FileHeader (ZKLG, 2, dbId), then records of an
// Adler-32 checksum, a length-prefixed txn and a 'B' end marker, in a file preallocated with
// zeros. A zero length is the end (the preallocated tail); a record cut short or without its
// 'B' is a torn write and ends the file, as Util.readTxnBytes treats it; neither is applied.

import { JuteWriter } from '../../protocol/jute.js';
import { adler32, fileFormatVersion, txnLogMagic, ZooKeeperFormatError } from './format.js';
import { decodeLogEntry, encodeLogEntry, type ZooKeeperLogEntry } from './txn-records.js';

const fileHeaderBytes = 16;
/** Checksum (8), length (4), end marker (1) around each txn. */
const recordOverheadBytes = 13;
const endOfRecord = 0x42;

/** Where and why reading a log file stopped before its end of data. */
export interface TornTail {
  file: string;
  offset: number;
  reason: string;
}

export class CorruptTxnLogError extends ZooKeeperFormatError {
  constructor(file: string, offset: number, reason: string) {
    super(`txn log ${file}: record at byte ${offset} is corrupt (${reason}) and data follows it; ` +
      'ZooKeeper would refuse to load this log too');
    this.name = 'CorruptTxnLogError';
  }
}

function allZero(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/**
 * The entries of one log file, in file order, up to its end of data. A record whose checksum
 * fails stops the file when nothing but zeros follows it in the newest file (a tail the disk
 * damaged as it was written); anywhere else it throws CorruptTxnLogError, since ZooKeeper's
 * FileTxnIterator fails there too ("CRC check failed").
 */
export function readTxnLogFile(
  bytes: Buffer,
  file: string,
  newest: boolean,
  tornTails: TornTail[],
): ZooKeeperLogEntry[] {
  if (bytes.length < fileHeaderBytes) {
    tornTails.push({ file, offset: 0, reason: 'file header torn' });
    return [];
  }
  const magic = bytes.readInt32BE(0);
  if (magic !== txnLogMagic) {
    throw new ZooKeeperFormatError(`txn log ${file} has bad magic 0x${magic.toString(16)}`);
  }
  const entries: ZooKeeperLogEntry[] = [];
  let offset = fileHeaderBytes;
  // Each pass consumes at least recordOverheadBytes, so the file's length bounds the loop.
  while (offset + 12 <= bytes.length) {
    const stored = bytes.readBigInt64BE(offset);
    const length = bytes.readInt32BE(offset + 8);
    if (length === 0) return entries;
    const end = offset + 12 + length;
    if (length < 0 || end + 1 > bytes.length) {
      tornTails.push({ file, offset, reason: `record of ${length} bytes runs past the file` });
      return entries;
    }
    if (bytes[end] !== endOfRecord) {
      tornTails.push({ file, offset, reason: 'record lacks its end marker (partial write)' });
      return entries;
    }
    const txn = bytes.subarray(offset + 12, end);
    if (BigInt(adler32(txn)) !== stored) {
      if (newest && allZero(bytes.subarray(end + 1))) {
        tornTails.push({ file, offset, reason: 'checksum mismatch in the last record' });
        return entries;
      }
      throw new CorruptTxnLogError(file, offset, 'checksum mismatch');
    }
    try {
      entries.push(decodeLogEntry(Buffer.from(txn)));
    } catch (error) {
      throw new CorruptTxnLogError(file, offset, String(error));
    }
    offset = end + 1;
  }
  if (offset < bytes.length && !allZero(bytes.subarray(offset))) {
    tornTails.push({ file, offset, reason: 'record header torn' });
  }
  return entries;
}

/** A log file as FileTxnLog writes one, `preallocatedBytes` of zeros after the records. */
export function encodeTxnLogFile(
  entries: readonly ZooKeeperLogEntry[],
  preallocatedBytes = 0,
  dbId = 0n,
): Buffer {
  const header = new JuteWriter(fileHeaderBytes);
  header.int(txnLogMagic).int(fileFormatVersion).long(dbId);
  const pieces = [Buffer.from(header.body())];
  for (const entry of entries) {
    const txn = encodeLogEntry(entry);
    const record = Buffer.alloc(recordOverheadBytes + txn.length);
    record.writeBigInt64BE(BigInt(adler32(txn)), 0);
    record.writeInt32BE(txn.length, 8);
    txn.copy(record, 12);
    record[12 + txn.length] = endOfRecord;
    pieces.push(record);
  }
  pieces.push(Buffer.alloc(preallocatedBytes));
  return Buffer.concat(pieces);
}
