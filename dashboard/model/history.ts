// The event history the page keeps (bounded at the server's historyLimit) and time travel over
// it: the world after any kept entry, rebuilt from the nearest checkpoint (a copy of the world
// taken every checkpointInterval (200) entries) by replaying at most that many records, so
// scrubbing through 5000 events stays instant.
import type { StreamRecord, TraceMark } from '../../protocol/machine-stream.js';
import {
  applyRecord,
  cloneWorld,
  emptyWorld,
  forgetEnded,
  resetReplica,
  type World,
} from './world.js';

/** A replica's picture started afresh (its hello came again: a restart or a reconnection). */
export interface ResetEntry {
  kind: 'reset';
  replica: string;
  time: number;
}

export type HistoryMessage = StreamRecord | TraceMark | ResetEntry;

export interface HistoryEntry {
  /** Its number: increases by one per entry for the page's lifetime. */
  n: number;
  message: HistoryMessage;
  /** The machine of the record's actor when it was applied ('' when unknown). */
  machine: string;
  /** The actor's label ('replica 2', a session id) when it had one. */
  label?: string;
}

export const checkpointIntervalDefault = 200;

function applyEntry(world: World, entry: HistoryEntry): void {
  const message = entry.message;
  if (message.kind === 'reset') resetReplica(world, message.replica);
  else if (message.kind !== 'mark') applyRecord(world, message, entry.n);
}

export class History {
  /** The world after every entry so far. */
  readonly live: World = emptyWorld();
  /** Kept entries, oldest first; those before `start` are kept only to replay from a checkpoint. */
  private readonly entries: HistoryEntry[] = [];
  /** The world before entry `n`, for every n that is a multiple of checkpointInterval. */
  private readonly checkpoints: Array<{ n: number; world: World }> = [];
  private nextN = 0;
  /** Ended actors already forgotten up to this entry number. */
  private forgottenBefore = 0;

  constructor(
    readonly limit: number,
    readonly checkpointInterval = checkpointIntervalDefault,
  ) {}

  /** The number of the oldest entry the page shows (time travel reaches back to it). */
  get start(): number {
    return Math.max(this.entries[0]?.n ?? 0, this.nextN - this.limit);
  }

  /** The number the next entry gets (one past the newest). */
  get end(): number {
    return this.nextN;
  }

  get size(): number {
    return this.end - this.start;
  }

  /** Entry `n`, if kept. */
  entry(n: number): HistoryEntry | undefined {
    const first = this.entries[0]?.n ?? 0;
    return n >= this.start && n < this.nextN ? this.entries[n - first] : undefined;
  }

  /** The shown entries from `from` (inclusive) to `to` (exclusive), oldest first. */
  slice(from: number, to: number): HistoryEntry[] {
    const first = this.entries[0]?.n ?? 0;
    const lower = Math.max(from, this.start) - first;
    const upper = Math.min(to, this.nextN) - first;
    return lower < upper ? this.entries.slice(lower, upper) : [];
  }

  push(message: HistoryMessage): HistoryEntry {
    const n = this.nextN++;
    if (n % this.checkpointInterval === 0) {
      this.checkpoints.push({ n, world: cloneWorld(this.live) });
    }
    const actor = message.kind === 'reset' || message.kind === 'mark'
      ? undefined
      : this.live.replicas.get(message.replica)?.get(message.actor);
    const entry: HistoryEntry = { n, message, machine: actor?.machine ?? '' };
    if (message.kind === 'actor') {
      entry.machine = message.machine;
      if (message.label !== undefined) entry.label = message.label;
    } else if (actor?.label !== undefined) entry.label = actor.label;
    this.entries.push(entry);
    applyEntry(this.live, entry);
    this.trim();
    return entry;
  }

  /** Drops what left the window: whole checkpoint intervals, and ended actors' pictures. */
  private trim(): void {
    const start = this.start;
    while (this.checkpoints.length > 1 && this.checkpoints[1]!.n <= start) {
      const dropUntil = this.checkpoints[1]!.n;
      this.checkpoints.shift();
      const first = this.entries[0]?.n ?? 0;
      this.entries.splice(0, dropUntil - first);
    }
    for (const entry of this.slice(this.forgottenBefore, start)) {
      if (entry.message.kind === 'ended') {
        forgetEnded(this.live, entry.message.replica, entry.message.actor);
      }
    }
    this.forgottenBefore = Math.max(this.forgottenBefore, start);
  }

  /** The world after entry `n` (before any entry when n < start); the live world for the newest. */
  worldAt(n: number): World {
    if (n >= this.nextN - 1) return this.live;
    let checkpoint = this.checkpoints[0];
    for (const candidate of this.checkpoints) {
      if (candidate.n > n + 1) break;
      checkpoint = candidate;
    }
    if (checkpoint === undefined) return emptyWorld();
    const world = cloneWorld(checkpoint.world);
    const first = this.entries[0]?.n ?? 0;
    for (let index = checkpoint.n; index <= n; index++) {
      const entry = this.entries[index - first];
      if (entry !== undefined) applyEntry(world, entry);
    }
    this.dropEndedBefore(world, this.start);
    return world;
  }

  /** Ended actors whose ended record is no longer shown are not drawn in the past either. */
  private dropEndedBefore(world: World, start: number): void {
    for (const actors of world.replicas.values()) {
      for (const [id, actor] of actors) {
        if (actor.ended !== undefined && (actor.endedAt ?? start) < start) actors.delete(id);
      }
    }
  }
}
