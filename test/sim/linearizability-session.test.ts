// The checker's 'session' read mode (ZooKeeper's guarantee for plain reads): stale reads by
// other sessions pass, while FIFO, read-your-writes, monotonic reads and sync are enforced.

import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  zooKeeperModel,
  type ZooKeeperOperation,
} from '../../sim/linearizability/index.js';
import {
  created, create, data, deleted, done, getData, lost, noNode, remove, set, setData,
} from './linearizability-support.js';

const initialTree = { '/a': 'x' };

function check(operations: ZooKeeperOperation[], reads: 'session' | 'linearizable' = 'session') {
  return checkHistory(zooKeeperModel({ reads, initialTree }), operations);
}

/** `minimal`: the replies in conflict; `context`: operations needed only for their inputs. */
function expectViolation(
  operations: ZooKeeperOperation[],
  minimal: ZooKeeperOperation[],
  context: ZooKeeperOperation[],
): void {
  const result = check(operations);
  expect(result.ok).toBe(false);
  if (result.ok !== false) return;
  expect(result.shrinkComplete).toBe(true);
  expect(new Set(result.minimalViolation)).toEqual(new Set(minimal));
  expect(new Set(result.context)).toEqual(new Set(context));
}

const sync = (session: number, invokedAt: number, completedAt: number): ZooKeeperOperation =>
  done(session, invokedAt, completedAt, { kind: 'sync', path: '/a' }, { kind: 'synced' });

describe('linearizability checker, session read mode', () => {
  it('accepts a lagging follower: another session reads older state after a write', () => {
    const history = [
      done(1, 0, 10, setData('/a', 'y'), set(1)),
      done(2, 20, 30, getData('/a'), data('x', 0)),
      done(2, 40, 50, getData('/a'), data('y', 1)),
    ];
    expect(check(history).ok).toBe(true);
    expect(check(history, 'linearizable').ok).toBe(false);
  });

  it('rejects a session reading older state than it wrote (FIFO, read-your-writes)', () => {
    const write = done(1, 0, 10, setData('/a', 'y'), set(1));
    const read = done(1, 20, 30, getData('/a'), data('x', 0));
    expectViolation([write, read, done(2, 40, 50, getData('/a'), data('y', 1))], [read], [write]);
  });

  it('rejects a pipelined read overtaking its own session\'s earlier write', () => {
    const write = done(1, 0, 30, setData('/a', 'y'), set(1));
    const read = done(1, 5, 20, getData('/a'), data('x', 0));
    expect(check([write, read], 'linearizable').ok).toBe(true);
    expectViolation([write, read], [read], [write]);
  });

  it('rejects reads going back in time within a session (monotonic reads)', () => {
    const write = done(1, 0, 10, setData('/a', 'y'), set(1));
    const newer = done(2, 20, 30, getData('/a'), data('y', 1));
    const older = done(2, 40, 50, getData('/a'), data('x', 0));
    // The write is context: whether or not it happened, the two reads cannot both be right.
    expectViolation([write, newer, older], [newer, older], []);
  });

  it('accepts a stale read without sync, rejects it after a sync', () => {
    const write = done(1, 0, 10, setData('/a', 'y'), set(1));
    const read = done(2, 40, 50, getData('/a'), data('x', 0));
    expect(check([write, read]).ok).toBe(true);
    const synced = sync(2, 20, 30);
    expectViolation([write, synced, read], [read], [write, synced]);
  });

  it('accepts a read after a sync missing a write that completed after the sync began', () => {
    const history = [
      done(1, 0, 25, setData('/a', 'y'), set(1)),
      sync(2, 20, 30),
      done(2, 40, 50, getData('/a'), data('x', 0)),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('rejects a read of a value whose write began after the read completed', () => {
    const read = done(2, 0, 10, getData('/a'), data('y', 1));
    const write = done(1, 20, 30, setData('/a', 'y'), set(1));
    // Even with the write's outcome unknown it cannot precede the read: one op suffices.
    expectViolation([read, write], [read], []);
  });

  it('does not make a session read its own write whose reply was lost', () => {
    const history = [
      lost(1, 0, create('/b', 'z')),
      done(1, 20, 30, getData('/b'), noNode),
      done(2, 40, 50, getData('/b'), data('z', 0)),
      done(2, 60, 70, { kind: 'exists', path: '/b' }, { kind: 'stat', version: 0 }),
    ];
    expect(check(history).ok).toBe(true);
  });

  it('keeps writes linearizable: two creates of one path both succeeding fail here too', () => {
    const first = done(1, 0, 10, create('/b'), created('/b'));
    const second = done(2, 1, 9, create('/b'), created('/b'));
    expectViolation([first, second], [first, second], []);
  });

  // Found by the simulator (seed 1978): a client read the same node twice within one instant
  // of simulated time; equal invocation times must keep the recorder's order within a session.
  it('accepts one session reading a stale value twice at one instant (seed 1978)', () => {
    // Session 3 has already read z, so only session 2's floor keeps y readable: the first of
    // its two reads must know the second follows it, or y is dropped before the second.
    const history = [
      done(1, 0, 5, setData('/a', 'y'), set(1)),
      done(1, 8, 12, setData('/a', 'z'), set(2)),
      done(3, 9, 9, getData('/a'), data('z', 2)),
      done(2, 10, 10, getData('/a'), data('y', 1)),
      done(2, 10, 10, getData('/a'), data('y', 1)),
      done(3, 20, 20, getData('/a'), data('z', 2)),
    ];
    expect(check(history).ok).toBe(true);
  });

  // Found by the simulator (seed 100864): a session's setData invoked at the very instant its
  // sync completed. The sync belongs after the write's partition's own operations in the array
  // the partitioner builds; the session order must still put the sync first.
  it('keeps a sync before a write its session invoked as the sync completed (seed 100864)', () => {
    const history = [
      sync(1, 10, 10),
      done(1, 10, 30, setData('/a', 'y', 0), noNode),
      done(2, 15, 25, remove('/a'), deleted),
    ];
    expect(check(history).ok).toBe(true);
  });
});
