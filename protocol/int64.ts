// Big-endian 64-bit signed integers as bigints, in and out of byte arrays. Node's
// Buffer#writeBigInt64BE and readBigInt64BE take ~70 and ~35 ns, mostly bigint arithmetic; a
// DataView does the conversion natively, and going through one 8-byte scratch (copied a byte at
// a time) costs ~15 ns with no DataView per buffer. Session ids, ephemeral owners and tree
// digests are read and written this way on every request, log record and restored node.

const scratch = new ArrayBuffer(8);
const scratchView = new DataView(scratch);
const scratchBytes = new Uint8Array(scratch);

/** Writes `value` (a signed 64-bit integer; wider values wrap) at `offset`, big-endian. */
export function writeInt64BE(bytes: Uint8Array, value: bigint, offset: number): void {
  scratchView.setBigInt64(0, value);
  const s = scratchBytes;
  bytes[offset] = s[0]!;
  bytes[offset + 1] = s[1]!;
  bytes[offset + 2] = s[2]!;
  bytes[offset + 3] = s[3]!;
  bytes[offset + 4] = s[4]!;
  bytes[offset + 5] = s[5]!;
  bytes[offset + 6] = s[6]!;
  bytes[offset + 7] = s[7]!;
}

/** The signed 64-bit big-endian integer at `offset` (the caller checked the 8 bytes exist). */
export function readInt64BE(bytes: Uint8Array, offset: number): bigint {
  const s = scratchBytes;
  s[0] = bytes[offset]!;
  s[1] = bytes[offset + 1]!;
  s[2] = bytes[offset + 2]!;
  s[3] = bytes[offset + 3]!;
  s[4] = bytes[offset + 4]!;
  s[5] = bytes[offset + 5]!;
  s[6] = bytes[offset + 6]!;
  s[7] = bytes[offset + 7]!;
  return scratchView.getBigInt64(0);
}
