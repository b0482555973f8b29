// A restore chunk's bytes (protocol/txn.ts RestoreChunkTxnBody): a run of a backup's znodes with
// the ACLs they use, self-contained (ACL indexes count from 0 in every chunk), so a chunk can be
// checked and decoded on its own. The leader encodes it once; every replica keeps the very same
// bytes as a staged znode's data (tree/restore-staging.ts) and decodes them when the restore
// ends, so applying a chunk costs no re-encoding and cannot differ between replicas.
//
// Layout, big-endian: u8 version, u32 ACL count, each ACL as u32 entries then (i32 perms, str
// scheme, str id) per entry; u32 node count, each node as str path, i32 data length (-1 for null
// data) and the data, u32 ACL index, i64 ephemeralOwner, u8 ownerIsSession, then f64 czxid,
// mzxid, pzxid, ctime, mtime, version, cversion, aversion; a CRC-32C of all that last. A str is
// a u32 byte length and UTF-8.

import { crc32c } from '@node-rs/crc32';
import { readInt64BE, writeInt64BE } from '../protocol/int64.js';
import type { ACL } from '../protocol/records.js';
import type { RestoredNode } from '../protocol/txn.js';
import { NodeFields } from './snapshot.js';

const chunkVersion = 1;
const fixedNodeBytes = 4 + 4 + 8 + 1 + 8 * 8;

export class RestoreChunkError extends Error {
  constructor(reason: string) {
    super(`restore chunk: ${reason}`);
    this.name = 'RestoreChunkError';
  }
}

/**
 * Builds one chunk from nodes given one at a time, their ACLs taken from the backup's table as
 * they are first used. `bytes` is the encoded size so far (before the checksum), so the caller
 * can close a chunk before it passes its bound.
 */
export class RestoreChunkBuilder {
  private readonly acls: Array<readonly ACL[]> = [];
  private readonly aclIndexOf = new Map<readonly ACL[], number>();
  private readonly nodeParts: Buffer[] = [];
  private aclBytes = 4;
  private nodeBytes = 4;
  private nodeCount = 0;

  get nodes(): number {
    return this.nodeCount;
  }

  get bytes(): number {
    return 1 + this.aclBytes + this.nodeBytes;
  }

  /** The bytes `fields` will take in a chunk, its ACL aside. */
  static nodeBytes(fields: NodeFields): number {
    return 8 + Buffer.byteLength(fields.path) + (fields.data?.length ?? 0) + fixedNodeBytes;
  }

  /** Adds a node; `acl` is its ACL (the backup's table entry), `fields` is only read. */
  add(fields: NodeFields, acl: readonly ACL[]): void {
    let aclIndex = this.aclIndexOf.get(acl);
    if (aclIndex === undefined) {
      aclIndex = this.acls.length;
      this.aclIndexOf.set(acl, aclIndex);
      this.acls.push(acl);
      this.aclBytes += 4;
      for (const { id } of acl) {
        this.aclBytes += 12 + Buffer.byteLength(id.scheme) + Buffer.byteLength(id.id);
      }
    }
    const path = Buffer.from(fields.path);
    const data = fields.data;
    const head = Buffer.allocUnsafe(8 + path.length);
    head.writeUInt32BE(path.length, 0);
    path.copy(head, 4);
    head.writeInt32BE(data === null ? -1 : data.length, 4 + path.length);
    const fixed = Buffer.allocUnsafe(4 + 8 + 1 + 8 * 8);
    fixed.writeUInt32BE(aclIndex, 0);
    writeInt64BE(fixed, fields.ephemeralOwner, 4);
    fixed.writeUInt8(fields.ownerIsSession ? 1 : 0, 12);
    const numbers = [fields.czxid, fields.mzxid, fields.pzxid, fields.ctime, fields.mtime,
      fields.version, fields.cversion, fields.aversion];
    for (let index = 0; index < numbers.length; index++) {
      fixed.writeDoubleBE(numbers[index]!, 13 + index * 8);
    }
    this.nodeParts.push(head);
    if (data !== null && data.length > 0) this.nodeParts.push(data);
    this.nodeParts.push(fixed);
    this.nodeBytes += head.length + (data?.length ?? 0) + fixed.length;
    this.nodeCount++;
  }

  /** The chunk's bytes, checksum last. */
  encode(): Buffer {
    const aclPart = Buffer.allocUnsafe(this.aclBytes);
    let at = aclPart.writeUInt32BE(this.acls.length, 0);
    for (const acl of this.acls) {
      at = aclPart.writeUInt32BE(acl.length, at);
      for (const { perms, id } of acl) {
        at = aclPart.writeInt32BE(perms, at);
        at = writeString(aclPart, id.scheme, at);
        at = writeString(aclPart, id.id, at);
      }
    }
    const count = Buffer.allocUnsafe(4);
    count.writeUInt32BE(this.nodeCount, 0);
    const body = Buffer.concat([Buffer.from([chunkVersion]), aclPart, count, ...this.nodeParts],
      this.bytes);
    const checksum = Buffer.allocUnsafe(4);
    checksum.writeUInt32BE(crc32c(body), 0);
    return Buffer.concat([body, checksum]);
  }
}

function writeString(buffer: Buffer, text: string, at: number): number {
  const length = buffer.write(text, at + 4);
  buffer.writeUInt32BE(length, at);
  return at + 4 + length;
}

/** Reads a chunk's parts in order, refusing anything that does not fit (RestoreChunkError). */
class ChunkReader {
  private at = 0;

  constructor(private readonly bytes: Buffer) {}

  private need(length: number): void {
    if (length < 0 || this.at + length > this.bytes.length) {
      throw new RestoreChunkError('truncated');
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.at++);
  }

  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  i64(): bigint {
    this.need(8);
    const value = readInt64BE(this.bytes, this.at);
    this.at += 8;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.bytes.readDoubleBE(this.at);
    this.at += 8;
    return value;
  }

  slice(length: number): Buffer {
    this.need(length);
    const value = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  string(): string {
    return this.slice(this.u32()).toString('utf8');
  }

  get done(): boolean {
    return this.at === this.bytes.length;
  }
}

/** How visitRestoreChunk reads: a chunk read twice in one txn is checked once, and data is
 * copied only when the nodes are kept. */
export interface ChunkReading {
  /** Its checksum was checked already. */
  checked?: boolean;
  /** Data is copied out, so restored nodes do not keep the chunk alive (otherwise views). */
  copy?: boolean;
}

/**
 * Decodes a chunk: its ACL table, then each node through one NodeFields refilled for the next.
 * The node count.
 */
export function visitRestoreChunk(bytes: Buffer, visit: (fields: NodeFields,
  acl: readonly ACL[]) => void, reading: ChunkReading = { copy: true }): number {
  if (bytes.length < 5) throw new RestoreChunkError('truncated');
  const body = bytes.subarray(0, bytes.length - 4);
  if (reading.checked !== true && crc32c(body) !== bytes.readUInt32BE(bytes.length - 4)) {
    throw new RestoreChunkError('checksum mismatch');
  }
  const copy = reading.copy === true;
  const reader = new ChunkReader(body);
  const version = reader.u8();
  if (version !== chunkVersion) throw new RestoreChunkError(`version ${version}`);
  const acls: ACL[][] = [];
  for (let count = reader.u32(), index = 0; index < count; index++) {
    const acl: ACL[] = [];
    for (let entries = reader.u32(), entry = 0; entry < entries; entry++) {
      const perms = reader.i32();
      const scheme = reader.string();
      acl.push({ perms, id: { scheme, id: reader.string() } });
    }
    acls.push(acl);
  }
  const fields = new NodeFields();
  const nodes = reader.u32();
  for (let index = 0; index < nodes; index++) {
    fields.path = reader.string();
    const dataLength = reader.i32();
    const data = dataLength < 0 ? null : reader.slice(dataLength);
    fields.data = data === null || !copy ? data : Buffer.from(data);
    fields.aclIndex = reader.u32();
    fields.ephemeralOwner = reader.i64();
    fields.ownerIsSession = reader.u8() === 1;
    fields.czxid = reader.f64();
    fields.mzxid = reader.f64();
    fields.pzxid = reader.f64();
    fields.ctime = reader.f64();
    fields.mtime = reader.f64();
    fields.version = reader.f64();
    fields.cversion = reader.f64();
    fields.aversion = reader.f64();
    const acl = acls[fields.aclIndex];
    if (acl === undefined) throw new RestoreChunkError(`${fields.path}: unknown ACL`);
    visit(fields, acl);
  }
  if (!reader.done) throw new RestoreChunkError('bytes after the last node');
  return nodes;
}

/** A chunk of `records` (tests, and the single-txn restore's records). */
export function encodeRestoreChunk(acls: ReadonlyArray<readonly ACL[]>,
  records: readonly RestoredNode[]): Buffer {
  const builder = new RestoreChunkBuilder();
  const fields = new NodeFields();
  for (const record of records) builder.add(fields.of(record), acls[record[2]]!);
  return builder.encode();
}
