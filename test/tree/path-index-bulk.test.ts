// The path index during a bulk load (a snapshot's restore): added slots are held back and put
// in the table a batch at a time. Every lookup must answer exactly as an index that took each
// slot at once: parents looked up while their children stream in, nodes removed meanwhile,
// batches larger than one hold-back, and after the load ends.

import { describe, expect, it } from 'vitest';
import { NodeColumns } from '../../tree/node-columns.js';
import { PathIndex } from '../../tree/path-index.js';

/** A seeded stream of nodes, parents before children, as a snapshot holds them: some under
 * parents made long before, some under the node just made (so lookups miss the table). */
function* nodes(count: number, seed: number): Generator<string> {
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const made = ['/'];
  yield '/';
  for (let index = 1; index < count; index++) {
    const roll = random();
    // Mostly under one of the first few hundred nodes (wide parents), sometimes under the
    // newest (a chain), sometimes under any.
    const parent = roll < 0.7 ? made[Math.floor(random() * Math.min(made.length, 300))]!
      : roll < 0.85 ? made[made.length - 1]! : made[Math.floor(random() * made.length)]!;
    const path = `${parent === '/' ? '' : parent}/n${index}`;
    made.push(path);
    yield path;
  }
}

class Loaded {
  readonly columns = new NodeColumns();
  readonly index = new PathIndex(this.columns);
  readonly slots = new Map<string, number>();

  add(path: string): void {
    const slot = this.columns.allocate();
    const parent = path === '/' ? -1 : this.find(path.slice(0, Math.max(1, path.lastIndexOf('/'))));
    this.columns.parent[slot] = parent;
    this.columns.names[slot] = path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
    this.index.add(slot);
    this.slots.set(path, slot);
  }

  find(path: string): number {
    const slot = this.index.find(path);
    if (slot === undefined) throw new Error(`${path} not found`);
    return slot;
  }
}

describe('the path index in a bulk load', () => {
  it.each([[3000, 1], [150_000, 2]])('finds every node, during and after, exactly as one ' +
    'that took them at once (%i nodes)', (count, seed) => {
    const bulk = new Loaded();
    const direct = new Loaded();
    bulk.index.beginBulk();
    let step = 0;
    for (const path of nodes(count, seed)) {
      bulk.add(path);
      direct.add(path);
      // Lookups while slots are held back: a node just added, and one of long ago.
      if (++step % 997 === 0) {
        expect(bulk.index.find(path)).toBe(bulk.slots.get(path));
        expect(bulk.index.find(`${path}/none`)).toBeUndefined();
        expect(bulk.index.size).toBe(direct.index.size);
      }
    }
    bulk.index.endBulk();
    expect(bulk.index.size).toBe(count);
    for (const [path, slot] of bulk.slots) expect(bulk.index.find(path)).toBe(slot);
    expect([...bulk.slots.values()]).toEqual([...direct.slots.values()]);
    // And it goes on as an ordinary index: a removal and a new node.
    const removed = [...bulk.slots.keys()].at(-1)!;
    bulk.index.remove(bulk.slots.get(removed)!);
    expect(bulk.index.find(removed)).toBeUndefined();
    bulk.add('/n0-after');
    expect(bulk.index.find('/n0-after')).toBe(bulk.slots.get('/n0-after'));
  });

  it('removes a held-back node, and forgets held-back nodes when cleared', () => {
    const bulk = new Loaded();
    bulk.index.beginBulk();
    for (const path of ['/', '/a', '/a/b', '/c']) bulk.add(path);
    bulk.index.remove(bulk.slots.get('/a/b')!);
    expect(bulk.index.find('/a/b')).toBeUndefined();
    expect(bulk.index.find('/c')).toBe(bulk.slots.get('/c'));
    expect(bulk.index.size).toBe(3);
    bulk.add('/d');
    bulk.index.clear();
    expect(bulk.index.size).toBe(0);
    expect(bulk.index.find('/d')).toBeUndefined();
  });
});
