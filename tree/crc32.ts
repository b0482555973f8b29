// CRC-32 (the zlib / java.util.zip polynomial) in JavaScript, slicing by 8 bytes. A node's
// digest input is about a hundred bytes, where the call into native code costs more than the
// hashing; a million nodes are hashed on every restart. Same values as @node-rs/crc32's crc32.

const polynomial = 0xedb88320;

/** Eight tables of 256: table k gives the CRC of a byte followed by k zero bytes. */
const tables = new Int32Array(256 * 8);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomial : crc >>> 1;
  tables[byte] = crc;
}
for (let byte = 0; byte < 256; byte++) {
  for (let table = 1; table < 8; table++) {
    const previous = tables[(table - 1) * 256 + byte]!;
    tables[table * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff]!;
  }
}

/** The CRC-32 of bytes[0, end), continuing from `initial` (a CRC of what came before). */
export function crc32Prefix(bytes: Uint8Array, end: number, initial = 0): number {
  const t = tables;
  let crc = ~initial;
  let at = 0;
  for (; at + 8 <= end; at += 8) {
    crc ^= bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
    crc = t[1792 + (crc & 0xff)]! ^ t[1536 + ((crc >>> 8) & 0xff)]! ^
      t[1280 + ((crc >>> 16) & 0xff)]! ^ t[1024 + (crc >>> 24)]! ^ t[768 + bytes[at + 4]!]! ^
      t[512 + bytes[at + 5]!]! ^ t[256 + bytes[at + 6]!]! ^ t[bytes[at + 7]!]!;
  }
  for (; at < end; at++) crc = t[(crc ^ bytes[at]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
