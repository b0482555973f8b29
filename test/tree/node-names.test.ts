import { describe, expect, it } from 'vitest';
import { NodeColumns } from '../../tree/node-columns.js';

describe('znode names kept as bytes', () => {
  it.each([
    ['', 'the root\'s empty name'],
    ['n0000000001', 'an ASCII name'],
    ['lock-0000000042-with-a-long-ascii-suffix', 'a long ASCII name'],
    ['é', 'a Latin-1 name'],
    ['名前', 'a name of 3-byte characters'],
    ['😀x', 'a name with a surrogate pair'],
    ['a'.repeat(1025), 'a name past the slab\'s largest cell'],
    ['é'.repeat(600), 'a non-ASCII name past the slab\'s largest cell'],
  ])('gives back %j (%s) and matches only it as a path component', (name) => {
    const columns = new NodeColumns();
    const slot = columns.allocate();
    columns.names.set(slot, name);
    expect(columns.names.get(slot)).toBe(name);
    const path = `/x/${name}`;
    expect(columns.names.matches(slot, path, 3, path.length)).toBe(true);
    // A component one unit shorter or longer, or with its last unit changed, is not the name.
    const longer = `${path}z`;
    expect(columns.names.matches(slot, longer, 3, longer.length)).toBe(false);
    if (name.length > 0) {
      expect(columns.names.matches(slot, path, 3, path.length - 1)).toBe(false);
      const changed = `${path.slice(0, -1)}${path.endsWith('q') ? 'r' : 'q'}`;
      expect(columns.names.matches(slot, changed, 3, changed.length)).toBe(false);
    }
  });

  it('reuses a released slot for a new name, and clear() forgets every name', () => {
    const columns = new NodeColumns();
    const first = columns.allocate();
    columns.names.set(first, 'first');
    columns.release(first);
    const again = columns.allocate();
    expect(again).toBe(first);
    columns.names.set(again, 'é-second');
    expect(columns.names.get(again)).toBe('é-second');
    columns.clear();
    const fresh = columns.allocate();
    columns.names.set(fresh, 'third');
    expect(columns.names.get(fresh)).toBe('third');
  });
});
