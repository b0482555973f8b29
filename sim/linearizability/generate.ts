// Generates concurrent ZooKeeper histories that are correct by construction: each client issues
// operations one after another with random durations, each operation takes effect at a random
// instant inside its interval, and a sequential reference tree computes the replies in that
// order. Used by the property tests and the benchmark.

import type { ZooKeeperOperation } from './zookeeper-model.js';
import { Xorshift } from './random.js';
import {
  applyInput,
  parentOf,
  ZooKeeperTree,
  type ZooKeeperInput,
  type ZooKeeperWrite,
} from './zookeeper-tree.js';

export interface HistoryShape {
  seed: number;
  clients: number;
  /** Plain znodes /k0 … /k{keys-1} under the root; multis pair /k{2i} with /k{2i+1}. */
  keys: number;
  operations: number;
  /** Share of operations whose reply is lost (each took effect or not, at random). */
  pendingRate?: number;
  /** Reads may return any tree ZooKeeper's session guarantee allows, not only the latest. */
  staleReads?: boolean;
  /** Share of operations on /queue (sequential creates, reads and deletes of its children). */
  queueRate?: number;
  durationMax?: number;
  gapMax?: number;
}

export interface GeneratedHistory {
  operations: ZooKeeperOperation[];
  initialTree: Record<string, string>;
}

interface Slot {
  sessionId: number;
  invokedAt: number;
  completedAt: number;
  point: number;
  pending: boolean;
}

function timeline(random: Xorshift, shape: HistoryShape): Slot[] {
  const slots: Slot[] = [];
  const durationMax = shape.durationMax ?? 20;
  const gapMax = shape.gapMax ?? 5;
  for (let client = 0; client < shape.clients; client += 1) {
    const count = Math.floor(shape.operations / shape.clients) +
      (client < shape.operations % shape.clients ? 1 : 0);
    let now = random.below(gapMax + 1);
    for (let index = 0; index < count; index += 1) {
      const duration = 1 + random.below(durationMax);
      const point = now + random.nextFloat() * duration;
      const pending = random.chance(shape.pendingRate ?? 0);
      const completedAt = now + duration;
      slots.push({ sessionId: client, invokedAt: now, completedAt, point, pending });
      now += duration + random.below(gapMax + 1);
    }
  }
  return slots.sort((a, b) => a.point - b.point);
}

/** Mostly the version the znode has, so that conditional writes often succeed. */
function versionFor(random: Xorshift, tree: ZooKeeperTree, path: string): number {
  const roll = random.nextFloat();
  if (roll < 0.2) return -1;
  if (roll < 0.3) return random.below(6);
  return tree.nodes.get(path)?.version ?? 0;
}

class InputChooser {
  private dataCounter = 0;

  constructor(private readonly random: Xorshift, private readonly shape: HistoryShape) {}

  private data(): string {
    this.dataCounter += 1;
    return `d${this.dataCounter}`;
  }

  private queueInput(tree: ZooKeeperTree): ZooKeeperInput {
    const items = [...tree.nodes.keys()].filter((path) => parentOf(path) === '/queue');
    const roll = this.random.nextFloat();
    if (roll < 0.5 || items.length === 0) {
      return { kind: 'create', path: '/queue/item-', data: this.data(), sequential: true };
    }
    const path = this.random.pick(items);
    return roll < 0.75 ? { kind: 'getData', path } : { kind: 'delete', path, version: -1 };
  }

  private multiInput(tree: ZooKeeperTree): ZooKeeperInput {
    const first = `/k${2 * this.random.below(Math.floor(this.shape.keys / 2))}`;
    const second = `/k${Number(first.slice(2)) + 1}`;
    const version = (path: string): number => versionFor(this.random, tree, path);
    const choices: ZooKeeperWrite[][] = [
      [{ kind: 'check', path: first, version: version(first) },
        { kind: 'setData', path: second, data: this.data(), version: -1 }],
      [{ kind: 'create', path: first, data: this.data() },
        { kind: 'create', path: second, data: this.data() }],
      [{ kind: 'setData', path: first, data: this.data(), version: version(first) },
        { kind: 'delete', path: second, version: version(second) }],
    ];
    return { kind: 'multi', ops: this.random.pick(choices) };
  }

  choose(tree: ZooKeeperTree): ZooKeeperInput {
    const random = this.random;
    if (random.chance(this.shape.queueRate ?? 0)) return this.queueInput(tree);
    const path = `/k${random.below(this.shape.keys)}`;
    const roll = random.below(100);
    if (roll < 25) return { kind: 'getData', path };
    if (roll < 33) return { kind: 'exists', path };
    if (roll < 53) {
      return { kind: 'setData', path, data: this.data(), version: versionFor(random, tree, path) };
    }
    if (roll < 66) return { kind: 'create', path, data: this.data() };
    if (roll < 76) return { kind: 'delete', path, version: versionFor(random, tree, path) };
    if (roll < 81) return { kind: 'check', path, version: versionFor(random, tree, path) };
    if (roll < 88 && this.shape.keys >= 2) return this.multiInput(tree);
    if (roll < 91 && this.shape.staleReads === true) return { kind: 'sync', path };
    return { kind: 'getData', path };
  }
}

/** Runs the reference tree over the slots in the order of their instants of effect. */
export function generateZooKeeperHistory(shape: HistoryShape): GeneratedHistory {
  const random = new Xorshift(shape.seed);
  const initialTree = { '/queue': '' };
  const chooser = new InputChooser(random, shape);
  const trees = [ZooKeeperTree.withRoot(initialTree)];
  const floors = new Map<number, number>();
  const operations: ZooKeeperOperation[] = [];
  for (const slot of timeline(random, shape)) {
    const current = trees.length - 1;
    const input = chooser.choose(trees[current]!);
    const { sessionId, invokedAt } = slot;
    const isRead = input.kind === 'getData' || input.kind === 'exists';
    if (isRead && shape.staleReads === true && !slot.pending) {
      // Any tree from the session's floor on: a follower that lags, but never goes back.
      const floor = floors.get(sessionId) ?? 0;
      const position = current - random.below(Math.min(current - floor + 1, 6));
      floors.set(sessionId, position);
      const output = applyInput(trees[position]!, input).output;
      operations.push({ sessionId, invokedAt, completedAt: slot.completedAt, input, output });
      continue;
    }
    if (slot.pending && random.chance(0.5)) {
      operations.push({ sessionId, invokedAt, completedAt: null, input, output: null });
      continue;
    }
    const applied = applyInput(trees[current]!, input);
    if (applied.tree !== trees[current]) trees.push(applied.tree);
    if (slot.pending) {
      operations.push({ sessionId, invokedAt, completedAt: null, input, output: null });
      continue;
    }
    floors.set(sessionId, trees.length - 1);
    const { completedAt } = slot;
    operations.push({ sessionId, invokedAt, completedAt, input, output: applied.output });
  }
  return { operations, initialTree };
}
