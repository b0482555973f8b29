// The simulated disk's files as one process lifetime sees them (the FileStore the storage logic
// writes snapshots through): changes land in the page cache at once, syncs wait for a flush, and
// a process that has died changes nothing any more.

import type { FileStore, ReadableFile, WritableFile } from '../storage/backend.js';
import type { Operation } from './storage-backend.js';
import type { Inode, MemoryFiles } from './storage-backend-files.js';

/** What the file store needs of its session. */
export interface FileStoreHost {
  readonly memoryFiles: MemoryFiles;
  live(): boolean;
  /** Queues a sync until the simulator flushes it. */
  enqueue(operation: Operation): Promise<void>;
  hasRoomFor(bytes: number): boolean;
  nowMs(): number;
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

class SimulatedWritableFile implements WritableFile {
  /** Where the next writev goes. */
  private position = 0;

  constructor(
    private readonly host: FileStoreHost,
    private readonly inode: Inode,
  ) {}

  async write(bytes: Uint8Array, position: number): Promise<number> {
    if (!this.host.live()) return never();
    this.place(bytes, position);
    return bytes.length;
  }

  async writev(pieces: readonly Uint8Array[]): Promise<void> {
    if (!this.host.live()) return never();
    for (const piece of pieces) {
      this.place(piece, this.position);
      this.position += piece.length;
    }
  }

  /** Writes into the page cache; a full disk refuses it whole (delayed allocation reserves
   * blocks at write time, so ext4 reports ENOSPC from the write itself). */
  private place(bytes: Uint8Array, position: number): void {
    const growth = Math.max(0, position + bytes.length - this.inode.contents.length);
    if (growth > 0 && !this.host.hasRoomFor(growth)) throw noSpace();
    this.inode.write(bytes, position, this.host.nowMs());
  }

  datasync(): Promise<void> {
    return this.sync();
  }

  sync(): Promise<void> {
    // What a sync makes durable is what was written before it was asked for.
    return this.host.enqueue({
      kind: 'file',
      inode: this.inode,
      contents: Buffer.from(this.inode.contents),
    });
  }

  async close(): Promise<void> {}
}

class SimulatedReadableFile implements ReadableFile {
  readonly bytes: number;

  constructor(private readonly inode: Inode) {
    this.bytes = inode.contents.length;
  }

  read(into: Uint8Array, length: number, position: number): number {
    const contents = this.inode.contents;
    const end = Math.min(contents.length, position + length);
    if (end <= position) return 0;
    into.set(contents.subarray(position, end), 0);
    return end - position;
  }

  close(): void {}
}

export class SimulatedFileStore implements FileStore {
  constructor(private readonly host: FileStoreHost) {}

  private get files(): MemoryFiles {
    return this.host.memoryFiles;
  }

  // Directories are implied by the paths of the files in them.
  async makeDirectory(): Promise<void> {}

  async list(directory: string): Promise<string[]> {
    return this.files.list(directory);
  }

  async create(path: string): Promise<WritableFile> {
    if (!this.host.live()) return never();
    return new SimulatedWritableFile(this.host, this.files.create(path, this.host.nowMs()));
  }

  async rename(from: string, to: string): Promise<void> {
    if (!this.host.live()) return never();
    this.files.rename(from, to);
  }

  async remove(path: string): Promise<void> {
    if (!this.host.live()) return never();
    this.files.remove(path);
  }

  syncDirectory(directory: string): Promise<void> {
    const entries = this.files.captureDirectory(directory);
    return this.host.enqueue({ kind: 'directory', directory, entries });
  }

  openForReading(path: string): ReadableFile {
    return new SimulatedReadableFile(this.files.open(path));
  }

  stat(path: string): { bytes: number; modifiedAtMs: number } | undefined {
    if (!this.files.exists(path)) return undefined;
    const inode = this.files.open(path);
    return { bytes: inode.contents.length, modifiedAtMs: inode.modifiedAtMs };
  }
}
