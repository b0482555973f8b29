// The lowest level a replica's durable state is written through: ordered tables with atomic,
// durable write batches (what the txn log and the epochs need of LMDB) and a few file operations
// (what snapshot files need of the file system). Production is LMDB and node:fs
// (storage/lmdb-backend.ts); the simulator a fault-injecting disk in memory
// (sim/storage-backend.ts). Every piece of storage logic above it is written once.

/** Where a replica's durable state lives: what one opening wrote, the next one finds. */
export interface StorageBackend {
  /**
   * Opens it for one process lifetime (production: the LMDB environment under the data dir).
   * Opening again after a crash or a power loss is how a restarted replica recovers.
   */
  open(): Promise<BackendSession>;
}

/** One process lifetime's use of a backend, until close() (or a crash). */
export interface BackendSession {
  /** The data dir, for messages and as the root of the snapshot directory. */
  readonly dataDir: string;
  /** Where the tables live, for messages (the LMDB environment's path). */
  readonly tablesLocation: string;
  readonly files: FileStore;
  /** An ordered table by name ('log', 'meta', 'epochs'), created when first asked for. */
  table(name: string): Table;
  /**
   * Applies `writes` in order as one atomic transaction; resolves once it is durable. Until then
   * no read shows any of it (lmdb-js without its cache: a read sees committed transactions
   * only). Rejects, with nothing applied, when the transaction cannot be committed (a full disk).
   * Batches are committed in the order they were asked for.
   */
  write(writes: readonly TableWrite[]): Promise<void>;
  /**
   * Lets go of the memory the tables' file is mapped into (production: reopens the LMDB
   * environment, see LmdbSession); what is stored is unchanged. Absent where nothing is mapped.
   * No lazy read (iterator) may be held across it: `mayRelease`, asked just before the
   * environment is let go (after the writes under way and a turn), skips this release when a
   * reader began meanwhile.
   */
  releaseMappedPages?(mayRelease?: () => boolean): Promise<void>;
  /** Runs `work` once the current turn of the event loop is over (production: setImmediate). */
  nextTurn(work: () => void): void;
  /** Waits for the writes under way, then releases the backend. */
  close(): Promise<void>;
}

/**
 * Which keys a read visits, as lmdb-js reads it: keys in byte order from `start` (inclusive) to
 * `end` (exclusive); in reverse, from `start` (inclusive) down to `end` (exclusive). `offset`
 * keys are skipped, then at most `limit` visited.
 */
export interface KeyRange {
  start?: Uint8Array;
  end?: Uint8Array;
  reverse?: boolean;
  offset?: number;
  limit?: number;
}

export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * Synchronous reads of committed state. A range read lazily, over several turns, keeps seeing
 * the table as it was when the iteration began (an LMDB read transaction). Keys and values read
 * may be kept, but not changed.
 */
export interface Table {
  get(key: Uint8Array): Uint8Array | undefined;
  keys(range?: KeyRange): Iterable<Uint8Array>;
  entries(range?: KeyRange): Iterable<TableEntry>;
  /** Entries the range visits, before its offset and limit. */
  count(range?: KeyRange): number;
  /**
   * entries(range) with each value handed to `decode` as a view of the backend's read buffer,
   * valid only during the call (what `decode` returns must keep none of it): a long scan then
   * allocates no buffer per value. Optional: a backend without it is read through entries.
   */
  decodedEntries?<T>(range: KeyRange, decode: (value: Buffer) => T):
    Iterable<{ key: Uint8Array; value: T }>;
}

/** A put, or with `value` undefined a delete, in one table of the same session. */
export interface TableWrite {
  table: Table;
  key: Uint8Array;
  value: Uint8Array | undefined;
}

/**
 * Files by absolute path, as snapshots use them. Writes are seen at once by this process and
 * become durable only when synced: a file's contents by its own sync, a creation, rename or
 * removal by a sync of its directory.
 */
export interface FileStore {
  /** Creates the directory and its parents if missing. */
  makeDirectory(path: string): Promise<void>;
  /** The names in a directory, in no particular order; none when it does not exist. */
  list(directory: string): Promise<string[]>;
  /** Creates (or empties) a file for writing. */
  create(path: string): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; one that does not exist is no error. */
  remove(path: string): Promise<void>;
  /** Makes the creations, renames and removals in `directory` so far durable. */
  syncDirectory(directory: string): Promise<void>;
  /** Opens a file for synchronous reads (recovery reads snapshots synchronously). */
  openForReading(path: string): ReadableFile;
  /** Size and modification time, or undefined when the file does not exist. */
  stat(path: string): { bytes: number; modifiedAtMs: number } | undefined;
}

export interface WritableFile {
  /** Writes `bytes` at `position`; resolves with how many were written. */
  write(bytes: Uint8Array, position: number): Promise<number>;
  /** Writes `pieces` one after another where the previous writev ended (0 at first). */
  writev(pieces: readonly Uint8Array[]): Promise<void>;
  /** fdatasync: the contents written so far are durable. */
  datasync(): Promise<void>;
  /** fsync: the contents written so far are durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadableFile {
  readonly bytes: number;
  /** Reads up to `length` bytes at `position` into `into` (from its start); returns how many. */
  read(into: Uint8Array, length: number, position: number): number;
  close(): void;
}

/** A promise that resolves on the session's next turn. */
export function nextTurnOf(session: Pick<BackendSession, 'nextTurn'>): Promise<void> {
  return new Promise((resolve) => session.nextTurn(resolve));
}
