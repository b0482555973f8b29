import { describe, expect, it } from 'vitest';
import { NodeColumns } from '../../tree/node-columns.js';
import { PathIndex } from '../../tree/path-index.js';

/** Slots for `count` children of the root (slot 0), as a store would add them. */
function addChildren(columns: NodeColumns, index: PathIndex, count: number): void {
  const root = columns.allocate();
  columns.parent[root] = -1;
  columns.names[root] = '';
  index.add(root);
  for (let child = 0; child < count; child++) {
    const slot = columns.allocate();
    columns.parent[slot] = root;
    columns.names[slot] = `n${child}`;
    index.add(slot);
  }
}

describe('reserving room for a restore\'s node count', () => {
  it.each([1, 1024, 1025, 70_000])('columns reach the capacity doubling would (%i slots)',
    (slots) => {
      const grown = new NodeColumns();
      for (let slot = 0; slot < slots; slot++) grown.allocate();
      const reserved = new NodeColumns();
      reserved.reserve(slots);
      const capacity = reserved.capacity;
      for (let slot = 0; slot < slots; slot++) reserved.allocate();
      expect(reserved.capacity).toBe(capacity);
      expect(capacity).toBe(grown.capacity);
    });

  it('a reserved path index finds every node added after, and past, the reservation', () => {
    const columns = new NodeColumns();
    const index = new PathIndex(columns);
    columns.reserve(5000);
    index.reserve(5000);
    addChildren(columns, index, 9000);
    expect(index.size).toBe(9001);
    for (const child of [0, 4999, 5000, 8999]) {
      expect(columns.names[index.find(`/n${child}`)!]).toBe(`n${child}`);
    }
    expect(index.find('/n9000')).toBeUndefined();
  });
});

describe('a path index rebuilt at 0.7 load', () => {
  it('finds every name across removals and the rebuilds more adds cause', () => {
    const columns = new NodeColumns();
    const index = new PathIndex(columns);
    const root = columns.allocate();
    columns.parent[root] = -1;
    columns.names[root] = '';
    index.add(root);
    const nameOf = (child: number): string => (child % 3 === 0 ? `é${child}名` : `n${child}`);
    const slots = new Map<number, number>();
    const add = (child: number): void => {
      const slot = columns.allocate();
      columns.parent[slot] = root;
      columns.names[slot] = nameOf(child);
      index.add(slot);
      slots.set(child, slot);
    };
    for (let child = 0; child < 3000; child++) add(child);
    // Removing every other child leaves tombstones; adding more rebuilds the table past them.
    for (let child = 0; child < 3000; child += 2) {
      index.remove(slots.get(child)!);
      columns.release(slots.get(child)!);
      slots.delete(child);
    }
    for (let child = 3000; child < 6000; child++) add(child);
    for (let child = 0; child < 6000; child++) {
      expect(index.find(`/${nameOf(child)}`)).toBe(slots.get(child));
    }
    expect(index.size).toBe(1 + 1500 + 3000);
  });
});
