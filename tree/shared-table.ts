// Values many znodes share (ACLs, ephemeral owners), kept once and named by a small index that
// a node stores in a column. Counted references free an entry with its last node, so the table
// never holds more entries than there are distinct values in the tree. ZooKeeper shares ACLs
// the same way (ReferenceCountedACLCache).

export class SharedTable<Value, Key = Value> {
  private values: Array<Value | undefined> = [];
  private references: number[] = [];
  private readonly indexByKey = new Map<Key, number>();
  private free: number[] = [];

  constructor(private readonly keyOf: (value: Value) => Key) {}

  /** The index of a value with this content (added if new), one reference more. */
  retain(value: Value): number {
    const key = this.keyOf(value);
    let index = this.indexByKey.get(key);
    if (index === undefined) {
      index = this.free.pop() ?? this.values.length;
      this.values[index] = value;
      this.references[index] = 0;
      this.indexByKey.set(key, index);
    }
    this.references[index]!++;
    return index;
  }

  /** One reference more to an entry already held. */
  retainIndex(index: number): void {
    this.references[index]!++;
  }

  release(index: number): void {
    const left = --this.references[index]!;
    if (left > 0) return;
    this.indexByKey.delete(this.keyOf(this.values[index]!));
    this.values[index] = undefined;
    this.free.push(index);
  }

  at(index: number): Value {
    const value = this.values[index];
    if (value === undefined) throw new Error(`assertion failed: shared entry ${index} is free`);
    return value;
  }

  clear(): void {
    this.values = [];
    this.references = [];
    this.indexByKey.clear();
    this.free = [];
  }
}
