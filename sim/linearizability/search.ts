// The Wing & Gong search with Lowe's memoisation, as Porcupine runs it on one partition: walk
// the invocation/completion events in time order, try to linearize each invoked operation, and
// backtrack when a completion is reached whose operation is not linearized yet. A memo table of
// (linearized set, model state) prunes every configuration already explored.

import { Bitset } from './bitset.js';
import type { Operation } from './history.js';
import type { Model } from './model.js';

/** Limits shared by every search of one check, so the whole check stays within budget. */
export interface SearchBudget {
  /** Steps left (one step = one event visited); decremented in place. */
  stepsLeft: number;
  /** Absolute clock reading after which the search gives up. */
  deadline: number;
  clock: () => number;
}

export type SearchResult = 'linearizable' | 'violation' | 'unknown';

/** Steps between clock readings: reading the clock every step would dominate the cost. */
const stepsPerClockReading = 1024;

/** Doubly linked event list over ids 2i (invocation of i) and 2i + 1 (completion of i). */
interface EventList {
  next: Int32Array;
  previous: Int32Array;
  head: number;
}

function buildEventList(operations: readonly Operation<unknown, unknown>[]): EventList {
  const events: { id: number; time: number }[] = [];
  for (const [index, operation] of operations.entries()) {
    events.push({ id: 2 * index, time: operation.invokedAt });
    // An operation with an unknown outcome has no completion: nothing forces it to linearize.
    if (operation.completedAt !== null) {
      events.push({ id: 2 * index + 1, time: operation.completedAt });
    }
  }
  // At equal times invocations come first, so touching operations count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.id & 1) - (b.id & 1) || a.id - b.id);
  const slots = 2 * operations.length + 2;
  const head = slots - 2;
  const tail = slots - 1;
  const next = new Int32Array(slots).fill(-1);
  const previous = new Int32Array(slots).fill(-1);
  let last = head;
  for (const event of events) {
    next[last] = event.id;
    previous[event.id] = last;
    last = event.id;
  }
  next[last] = tail;
  previous[tail] = last;
  return { next, previous, head };
}

function unlink(list: EventList, id: number): void {
  list.next[list.previous[id]!] = list.next[id]!;
  list.previous[list.next[id]!] = list.previous[id]!;
}

/** Dancing links: relinking in the reverse order of unlinking restores the list exactly. */
function relink(list: EventList, id: number): void {
  list.next[list.previous[id]!] = id;
  list.previous[list.next[id]!] = id;
}

/** For each operation, the latest earlier completed operation of its session, or -1. */
function sessionPredecessors(operations: readonly Operation<unknown, unknown>[]): Int32Array {
  const order = operations.map((_, index) => index);
  order.sort((a, b) => operations[a]!.invokedAt - operations[b]!.invokedAt || a - b);
  const predecessors = new Int32Array(operations.length).fill(-1);
  const lastCompleted = new Map<number | string, number>();
  for (const index of order) {
    const operation = operations[index]!;
    predecessors[index] = lastCompleted.get(operation.sessionId) ?? -1;
    if (operation.completedAt !== null) lastCompleted.set(operation.sessionId, index);
  }
  return predecessors;
}

function outOfBudget(budget: SearchBudget): boolean {
  budget.stepsLeft -= 1;
  if (budget.stepsLeft < 0) return true;
  return budget.stepsLeft % stepsPerClockReading === 0 && budget.clock() > budget.deadline;
}

/** Decides whether `operations` (one partition) is linearizable with respect to `model`. */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  budget: SearchBudget,
): SearchResult {
  const list = buildEventList(operations);
  const predecessors = model.sessionOrder === true ? sessionPredecessors(operations) : undefined;
  const linearized = new Bitset(operations.length);
  const memo = new Set<string>();
  const stackOperations: number[] = [];
  const stackStates: State[] = [];
  let state = model.initialState(operations);
  let completedLeft = operations.filter((operation) => operation.completedAt !== null).length;
  let event = list.next[list.head]!;
  while (completedLeft > 0) {
    if (outOfBudget(budget)) return 'unknown';
    if (event % 2 === 0 && event < 2 * operations.length) {
      const index = event >> 1;
      const operation = operations[index]!;
      const predecessor = predecessors?.[index] ?? -1;
      const next = predecessor !== -1 && !linearized.has(predecessor)
        ? undefined
        : model.step(state, operation);
      if (next !== undefined) {
        linearized.add(index);
        const key = `${linearized.key()}\u0000${model.stateKey(next)}`;
        if (!memo.has(key)) {
          memo.add(key);
          stackOperations.push(index);
          stackStates.push(state);
          state = next;
          unlink(list, event);
          if (operation.completedAt !== null) {
            unlink(list, event + 1);
            completedLeft -= 1;
          }
          event = list.next[list.head]!;
          continue;
        }
        linearized.delete(index);
      }
      event = list.next[event]!;
      continue;
    }
    // A completion (or the list's end): its operation had to be linearized by now. Backtrack.
    const undone = stackOperations.pop();
    if (undone === undefined) return 'violation';
    state = stackStates.pop()!;
    linearized.delete(undone);
    if (operations[undone]!.completedAt !== null) {
      relink(list, 2 * undone + 1);
      completedLeft += 1;
    }
    relink(list, 2 * undone);
    event = list.next[2 * undone]!;
  }
  return 'linearizable';
}
