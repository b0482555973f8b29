// In-memory replica storage with explicit durability, for tests and the simulator: every write
// (append, truncate, snapshot, epoch) is queued and becomes durable only when the harness flushes
// it, in order; each flush yields the machine's `storage.*` completion event. A crash loses what
// was not flushed — except that the first few unflushed writes may survive, as writes a disk
// took before the power went can: LMDB commits in order and atomically, so what survives is
// always a prefix of what was asked, never a torn record (a torn tail is cut at startup).
import type { TreeSnapshot, Zxid } from '../protocol/peer.js';
import type { ReplicaEvent } from '../machines/replica.js';
import type { Txn } from '../protocol/txn.js';

export type StorageWrite =
  | { kind: 'append'; txn: Txn }
  | { kind: 'truncate'; zxid: Zxid }
  | { kind: 'snapshot'; zxid: Zxid; snapshot: TreeSnapshot }
  | { kind: 'epoch'; epoch: number; which: 'accepted' | 'current' };

/** What survives a crash. */
export interface DurableState {
  /** The snapshot the log continues (from SNAP), or null. */
  snapshot: { zxid: Zxid; snapshot: TreeSnapshot } | null;
  log: Txn[];
  acceptedEpoch: number;
  currentEpoch: number;
}

function applyWrite(state: DurableState, write: StorageWrite): void {
  switch (write.kind) {
    case 'append':
      state.log.push(write.txn);
      return;
    case 'truncate':
      state.log = state.log.filter((txn) => txn.zxid <= write.zxid);
      return;
    case 'snapshot':
      state.snapshot = { zxid: write.zxid, snapshot: write.snapshot };
      state.log = [];
      return;
    case 'epoch':
      if (write.which === 'accepted') state.acceptedEpoch = write.epoch;
      else state.currentEpoch = write.epoch;
      return;
    default:
      throw new Error(`simulated storage: unknown write ${String(write satisfies never)}`);
  }
}

function completionOf(write: StorageWrite): ReplicaEvent {
  switch (write.kind) {
    case 'append':
      return { type: 'storage.appended', zxid: write.txn.zxid };
    case 'truncate':
      return { type: 'storage.truncated', zxid: write.zxid };
    case 'snapshot':
      return { type: 'storage.snapshotLoaded', zxid: write.zxid };
    case 'epoch':
      return { type: 'storage.epochPersisted', kind: write.which, epoch: write.epoch };
    default:
      throw new Error(`simulated storage: unknown write ${String(write satisfies never)}`);
  }
}

function copyState(state: DurableState): DurableState {
  return { ...state, log: [...state.log] };
}

export class SimulatedStorage {
  /** What a crash keeps. */
  private durableState: DurableState = {
    snapshot: null,
    log: [],
    acceptedEpoch: 0,
    currentEpoch: 0,
  };
  /** What the running replica sees: durable state plus queued writes. */
  private viewState: DurableState = copyState(this.durableState);
  private readonly queued: StorageWrite[] = [];

  get durable(): Readonly<DurableState> {
    return this.durableState;
  }

  get view(): Readonly<DurableState> {
    return this.viewState;
  }

  get pendingWrites(): number {
    return this.queued.length;
  }

  write(write: StorageWrite): void {
    this.queued.push(write);
    applyWrite(this.viewState, write);
  }

  /** Makes the next `count` queued writes durable; returns their completion events, in order. */
  flush(count = Number.POSITIVE_INFINITY): ReplicaEvent[] {
    const events: ReplicaEvent[] = [];
    while (events.length < count && this.queued.length > 0) {
      const write = this.queued.shift() as StorageWrite;
      applyWrite(this.durableState, write);
      events.push(completionOf(write));
    }
    return events;
  }

  /** Power loss: queued writes are gone, but for the first `survivors` of them. */
  crash(survivors = 0): void {
    for (const write of this.queued.splice(0, survivors)) applyWrite(this.durableState, write);
    this.queued.length = 0;
    this.viewState = copyState(this.durableState);
  }

  /** Wipes the data dir (a replaced disk). */
  wipe(): void {
    this.crash();
    this.durableState = { snapshot: null, log: [], acceptedEpoch: 0, currentEpoch: 0 };
    this.viewState = copyState(this.durableState);
  }

  /** Seeds durable history (tests that start from a given log). */
  seed(state: Partial<DurableState>): void {
    this.crash();
    this.durableState = { ...copyState(this.durableState), ...state };
    this.viewState = copyState(this.durableState);
  }
}
