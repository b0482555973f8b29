// The simulator's storage backend: a disk in memory under which the real storage logic
// (storage/replica-storage.ts and everything below it) runs unchanged, with every write
// durable only when the simulator says so, and the faults a real disk has. Deterministic: no
// timers, no wall clock; what a fault does comes from its arguments or the injected generator.
//
// The model. A write batch to the tables, a file's sync and a directory's sync are pending
// until flush() makes them durable, in the order asked, resolving their promises in that order.
// Tables show only what is durable (lmdb-js without its cache shows only committed transactions;
// the replica log keeps its own list of txns on their way for the same reason). Files show every
// write, creation, rename and removal at once (the page cache) and keep, across a power loss,
// only contents synced and directory entries whose directory was synced (storage-backend-files.ts).
// A power loss keeps an ordered prefix of the pending operations, the last one possibly torn; a
// full disk fails a batch when it would be committed (LMDB: at commit) and a file write at once.

import type { BackendSession, FileStore, StorageBackend, Table, TableWrite } from
  '../storage/backend.js';
import { recordProblem, zxidKey, zxidOfKey } from '../storage/txn-codec.js';
import { SimulatedFileStore, type FileStoreHost } from './storage-backend-file-store.js';
import { MemoryFiles, type Inode } from './storage-backend-files.js';
import { MemoryTable } from './storage-backend-tables.js';

export interface SimulatedStorageOptions {
  /** The data dir the disk stands for: snapshot paths and messages name it. */
  dataDir?: string;
  /** Runs `work` on the world's next turn (the simulator's scheduler). */
  nextTurn(work: () => void): void;
  /** Told, synchronously, each time an operation becomes pending (to schedule a flush). */
  onPending?: () => void;
  /** Where a torn write is cut when the fault does not say (uniform in [0, 1)). */
  random?: () => number;
  /** Milliseconds for files' modification times (the simulated clock). */
  now?: () => number;
  /** Bytes the disk holds at most, tables and files together; unlimited when absent. */
  capacityBytes?: number;
}

/** How a torn write reached the disk: its first `recordsKept` log records, the last of them
 * cut to `bytesKept` bytes (both drawn from the generator when absent). */
export interface TornWrite {
  recordsKept?: number;
  bytesKept?: number;
}

export interface PowerLoss {
  /** Pending operations the disk took before the power went, oldest first (default none). */
  survivors?: number;
  /** The last survivor reached the disk only partly (see TornWrite). */
  tear?: boolean | TornWrite;
}

/** The table whose records are checksummed: the only one a torn write cuts, since only there
 * can the damage be told (epochs and the purge mark are one small value each, written with the
 * commit's meta page as a unit). */
const tornTableName = 'log';

/** A put (or, with value undefined, a delete) as the disk holds it until it is flushed. */
interface PendingWrite {
  table: MemoryTable;
  key: Buffer;
  value: Buffer | undefined;
}

export type Operation =
  | { kind: 'tables'; writes: PendingWrite[] }
  | { kind: 'file'; inode: Inode; contents: Buffer }
  | { kind: 'directory'; directory: string; entries: Map<string, Inode> };

interface PendingOperation {
  operation: Operation;
  resolve(): void;
  reject(error: Error): void;
}

function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device (simulated)'), {
    code: 'ENOSPC',
  });
}

/** What a process that has died gets from its storage: nothing, ever. */
function never(): Promise<never> {
  return new Promise(() => undefined);
}

export class SimulatedStorageBackend implements StorageBackend {
  readonly dataDir: string;
  private readonly tables = new Map<string, MemoryTable>();
  readonly files = new MemoryFiles();
  private readonly pending: PendingOperation[] = [];
  /** Bumped by every crash, power loss and opening: older sessions are dead. */
  private generation = 0;
  private current: SimulatedSession | undefined;
  private full = false;
  private capacityBytes: number | undefined;

  constructor(readonly options: SimulatedStorageOptions) {
    this.dataDir = options.dataDir ?? '/simulated';
    this.capacityBytes = options.capacityBytes;
  }

  async open(): Promise<BackendSession> {
    if (this.current !== undefined && this.isLive(this.current) && !this.current.closing) {
      throw new Error('simulated disk: already open (close it, crash or power it off first)');
    }
    this.generation++;
    this.current = new SimulatedSession(this, this.generation);
    return this.current;
  }

  isLive(session: { generation: number }): boolean {
    return session.generation === this.generation;
  }

  table(name: string): MemoryTable {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new MemoryTable(name);
      this.tables.set(name, table);
    }
    return table;
  }

  get pendingOperations(): number {
    return this.pending.length;
  }

  /** Queues an operation until a flush makes it durable. */
  enqueue(operation: Operation): Promise<void> {
    const completion = new Promise<void>((resolve, reject) => {
      this.pending.push({ operation, resolve, reject });
    });
    this.options.onPending?.();
    return completion;
  }

  /** Makes the next `count` pending operations durable, in order; returns how many completed. */
  flush(count = Number.POSITIVE_INFINITY): number {
    let completed = 0;
    while (completed < count && this.pending.length > 0) {
      const next = this.pending.shift()!;
      completed++;
      const failure = this.complete(next.operation, undefined);
      if (failure === undefined) next.resolve();
      else next.reject(failure);
    }
    return completed;
  }

  /** Makes one operation durable (torn if asked); a table batch that does not fit fails. */
  private complete(operation: Operation, tear: TornWrite | undefined): Error | undefined {
    switch (operation.kind) {
      case 'tables': {
        if (!this.fits(operation.writes)) return noSpace();
        const writes = tear === undefined ? operation.writes : this.tornWrites(operation, tear);
        for (const { table, key, value } of writes) table.set(key, value);
        return undefined;
      }
      case 'file': {
        const contents = operation.contents;
        operation.inode.durableContents = tear === undefined
          ? contents
          : contents.subarray(0, this.cut(tear.bytesKept, contents.length));
        return undefined;
      }
      case 'directory':
        // A directory's sync is a journal commit: whole or not at all, never torn.
        this.files.settleDirectory(operation.directory, operation.entries);
        return undefined;
    }
  }

  /** A batch as it reached the disk torn: a prefix of it, its last log record cut short. */
  private tornWrites(
    operation: Extract<Operation, { kind: 'tables' }>,
    tear: TornWrite,
  ): PendingWrite[] {
    const records = operation.writes.flatMap((write, index) =>
      write.table.name === tornTableName && write.value !== undefined ? [index] : []);
    if (records.length === 0) return operation.writes;
    const kept = tear.recordsKept ?? 1 + Math.floor(this.draw() * records.length);
    const last = records[Math.min(Math.max(1, kept), records.length) - 1]!;
    const torn = operation.writes[last]!;
    const value = torn.value!.subarray(0, this.cut(tear.bytesKept, torn.value!.length));
    return [...operation.writes.slice(0, last), { ...torn, value: Buffer.from(value) }];
  }

  /** Bytes of `length` that reach the disk: fewer than all of them. */
  private cut(bytesKept: number | undefined, length: number): number {
    const drawn = bytesKept ?? Math.floor(this.draw() * length);
    return Math.max(0, Math.min(drawn, length - 1));
  }

  private draw(): number {
    return this.options.random?.() ?? 0.5;
  }

  /** The process dies (the power stays on): pending operations are lost but for the first
   * `survivors`; files keep every write the process made (the kernel still has them). */
  crash(survivors = 0): void {
    this.stop({ survivors });
  }

  /** The power goes: pending operations are lost but for an ordered prefix, the last of which
   * may be torn, and files lose whatever was not synced. */
  powerLoss(loss: PowerLoss = {}): void {
    this.stop(loss);
    this.files.powerLoss();
  }

  private stop(loss: PowerLoss): void {
    this.generation++;
    const survivors = this.pending.splice(0, loss.survivors ?? 0);
    this.pending.length = 0;
    const tear = loss.tear === true ? {} : loss.tear === false ? undefined : loss.tear;
    survivors.forEach((survivor, index) => {
      // The process is gone: nobody hears how its writes ended.
      this.complete(survivor.operation, index === survivors.length - 1 ? tear : undefined);
    });
  }

  /** The durable log records, ascending, each whole or not (faults pick from them). */
  logRecords(): Array<{ zxid: number; whole: boolean }> {
    return [...this.table(tornTableName).entries()].map(({ key, value }) => ({
      zxid: zxidOfKey(key),
      whole: recordProblem(value) === undefined,
    }));
  }

  /** Flips a byte (the middle one by default) of the durable log record for `zxid`. */
  corruptRecord(zxid: number, byteIndex?: number): void {
    const table = this.table(tornTableName);
    const key = zxidKey(zxid);
    const record = table.get(key);
    if (record === undefined) throw new Error(`simulated disk: no log record for zxid ${zxid}`);
    const damaged = Buffer.from(record);
    damaged[Math.min(byteIndex ?? damaged.length >> 1, damaged.length - 1)]! ^= 0xff;
    table.set(key, damaged);
  }

  /** Flips a byte (the middle one by default) of a durable file, a snapshot say. */
  corruptFile(path: string, byteIndex?: number): void {
    this.files.corrupt(path, byteIndex);
  }

  /** While full, a batch that puts anything fails when it would commit, and so does a file
   * write that grows a file; removals, truncations and purges still go through. */
  setDiskFull(full: boolean): void {
    this.full = full;
  }

  setCapacity(bytes: number | undefined): void {
    this.capacityBytes = bytes;
  }

  /** A batch fits unless it puts anything on a full disk, or grows the tables past capacity
   * (a copy-on-write commit needs fresh pages for its puts; deletes only free them). */
  private fits(writes: readonly PendingWrite[]): boolean {
    if (this.full && writes.some((write) => write.value !== undefined)) return false;
    let growth = 0;
    for (const { table, key, value } of writes) growth += table.growthOf(key, value);
    return growth <= 0 || this.hasRoomFor(growth);
  }

  hasRoomFor(bytes: number): boolean {
    if (this.full) return false;
    if (this.capacityBytes === undefined) return true;
    let used = this.files.bytes;
    for (const table of this.tables.values()) used += table.bytes;
    return used + bytes <= this.capacityBytes;
  }

  /** A replaced disk: everything gone, the process with it. */
  wipe(): void {
    this.stop({});
    this.files.wipe();
    for (const table of this.tables.values()) table.clear();
  }

  nowMs(): number {
    return this.options.now?.() ?? 0;
  }
}

class SimulatedSession implements BackendSession, FileStoreHost {
  readonly dataDir: string;
  readonly tablesLocation: string;
  readonly files: FileStore;
  readonly memoryFiles: MemoryFiles;
  closing = false;
  /** Operations this session is waiting on (close waits for them, as LMDB's close does). */
  private readonly outstanding = new Set<Promise<void>>();

  constructor(
    private readonly disk: SimulatedStorageBackend,
    readonly generation: number,
  ) {
    this.dataDir = disk.dataDir;
    this.tablesLocation = `${disk.dataDir}/corral.lmdb`;
    this.memoryFiles = disk.files;
    this.files = new SimulatedFileStore(this);
  }

  live(): boolean {
    return this.disk.isLive(this);
  }

  table(name: string): Table {
    return this.disk.table(name);
  }

  write(writes: readonly TableWrite[]): Promise<void> {
    if (!this.live()) return never();
    if (this.closing) return Promise.reject(new Error('simulated disk: write after close'));
    if (writes.length === 0) return Promise.resolve();
    // Copied now, as lmdb-js copies a put's bytes when it is called.
    const copies = writes.map(({ table, key, value }) => ({
      table: this.disk.table((table as MemoryTable).name),
      key: Buffer.from(key),
      value: value === undefined ? undefined : Buffer.from(value),
    }));
    return this.enqueue({ kind: 'tables', writes: copies });
  }

  enqueue(operation: Operation): Promise<void> {
    if (!this.live()) return never();
    const completion = this.disk.enqueue(operation);
    this.outstanding.add(completion);
    const forget = (): void => void this.outstanding.delete(completion);
    completion.then(forget, forget);
    return completion;
  }

  hasRoomFor(bytes: number): boolean {
    return this.disk.hasRoomFor(bytes);
  }

  nowMs(): number {
    return this.disk.nowMs();
  }

  nextTurn(work: () => void): void {
    // A dead process's continuations never run.
    if (this.live()) this.disk.options.nextTurn(work);
  }

  async close(): Promise<void> {
    if (!this.live()) return;
    this.closing = true;
    await Promise.allSettled([...this.outstanding]);
  }
}
