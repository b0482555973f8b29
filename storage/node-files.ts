// The file store over node:fs, as production writes snapshots: asynchronous writes, syncs,
// renames and directory syncs on the thread pool; synchronous reads, for recovery.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import type { FileStore, ReadableFile, WritableFile } from './backend.js';
import { directoryMode, fileMode } from './file-modes.js';

class NodeWritableFile implements WritableFile {
  constructor(private readonly handle: FileHandle) {}

  async write(bytes: Uint8Array, position: number): Promise<number> {
    const { bytesWritten } = await this.handle.write(bytes, 0, bytes.length, position);
    return bytesWritten;
  }

  async writev(pieces: readonly Uint8Array[]): Promise<void> {
    // FileHandle.writev's type asks for a mutable array; it does not change it.
    await this.handle.writev(pieces as Uint8Array[]);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class NodeReadableFile implements ReadableFile {
  constructor(
    private readonly descriptor: number,
    readonly bytes: number,
  ) {}

  read(into: Uint8Array, length: number, position: number): number {
    return readSync(this.descriptor, into, 0, length, position);
  }

  close(): void {
    closeSync(this.descriptor);
  }
}

export const nodeFiles: FileStore = {
  async makeDirectory(path) {
    await mkdir(path, { recursive: true, mode: directoryMode });
  },
  list: (directory) => readdir(directory).catch(() => [] as string[]),
  create: async (path) => new NodeWritableFile(await open(path, 'w', fileMode)),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
  /** Asynchronous: a directory's fsync waits for the file system's journal, which a busy disk
   * can hold for tens of milliseconds, and the event loop must not wait with it. */
  async syncDirectory(directory) {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  openForReading(path) {
    const descriptor = openSync(path, 'r');
    try {
      return new NodeReadableFile(descriptor, statSync(path).size);
    } catch (error) {
      closeSync(descriptor);
      throw error;
    }
  },
  stat(path) {
    try {
      const stats = statSync(path);
      return { bytes: stats.size, modifiedAtMs: stats.mtimeMs };
    } catch {
      return undefined;
    }
  },
};

/** The node event loop's next turn (setImmediate). */
export function nextImmediateTurn(work: () => void): void {
  setImmediate(work);
}

/** What writing a snapshot file needs, outside a backend session (tests, tools). */
export const nodeFileWriting = { files: nodeFiles, nextTurn: nextImmediateTurn };
