// The checker in linearizable mode on crafted histories: correct ones pass, and each classic
// anomaly is rejected with the smallest violating sub-history asserted.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import {
  checkHistory,
  zooKeeperModel,
  type ZooKeeperOperation,
} from '../../sim/linearizability/index.js';
import {
  create, created, data, deleted, done, error, getData, lost, noNode, remove, set, setData,
} from './linearizability-support.js';

function check(operations: ZooKeeperOperation[], initialTree: Record<string, string> = {}) {
  return checkHistory(zooKeeperModel({ reads: 'linearizable', initialTree }), operations);
}

/** `minimal`: the replies in conflict; `context`: operations needed only for their inputs. */
function expectViolation(
  operations: ZooKeeperOperation[],
  minimal: ZooKeeperOperation[],
  context: ZooKeeperOperation[],
  initialTree: Record<string, string> = {},
): void {
  const result = check(operations, initialTree);
  expect(result.ok).toBe(false);
  if (result.ok !== false) return;
  expect(result.shrinkComplete).toBe(true);
  expect(new Set(result.minimalViolation)).toEqual(new Set(minimal));
  expect(new Set(result.context)).toEqual(new Set(context));
}

describe('linearizability checker, linearizable mode: accepted histories', () => {
  it('accepts a sequential create, setData, getData, delete', () => {
    const history = [
      done(1, 0, 1, create('/a', 'x'), created('/a')),
      done(1, 2, 3, setData('/a', 'y', 0), set(1)),
      done(2, 4, 5, getData('/a'), data('y', 1)),
      done(2, 6, 7, remove('/a', 1), deleted),
      done(1, 8, 9, { kind: 'exists', path: '/a' }, noNode),
    ];
    expect(check(history)).toEqual({ ok: true, partitions: 1, steps: 5 });
  });

  it('accepts a read overlapping a write that returns the old value', () => {
    const history = [
      done(1, 0, 10, setData('/a', 'y'), set(1)),
      done(2, 5, 8, getData('/a'), data('x', 0)),
      done(3, 6, 9, getData('/a'), data('y', 1)),
    ];
    expect(check(history, { '/a': 'x' }).ok).toBe(true);
  });

  it('accepts concurrent version-checked writes where exactly one wins', () => {
    const history = [
      done(1, 0, 10, setData('/a', 'p', 0), set(1)),
      done(2, 1, 9, setData('/a', 'q', 0), error(ErrorCode.badVersion)),
    ];
    expect(check(history, { '/a': '' }).ok).toBe(true);
  });

  it('accepts NotEmpty for deleting a znode with a child, then the deletes in order', () => {
    const history = [
      done(1, 0, 1, create('/a'), created('/a')),
      done(1, 2, 3, create('/a/b'), created('/a/b')),
      done(2, 4, 5, remove('/a'), error(ErrorCode.notEmpty)),
      done(2, 6, 7, remove('/a/b', 0), deleted),
      done(1, 8, 9, remove('/a', 0), deleted),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('accepts sequential suffixes that count every create under the parent', () => {
    const history = [
      done(1, 0, 1, create('/q/x'), created('/q/x')),
      done(1, 2, 3, create('/q/item-', 'a', true), created('/q/item-0000000001')),
      done(2, 4, 9, create('/q/item-', 'b', true), created('/q/item-0000000003')),
      done(3, 4, 9, create('/q/item-', 'c', true), created('/q/item-0000000002')),
    ];
    expect(check(history, { '/q': '' }).ok).toBe(true);
  });

  it('accepts a failed multi answering ok, the failing code, then runtimeInconsistency', () => {
    const ops = [setData('/a', 'n'), { kind: 'check', path: '/b', version: 5 } as const,
      setData('/b', 'n')];
    const results = [error(ErrorCode.ok), error(ErrorCode.badVersion),
      error(ErrorCode.runtimeInconsistency)];
    const history = [
      done(1, 0, 1, { kind: 'multi', ops }, { kind: 'multi', results }),
      done(2, 2, 3, getData('/a'), data('x', 0)),
    ];
    expect(check(history, { '/a': 'x', '/b': 'x' }).ok).toBe(true);
  });
});

describe('linearizability checker, linearizable mode: rejected histories', () => {
  it('rejects a stale read after a completed write', () => {
    const write = done(1, 0, 10, setData('/a', 'y'), set(1));
    const staleRead = done(2, 20, 30, getData('/a'), data('x', 0));
    const unrelated = done(3, 0, 30, getData('/b'), noNode);
    expectViolation([write, staleRead, unrelated], [staleRead], [write], { '/a': 'x' });
  });

  it('rejects a lost update: two setData on version 0 both succeed', () => {
    const first = done(1, 0, 10, setData('/a', 'p', 0), set(1));
    const second = done(2, 20, 30, setData('/a', 'q', 0), set(1));
    const read = done(1, 40, 50, getData('/a'), data('q', 1));
    // Whatever the first write answered, it happened: the second cannot succeed on version 0.
    expectViolation([first, second, read], [second], [first], { '/a': '' });
  });

  it('rejects two concurrent creates of the same path that both succeed', () => {
    const first = done(1, 0, 10, create('/a', 'p'), created('/a'));
    const second = done(2, 1, 9, create('/a', 'q'), created('/a'));
    expectViolation([first, second], [first, second], []);
  });

  it('rejects a sequential suffix going backwards', () => {
    // The lost create may explain suffix 1, but then nothing can explain a later 0.
    const maybe = lost(3, 0, create('/q/item-', 'p', true));
    const first = done(1, 0, 10, create('/q/item-', 'a', true), created('/q/item-0000000001'));
    const second = done(2, 20, 30, create('/q/item-', 'b', true), created('/q/item-0000000000'));
    // Once the first create happened, whatever it answered, suffix 0 is taken.
    expectViolation([maybe, first, second], [second], [first], { '/q': '' });
  });

  it('rejects a version that skips: v1 then v3 from one setData each', () => {
    const first = done(1, 0, 10, setData('/a', 'p'), set(1));
    const read = done(2, 20, 30, getData('/a'), data('p', 1));
    const skipping = done(1, 40, 50, setData('/a', 'q'), set(3));
    // At most one write can precede it, whatever the others did: the violation is one op.
    expectViolation([first, read, skipping], [skipping], [], { '/a': '' });
  });

  it('rejects a multi seen half applied', () => {
    const ops = [setData('/a', 'n'), setData('/b', 'n')];
    const results = [set(1), set(1)];
    const multi = done(1, 0, 10, { kind: 'multi', ops }, { kind: 'multi', results });
    const readA = done(2, 20, 30, getData('/a'), data('n', 1));
    const readB = done(2, 40, 50, getData('/b'), data('x', 0));
    expectViolation([multi, readA, readB], [readB], [multi], { '/a': 'x', '/b': 'x' });
  });

  it('rejects a delete that succeeds while a child exists', () => {
    const child = done(1, 0, 10, create('/a/b'), created('/a/b'));
    const parentDeleted = done(2, 20, 30, remove('/a'), deleted);
    expectViolation([child, parentDeleted], [parentDeleted], [child], { '/a': '' });
  });
});

describe('linearizability checker: operations with unknown outcome', () => {
  const lostCreate = lost(1, 0, create('/a', 'x'));

  it('accepts a lost create that took effect', () => {
    expect(check([lostCreate, done(2, 50, 60, getData('/a'), data('x', 0))]).ok).toBe(true);
  });

  it('accepts a lost create that never took effect', () => {
    expect(check([lostCreate, done(2, 50, 60, getData('/a'), noNode)]).ok).toBe(true);
  });

  it('accepts a lost create taking effect long after a later read missed it', () => {
    const history = [lostCreate, done(2, 50, 60, getData('/a'), noNode),
      done(2, 70, 80, getData('/a'), data('x', 0))];
    expect(check(history).ok).toBe(true);
  });

  it('rejects a lost create seen and then unseen with nothing deleting it', () => {
    const seen = done(2, 50, 60, getData('/a'), data('x', 0));
    const unseen = done(2, 70, 80, getData('/a'), noNode);
    // Whether or not the lost create happened, the two reads cannot both be right.
    expectViolation([lostCreate, seen, unseen], [seen, unseen], []);
  });

  it('rejects a read of a lost write that saw it before it was invoked', () => {
    const early = done(2, 0, 10, getData('/a'), data('x', 0));
    expectViolation([lost(1, 20, create('/a', 'x')), early], [early], []);
  });
});

describe('linearizability checker: partitions and budget', () => {
  it('checks independent znodes apart, and a multi joins the paths it touches', () => {
    const history = [
      done(1, 0, 1, create('/a'), created('/a')),
      done(1, 0, 1, create('/b'), created('/b')),
      done(1, 0, 1, create('/c'), created('/c')),
      done(2, 2, 3, { kind: 'multi', ops: [setData('/a', 'n'), setData('/b', 'n')] },
        { kind: 'multi', results: [set(1), set(1)] }),
    ];
    expect(check(history)).toMatchObject({ ok: true, partitions: 2 });
  });

  it('answers unknown when the step budget runs out', () => {
    const history = Array.from({ length: 30 }, (_, index) =>
      done(index, 0, 100, setData('/a', `v${index}`), set(index + 1)));
    const model = zooKeeperModel({ reads: 'linearizable', initialTree: { '/a': '' } });
    expect(checkHistory(model, history, { stepsMax: 10 }).ok).toBe('unknown');
    expect(checkHistory(model, history).ok).toBe(true);
  });

  it('throws on a malformed history (completed before invoked)', () => {
    expect(() => check([done(1, 10, 5, getData('/a'), noNode)])).toThrow(/malformed/);
  });
});
