// Production's storage backend: one LMDB environment under the data dir (its named databases
// are the tables) and node:fs for snapshot files. Tables are opened with binary keys and values;
// the bytes are those lmdb-js's default encodings wrote before, so older data dirs open unchanged.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  open,
  type Database,
  type RangeOptions,
  type RootDatabase,
  type RootDatabaseOptions,
  type RootDatabaseOptionsWithPath,
} from 'lmdb';
import { nextTurnOf, type BackendSession, type KeyRange, type StorageBackend, type Table,
  type TableEntry, type TableWrite } from './backend.js';
import { directoryMode, fileMode } from './file-modes.js';
import { nextImmediateTurn, nodeFiles } from './node-files.js';

/**
 * Durability: `overlappingSync` is switched off. lmdb-js enables it by default on Linux, and then
 * a write's promise resolves when the transaction is committed (visible) while the fsync happens
 * afterwards; with it off, each commit is fsynced (fdatasync) by the writer thread before the
 * promise resolves. `noSync`, `noMetaSync`, `mapAsync` and `useWritemap` stay off (the first three
 * skip or defer the flush, the last lets a stray write corrupt the map). The map size is left to
 * lmdb-js, which grows the map itself when it fills (MDB_MAP_FULL is retried after a resize); only
 * a full disk then fails a commit, which rejects the write and leaves the tables as they were.
 */
export const lmdbDurableOptions = {
  maxDbs: 8,
  noSubdir: false,
  overlappingSync: false,
  noSync: false,
  noMetaSync: false,
  useWritemap: false,
} as const;

/** Keys as they are stored; read back as a copy from Buffer's pool (lmdb-js's own binary keys
 * are each a new ArrayBuffer). */
const pooledKeys = {
  writeKey: (key: Uint8Array, target: Uint8Array, start: number): number => {
    target.set(key, start);
    return start + key.length;
  },
  readKey: (target: Uint8Array, start: number, end: number): Buffer =>
    Buffer.from(target.subarray(start, end)),
};

class LmdbTable implements Table {
  /** The table again, its values handed to `decode` in place (decodedEntries); opened when
   * first read so. */
  private decoding: Database<unknown, Uint8Array> | undefined;
  /** The decode of the decodedEntries iteration that reads next. */
  private decode: (value: Buffer) => unknown = () => undefined;

  /** `database` is replaced when the session reopens the environment (reopened). */
  constructor(
    public database: Database<Uint8Array, Uint8Array>,
    private readonly openDecoding: (table: LmdbTable) => Database<unknown, Uint8Array>,
  ) {}

  reopened(database: Database<Uint8Array, Uint8Array>): void {
    this.database = database;
    this.decoding = undefined;
  }

  /**
   * lmdb-js hands a custom decoder its shared read buffer itself, where its binary encoding
   * copies each value into a new ArrayBuffer first (and each key): a replay of a long log tail
   * spent a fifth of its time making and collecting those.
   */
  *decodedEntries<T>(range: KeyRange, decode: (value: Buffer) => T):
    Generator<{ key: Uint8Array; value: T }> {
    this.decoding ??= this.openDecoding(this);
    const iterator = this.decoding.getRange(range as RangeOptions)[Symbol.iterator]();
    try {
      for (;;) {
        // Set before every step: iterations of the table may be interleaved.
        this.decode = decode;
        const step = iterator.next();
        if (step.done === true) return;
        yield step.value as { key: Uint8Array; value: T };
      }
    } finally {
      iterator.return?.();
    }
  }

  /** lmdb-js's decoder hook: `bytes` is its read buffer, `size` the value's length in it. */
  decodeInPlace(bytes: Uint8Array, size: number): unknown {
    return this.decode(Buffer.from(bytes.buffer, bytes.byteOffset, size));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.database.getBinary(key);
  }

  // A range is lmdb-js's own options (same names, same meaning). getKeys and getCount mark the
  // object they are given (values: false, onlyCount: true), so they get a copy; getRange only
  // reads it, and replay reads through it, so it gets the caller's.
  keys(range: KeyRange = {}): Iterable<Uint8Array> {
    return this.database.getKeys({ ...range } as RangeOptions);
  }

  entries(range: KeyRange = {}): Iterable<TableEntry> {
    return this.database.getRange(range as RangeOptions);
  }

  count(range: KeyRange = {}): number {
    return this.database.getCount({ ...range } as RangeOptions);
  }
}

class LmdbSession implements BackendSession {
  readonly files = nodeFiles;
  private readonly tables = new Map<string, LmdbTable>();
  /** Writes issued and not yet settled: close() lets them finish first (see close). */
  private readonly writing = new Set<Promise<unknown>>();
  private closed = false;
  private root: RootDatabase;
  /** Set while the environment is reopened: writes asked for meanwhile wait for it. */
  private reopening: Promise<void> | undefined;

  constructor(
    readonly dataDir: string,
    readonly tablesLocation: string,
    private readonly environment: RootDatabaseOptionsWithPath,
  ) {
    this.root = open(environment);
  }

  table(name: string): Table {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new LmdbTable(this.openTable(name), (opened) => this.openDecodingTable(name,
        opened));
      this.tables.set(name, table);
    }
    return table;
  }

  /** `name` for LmdbTable.decodedEntries: only read through (never written), its values given
   * to the table's decodeInPlace while they are views of lmdb-js's read buffer. */
  private openDecodingTable(name: string, table: LmdbTable): Database<unknown, Uint8Array> {
    // lmdb-js takes these per table too, though its types list them for the root only.
    const options: RootDatabaseOptions & { name: string } = { name, keyEncoder: pooledKeys,
      encoder: {
        encode: () => {
          throw new Error(`table ${name} is written through its own handle`);
        },
        decode: (bytes: Uint8Array, size: number) => table.decodeInPlace(bytes, size),
      } };
    return this.root.openDB<unknown, Uint8Array>(options);
  }

  private openTable(name: string): Database<Uint8Array, Uint8Array> {
    return this.root.openDB<Buffer, Uint8Array>({ name, keyEncoding: 'binary',
      encoding: 'binary' });
  }

  /**
   * LMDB reads through a shared map of its file, and every page a transaction touches stays in
   * the process's resident set (RssFile) until the map goes: appending reads each new leaf page
   * back once, a purge and the startup scan read the old ones, so the whole log ends up
   * resident. Reopening the environment drops the map; LMDB's pages stay in the operating
   * system's cache, so nothing is read from disk again. Writes asked for meanwhile wait and
   * then run in the order asked; the caller must hold no lazy read (an iterator) across it.
   * Reads stay possible throughout: the close runs once no write is under way, at the start of
   * a turn, so it completes in that turn's microtasks before anything else can read.
   */
  async releaseMappedPages(mayRelease: () => boolean = () => true): Promise<void> {
    if (this.closed || this.environment.readOnly === true) return;
    if (this.reopening !== undefined) return this.reopening;
    let reopened!: () => void;
    this.reopening = new Promise((resolve) => (reopened = resolve));
    try {
      while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
      await nextTurnOf(this);
      // A reader that began while the writes finished (a learner's sync stream) holds an
      // iterator: the map stays until the next release.
      if (this.closed || !mayRelease()) return;
      await this.root.close();
      this.root = open(this.environment);
      for (const [name, table] of this.tables) table.reopened(this.openTable(name));
    } finally {
      this.reopening = undefined;
      reopened();
    }
  }

  async write(writes: readonly TableWrite[]): Promise<void> {
    if (writes.length === 0) return;
    while (this.reopening !== undefined) await this.reopening;
    if (this.closed) throw new Error('storage write failed: the storage is closed');
    const written = this.commit(writes);
    this.writing.add(written);
    try {
      await written;
    } finally {
      this.writing.delete(written);
    }
  }

  private async commit(writes: readonly TableWrite[]): Promise<void> {
    // Puts and removes issued in one synchronous run are committed by lmdb-js as one write
    // transaction, in the order issued, with fsync before their promises resolve (overlappingSync
    // is off). We avoid `transaction()`: on a failed commit it leaves an internal promise rejected
    // with no handler, which would kill the process exactly when the disk is full.
    const commits = new Array<Promise<boolean>>(writes.length);
    for (let index = 0; index < writes.length; index++) {
      const { table, key, value } = writes[index]!;
      const database = (table as LmdbTable).database;
      commits[index] = value === undefined ? database.remove(key) : database.put(key, value);
    }
    try {
      await Promise.all(commits);
    } catch (error) {
      // lmdb-js attaches the cause as a second, already rejected promise (`commitError`).
      const commitError = (error as { commitError?: Promise<unknown> }).commitError;
      if (commitError !== undefined) {
        const cause = await commitError.then(() => undefined, (reason: unknown) => reason);
        throw new Error(`storage write failed: ${String(cause)}`, { cause });
      }
      throw error;
    }
  }

  nextTurn(work: () => void): void {
    nextImmediateTurn(work);
  }

  /**
   * lmdb-js commits puts on a later turn of the event loop: closing the environment under a
   * commit still to start throws from that turn, uncaught, and a server stopping on SIGTERM
   * while clients write would exit 1 instead of 0. So the writes issued are let finish (they
   * were fsynced and may have been acknowledged), and later ones are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.reopening;
    await Promise.allSettled([...this.writing]);
    await this.root.close();
  }
}

/** The LMDB environment `corral.lmdb` and the snapshot files under `dataDir`. `readOnly` opens
 * an existing environment without creating or changing anything (inspect-data). */
/**
 * The environment's flush options. `forceSync: false` is ZooKeeper's forceSync=no: commits are
 * written to the operating system but not fsynced, so a process crash loses nothing and a power
 * loss may lose the last acknowledged txns. The operator asks for it; the default never does.
 */
export function lmdbFlushOptions(forceSync: boolean): { noSync: boolean } {
  return { noSync: !forceSync };
}

export function lmdbStorageBackend(
  dataDir: string,
  options: { readOnly?: boolean; forceSync?: boolean } = {},
): StorageBackend {
  return {
    async open(): Promise<BackendSession> {
      const location = join(dataDir, 'corral.lmdb');
      const readOnly = options.readOnly === true;
      // lmdb-js would create its directory 0777 and its files 0664 (less the umask): corral
      // creates the directory itself and gives LMDB the files' mode (mdb_env_open's mode).
      if (!readOnly) await mkdir(location, { recursive: true, mode: directoryMode });
      const environment: RootDatabaseOptionsWithPath & { permissionsMode: number } = {
        path: location,
        ...lmdbDurableOptions,
        ...lmdbFlushOptions(options.forceSync ?? true),
        readOnly,
        permissionsMode: fileMode,
      };
      return new LmdbSession(dataDir, location, environment);
    },
  };
}
