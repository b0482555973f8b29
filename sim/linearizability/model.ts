// The sequential specification a history is checked against, in the shape Porcupine uses: an
// initial state, a step function that rejects impossible outputs, a key for memoising states, and
// an optional partition function so independent parts of a history are checked separately.

import type { Operation } from './history.js';

export interface Model<State, Input, Output> {
  /** The state before any operation of `operations` (the partition being checked). */
  initialState(operations: readonly Operation<Input, Output>[]): State;
  /**
   * The state after applying `operation`, or undefined when the model could not have produced
   * its output from `state`. A pending operation (output null) accepts any output.
   */
  step(state: State, operation: Operation<Input, Output>): State | undefined;
  /** Equal keys must mean equal futures: the search memoises on (linearized set, key). */
  stateKey(state: State): string;
  /**
   * Splits a history into sub-histories that share no state (P-compositionality: the whole is
   * linearizable exactly when every part is). Absent: one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /**
   * When true, each session's completed operations linearize in invocation order even when
   * they overlap (ZooKeeper's FIFO client order for pipelined requests).
   */
  sessionOrder?: boolean;
  /**
   * True for operations that never change state (reads): with an unknown outcome they
   * constrain nothing, so the shrinker leaves them out instead of keeping them pending.
   */
  isReadOnly?(input: Input): boolean;
  /** A short human-readable rendering of an operation, for reports. */
  describe?(operation: Operation<Input, Output>): string;
}
