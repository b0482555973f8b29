// The path index remembers the parent of the last path it looked up, so a run of lookups under
// one parent (creates, a replay) starts there instead of at the root. Whatever the order of
// adds, removes and lookups, every answer must be the one a walk from the root gives: a parent
// removed (and its slot reused by another node) must not be found through the memo.

import { describe, expect, it } from 'vitest';
import { NodeColumns, noSlot } from '../../tree/node-columns.js';
import { PathIndex } from '../../tree/path-index.js';
import { seededRandom } from '../storage/fixtures.js';

class Indexed {
  readonly columns = new NodeColumns();
  readonly index = new PathIndex(this.columns);
  /** The model: path to slot. */
  readonly slots = new Map<string, number>();

  constructor() {
    this.add('/');
  }

  add(path: string): number {
    const slot = this.columns.allocate();
    this.columns.parent[slot] = path === '/' ? noSlot
      : this.slots.get(path.slice(0, Math.max(1, path.lastIndexOf('/'))))!;
    this.columns.names[slot] = path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
    this.index.add(slot);
    this.slots.set(path, slot);
    return slot;
  }

  remove(path: string): void {
    const slot = this.slots.get(path)!;
    this.index.remove(slot);
    this.columns.release(slot);
    this.slots.delete(path);
  }
}

describe('the path index\'s memo of the last parent', () => {
  it('answers for the parent, its children, and paths that only share its prefix', () => {
    const tree = new Indexed();
    for (const path of ['/a', '/a/b', '/a/b/c', '/a/bc', '/a/b/cd', '/ab']) tree.add(path);
    expect(tree.index.find('/a/b/c')).toBe(tree.slots.get('/a/b/c'));
    // Under the memo's parent (/a/b), the parent itself, and look-alikes that are not under it.
    expect(tree.index.find('/a/b/cd')).toBe(tree.slots.get('/a/b/cd'));
    expect(tree.index.find('/a/b')).toBe(tree.slots.get('/a/b'));
    expect(tree.index.find('/a/bc')).toBe(tree.slots.get('/a/bc'));
    expect(tree.index.find('/a/b/c/')).toBe(undefined);
    expect(tree.index.find('/a/b//c')).toBe(undefined);
    expect(tree.index.find('/a/b/x')).toBe(undefined);
    expect(tree.index.find('/a/bx')).toBe(undefined);
    expect(tree.index.find('/ab')).toBe(tree.slots.get('/ab'));
  });

  it('forgets a removed parent, even when its slot is reused under another path', () => {
    const tree = new Indexed();
    tree.add('/p');
    tree.add('/p/q');
    tree.add('/p/q/r');
    tree.add('/s');
    expect(tree.index.find('/p/q/r')).toBe(tree.slots.get('/p/q/r'));
    tree.remove('/p/q/r');
    tree.remove('/p/q');
    expect(tree.index.find('/p/q')).toBe(undefined);
    expect(tree.index.find('/p/q/r')).toBe(undefined);
    // The freed slot of /p/q (or /p/q/r) now holds another node.
    const reused = tree.add('/s/q');
    expect([tree.slots.get('/s/q')]).toEqual([reused]);
    expect(tree.index.find('/p/q')).toBe(undefined);
    tree.add('/s/q/r');
    expect(tree.index.find('/s/q/r')).toBe(tree.slots.get('/s/q/r'));
    expect(tree.index.find('/p/q/r')).toBe(undefined);
  });

  it('answers as the model does through random adds, removes and lookups', () => {
    const random = seededRandom(16);
    const tree = new Indexed();
    const live = ['/'];
    for (let step = 0; step < 20_000; step++) {
      const roll = random();
      if (roll < 0.45) {
        const parent = live[Math.floor(random() * Math.min(live.length, 40))]!;
        const path = `${parent === '/' ? '' : parent}/n${Math.floor(random() * 60)}`;
        if (!tree.slots.has(path)) {
          tree.add(path);
          live.push(path);
        }
      } else if (roll < 0.55 && live.length > 1) {
        // A leaf: removing it never orphans a node.
        const at = 1 + Math.floor(random() * (live.length - 1));
        const path = live[at]!;
        if (![...tree.slots.keys()].some((other) => other.startsWith(`${path}/`))) {
          tree.remove(path);
          live.splice(at, 1);
        }
      } else {
        const base = live[Math.floor(random() * live.length)]!;
        const path =
          random() < 0.5 ? base : `${base === '/' ? '' : base}/n${Math.floor(random() * 60)}`;
        expect(tree.index.find(path)).toBe(tree.slots.get(path));
      }
    }
  });
});
