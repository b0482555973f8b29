import { describe, expect, it } from 'vitest';
import { NodeColumns } from '../../tree/node-columns.js';
import { PathIndex } from '../../tree/path-index.js';

/** Slots for `count` children of the root (slot 0), as a store would add them. */
function addChildren(columns: NodeColumns, index: PathIndex, count: number): void {
  const root = columns.allocate();
  columns.parent[root] = -1;
  columns.names.set(root, '');
  index.add(root, '');
  for (let child = 0; child < count; child++) {
    const slot = columns.allocate();
    columns.parent[slot] = root;
    columns.names.set(slot, `n${child}`);
    index.add(slot, `n${child}`);
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
      expect(columns.names.get(index.find(`/n${child}`)!)).toBe(`n${child}`);
    }
    expect(index.find('/n9000')).toBeUndefined();
  });
});
