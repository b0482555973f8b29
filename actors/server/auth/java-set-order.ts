// The order in which Apache ZooKeeper lists a connection's authenticated ids: it keeps them in a
// set backed by a java.util.concurrent.ConcurrentHashMap, so getAuthInfo() — what whoAmI answers
// and what an `auth` ACL expands to — follows that map's hash layout, not the order of addAuth.
// Reproduced here (String.hashCode, the jute-generated Id.hashCode, ConcurrentHashMap's spread
// and table sizing) so corral's answers match byte for byte. java.util.HashMap's order, which
// ZooKeeper's watch reports (wchp, wchc) follow, is reproduced here too (javaHashMapOrder).

import type { Id } from '../../../protocol/records.js';

/** java.lang.String.hashCode over UTF-16 code units, in 32-bit int arithmetic. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/** org.apache.zookeeper.data.Id.hashCode as jute generates it: 17, then 37 × result + field. */
export function javaIdHash(id: Id): number {
  let result = 17;
  result = (Math.imul(37, result) + javaStringHash(id.scheme)) | 0;
  result = (Math.imul(37, result) + javaStringHash(id.id)) | 0;
  return result;
}

/** ConcurrentHashMap.spread: the high half folded into the low, sign bit cleared. */
function spread(hash: number): number {
  return (hash ^ (hash >>> 16)) & 0x7fff_ffff;
}

interface Entry<T> {
  id: T;
  hash: number;
}

/**
 * ConcurrentHashMap.transfer, one bin: the longest tail that moves together (lastRun) keeps its
 * order, and every node before it is pushed onto the front of its new list — reversed.
 */
function splitBin<T>(bin: Entry<T>[], oldSize: number): [Entry<T>[], Entry<T>[]] {
  let lastRun = 0;
  for (let index = 1; index < bin.length; index++) {
    if ((bin[index]!.hash & oldSize) !== (bin[lastRun]!.hash & oldSize)) lastRun = index;
  }
  const tail = bin.slice(lastRun);
  const tailIsHigh = bin.length > 0 && (bin[lastRun]!.hash & oldSize) !== 0;
  const low: Entry<T>[] = tailIsHigh ? [] : tail;
  const high: Entry<T>[] = tailIsHigh ? tail : [];
  for (const entry of bin.slice(0, lastRun)) {
    if ((entry.hash & oldSize) === 0) low.unshift(entry);
    else high.unshift(entry);
  }
  return [low, high];
}

/**
 * Ids in the iteration order of a default ConcurrentHashMap they were added to one by one:
 * table bins in index order, each bin's list in order, with the map's resizes (16 bins, doubling
 * once it holds three quarters of its size) replayed exactly.
 */
export function javaSetOrder<T extends Id>(ids: readonly T[]): T[] {
  let size = 16;
  let table: Entry<T>[][] = Array.from({ length: size }, () => []);
  let count = 0;
  for (const id of ids) {
    const hash = spread(javaIdHash(id));
    table[hash & (size - 1)]!.push({ id, hash });
    count++;
    if (count < size - (size >>> 2)) continue;
    const next: Entry<T>[][] = Array.from({ length: size * 2 }, () => []);
    for (let index = 0; index < size; index++) {
      const [low, high] = splitBin(table[index]!, size);
      next[index] = low;
      next[index + size] = high;
    }
    table = next;
    size *= 2;
  }
  return table.flatMap((bin) => bin.map((entry) => entry.id));
}

/** java.util.HashMap.hash: the high half folded into the low (the sign bit kept). */
function hashMapSpread(hash: number): number {
  return hash ^ (hash >>> 16);
}

/**
 * Strings in the iteration order of a java.util.HashMap (or HashSet) of default capacity that
 * they were put into in the given order and that never held more than it holds now: bins in
 * index order (16, doubled whenever the map passes three quarters full), each bin in insertion
 * order (HashMap's resize keeps a bin's order, unlike ConcurrentHashMap's). ZooKeeper lists its
 * watch table (wchp) and each session's watched paths (wchc) in this order.
 */
export function javaHashMapOrder<T>(entries: readonly T[], keyOf: (entry: T) => string): T[] {
  let capacity = 16;
  while (entries.length > capacity * 0.75) capacity *= 2;
  const mask = capacity - 1;
  return entries
    .map((entry, index) =>
      ({ entry, index, bin: hashMapSpread(javaStringHash(keyOf(entry))) & mask }))
    .sort((a, b) => a.bin - b.bin || a.index - b.index)
    .map(({ entry }) => entry);
}
