// Path lookup without a string per path: an open-addressing hash table of slots keyed by
// (parent slot, name), so each znode keeps only its own name, and a path is found by walking
// its components from the root. A Map keyed by full paths costs a path string and an entry
// object per znode; this costs eight bytes of table and a stored hash.

import { noSlot } from './node-columns.js';

const empty = -1;
/** A removed entry: probing continues past it. */
const removed = -2;
const capacityInitial = 1024;
/** Entries (removed ones too) per table slot that make the table rebuild. A rebuild leaves at
 * most half the slots used, so at least a fifth of the table is added (or removed) between
 * two; at 0.7 a lookup probes a few slots, each a comparison of two stored hashes. A million
 * znodes then take a table of 2^21 slots (8 MiB) rather than 2^22. */
const loadMax = 0.7;

/** FNV-1a over the name's UTF-16 code units, seeded with the parent slot. */
function hashOf(parent: number, text: string, start: number, end: number): number {
  let hash = Math.imul(parent ^ 0x811c9dc5, 16777619);
  for (let index = start; index < end; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 16777619);
  }
  return hash;
}

/** The columns the index reads: each slot's parent and name. */
export interface NamedSlots {
  parent: Int32Array;
  names: Array<string | undefined>;
}

/** Slots a bulk load (beginBulk) holds back before it indexes them, in table order. */
const pendingMax = 65_536;
/** Parts of the table a held-back batch is sorted into: each a few KiB of it at a million. */
const partitionBits = 11;

export class PathIndex {
  private table = new Int32Array(capacityInitial).fill(empty);
  private hashes = new Int32Array(capacityInitial);
  /** Live entries, and those plus removed ones (both count towards the load). */
  private live = 0;
  private occupied = 0;
  root = noSlot;
  /**
   * The parent of the last component find() last reached: memoPath's first memoLength
   * characters are its path (0: none). Lookups come in runs under one parent (a client's
   * create looks up the parent, then the new path; a replay's creates fill one parent after
   * another), so a run skips the walk from the root, a hashed probe per component. Only a
   * removal can make a path name another slot (or none): remove and clear forget it.
   */
  private memoPath = '';
  private memoLength = 0;
  private memoSlot = noSlot;
  /** During a bulk load: slots added, hashed, and not yet in the table (see beginBulk). */
  private pending: Int32Array | undefined;
  private pendingCount = 0;

  constructor(private readonly slots: NamedSlots) {}

  get size(): number {
    return this.live + this.pendingCount + (this.root === noSlot ? 0 : 1);
  }

  /**
   * A bulk load (a snapshot's restore) begins: added slots are held back and put in the table
   * a batch at a time, in the order of the table's slots they land in. One at a time, each
   * lands in a random place of a table of megabytes, a cache miss apiece: a fifth of a
   * million-node restore. Lookups stay exact: one that misses puts the batch in first.
   */
  beginBulk(): void {
    this.pending ??= new Int32Array(pendingMax);
  }

  /** Puts every held-back slot in the table and ends the bulk load. */
  endBulk(): void {
    this.flush();
    this.pending = undefined;
  }

  /** The slot at `path`, or undefined (also for any path that is not absolute and clean). */
  find(path: string): number | undefined {
    if (path.charCodeAt(0) !== 0x2f || this.root === noSlot) return undefined;
    let slot = this.root;
    if (path.length === 1) return slot;
    let start = 1;
    const memoLength = this.memoLength;
    if (memoLength > 0 && path.length >= memoLength && this.sharesMemo(path, memoLength)) {
      if (path.length === memoLength) return this.memoSlot;
      if (path.charCodeAt(memoLength) === 0x2f) {
        slot = this.memoSlot;
        start = memoLength + 1;
      }
    }
    while (start <= path.length) {
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      if (end === start) return undefined;
      if (end === path.length && start > 1) {
        // The last component's parent is found: the next lookup there starts from it.
        this.memoPath = path;
        this.memoLength = start - 1;
        this.memoSlot = slot;
      }
      slot = this.child(slot, path, start, end);
      if (slot === noSlot) return undefined;
      start = end + 1;
    }
    return slot;
  }

  /** Whether `path` begins with the memo's first `length` characters (compared from the end,
   * where sibling parents differ). */
  private sharesMemo(path: string, length: number): boolean {
    const memo = this.memoPath;
    for (let index = length - 1; index >= 0; index--) {
      if (path.charCodeAt(index) !== memo.charCodeAt(index)) return false;
    }
    return true;
  }

  /** The child of `parent` named by path[start, end), or noSlot. */
  child(parent: number, path: string, start: number, end: number): number {
    const found = this.childInTable(parent, path, start, end);
    if (found !== noSlot || this.pendingCount === 0) return found;
    this.flush();
    return this.childInTable(parent, path, start, end);
  }

  private childInTable(parent: number, path: string, start: number, end: number): number {
    const hash = hashOf(parent, path, start, end);
    const { table } = this;
    const mask = table.length - 1;
    const { parent: parents, names } = this.slots;
    const length = end - start;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = table[at]!;
      if (slot === empty) return noSlot;
      if (slot >= 0 && this.hashes[slot] === hash && parents[slot] === parent) {
        const name = names[slot]!;
        if (name.length === length && path.startsWith(name, start)) return slot;
      }
    }
  }

  /** Indexes a slot whose parent and name are set (the root: parent noSlot). */
  add(slot: number): void {
    const parent = this.slots.parent[slot]!;
    if (parent === noSlot) {
      this.root = slot;
      return;
    }
    const name = this.slots.names[slot]!;
    const hash = hashOf(parent, name, 0, name.length);
    if (slot >= this.hashes.length) this.growHashes(slot);
    this.hashes[slot] = hash;
    const pending = this.pending;
    if (pending !== undefined) {
      pending[this.pendingCount++] = slot;
      if (this.pendingCount === pending.length) this.flush();
      return;
    }
    if (this.occupied + 1 > this.table.length * loadMax) this.rebuild();
    this.place(slot);
  }

  /** Puts an added slot (its hash stored) in the table, which has room. */
  private place(slot: number): void {
    const mask = this.table.length - 1;
    let at = this.hashes[slot]! & mask;
    while (this.table[at]! >= 0) at = (at + 1) & mask;
    if (this.table[at] === empty) this.occupied++;
    this.table[at] = slot;
    this.live++;
  }

  /** The held-back slots into the table, sorted by the part of it each lands in (a counting
   * sort), so that the table is written from start to end rather than all over. */
  private flush(): void {
    const pending = this.pending;
    const count = this.pendingCount;
    if (pending === undefined || count === 0) return;
    this.pendingCount = 0;
    if (this.occupied + count > this.table.length * loadMax) this.rebuild(this.live + count);
    const hashes = this.hashes;
    const mask = this.table.length - 1;
    const tableBits = Math.log2(this.table.length);
    const shift = Math.max(0, tableBits - partitionBits);
    const starts = new Int32Array((1 << Math.min(partitionBits, tableBits)) + 1);
    for (let index = 0; index < count; index++) {
      starts[((hashes[pending[index]!]! & mask) >>> shift) + 1]!++;
    }
    for (let part = 1; part < starts.length; part++) starts[part]! += starts[part - 1]!;
    const sorted = new Int32Array(count);
    for (let index = 0; index < count; index++) {
      const slot = pending[index]!;
      sorted[starts[(hashes[slot]! & mask) >>> shift]!++] = slot;
    }
    for (let index = 0; index < count; index++) this.place(sorted[index]!);
  }

  remove(slot: number): void {
    this.flush();
    this.forgetMemo();
    if (slot === this.root) {
      this.root = noSlot;
      return;
    }
    const mask = this.table.length - 1;
    for (let at = this.hashes[slot]! & mask; ; at = (at + 1) & mask) {
      const found = this.table[at]!;
      if (found === empty) throw new Error(`assertion failed: slot ${slot} is not indexed`);
      if (found === slot) {
        this.table[at] = removed;
        this.live--;
        return;
      }
    }
  }

  private forgetMemo(): void {
    this.memoPath = '';
    this.memoLength = 0;
    this.memoSlot = noSlot;
  }

  clear(): void {
    this.forgetMemo();
    this.pending = undefined;
    this.pendingCount = 0;
    this.table = new Int32Array(capacityInitial).fill(empty);
    this.live = 0;
    this.occupied = 0;
    this.root = noSlot;
  }

  /** Room for `entries` entries without a rebuild on the way (a restore knows its count). */
  reserve(entries: number): void {
    if ((entries + 1) * 2 > this.table.length) this.rebuild(entries);
    if (entries > this.hashes.length) this.growHashes(entries - 1);
  }

  /** A table twice the live entries' need at least (or `entries`' need), without removed
   * entries. */
  private rebuild(entries = 0): void {
    const old = this.table;
    let capacity = capacityInitial;
    while (capacity < (Math.max(this.live, entries) + 1) * 2) capacity *= 2;
    this.table = new Int32Array(capacity).fill(empty);
    this.occupied = 0;
    this.live = 0;
    const mask = capacity - 1;
    for (const slot of old) {
      if (slot < 0) continue;
      let at = this.hashes[slot]! & mask;
      while (this.table[at] !== empty) at = (at + 1) & mask;
      this.table[at] = slot;
      this.occupied++;
      this.live++;
    }
  }

  private growHashes(slot: number): void {
    let capacity = this.hashes.length * 2;
    while (capacity <= slot) capacity *= 2;
    const grown = new Int32Array(capacity);
    grown.set(this.hashes);
    this.hashes = grown;
  }
}
