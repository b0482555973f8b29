// The text ZooKeeper keeps in a quota's zookeeper_limits and zookeeper_stats nodes
// (org.apache.zookeeper.StatsTrack): `count=N,bytes=M`, then, when other keys are set, a
// spurious `=` and `;key=value` pairs in key order. Parsed and written here byte for byte as
// ZooKeeper does, so zkCli, kazoo and a ZooKeeper replica read the same text from corral.

/** Keys ZooKeeper's StatsTrack names; any other key read from a node is kept as it is. */
export const statsKeys = {
  count: 'count',
  bytes: 'bytes',
  countHardLimit: 'countHardLimit',
  byteHardLimit: 'byteHardLimit',
} as const;

/** Values by key, as Java longs (a missing key reads -1). */
export type Stats = Map<string, bigint>;

const longMin = -(1n << 63n);
const longMax = (1n << 63n) - 1n;
const pairSeparator = /[,;]+/;

/** Java's String.split: without a match the whole text (even empty), else trailing empty
 * pieces dropped. StatsTrack's parsing leans on both rules. */
function javaSplit(text: string, separator: RegExp): string[] {
  const pieces = text.split(separator);
  if (pieces.length === 1) return pieces;
  while (pieces.length > 0 && pieces[pieces.length - 1] === '') pieces.pop();
  return pieces;
}

/** Long.parseLong over ASCII digits: undefined where Java throws NumberFormatException. */
export function parseJavaLong(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < longMin || value > longMax ? undefined : value;
}

/**
 * StatsTrack(String): pairs split on runs of `,` and `;`, each on `=`, an empty value read as
 * -1, later keys winning. Undefined where ZooKeeper's parser throws (a pair without `=`, a
 * value that is not a long): ZooKeeper then fails the request (see tree/quota.ts).
 */
export function parseStats(data: Buffer): Stats | undefined {
  const stats: Stats = new Map();
  const text = data.toString('utf8');
  if (text.length === 0) return stats;
  for (const pair of javaSplit(text, pairSeparator)) {
    const [key, value] = javaSplit(pair, /=/);
    if (key === undefined || value === undefined) return undefined;
    const parsed = value === '' ? -1n : parseJavaLong(value);
    if (parsed === undefined) return undefined;
    stats.set(key, parsed);
  }
  return stats;
}

export function statValue(stats: Stats, key: string): bigint {
  return stats.get(key) ?? -1n;
}

/** Java long addition, which wraps. */
export function addLong(left: bigint, right: bigint): bigint {
  return BigInt.asIntN(64, left + right);
}

/** StatsTrack.toString: count and bytes first (for 3.4.3's parser), the `=` only before
 * further keys, which follow sorted by UTF-16 code units as Java sorts strings. */
export function formatStats(stats: Stats): Buffer {
  const count = statValue(stats, statsKeys.count);
  let text = `count=${count},bytes=${statValue(stats, statsKeys.bytes)}`;
  const others = [...stats.keys()]
    .filter((key) => key !== statsKeys.count && key !== statsKeys.bytes)
    .sort();
  if (others.length > 0) {
    text += '=';
    for (const key of others) text += `;${key}=${stats.get(key)}`;
  }
  return Buffer.from(text, 'utf8');
}
