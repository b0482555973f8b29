// ZooKeeper's on-disk vocabulary, as its persistence package defines it: file names
// (snapshot.<zxid hex>, log.<zxid hex>), file header magics, the Adler-32 checksum every
// snapshot and txn record carries, and the session password ZooKeeper derives from a session id
// (it never stores one), so an imported session can be resumed with the password its client holds.

/** FileSnap.SNAP_MAGIC and FileTxnLog.TXNLOG_MAGIC: the ASCII bytes as a big-endian int. */
export const snapshotMagic = Buffer.from('ZKSN').readInt32BE(0);
export const txnLogMagic = Buffer.from('ZKLG').readInt32BE(0);
/** FileSnap.VERSION and FileTxnLog.VERSION. */
export const fileFormatVersion = 2;
/** FileSnap's dbId: every snapshot ZooKeeper writes carries -1. */
export const snapshotDbId = -1n;

export class ZooKeeperFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZooKeeperFormatError';
  }
}

export type ZooKeeperCompression = 'none' | 'gz' | 'snappy';

export interface ZooKeeperFileName {
  zxid: number;
  /** From the name's extension, as SnapStream.getStreamMode reads it (snapshots only). */
  compression: ZooKeeperCompression;
}

/**
 * Util.getZxidFromName: `<prefix>.<zxid hex>`, then for snapshots an optional `.gz` or
 * `.snappy`; undefined for any other name (ZooKeeper skips those too).
 */
export function parseFileName(
  name: string,
  prefix: 'snapshot' | 'log',
): ZooKeeperFileName | undefined {
  const parts = name.split('.');
  if (parts[0] !== prefix || parts.length < 2 || parts.length > 3) return undefined;
  if (!/^[0-9a-fA-F]{1,16}$/.test(parts[1]!)) return undefined;
  const zxid = Number.parseInt(parts[1]!, 16);
  if (!Number.isSafeInteger(zxid)) return undefined;
  if (parts.length === 2) return { zxid, compression: 'none' };
  if (prefix !== 'snapshot') return undefined;
  const extension = parts[2]!.toLowerCase();
  if (extension === 'gz' || extension === 'snappy') return { zxid, compression: extension };
  return undefined;
}

/** Util.makeSnapshotName: the zxid in hex without padding (Long.toHexString). */
export function snapshotFileName(zxid: number): string {
  return `snapshot.${zxid.toString(16)}`;
}

export function txnLogFileName(zxid: number): string {
  return `log.${zxid.toString(16)}`;
}

const adlerModulus = 65521;
/** The largest run of bytes whose sums cannot pass 2^53 before a modulo (zlib's NMAX is
 * for 32-bit sums; doubles allow far more, but this keeps the loop simple and exact). */
const adlerBlockBytes = 5552;

/** java.util.zip.Adler32 over `bytes`, continuing from `previous` (1 for a fresh checksum). */
export function adler32(bytes: Uint8Array, previous = 1): number {
  let low = previous & 0xffff;
  let high = (previous >>> 16) & 0xffff;
  for (let start = 0; start < bytes.length; start += adlerBlockBytes) {
    const end = Math.min(bytes.length, start + adlerBlockBytes);
    for (let index = start; index < end; index++) {
      low += bytes[index]!;
      high += low;
    }
    low %= adlerModulus;
    high %= adlerModulus;
  }
  return ((high << 16) | low) >>> 0;
}

/** ZooKeeperServer's superSecret, mixed into the seed of every session's password. */
const superSecret = 0xb3415c00n;
const javaRandomMultiplier = 0x5deece66dn;
const javaRandomMask = (1n << 48n) - 1n;
const passwordBytes = 16;

/**
 * ZooKeeperServer.generatePasswd: 16 bytes of java.util.Random seeded with
 * sessionId ^ superSecret. ZooKeeper checks a reconnecting client's password against this, so
 * the same bytes let the client resume its session on corral.
 */
export function zookeeperSessionPassword(sessionId: bigint): Buffer {
  let seed = (BigInt.asIntN(64, sessionId ^ superSecret) ^ javaRandomMultiplier) & javaRandomMask;
  const password = Buffer.alloc(passwordBytes);
  let index = 0;
  while (index < passwordBytes) {
    // Random.nextInt(): next(32), the seed's top 32 of 48 bits as a signed int.
    seed = (seed * javaRandomMultiplier + 0xbn) & javaRandomMask;
    let value = Number(BigInt.asIntN(32, seed >> 16n));
    // Random.nextBytes takes each int's bytes low first.
    for (let count = Math.min(4, passwordBytes - index); count > 0; count--) {
      password[index++] = value & 0xff;
      value >>= 8;
    }
  }
  return password;
}

/** The epoch a zxid belongs to (its high 32 bits). */
export function epochOf(zxid: number): number {
  return Math.floor(zxid / 0x1_0000_0000);
}
