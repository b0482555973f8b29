// Porcupine's per-key partitioning for ZooKeeper histories: operations that can influence each
// other's outcome share a partition; disjoint ones are checked apart, which turns one
// exponential search into many small ones. A multi joins every path it touches.

import type { Operation } from './history.js';
import {
  parentOf,
  type ZooKeeperInput,
  type ZooKeeperOutput,
  type ZooKeeperWrite,
} from './zookeeper-tree.js';

type ZooKeeperOperation = Operation<ZooKeeperInput, ZooKeeperOutput>;

class UnionFind {
  private readonly parents = new Map<string, string>();

  find(key: string): string {
    let root = key;
    let up = this.parents.get(root);
    while (up !== undefined && up !== root) {
      root = up;
      up = this.parents.get(root);
    }
    this.parents.set(key, root);
    return root;
  }

  union(a: string, b: string): void {
    const rootA = this.find(a);
    const rootB = this.find(b);
    if (rootA !== rootB) this.parents.set(rootA, rootB);
  }
}

function writesOf(input: ZooKeeperInput): readonly ZooKeeperWrite[] | undefined {
  switch (input.kind) {
    case 'multi':
      return input.ops;
    case 'sync':
    case 'getData':
    case 'exists':
      return undefined;
    default:
      return [input];
  }
}

/**
 * The paths whose state decides `input`'s outcome. Create and delete involve the parent (its
 * existence, child count and create counter), except under the root: the root always exists,
 * cannot be deleted, and its counter only matters to sequential creates, which join it when
 * some exist. Any op on a child of a parent with sequential creates joins that parent, since
 * a create whose outcome is unknown may have made any such name.
 */
function pathsOf(
  input: ZooKeeperInput,
  output: ZooKeeperOutput | null,
  sequentialParents: ReadonlySet<string>,
): string[] {
  const touched = (input.kind === 'multi' ? input.ops : [input]).flatMap((op, index) => {
    const paths = [op.path];
    const parent = parentOf(op.path);
    const structural = op.kind === 'create' || op.kind === 'delete';
    if (sequentialParents.has(parent) || (structural && parent !== '/')) paths.push(parent);
    const result = output?.kind === 'multi' ? output.results[index] : output;
    if (op.kind === 'create' && result?.kind === 'created') paths.push(result.path);
    return paths;
  });
  return touched;
}

/**
 * Splits a ZooKeeper history into independent parts. Reads with unknown outcome are dropped
 * (they constrain nothing). Syncs join every part when `syncEverywhere` (the ZooKeeper read
 * mode, where a sync bounds later reads on any path) and are dropped otherwise.
 */
export function partitionZooKeeperHistory(
  operations: readonly ZooKeeperOperation[],
  syncEverywhere: boolean,
): ZooKeeperOperation[][] {
  const sequentialParents = new Set<string>();
  for (const operation of operations) {
    for (const write of writesOf(operation.input) ?? []) {
      if (write.kind === 'create' && write.sequential === true) {
        sequentialParents.add(parentOf(write.path));
      }
    }
  }
  const sets = new UnionFind();
  const keyed: { operation: ZooKeeperOperation; key: string }[] = [];
  const syncs: ZooKeeperOperation[] = [];
  for (const operation of operations) {
    const { input } = operation;
    if (input.kind === 'sync') {
      if (syncEverywhere) syncs.push(operation);
      continue;
    }
    const isRead = input.kind === 'getData' || input.kind === 'exists';
    if (isRead && operation.completedAt === null) continue;
    const paths = pathsOf(input, operation.output, sequentialParents);
    for (const path of paths.slice(1)) sets.union(paths[0]!, path);
    keyed.push({ operation, key: paths[0]! });
  }
  const parts = new Map<string, ZooKeeperOperation[]>();
  for (const { operation, key } of keyed) {
    const root = sets.find(key);
    const part = parts.get(root) ?? [];
    if (part.length === 0) parts.set(root, part);
    part.push(operation);
  }
  const result = [...parts.values()];
  if (syncs.length === 0) return result;
  if (result.length === 0) return [syncs];
  // Each part keeps the history's own order: the search breaks ties between one session's
  // operations invoked at the same instant by position, so a sync appended after the part
  // would seem to follow a write its session issued after it (found by the simulator, seed
  // 100864: a setData invoked as its session's sync completed was ordered before the sync).
  const positions = new Map(operations.map((operation, index) => [operation, index]));
  const byPosition = (a: ZooKeeperOperation, b: ZooKeeperOperation) =>
    positions.get(a)! - positions.get(b)!;
  return result.map((part) => part.concat(syncs).sort(byPosition));
}
