// Each znode's name (the last component of its path) as bytes in a slab of its own instead of a
// JavaScript string: a million short names as strings cost some 32 bytes each in the heap, and
// V8 spreads them over pages that garbage from the same writes fills, so the heap cannot give
// those pages back. In a slab a short name costs its cell (8 bytes for up to 8 characters).

import { DataSlab, slabValueBytesMax } from './data-slab.js';

/** nameRef of the root's empty name. */
const noName = -1;
/** nameRef of a name too long for the slab, kept as a string (NodeNames.longNames). */
const longName = -2;

/** Where a slot's name is: the columns NodeColumns keeps for it. */
export interface NameColumns {
  /** A cell of the names' slab, noName or longName. */
  nameRef: Int32Array;
  /** Bytes in the cell; negative (−bytes) when they are UTF-8 with a byte over 0x7f. At most
   * slabValueBytesMax, so 16 bits hold it. */
  nameLength: Int16Array;
}

let scratch = Buffer.allocUnsafe(slabValueBytesMax);

const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 16777619;

/** FNV-1a over text[start, end)'s UTF-16 units, seeded with the parent slot: the path index's
 * key of a name under a parent. */
export function nameHash(parent: number, text: string, start: number, end: number): number {
  let hash = Math.imul(parent ^ fnvOffsetBasis, fnvPrime);
  for (let index = start; index < end; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), fnvPrime);
  }
  return hash;
}

export class NodeNames {
  private slab = new DataSlab();
  private readonly longNames = new Map<number, string>();

  constructor(private readonly columns: NameColumns) {}

  set(slot: number, name: string): void {
    const { nameRef, nameLength } = this.columns;
    if (name.length === 0) {
      nameRef[slot] = noName;
      nameLength[slot] = 0;
      return;
    }
    if (name.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(name.length * 3);
    const bytes = scratch.write(name, 0, 'utf8');
    if (bytes > slabValueBytesMax) {
      nameRef[slot] = longName;
      nameLength[slot] = 0;
      this.longNames.set(slot, name);
      return;
    }
    nameRef[slot] = this.slab.store(scratch.subarray(0, bytes));
    // As many bytes as UTF-16 units only when every unit is below 0x80.
    nameLength[slot] = bytes === name.length ? bytes : -bytes;
  }

  get(slot: number): string {
    const reference = this.columns.nameRef[slot]!;
    if (reference === noName) return '';
    if (reference === longName) return this.longNames.get(slot)!;
    const length = this.columns.nameLength[slot]!;
    return length > 0
      ? this.slab.text(reference, length, 'latin1')
      : this.slab.text(reference, -length, 'utf8');
  }

  /** Whether the slot's name is path[start, end). */
  matches(slot: number, path: string, start: number, end: number): boolean {
    const reference = this.columns.nameRef[slot]!;
    const length = this.columns.nameLength[slot]!;
    if (reference >= 0 && length > 0) {
      // An ASCII name: equal only to a component of as many units, unit for byte.
      return length === end - start && this.slab.equalsAscii(reference, path, start, end);
    }
    const name = this.get(slot);
    return name.length === end - start && path.startsWith(name, start);
  }

  /** nameHash(parent, name) of the slot's name, from its bytes when they are ASCII (one unit
   * a byte), else from the decoded name. */
  hash(slot: number, parent: number): number {
    const reference = this.columns.nameRef[slot]!;
    const length = this.columns.nameLength[slot]!;
    if (reference >= 0 && length > 0) {
      return this.slab.fnv(reference, length, Math.imul(parent ^ fnvOffsetBasis, fnvPrime));
    }
    const name = this.get(slot);
    return nameHash(parent, name, 0, name.length);
  }

  release(slot: number): void {
    const reference = this.columns.nameRef[slot]!;
    if (reference === longName) this.longNames.delete(slot);
    else if (reference !== noName) this.slab.release(reference);
    this.columns.nameRef[slot] = noName;
  }

  clear(): void {
    this.slab = new DataSlab();
    this.longNames.clear();
  }
}
