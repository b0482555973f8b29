// Shrinks a non-linearizable partition to the few operations whose outputs cannot all be right.
// An operation is "relaxed" by forgetting its output but keeping its input and interval (it
// happened, with some result): relaxing never removes an explanation, so whatever stays kept is
// truly in conflict. Relaxed operations the conflict does not need are then removed entirely.

import type { Operation } from './history.js';
import type { Model } from './model.js';
import { searchLinearization } from './search.js';

export interface ShrinkBudget {
  checksMax: number;
  stepsPerCheckMax: number;
  deadline: number;
  clock: () => number;
}

export interface ShrinkResult<Input, Output> {
  /** Operations whose outputs conflict: with `context` they form a non-linearizable history. */
  operations: Operation<Input, Output>[];
  /** Operations needed for their inputs and intervals only; their outputs do not matter. */
  context: Operation<Input, Output>[];
  /** True when no single operation can be relaxed or removed with the rest still failing. */
  complete: boolean;
}

/** 'undecided': that one search ran out of steps; 'exhausted': the shrinking budget is spent. */
type Verdict = 'fails' | 'passes' | 'undecided' | 'exhausted';
/** Per operation: 'kept' (output checked), 'relaxed' (output ignored) or 'removed'. */
type Role = 'kept' | 'relaxed' | 'removed';

/** Shrinks `operations`, which must already be known to be non-linearizable. */
export function shrinkViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  budget: ShrinkBudget,
): ShrinkResult<Input, Output> {
  let checksLeft = budget.checksMax;
  let undecided = false;
  const ordered = operations.slice().sort((a, b) => a.invokedAt - b.invokedAt);
  const fails = (roles: readonly Role[]): Verdict => {
    if (checksLeft <= 0 || budget.clock() > budget.deadline) return 'exhausted';
    checksLeft -= 1;
    const candidate = ordered.flatMap((operation, index) => {
      const role = roles[index];
      if (role === 'kept') return [operation];
      // A read whose output is ignored constrains nothing at all.
      if (role === 'removed' || model.isReadOnly?.(operation.input) === true) return [];
      return [{ ...operation, output: null }];
    });
    const result = searchLinearization(model, candidate, {
      stepsLeft: budget.stepsPerCheckMax,
      deadline: budget.deadline,
      clock: budget.clock,
    });
    if (result === 'unknown') {
      undecided = true;
      return 'undecided';
    }
    return result === 'violation' ? 'fails' : 'passes';
  };
  // Operations of unknown outcome have no output to blame: they start relaxed.
  const roles = ordered.map((operation): Role =>
    (operation.completedAt === null ? 'relaxed' : 'kept'));
  const exhausted = !relaxSuffix(roles, fails) ||
    !moveWhileFailing(roles, 'kept', 'relaxed', fails) ||
    !moveWhileFailing(roles, 'relaxed', 'removed', fails);
  return {
    operations: ordered.filter((_, index) => roles[index] === 'kept'),
    context: ordered.filter((_, index) => roles[index] === 'relaxed'),
    complete: !exhausted && !undecided,
  };
}

/**
 * Binary search for the shortest prefix (in invocation order) that still fails with every later
 * operation relaxed; relaxes them. False when the budget ran out.
 */
function relaxSuffix(roles: Role[], fails: (roles: readonly Role[]) => Verdict): boolean {
  const original = roles.slice();
  const withPrefix = (length: number): Role[] =>
    original.map((role, index) => (index < length ? role : 'relaxed'));
  let passing = 0;
  let failing = roles.length;
  let finished = true;
  while (failing - passing > 1) {
    const middle = (passing + failing) >> 1;
    const verdict = fails(withPrefix(middle));
    if (verdict === 'exhausted') {
      finished = false;
      break;
    }
    // An undecided prefix counts as passing: only a proven failure may shorten the prefix.
    if (verdict === 'fails') failing = middle;
    else passing = middle;
  }
  withPrefix(failing).forEach((role, index) => { roles[index] = role; });
  return finished;
}

/**
 * Moves operations from `from` to `to` while the history still fails: first in large groups
 * (halving the group size, as delta debugging does, so a conflict of a few operations costs
 * few checks), then one at a time until a pass changes nothing; an undecided check leaves its
 * group where it was. Latest operations go first:
 * the conflict is usually near the end. False when the budget ran out.
 */
function moveWhileFailing(
  roles: Role[],
  from: Role,
  to: Role,
  fails: (roles: readonly Role[]) => Verdict,
): boolean {
  let groupSize = Math.ceil(roles.filter((role) => role === from).length / 2);
  for (;;) {
    const candidates = roles.flatMap((role, index) => (role === from ? [index] : [])).reverse();
    let changed = false;
    for (let start = 0; start < candidates.length; start += groupSize) {
      const group = candidates.slice(start, start + groupSize);
      for (const index of group) roles[index] = to;
      const verdict = fails(roles);
      if (verdict === 'fails') {
        changed = true;
        continue;
      }
      for (const index of group) roles[index] = from;
      if (verdict === 'exhausted') return false;
    }
    if (groupSize <= 1 && !changed) return true;
    groupSize = Math.max(1, Math.ceil(groupSize / 2));
  }
}
