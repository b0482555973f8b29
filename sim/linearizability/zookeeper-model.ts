// The ZooKeeper models the checker runs, one per read guarantee. 'linearizable': every
// operation, reads included, takes effect at one instant inside its interval. 'session': the
// guarantee ZooKeeper gives plain reads; writes stay linearizable, reads may lag (see below).

import type { Operation } from './history.js';
import type { Model } from './model.js';
import { partitionZooKeeperHistory } from './partition.js';
import {
  applyInput,
  renderInput,
  renderOutput,
  ZooKeeperTree,
  type ZooKeeperInput,
  type ZooKeeperOutput,
} from './zookeeper-tree.js';

export type ZooKeeperOperation = Operation<ZooKeeperInput, ZooKeeperOutput>;

/**
 * 'linearizable': the whole history, reads included, is linearizable (corral's opt-in
 * linearizable read, or a single server).
 * 'session': ZooKeeper's guarantee for plain reads (sequential consistency with per-session
 * FIFO). Writes, checks, multis and syncs are linearizable, and each session's completed
 * operations take effect in the order it invoked them. A read returns the tree as it was after
 * some prefix of that write order: a prefix that includes every write, check, multi or sync
 * its session completed or invoked earlier (read-your-writes, FIFO) and is no shorter than the
 * one its session's previous read saw (monotonic reads), and that contains only writes that
 * took effect before the read completed. Hence a read after a sync sees every write that
 * completed before the sync was invoked. Writes with unknown outcome do not raise their
 * session's floor: after ConnectionLoss a client reconnects knowing only the zxids it saw.
 */
export type ZooKeeperReadMode = 'linearizable' | 'session';

export interface ZooKeeperModelOptions {
  reads: ZooKeeperReadMode;
  /** Znodes (path → data, version 0) present before the history; the root always is. */
  initialTree?: Readonly<Record<string, string>>;
}

export function describeOperation(operation: ZooKeeperOperation): string {
  const end = operation.completedAt === null ? '?' : String(operation.completedAt);
  const output = operation.output === null ? 'unknown' : renderOutput(operation.output);
  return `[${operation.invokedAt}, ${end}] session ${String(operation.sessionId)}: ` +
    `${renderInput(operation.input)} → ${output}`;
}

function outputMatches(operation: ZooKeeperOperation, output: ZooKeeperOutput): boolean {
  return operation.output === null || renderOutput(operation.output) === renderOutput(output);
}

function isRead(input: ZooKeeperInput): boolean {
  return input.kind === 'getData' || input.kind === 'exists';
}

export function linearizableZooKeeperModel(
  initialTree: Readonly<Record<string, string>> = {},
): Model<ZooKeeperTree, ZooKeeperInput, ZooKeeperOutput> {
  const initial = ZooKeeperTree.withRoot(initialTree);
  return {
    initialState: () => initial,
    step(tree, operation) {
      const applied = applyInput(tree, operation.input);
      return outputMatches(operation, applied.output) ? applied.tree : undefined;
    },
    stateKey: (tree) => tree.key(),
    partition: (operations) => partitionZooKeeperHistory(operations, false),
    isReadOnly: isRead,
    describe: describeOperation,
  };
}

/** Per partition: whether a session still has a completed read after a given operation. */
interface SessionContext {
  readsFollow: ReadonlyMap<ZooKeeperOperation, boolean>;
}

/** Trees after each prefix of the write order, from the oldest one some session may read. */
interface SessionState {
  readonly context: SessionContext;
  /** Retained trees, oldest first; the last is the current tree. */
  readonly trees: readonly ZooKeeperTree[];
  /** Position in the write order of trees[0]. */
  readonly base: number;
  /** Oldest position each session may still read; only sessions with reads still to come. */
  readonly floors: ReadonlyMap<number | string, number>;
}

function sessionContext(operations: readonly ZooKeeperOperation[]): SessionContext {
  // The exact reverse of the search's session order (search.ts sessionPredecessors: invocation
  // time, then the recorder's order), so that of two reads one session issued at the same
  // instant the first knows the second follows it (found by the simulator, seed 1978).
  const indexOf = new Map(operations.map((operation, index) => [operation, index]));
  const ordered = operations
    .slice()
    .sort((a, b) => b.invokedAt - a.invokedAt || indexOf.get(b)! - indexOf.get(a)!);
  const readsFollow = new Map<ZooKeeperOperation, boolean>();
  const sessionsWithReadsAfter = new Set<number | string>();
  // Walk backwards in invocation order, remembering which sessions still read later.
  for (const operation of ordered) {
    readsFollow.set(operation, sessionsWithReadsAfter.has(operation.sessionId));
    if (isRead(operation.input) && operation.completedAt !== null) {
      sessionsWithReadsAfter.add(operation.sessionId);
    }
  }
  return { readsFollow };
}

function initialSessionState(
  initial: ZooKeeperTree,
  operations: readonly ZooKeeperOperation[],
): SessionState {
  const floors = new Map<number | string, number>();
  for (const operation of operations) {
    if (isRead(operation.input) && operation.completedAt !== null) {
      floors.set(operation.sessionId, 0);
    }
  }
  return { context: sessionContext(operations), trees: [initial], base: 0, floors };
}

/** Moves `operation`'s session floor to `position` (or forgets it) and drops unreadable trees. */
function withFloor(
  state: SessionState,
  trees: readonly ZooKeeperTree[],
  operation: ZooKeeperOperation,
  position: number | undefined,
): SessionState {
  const floors = new Map(state.floors);
  if (position !== undefined && state.context.readsFollow.get(operation) === true) {
    floors.set(operation.sessionId, position);
  } else if (position !== undefined) {
    floors.delete(operation.sessionId);
  }
  const current = state.base + trees.length - 1;
  let oldest = current;
  for (const floor of floors.values()) oldest = Math.min(oldest, floor);
  return { context: state.context, trees: trees.slice(oldest - state.base), base: oldest, floors };
}

function stepSession(state: SessionState, operation: ZooKeeperOperation): SessionState | undefined {
  const current = state.base + state.trees.length - 1;
  if (isRead(operation.input)) {
    const floor = state.floors.get(operation.sessionId) ?? state.base;
    // The oldest matching tree leaves the most freedom to later reads of this session.
    for (let position = floor; position <= current; position += 1) {
      const applied = applyInput(state.trees[position - state.base]!, operation.input);
      if (outputMatches(operation, applied.output)) {
        return withFloor(state, state.trees, operation, position);
      }
    }
    return undefined;
  }
  const tree = state.trees[state.trees.length - 1]!;
  const applied = applyInput(tree, operation.input);
  if (!outputMatches(operation, applied.output)) return undefined;
  const trees = applied.tree === tree ? state.trees : [...state.trees, applied.tree];
  const position = operation.completedAt === null ? undefined : state.base + trees.length - 1;
  return withFloor(state, trees, operation, position);
}

function sessionStateKey(state: SessionState): string {
  const current = state.base + state.trees.length - 1;
  const floors = [...state.floors]
    .map(([session, floor]) => `${String(session)}:${current - floor}`);
  return `${state.trees.map((tree) => tree.key()).join('\u0003')}\u0004${floors.sort().join(',')}`;
}

export function sessionZooKeeperModel(
  initialTree: Readonly<Record<string, string>> = {},
): Model<SessionState, ZooKeeperInput, ZooKeeperOutput> {
  const initial = ZooKeeperTree.withRoot(initialTree);
  return {
    initialState: (operations) => initialSessionState(initial, operations),
    step: stepSession,
    stateKey: sessionStateKey,
    partition: (operations) => partitionZooKeeperHistory(operations, true),
    sessionOrder: true,
    isReadOnly: isRead,
    describe: describeOperation,
  };
}

/** The model for `options.reads`; see ZooKeeperReadMode for what each guarantees. */
export function zooKeeperModel(
  options: ZooKeeperModelOptions,
): Model<unknown, ZooKeeperInput, ZooKeeperOutput> {
  const model = options.reads === 'linearizable'
    ? linearizableZooKeeperModel(options.initialTree)
    : sessionZooKeeperModel(options.initialTree);
  return model as Model<unknown, ZooKeeperInput, ZooKeeperOutput>;
}
