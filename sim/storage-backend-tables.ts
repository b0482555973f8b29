// The simulated disk's ordered tables: entries sorted by key bytes (LMDB's default order), read
// with lmdb-js's range semantics. An iteration keeps seeing the entries as they were when it
// began, as an LMDB read transaction does, however many writes are applied while it is suspended.

import type { KeyRange, Table, TableEntry } from '../storage/backend.js';

function compareKeys(left: Uint8Array, right: Uint8Array): number {
  return Buffer.compare(left, right);
}

/** The first index whose key is >= `key` (or > `key` when `after`). */
function boundOf(entries: readonly TableEntry[], key: Uint8Array, after: boolean): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareKeys(entries[middle]!.key, key);
    if (order < 0 || (after && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The indexes a range visits, before offset and limit: [from, to) ascending. */
function spanOf(entries: readonly TableEntry[], range: KeyRange): { from: number; to: number } {
  if (range.reverse === true) {
    // Reverse: from `start` (inclusive) down to `end` (exclusive).
    const to = range.start === undefined ? entries.length : boundOf(entries, range.start, true);
    const from = range.end === undefined ? 0 : boundOf(entries, range.end, true);
    return { from, to: Math.max(from, to) };
  }
  const from = range.start === undefined ? 0 : boundOf(entries, range.start, false);
  const to = range.end === undefined ? entries.length : boundOf(entries, range.end, false);
  return { from, to: Math.max(from, to) };
}

const everything: KeyRange = {};

export class MemoryTable implements Table {
  /** Sorted by key. Entries are never changed in place: a put replaces the entry object. */
  private sorted: TableEntry[] = [];
  /** Iterations in progress over `sorted`: the next change copies the array first. */
  private readersOfSorted = 0;
  /** Keys' and values' bytes, for the disk's capacity. */
  private bytesHeld = 0;

  constructor(readonly name: string) {}

  get bytes(): number {
    return this.bytesHeld;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const index = boundOf(this.sorted, key, false);
    const entry = this.sorted[index];
    return entry !== undefined && compareKeys(entry.key, key) === 0 ? entry.value : undefined;
  }

  keys(range: KeyRange = everything): Iterable<Uint8Array> {
    return this.visit(range, (entry) => entry.key);
  }

  entries(range: KeyRange = everything): Iterable<TableEntry> {
    return this.visit(range, (entry) => entry);
  }

  count(range: KeyRange = everything): number {
    const { from, to } = spanOf(this.sorted, range);
    return to - from;
  }

  private *visit<T>(range: KeyRange, pick: (entry: TableEntry) => T): Generator<T> {
    const entries = this.sorted;
    this.readersOfSorted++;
    try {
      const { from, to } = spanOf(entries, range);
      const skip = range.offset ?? 0;
      const limit = range.limit ?? Number.POSITIVE_INFINITY;
      const visits = Math.min(Math.max(0, to - from - skip), limit);
      for (let visited = 0; visited < visits; visited++) {
        const index = range.reverse === true ? to - 1 - skip - visited : from + skip + visited;
        yield pick(entries[index]!);
      }
    } finally {
      if (this.sorted === entries) this.readersOfSorted--;
    }
  }

  /** The array to change: a copy when an iteration holds the current one. */
  private writable(): TableEntry[] {
    if (this.readersOfSorted > 0) {
      this.sorted = [...this.sorted];
      this.readersOfSorted = 0;
    }
    return this.sorted;
  }

  /** Bytes the table would gain by `value` at `key` (negative when it shrinks). */
  growthOf(key: Uint8Array, value: Uint8Array | undefined): number {
    const old = this.get(key);
    const before = old === undefined ? 0 : key.length + old.length;
    const after = value === undefined ? 0 : key.length + value.length;
    return after - before;
  }

  /** Puts (or with `value` undefined deletes) one entry. The bytes become the table's. */
  set(key: Buffer, value: Buffer | undefined): void {
    this.bytesHeld += this.growthOf(key, value);
    const entries = this.writable();
    const last = entries[entries.length - 1];
    // Appending in key order (the log's case) needs no search.
    if (value !== undefined && (last === undefined || compareKeys(last.key, key) < 0)) {
      entries.push({ key, value });
      return;
    }
    const index = boundOf(entries, key, false);
    const found = entries[index] !== undefined && compareKeys(entries[index]!.key, key) === 0;
    if (value === undefined) {
      if (found) entries.splice(index, 1);
    } else if (found) {
      entries[index] = { key, value };
    } else {
      entries.splice(index, 0, { key, value });
    }
  }

  /** Removes every entry (a replaced disk). */
  clear(): void {
    this.writable().length = 0;
    this.bytesHeld = 0;
  }
}
