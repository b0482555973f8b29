// A client history: each operation with its session, the times it was invoked and completed, its
// input and its output. An operation that never completed (timeout, ConnectionLoss) has an
// unknown outcome: it may have taken effect at any point after its invocation, or not at all.

/** One client operation as a recorder saw it. Times are numbers on one shared clock. */
export interface Operation<Input, Output> {
  /** The session (or client) that issued it; FIFO order is per session. */
  sessionId: number | string;
  invokedAt: number;
  /** null when the outcome is unknown: the client never heard back. */
  completedAt: number | null;
  input: Input;
  /** null exactly when completedAt is null. */
  output: Output | null;
}

export function isPending(operation: Operation<unknown, unknown>): boolean {
  return operation.completedAt === null;
}

/**
 * Real-time order: `before` completed strictly before `after` was invoked. Operations whose
 * completion and invocation carry the same time count as concurrent, the lenient reading.
 */
export function precedes(
  before: Operation<unknown, unknown>,
  after: Operation<unknown, unknown>,
): boolean {
  return before.completedAt !== null && before.completedAt < after.invokedAt;
}

/** Why the history is malformed (a programmer error in the recorder), or undefined. */
export function historyProblem(
  operations: readonly Operation<unknown, unknown>[],
): string | undefined {
  for (const [index, operation] of operations.entries()) {
    if (!Number.isFinite(operation.invokedAt)) return `operation ${index}: invokedAt not finite`;
    if (operation.completedAt === null) {
      if (operation.output !== null) return `operation ${index}: pending but has an output`;
      continue;
    }
    if (!Number.isFinite(operation.completedAt)) {
      return `operation ${index}: completedAt not finite`;
    }
    if (operation.completedAt < operation.invokedAt) {
      return `operation ${index}: completed before it was invoked`;
    }
    if (operation.output === null) return `operation ${index}: completed without an output`;
  }
  return undefined;
}
