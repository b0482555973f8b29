// A snapshot's restore reads each node's path in place in its frame's path column (one string of
// paths joined by NULs): the restorer compares the parent there and cuts out only the name, so
// most nodes make no path string; small values likewise go from the frame into the tree's slab
// with no Buffer each. The tree it builds must be the one a restore from plain paths
// builds: names, parents, child order, digest, and the indexes kept by path (ephemerals,
// containers, TTL nodes), whatever the names hold (long ones, non-ASCII, look-alike prefixes).

import { describe, expect, it } from 'vitest';
import { CreateFlag } from '../../protocol/constants.js';
import { restoreTree, snapshotOfTree } from '../../storage/peer-snapshot.js';
import { visitSnapshotBytes } from '../../storage/snapshot-decoding.js';
import { DataTree } from '../../tree/data-tree.js';
import { NodeFields, StoreRestorer } from '../../tree/snapshot.js';
import { NodeStore } from '../../tree/store.js';
import { Harness, anonymous, deleteOp, open, session } from '../tree/helpers.js';

/** Paths whose parents differ only late, share prefixes with siblings, or hold non-ASCII. */
const paths = [
  '/a', '/a/b', '/ab', '/ab/b', '/a/bb', '/a/b/c', '/a/b/cc', '/long-names-are-sliced-too',
  '/long-names-are-sliced-too/child-with-a-long-name-0001', '/ab/ü', '/ab/ü/日本', '/a/b/c/d',
  '/a/bb/x', '/a/b/c/e',
];

function sourceTree(): DataTree {
  const harness = new Harness({ extendedTypesEnabled: true });
  for (const path of paths) expect(harness.create(path, { data: path }).err).toBe(0);
  // An ephemeral, a container and a TTL node: the store indexes these by path.
  expect(harness.create('/a/b/eph', { flags: CreateFlag.ephemeral, sessionId: session }).err)
    .toBe(0);
  expect(harness.create('/ab/box', { opcode: 19, flags: CreateFlag.container }).err).toBe(0);
  // A container that has had a child is a candidate for removal once empty.
  expect(harness.create('/ab/box/c').err).toBe(0);
  expect(harness.write(deleteOp('/ab/box/c')).err).toBe(0);
  expect(harness.create('/a/bb/ttl', { opcode: 21, flags: CreateFlag.persistentWithTtl,
    ttl: 60_000 }).err).toBe(0);
  return harness.tree;
}

function children(tree: DataTree, path: string): string[] {
  const { body } = tree.getChildren(path, anonymous);
  return body.kind === 'children' ? [...body.children] : [];
}

function storeChildren(store: NodeStore, path: string): string[] {
  const slot = store.slotOf(path);
  return slot === undefined ? [] : [...store.childNamesOf(slot)];
}

describe('restoring a snapshot through path spans', () => {
  it('hands each path as its place in the frame, made into a string only when read', () => {
    const snapshot = snapshotOfTree(sourceTree());
    const seen: string[] = [];
    let spanned = 0;
    visitSnapshotBytes('test', Buffer.from(snapshot.bytes), {
      node(fields) {
        if (fields.pathSource !== undefined) spanned++;
        seen.push(fields.path);
        // Read once, the path is a string of its own: the span is let go.
        expect(fields.pathSource).toBe(undefined);
      },
    });
    expect(spanned).toBe(seen.length);
    expect(seen).toContain('/ab/ü/日本');
    expect(seen).toContain('/long-names-are-sliced-too/child-with-a-long-name-0001');
  });

  it('hands small values as their place in the frame only to a visitor that copies them', () => {
    const source = new Harness();
    const values = ['v', 'x'.repeat(64), 'y'.repeat(65), 'z'.repeat(1024), 'w'.repeat(1025)];
    values.forEach((value, index) => source.create(`/v${index}`, { data: value }));
    const bytes = Buffer.from(snapshotOfTree(source.tree).bytes);
    const spans = new Map<string, boolean>();
    visitSnapshotBytes('test', bytes, {
      copyDataOver: 1024,
      node(fields) {
        const spanned = fields.dataSource !== undefined;
        if (fields.path.startsWith('/v')) spans.set(fields.path, spanned);
        expect(fields.data?.toString()).toBe(fields.path.startsWith('/v')
          ? values[Number(fields.path.slice(2))] : fields.data?.toString());
      },
    });
    expect([...spans.values()]).toEqual([true, true, true, true, false]);
    visitSnapshotBytes('test', bytes, {
      node: (fields) => expect(fields.dataSource).toBe(undefined),
    });
    const restored = new DataTree();
    restoreTree(restored, snapshotOfTree(source.tree));
    expect(restored.digest()).toBe(source.tree.digest());
    values.forEach((value, index) => {
      const body = restored.getData(`/v${index}`, anonymous).body;
      expect(body.kind === 'data' ? body.data?.toString() : undefined).toBe(value);
    });
  });

  it('builds the tree a restore from plain paths builds', () => {
    const source = sourceTree();
    const snapshot = snapshotOfTree(source);
    const restored = new DataTree({ extendedTypesEnabled: true });
    restoreTree(restored, snapshot);
    expect(restored.digest()).toBe(source.digest());
    for (const path of ['/', '/a', '/a/b', '/ab', '/ab/ü', '/a/bb', '/long-names-are-sliced-too']) {
      expect(children(restored, path)).toEqual(children(source, path));
    }
    const data = restored.getData('/ab/ü/日本', anonymous).body;
    expect(data.kind === 'data' ? data.data?.toString() : undefined).toBe('/ab/ü/日本');
    const later = Number.MAX_SAFE_INTEGER;
    expect(restored.containerCandidates(later)).toEqual(['/a/bb/ttl', '/ab/box']);
    expect(restored.ephemeralsOf(session)).toEqual(['/a/b/eph']);
    expect(restored.approximateDataSize).toBe(source.approximateDataSize);
  });

  it('finds the same parents from spans as from path strings, and refuses a missing one', () => {
    const column = ['/', '/x', '/x/y', '/xy', '/xy/z', '/x/y/w', '/x/z'].join('\0');
    const restore = (spans: boolean): NodeStore => {
      const store = new NodeStore(false, true);
      const restorer = new StoreRestorer(store);
      restorer.addAcls([open]);
      const fields = new NodeFields();
      let start = 0;
      for (const path of column.split('\0')) {
        if (spans) fields.setPathIn(column, start, start + path.length);
        else fields.path = path;
        start += path.length + 1;
        restorer.nodeFields(fields);
      }
      restorer.finish();
      return store;
    };
    const bySpans = restore(true);
    const byPaths = restore(false);
    expect([...bySpans.paths()]).toEqual([...byPaths.paths()]);
    expect([...bySpans.paths()]).toEqual(column.split('\0'));
    expect(storeChildren(bySpans, '/x')).toEqual(['y', 'z']);
    expect(storeChildren(bySpans, '/x/y')).toEqual(['w']);
    expect(storeChildren(bySpans, '/xy')).toEqual(['z']);

    const restorer = new StoreRestorer(new NodeStore(false, true));
    restorer.addAcls([open]);
    const fields = new NodeFields();
    const text = '/\0/q/r';
    fields.setPathIn(text, 0, 1);
    restorer.nodeFields(fields);
    fields.setPathIn(text, 2, text.length);
    expect(() => restorer.nodeFields(fields)).toThrow('/q/r: parent missing');
  });
});
