// Entry point of the linearizability checker: splits a history into independent partitions,
// searches each within a shared step and time budget, and on a violation shrinks the failing
// partition to a small violating sub-history that a person can read.

import { historyProblem, type Operation } from './history.js';
import type { Model } from './model.js';
import { searchLinearization, type SearchBudget } from './search.js';
import { shrinkViolation } from './shrink.js';

export interface CheckOptions {
  /** Search steps for the whole check, shrinking excluded. */
  stepsMax?: number;
  /** Wall-clock milliseconds for the whole check, shrinking included. */
  timeMsMax?: number;
  /** Where time comes from; a simulator passes its own to stay deterministic. */
  clock?: () => number;
  /** Sub-histories the shrinker may check; 0 reports the whole failing partition. */
  shrinkChecksMax?: number;
  /** Steps each shrinking check may take. */
  shrinkStepsPerCheckMax?: number;
}

export type CheckResult<Input, Output> =
  | { ok: true; partitions: number; steps: number }
  | {
      ok: false;
      /**
       * Operations of the original history whose outputs cannot all be right: together with
       * `context` (whose outputs are ignored, only their inputs and intervals count) they
       * form a non-linearizable history. A history differing only in other outputs is
       * non-linearizable too, so the culprit reply is among these.
       */
      minimalViolation: Operation<Input, Output>[];
      context: Operation<Input, Output>[];
      /** False when the shrinking budget ran out before a fixpoint. */
      shrinkComplete: boolean;
      partitions: number;
      steps: number;
    }
  | { ok: 'unknown'; partitions: number; steps: number };

const defaults = {
  stepsMax: 50_000_000,
  timeMsMax: 60_000,
  shrinkChecksMax: 1_000,
  shrinkStepsPerCheckMax: 100_000,
};

/** Checks `operations` against `model`; see CheckResult for the three verdicts. */
export function checkHistory<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  const problem = historyProblem(operations);
  if (problem !== undefined) throw new Error(`malformed history: ${problem}`);
  const clock = options.clock ?? (() => performance.now());
  const stepsMax = options.stepsMax ?? defaults.stepsMax;
  const budget: SearchBudget = {
    stepsLeft: stepsMax,
    deadline: clock() + (options.timeMsMax ?? defaults.timeMsMax),
    clock,
  };
  const partitions = model.partition?.(operations) ?? [operations.slice()];
  // Shorter partitions first: a violation in a small one is found, and shrunk, soonest.
  partitions.sort((a, b) => a.length - b.length);
  let unknown = false;
  for (const partition of partitions) {
    const result = searchLinearization(model, partition, budget);
    if (result === 'unknown') {
      unknown = true;
      // Steps ran out: nothing else can be decided. Time left: try the other partitions.
      if (budget.stepsLeft <= 0 || clock() > budget.deadline) break;
      continue;
    }
    if (result === 'violation') {
      const steps = stepsMax - Math.max(budget.stepsLeft, 0);
      const shrunk = shrinkViolation(model, partition, {
        checksMax: options.shrinkChecksMax ?? defaults.shrinkChecksMax,
        stepsPerCheckMax: options.shrinkStepsPerCheckMax ?? defaults.shrinkStepsPerCheckMax,
        deadline: budget.deadline,
        clock,
      });
      return {
        ok: false,
        minimalViolation: shrunk.operations,
        context: shrunk.context,
        shrinkComplete: shrunk.complete,
        partitions: partitions.length,
        steps,
      };
    }
  }
  const steps = stepsMax - Math.max(budget.stepsLeft, 0);
  if (unknown) return { ok: 'unknown', partitions: partitions.length, steps };
  return { ok: true, partitions: partitions.length, steps };
}
