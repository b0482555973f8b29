// The clients' history through the linearizability checker, with ZooKeeper's guarantee for
// plain reads (sequential consistency with per-session FIFO; writes, syncs linearizable), on a
// step budget so a pathological history reports "unknown" rather than running forever.

import {
  checkHistory,
  describeOperation,
  sessionZooKeeperModel,
  type ZooKeeperOperation,
} from './linearizability/index.js';

export interface HistoryVerdict {
  verdict: 'ok' | 'violation' | 'unknown';
  operations: number;
  steps: number;
  detail?: string;
}

/** Search steps for one seed's history: ample for a few thousand operations on 4 keys. */
const checkStepsMax = 5_000_000;

export function checkClientHistory(operations: readonly ZooKeeperOperation[]): HistoryVerdict {
  // Time comes from the step budget, not a wall clock: the verdict is the same on every run.
  const result = checkHistory(sessionZooKeeperModel(), operations, {
    stepsMax: checkStepsMax,
    timeMsMax: Number.POSITIVE_INFINITY,
    clock: () => 0,
  });
  if (result.ok === true) {
    return { verdict: 'ok', operations: operations.length, steps: result.steps };
  }
  if (result.ok === 'unknown') {
    return { verdict: 'unknown', operations: operations.length, steps: result.steps };
  }
  // The context's outputs do not matter, but its intervals do: without them the conflict
  // cannot be read (a sync that orders a write, a delete that explains a noNode).
  const context = result.context.length === 0
    ? ''
    : ` (given: ${result.context.map(describeOperation).join('; ')})`;
  const detail = result.minimalViolation.map(describeOperation).join('; ') + context;
  return { verdict: 'violation', operations: operations.length, steps: result.steps, detail };
}
