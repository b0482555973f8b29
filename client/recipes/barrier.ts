// Barriers: a Barrier holds everyone at `waitOnBarrier` while its node exists (Curator's
// DistributedBarrier); a DoubleBarrier lets `memberCount` processes start together and finish
// together (enter waits for all to arrive, leave waits for all to go).

import { randomUUID } from 'node:crypto';
import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ErrorCode } from '../../protocol/errors.js';
import { deleteQuietly } from './contention.js';
import { deadlineSignal, ensurePath, isCode, nextWatchEvent, retrying } from './support.js';

/** Rounds of "check, then wait for a change" before giving up (each follows a real change). */
const barrierRoundsMax = 100_000;

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class Barrier {
  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {}

  /** Raises the barrier (idempotent). */
  async setBarrier(): Promise<void> {
    await ensurePath(this.client, this.path);
  }

  /** Lowers it, releasing every waiter (idempotent). */
  async removeBarrier(): Promise<void> {
    await deleteQuietly(this.client, this.path);
  }

  /** Resolves once the barrier is down (at once if it is not up). */
  async waitOnBarrier(options: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    for (let round = 0; round < barrierRoundsMax; round++) {
      let up = false;
      await nextWatchEvent(this.client, async (listener) => {
        up = (await this.client.exists(this.path, { watch: listener, signal })) !== null;
        return up;
      }, signal);
      if (!up) return;
    }
  }
}

const readyName = 'ready';

export class DoubleBarrier {
  private readonly memberPath: string;

  constructor(
    private readonly client: Client,
    readonly path: string,
    readonly memberCount: number,
    memberId: string = randomUUID(),
  ) {
    this.memberPath = joinPath(path, memberId);
  }

  /** Joins, then waits until `memberCount` members have joined. */
  async enter(options: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    await ensurePath(this.client, this.path, signal);
    // An ephemeral with a fixed name: a retry after ConnectionLoss finds it (NodeExists).
    await retrying(this.client, async () => {
      try {
        await this.client.create(this.memberPath, undefined, { mode: 'ephemeral', signal });
      } catch (error) {
        if (!isCode(error, ErrorCode.nodeExists)) throw error;
      }
    }, signal);
    const readyPath = joinPath(this.path, readyName);
    for (let round = 0; round < barrierRoundsMax; round++) {
      let ready = false;
      await nextWatchEvent(this.client, async (listener) => {
        ready = (await this.client.exists(readyPath, { watch: listener, signal })) !== null;
        if (ready) return false;
        const members = await this.members(signal);
        if (members.length < this.memberCount) return true;
        await this.client.create(readyPath, undefined, { signal }).catch((error: unknown) => {
          if (!isCode(error, ErrorCode.nodeExists)) throw error;
        });
        ready = true;
        return false;
      }, signal);
      if (ready) return;
    }
  }

  /** Leaves, then waits until every member has left. */
  async leave(options: WaitOptions = {}): Promise<void> {
    const signal = deadlineSignal(options.signal, options.timeoutMs);
    await deleteQuietly(this.client, this.memberPath);
    for (let round = 0; round < barrierRoundsMax; round++) {
      let empty = false;
      await nextWatchEvent(this.client, async (listener) => {
        const children = await this.client.getChildren(this.path, { watch: listener, signal });
        empty = children.every((child) => child === readyName);
        return !empty;
      }, signal);
      if (empty) {
        await deleteQuietly(this.client, joinPath(this.path, readyName));
        return;
      }
    }
  }

  private async members(signal?: AbortSignal): Promise<string[]> {
    const children = await this.client.getChildren(this.path, { signal });
    return children.filter((child) => child !== readyName);
  }
}
