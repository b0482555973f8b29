// The simulated disk's files, as ext4 (data=ordered) keeps them, simplified: what a process
// writes, creates, renames or removes it sees at once (the page cache); a file's contents become
// durable when a sync of that file completes, and a directory's entries (creations, renames,
// removals) when a sync of that directory does. A power loss keeps only what was made durable.

import { basename, dirname } from 'node:path';

/** One file's contents, as the process sees them and as the disk holds them. */
export class Inode {
  private buffer: Buffer = Buffer.alloc(0);
  private length = 0;
  /** What a power loss keeps: the contents as of the last completed sync. */
  durableContents: Buffer = Buffer.alloc(0);

  constructor(public modifiedAtMs: number) {}

  /** The contents the process sees (a view: copy it to keep it). */
  get contents(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  write(bytes: Uint8Array, position: number, nowMs: number): void {
    const end = position + bytes.length;
    if (end > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(end, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, position);
    this.length = Math.max(this.length, end);
    this.modifiedAtMs = nowMs;
  }

  /** Replaces the contents outright (a power loss, or damage). */
  reset(contents: Buffer): void {
    this.buffer = Buffer.from(contents);
    this.length = contents.length;
  }
}

function notFound(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}' (simulated)`), {
    code: 'ENOENT',
  });
}

export class MemoryFiles {
  /** Path → file, as the running process sees the namespace. */
  private visible = new Map<string, Inode>();
  /** Path → file, as the disk holds the namespace (what a power loss keeps). */
  private durable = new Map<string, Inode>();

  create(path: string, nowMs: number): Inode {
    const inode = new Inode(nowMs);
    this.visible.set(path, inode);
    return inode;
  }

  rename(from: string, to: string): void {
    const inode = this.visible.get(from);
    if (inode === undefined) throw notFound(from);
    this.visible.delete(from);
    this.visible.set(to, inode);
  }

  remove(path: string): void {
    this.visible.delete(path);
  }

  list(directory: string): string[] {
    return [...this.visible.keys()]
      .filter((path) => dirname(path) === directory)
      .map((path) => basename(path));
  }

  /** The file at `path` as the process sees it; throws ENOENT when there is none. */
  open(path: string): Inode {
    const inode = this.visible.get(path);
    if (inode === undefined) throw notFound(path);
    return inode;
  }

  exists(path: string): boolean {
    return this.visible.has(path);
  }

  /** Bytes the files hold, for the disk's capacity. */
  get bytes(): number {
    let total = 0;
    for (const inode of this.visible.values()) total += inode.contents.length;
    return total;
  }

  /** The entries of `directory` now, to be made durable when its sync completes. */
  captureDirectory(directory: string): Map<string, Inode> {
    const captured = new Map<string, Inode>();
    for (const [path, inode] of this.visible) {
      if (dirname(path) === directory) captured.set(path, inode);
    }
    return captured;
  }

  /** A directory sync completed: the disk's entries in `directory` become `captured`. */
  settleDirectory(directory: string, captured: ReadonlyMap<string, Inode>): void {
    for (const path of [...this.durable.keys()]) {
      if (dirname(path) === directory && !captured.has(path)) this.durable.delete(path);
    }
    for (const [path, inode] of captured) this.durable.set(path, inode);
  }

  /** Power loss: the process's view becomes what the disk holds, unsynced writes gone. */
  powerLoss(): void {
    const kept = new Map<string, Inode>();
    for (const [path, inode] of this.durable) {
      const survivor = new Inode(inode.modifiedAtMs);
      survivor.reset(inode.durableContents);
      survivor.durableContents = Buffer.from(inode.durableContents);
      kept.set(path, survivor);
    }
    this.durable = kept;
    this.visible = new Map(kept);
  }

  /** Flips one byte of a file the disk holds (and that the process sees, if it is the same). */
  corrupt(path: string, byteIndex: number | undefined): void {
    const inode = this.durable.get(path);
    if (inode === undefined || inode.durableContents.length === 0) {
      throw new Error(`simulated disk: no durable contents at ${path} to corrupt`);
    }
    const durable = Buffer.from(inode.durableContents);
    const index = Math.min(byteIndex ?? durable.length >> 1, durable.length - 1);
    durable[index]! ^= 0xff;
    inode.durableContents = durable;
    if (this.visible.get(path) === inode && inode.contents.length > index) {
      const seen = Buffer.from(inode.contents);
      seen[index]! ^= 0xff;
      inode.reset(seen);
    }
  }

  /** Paths the disk holds, sorted (tests, traces). */
  durablePaths(): string[] {
    return [...this.durable.keys()].sort();
  }

  /** Paths the process sees, sorted. */
  visiblePaths(): string[] {
    return [...this.visible.keys()].sort();
  }

  wipe(): void {
    this.visible.clear();
    this.durable.clear();
  }
}
