// The `name=value, name="quoted value"` lists DIGEST-MD5 messages are made of (RFC 2831 §7.1,
// the HTTP #rule with quoted-string). Kept as bytes: the nonce, cnonce and authzid enter the
// hash exactly as received, whatever their encoding.
import { SaslMalformedResponseError } from './sasl-errors.js';

export interface Directive {
  /** The directive name, lowercased: RFC 2831 directive names are case-insensitive. */
  name: string;
  value: Buffer;
}

const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const equals = 0x3d;

function isLinearWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

/** Reads a quoted-string starting at the opening quote; returns the unescaped value and end. */
function readQuoted(bytes: Buffer, start: number): { value: Buffer; end: number } {
  const value: number[] = [];
  let index = start + 1;
  while (index < bytes.length) {
    const byte = bytes[index]!;
    if (byte === quote) return { value: Buffer.from(value), end: index + 1 };
    if (byte === backslash) {
      index += 1;
      if (index >= bytes.length) break;
    }
    value.push(bytes[index]!);
    index += 1;
  }
  throw new SaslMalformedResponseError('unterminated quoted string');
}

/** Reads an unquoted token value up to the next comma or whitespace. */
function readToken(bytes: Buffer, start: number): { value: Buffer; end: number } {
  let end = start;
  while (end < bytes.length && bytes[end] !== comma && !isLinearWhitespace(bytes[end])) {
    end += 1;
  }
  return { value: bytes.subarray(start, end), end };
}

/** Parses a directive list. Empty list elements (`a=1,,b=2`) are allowed, as in HTTP's #rule. */
export function parseDirectives(bytes: Buffer): Directive[] {
  const directives: Directive[] = [];
  let index = 0;
  const skipWhitespace = (): void => {
    while (isLinearWhitespace(bytes[index])) index += 1;
  };
  while (index < bytes.length) {
    skipWhitespace();
    if (bytes[index] === comma) {
      index += 1;
      continue;
    }
    if (index >= bytes.length) break;
    const nameStart = index;
    while (index < bytes.length && bytes[index] !== equals && bytes[index] !== comma &&
      !isLinearWhitespace(bytes[index])) {
      index += 1;
    }
    const name = bytes.subarray(nameStart, index).toString('latin1').toLowerCase();
    skipWhitespace();
    if (bytes[index] !== equals) {
      throw new SaslMalformedResponseError(`directive ${JSON.stringify(name)} has no value`);
    }
    index += 1;
    skipWhitespace();
    const read = bytes[index] === quote ? readQuoted(bytes, index) : readToken(bytes, index);
    directives.push({ name, value: read.value });
    index = read.end;
    skipWhitespace();
    if (index < bytes.length && bytes[index] !== comma) {
      throw new SaslMalformedResponseError(`unexpected byte after directive ${name}`);
    }
  }
  return directives;
}

/** Writes a value as a quoted-string, escaping the quote and backslash. */
export function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}
