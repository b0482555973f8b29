// Distributed FIFO and priority queues (ZooKeeper's queue recipe, Curator's DistributedQueue):
// items are persistent sequential nodes, put with protected creates so a retried put never adds a
// duplicate; a take deletes the head, so each item goes to exactly one consumer.

import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  createProtected,
  deadlineSignal,
  ensurePath,
  isCode,
  nextWatchEvent,
  retrying,
  sequenceOf,
  unprotectedName,
} from './support.js';

const takeRoundsMax = 100_000;
/** Priorities are stored zero-padded so names sort by them: 0 … 999999. */
export const priorityMax = 999_999;

export interface TakeOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A priority queue; lower priority numbers are taken first, FIFO within a priority. */
export class PriorityQueue {
  constructor(
    protected readonly client: Client,
    readonly path: string,
  ) {}

  async put(data: Buffer | string, priority = 0): Promise<void> {
    if (!Number.isInteger(priority) || priority < 0 || priority > priorityMax) {
      throw new RangeError(`priority must be an integer in 0..${priorityMax}`);
    }
    await ensurePath(this.client, this.path);
    const name = `item-${String(priority).padStart(6, '0')}-`;
    await createProtected(this.client, this.path, name, 'persistentSequential', data);
  }

  /** Number of items waiting. */
  async size(): Promise<number> {
    return (await this.items()).length;
  }

  /** Removes and returns the head, waiting for an item if the queue is empty. */
  async take(options: TakeOptions = {}): Promise<Buffer> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    await ensurePath(this.client, this.path, signal);
    for (let round = 0; round < takeRoundsMax; round++) {
      const taken = await this.tryTake(signal);
      if (taken !== null) return taken;
      await nextWatchEvent(this.client, async (listener) => {
        const children = await this.client.getChildren(this.path, { watch: listener, signal });
        return children.length === 0;
      }, signal);
    }
    throw new Error(`queue ${this.path}: nothing taken after ${takeRoundsMax} rounds`);
  }

  /** The head without waiting, or null when empty. */
  async poll(): Promise<Buffer | null> {
    return this.tryTake();
  }

  private async tryTake(signal?: AbortSignal): Promise<Buffer | null> {
    for (const name of await this.items(signal)) {
      const path = joinPath(this.path, name);
      try {
        const { data, stat } = await this.client.getData(path, { signal });
        // A ConnectionLoss here leaves it unknown whether we took the item: surface it rather
        // than risk taking it twice.
        await this.client.delete(path, stat.version, { signal });
        // An item another client put with null data is taken as empty: null means "none".
        return data ?? Buffer.alloc(0);
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
      }
    }
    return null;
  }

  private async items(signal?: AbortSignal): Promise<string[]> {
    const list = () => this.client.getChildren(this.path, { signal });
    const children = await retrying(this.client, list, signal)
      .catch((error: unknown) => {
        if (isCode(error, ErrorCode.noNode)) return [];
        throw error;
      });
    const key = (name: string) => unprotectedName(name).slice(0, 12);
    return children.sort((left, right) =>
      key(left) === key(right)
        ? sequenceOf(left) - sequenceOf(right)
        : key(left) < key(right)
          ? -1
          : 1,
    );
  }
}

/** A FIFO queue: a priority queue where every item has priority 0. */
export class Queue extends PriorityQueue {
  override async put(data: Buffer | string): Promise<void> {
    await super.put(data, 0);
  }
}
