// Group membership: each member is an ephemeral node named by its id, so membership ends with the
// member's session; anyone can list or follow the members.

import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ErrorCode } from '../../protocol/errors.js';
import { deleteQuietly } from './contention.js';
import { ensurePath, isCode, nextWatchEvent, onSessionLost, retrying } from './support.js';

/** Our place in a group: ends on leave() or when the session is lost (reported to onLost). */
export class Membership {
  lost = false;
  private readonly listeners = new Set<() => void>();
  private readonly stopWatching: () => void;

  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {
    this.stopWatching = onSessionLost(client, () => {
      this.lost = true;
      for (const listener of this.listeners) listener();
    });
  }

  onLost(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async leave(): Promise<void> {
    this.stopWatching();
    if (!this.lost) await deleteQuietly(this.client, this.path);
  }
}

export class Group {
  constructor(
    private readonly client: Client,
    readonly path: string,
  ) {}

  /** Joins as `memberId` with optional data; NodeExists if another session holds that id. */
  async join(memberId: string, data?: Buffer | string): Promise<Membership> {
    await ensurePath(this.client, this.path);
    const path = joinPath(this.path, memberId);
    await retrying(this.client, async () => {
      try {
        await this.client.create(path, data, { mode: 'ephemeral' });
      } catch (error) {
        // After a ConnectionLoss the first attempt may have worked: ours if we own it.
        if (!isCode(error, ErrorCode.nodeExists)) throw error;
        const stat = await this.client.exists(path);
        if (stat?.ephemeralOwner !== this.client.sessionId) throw error;
      }
    });
    return new Membership(this.client, path);
  }

  async members(): Promise<string[]> {
    try {
      return (await retrying(this.client, () => this.client.getChildren(this.path))).sort();
    } catch (error) {
      if (isCode(error, ErrorCode.noNode)) return [];
      throw error;
    }
  }

  /** Calls `listener` with the member list now and after every change, until aborted. */
  async follow(listener: (members: string[]) => void, signal: AbortSignal): Promise<void> {
    await ensurePath(this.client, this.path, signal);
    while (!signal.aborted) {
      let members: string[] = [];
      await nextWatchEvent(this.client, async (watch) => {
        members = (await this.client.getChildren(this.path, { watch, signal })).sort();
        listener(members);
        return true;
      }, signal).catch((error: unknown) => {
        if (!signal.aborted) throw error;
      });
    }
  }
}
