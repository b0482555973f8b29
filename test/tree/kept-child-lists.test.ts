// A wide node's list of children is kept once read (tree/node-slots.ts childNamesOf): read again
// while its children have not changed, it is the same frozen array; any change to them (a
// create, a delete, a multi, a multi rolled back, the node deleted and made again) gives a
// fresh list that holds exactly the children then. A server keys encoded replies by that array
// (actors/server/sliced-replies.ts), so a kept list that outlived a change would send stale
// children: the property below compares every read with a model of the children.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MultiOp, WriteRequest } from '../../protocol/requests.js';
import { encodeSnapshot, snapshotBytesZxid, visitSnapshotBytes } from
  '../../storage/snapshot-file.js';
import { keptChildListMin } from '../../tree/kept-child-lists.js';
import type { TreeCapture } from '../../tree/snapshot.js';
import { Harness, anonymous, createOp, deleteOp, setDataOp } from './helpers.js';

/** Children the wide node starts with: enough for its list to be kept. */
const initialChildren = keptChildListMin;

function wideHarness(path = '/wide', count = initialChildren):
  { harness: Harness; names: string[] } {
  const harness = new Harness();
  harness.write(createOp(path));
  const names = Array.from({ length: count }, (_, index) => `c${index}`);
  const outcome = harness.write({ kind: 'multi',
    ops: names.map((name) => createOp(`${path}/${name}`)) });
  expect(outcome.err).toBe(0);
  return { harness, names };
}

function childrenOf(harness: Harness, path: string): readonly string[] {
  const { err, body } = harness.tree.getChildren(path, anonymous);
  expect(err).toBe(0);
  if (body.kind !== 'children') throw new Error(`unexpected ${body.kind}`);
  return body.children;
}

describe('kept child lists of wide nodes', () => {
  it('hands out the same frozen list until the children change', () => {
    const { harness, names } = wideHarness();
    const first = childrenOf(harness, '/wide');
    expect(first).toEqual(names);
    expect(Object.isFrozen(first)).toBe(true);
    expect(childrenOf(harness, '/wide')).toBe(first);
    // getChildren2 and a multiRead read the same list.
    const withStat = harness.tree.getChildren2('/wide', anonymous).body;
    expect(withStat.kind === 'childrenStat' && withStat.children).toBe(first);
    // The node's own data changing leaves its children, and so its list, as they were.
    expect(harness.write(setDataOp('/wide', 'x')).err).toBe(0);
    expect(childrenOf(harness, '/wide')).toBe(first);
  });

  it('gives a fresh list after a create, a delete and a multi', () => {
    const { harness, names } = wideHarness();
    const first = childrenOf(harness, '/wide');
    harness.write(createOp('/wide/new'));
    const afterCreate = childrenOf(harness, '/wide');
    expect(afterCreate).not.toBe(first);
    expect(afterCreate).toEqual([...names, 'new']);
    harness.write(deleteOp('/wide/c7'));
    const afterDelete = childrenOf(harness, '/wide');
    expect(afterDelete).toEqual([...names.filter((name) => name !== 'c7'), 'new']);
    harness.write({ kind: 'multi', ops: [createOp('/wide/m1'), deleteOp('/wide/c0')] });
    expect(childrenOf(harness, '/wide'))
      .toEqual([...names.filter((name) => name !== 'c7' && name !== 'c0'), 'new', 'm1']);
    // The list handed out before stays what it was: it is frozen, never changed in place.
    expect(first).toEqual(names);
  });

  it('gives the children as they are after a multi that failed and was rolled back', () => {
    const { harness, names } = wideHarness();
    childrenOf(harness, '/wide');
    const outcome = harness.write({ kind: 'multi', ops: [createOp('/wide/x'),
      deleteOp('/wide/c1'), deleteOp('/wide/missing')] });
    expect(outcome.body.kind === 'multi' && outcome.body.results[2]).toEqual(
      expect.objectContaining({ kind: 'error' }));
    expect([...childrenOf(harness, '/wide')].sort()).toEqual([...names].sort());
  });

  it('does not hand a node made again at the same path its predecessor\'s list', () => {
    const { harness, names } = wideHarness();
    childrenOf(harness, '/wide');
    harness.write({ kind: 'multi', ops: names.map((name) => deleteOp(`/wide/${name}`)) });
    harness.write(deleteOp('/wide'));
    harness.write(createOp('/wide'));
    harness.write(createOp('/wide/only'));
    expect(childrenOf(harness, '/wide')).toEqual(['only']);
  });

  it('drops every kept list when the tree is restored from a snapshot in place', () => {
    const { harness } = wideHarness();
    childrenOf(harness, '/wide');
    // Another tree of the same shape, its wide node's children named otherwise: restored into
    // the first, its nodes take the same slots.
    const other = new Harness();
    other.write(createOp('/wide'));
    const names = Array.from({ length: initialChildren }, (_, index) => `d${index}`);
    other.write({ kind: 'multi', ops: names.map((name) => createOp(`/wide/${name}`)) });
    const bytes = encodeSnapshot(other.tree.capture() as unknown as TreeCapture);
    harness.tree.restore(snapshotBytesZxid('test', bytes), (restorer) => {
      visitSnapshotBytes('test', bytes, {
        acls: (acls) => restorer.addAcls(acls),
        node: (fields) => restorer.nodeFields(fields),
        sessions: () => undefined,
      });
    });
    expect(childrenOf(harness, '/wide')).toEqual(names);
  });

  it('keeps at most 64 lists: the least recently read goes first', () => {
    const harness = new Harness();
    const parents = Array.from({ length: 65 }, (_, index) => `/p${index}`);
    for (const parent of parents) {
      harness.write(createOp(parent));
      harness.write({ kind: 'multi', ops: Array.from({ length: initialChildren },
        (_, index) => createOp(`${parent}/c${index}`)) });
    }
    const lists = parents.map((parent) => childrenOf(harness, parent));
    // The first list read was given up when the 65th was kept; the last 64 are still kept.
    expect(childrenOf(harness, parents[0]!)).not.toBe(lists[0]);
    expect(childrenOf(harness, parents[64]!)).toBe(lists[64]);
    expect(childrenOf(harness, parents[0]!)).toEqual(lists[0]);
  });

  it('every read holds exactly the children of the moment (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), name: fc.nat(40) }),
      fc.record({ kind: fc.constant('delete' as const), name: fc.nat(40) }),
      fc.record({ kind: fc.constant('multi' as const), create: fc.nat(40), remove: fc.nat(40) }),
      fc.record({ kind: fc.constant('read' as const) }),
    );
    fc.assert(fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
      const { harness, names } = wideHarness('/w', initialChildren - 1);
      const model = new Set(names);
      const check = (): void => {
        expect(childrenOf(harness, '/w')).toEqual([...model]);
      };
      for (const each of steps) {
        if (each.kind === 'read') {
          check();
          continue;
        }
        const ops: Array<MultiOp & WriteRequest> = [];
        if (each.kind === 'create' || each.kind === 'multi') {
          ops.push(createOp(`/w/n${each.kind === 'create' ? each.name : each.create}`));
        }
        if (each.kind === 'delete' || each.kind === 'multi') {
          ops.push(deleteOp(`/w/${each.kind === 'delete' ? `c${each.name}` : `n${each.remove}`}`));
        }
        const outcome = ops.length === 1 ? harness.write(ops[0]!) :
          harness.write({ kind: 'multi', ops });
        const failed = outcome.err !== 0 || (outcome.body.kind === 'multi' &&
          outcome.body.results.some((result) => result.kind === 'error'));
        if (!failed) {
          for (const op of ops) {
            const name = op.path.slice('/w/'.length);
            if (op.kind === 'create') model.add(name);
            else model.delete(name);
          }
        }
        check();
      }
    }), { numRuns: 40 });
  });
});
