// A shared counter by versioned compare-and-set (Curator's DistributedAtomicLong): read value and
// version, write the new value only if the version is unchanged, retry on conflict. The value is
// stored as decimal text so any ZooKeeper tool can read it.

import type { Client } from '../client.js';
import { ConnectionLossError, ErrorCode } from '../../protocol/errors.js';
import { ensurePath, isCode, retrying } from './support.js';
import { parentOf } from '../connect-string.js';

/** Conflicting writers before add() gives up: each retry follows someone else's success. */
export const counterAttemptsMax = 1_000;

export class Counter {
  constructor(
    private readonly client: Client,
    readonly path: string,
    readonly initial = 0n,
  ) {}

  async get(): Promise<bigint> {
    return (await this.read()).value;
  }

  /** Adds `delta` atomically; returns the new value. */
  async add(delta: bigint): Promise<bigint> {
    for (let attempt = 0; attempt < counterAttemptsMax; attempt++) {
      const { value, version } = await this.read();
      const next = value + delta;
      if (await this.write(next, version)) return next;
    }
    throw new Error(`counter ${this.path}: ${counterAttemptsMax} conflicting attempts`);
  }

  increment(): Promise<bigint> {
    return this.add(1n);
  }

  decrement(): Promise<bigint> {
    return this.add(-1n);
  }

  /** Sets `next` only if the value is still `expected`; false when it was not. */
  async compareAndSet(expected: bigint, next: bigint): Promise<boolean> {
    const { value, version } = await this.read();
    if (value !== expected) return false;
    return this.write(next, version);
  }

  /** version -1 means the node does not exist yet. */
  private async read(): Promise<{ value: bigint; version: number }> {
    return retrying(this.client, async () => {
      try {
        const { data, stat } = await this.client.getData(this.path);
        return { value: BigInt(data?.toString() || '0'), version: stat.version };
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error;
        return { value: this.initial, version: -1 };
      }
    });
  }

  /**
   * One compare-and-set. After ConnectionLoss the write may or may not have happened: if the
   * version is unchanged it did not (retry is safe); otherwise the outcome is unknown and is
   * surfaced rather than risking a double add.
   */
  private async write(next: bigint, version: number): Promise<boolean> {
    try {
      if (version === -1) {
        await ensurePath(this.client, parentOf(this.path));
        await this.client.create(this.path, next.toString());
      } else {
        await this.client.setData(this.path, next.toString(), version);
      }
      return true;
    } catch (error) {
      if (isCode(error, ErrorCode.badVersion) || isCode(error, ErrorCode.nodeExists)) return false;
      if (!isCode(error, ErrorCode.connectionLoss)) throw error;
      await this.client.whenConnected();
      if ((await this.read()).version === version) return false;
      throw new ConnectionLossError(`counter ${this.path}: outcome of the write unknown`);
    }
  }
}
