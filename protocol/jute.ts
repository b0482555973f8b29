// The jute binary format ZooKeeper clients speak: big-endian ints and longs, length-prefixed
// buffers and UTF-8 strings (-1 length = null), length-prefixed vectors. A reader never reads
// past its buffer: a short or lying record raises JuteError, which closes that connection only.

import { readInt64BE, writeInt64BE } from './int64.js';

export class JuteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JuteError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class JuteReader {
  private offset = 0;

  constructor(
    private readonly buffer: Buffer,
    /** Largest buffer/string/vector length accepted inside this record. */
    private readonly lengthMax: number = buffer.length,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private need(bytes: number, what: string): void {
    if (bytes > this.remaining) {
      throw new JuteError(`truncated record reading ${what} at byte ${this.offset}`);
    }
  }

  int(): number {
    this.need(4, 'int');
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  long(): bigint {
    this.need(8, 'long');
    const value = readInt64BE(this.buffer, this.offset);
    this.offset += 8;
    return value;
  }

  /** A long that must fit a JavaScript number exactly (zxids, times). */
  longNumber(): number {
    this.need(8, 'long');
    const high = this.buffer.readInt32BE(this.offset);
    const low = this.buffer.readUInt32BE(this.offset + 4);
    this.offset += 8;
    const value = high * 0x1_0000_0000 + low;
    if (!Number.isSafeInteger(value)) throw new JuteError(`long ${value} out of range`);
    return value;
  }

  boolean(): boolean {
    this.need(1, 'boolean');
    return this.buffer[this.offset++] !== 0;
  }

  private length(what: string): number {
    const length = this.int();
    if (length > this.lengthMax) throw new JuteError(`${what} length ${length} exceeds limit`);
    // -1 is null; any other negative length is refused, as ZooKeeper's readBuffer/readString
    // refuse it (for a ConnectRequest's password that closes the connection).
    if (length < -1) throw new JuteError(`${what} length ${length} is negative`);
    if (length >= 0) this.need(length, what);
    return length;
  }

  /** A buffer; null on the wire (-1) reads as null. */
  bufferOrNull(): Buffer | null {
    const length = this.length('buffer');
    if (length < 0) return null;
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A buffer where null is read as empty (passwords, auth tokens; znode data keeps null). */
  bytes(): Buffer {
    return this.bufferOrNull() ?? Buffer.alloc(0);
  }

  ustringOrNull(): string | null {
    const length = this.length('string');
    if (length < 0) return null;
    let value: string;
    try {
      value = utf8.decode(this.buffer.subarray(this.offset, this.offset + length));
    } catch {
      throw new JuteError(`invalid UTF-8 string at byte ${this.offset}`);
    }
    this.offset += length;
    return value;
  }

  ustring(): string {
    return this.ustringOrNull() ?? '';
  }

  vector<T>(readItem: (reader: JuteReader) => T): T[] | null {
    const count = this.int();
    if (count < 0) return null;
    // Every element takes at least one byte, so a count above the bytes left is a lie.
    if (count > this.remaining) throw new JuteError(`vector count ${count} exceeds record`);
    const items: T[] = [];
    for (let index = 0; index < count; index++) items.push(readItem(this));
    return items;
  }

  stringVector(): string[] {
    return this.vector((reader) => reader.ustring()) ?? [];
  }
}

/** The bytes items[start..end) take as ustrings if every character is ASCII. */
export function asciiBytesOf(items: readonly string[], start: number, end: number): number {
  let bytes = 0;
  for (let index = start; index < end; index++) bytes += 4 + items[index]!.length;
  return bytes;
}

export class JuteWriter {
  private buffer: Buffer;
  private offset: number;

  /** Starts with 4 bytes reserved for the frame length, filled in by `frame()`. */
  constructor(capacity = 256) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 16));
    this.offset = 4;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
  }

  int(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  long(value: bigint | number): this {
    this.ensure(8);
    if (typeof value === 'bigint') {
      writeInt64BE(this.buffer, value, this.offset);
    } else {
      const high = Math.floor(value / 0x1_0000_0000);
      this.buffer.writeInt32BE(high, this.offset);
      this.buffer.writeUInt32BE(value - high * 0x1_0000_0000, this.offset + 4);
    }
    this.offset += 8;
    return this;
  }

  boolean(value: boolean): this {
    this.ensure(1);
    this.buffer[this.offset++] = value ? 1 : 0;
    return this;
  }

  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** Bytes already in jute's encoding (a part of a record written before), as they are. */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  ustring(value: string | null): this {
    if (value === null) return this.int(-1);
    const length = Buffer.byteLength(value, 'utf8');
    this.int(length);
    this.ensure(length);
    this.buffer.write(value, this.offset, length, 'utf8');
    this.offset += length;
    return this;
  }

  vector<T>(items: readonly T[] | null, writeItem: (writer: this, item: T) => void): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  stringVector(items: readonly string[] | null): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    return this.strings(items, 0, items.length);
  }

  /**
   * Writes items[start..end) as ustrings, without a count: a vector's elements, possibly over
   * several calls (a large reply encoded in slices). Room for the ASCII bytes is made once; each
   * name is copied a character at a time, which for names of a few dozen characters costs less
   * than a call into Buffer.write, and only a name with a character above 0x7f takes that path.
   */
  strings(items: readonly string[], start: number, end: number): this {
    /** Bytes the items not yet written take if ASCII: room for them is always made. */
    let asciiBytesLeft = asciiBytesOf(items, start, end);
    this.ensure(asciiBytesLeft);
    let buffer = this.buffer;
    for (let index = start; index < end; index++) {
      const item = items[index]!;
      const length = item.length;
      const at = this.offset;
      asciiBytesLeft -= 4 + length;
      let ascii = true;
      for (let char = 0; char < length; char++) {
        const code = item.charCodeAt(char);
        if (code > 0x7f) {
          ascii = false;
          break;
        }
        buffer[at + 4 + char] = code;
      }
      if (!ascii) {
        // Rare: this item's UTF-8 bytes may take more than its share of the room made.
        this.ustring(item);
        this.ensure(asciiBytesLeft);
        buffer = this.buffer;
        continue;
      }
      buffer.writeInt32BE(length, at);
      this.offset = at + 4 + length;
    }
    return this;
  }

  /** The record with its 4-byte length prefix, ready for the socket. */
  frame(): Buffer {
    this.buffer.writeInt32BE(this.offset - 4, 0);
    return this.buffer.subarray(0, this.offset);
  }

  /** The record alone, without the length prefix. */
  body(): Buffer {
    return this.buffer.subarray(4, this.offset);
  }
}
