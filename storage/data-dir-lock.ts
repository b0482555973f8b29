// One server per data dir. Two processes appending to one LMDB environment would hand out the
// same zxids and lose acknowledged writes, so a server holds an exclusive lock on its data dir
// for as long as it runs. The lock is a local socket named after the directory's device and
// inode: the kernel binds a name to one listener at a time and frees it the instant the process
// dies (kill -9 included), so a crashed server never leaves a stale lock and a restart never
// waits. Node has no flock(2); a native addon would need a compiler on every machine, and lock
// files judged by PID or mtime go stale, race when two starters break one, or (mtime) are lost
// by a paused holder. The holder answers whoever connects with its PID and host, so the second
// server can name it; the same record sits in `corral.lock` for operators.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryMode, fileMode } from './file-modes.js';

/** Who holds a data dir, as the holder tells it. */
export interface DataDirHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  since: string;
}

/** The informational record beside the lock, for operators (`cat corral.lock`). */
export const lockFileName = 'corral.lock';

/** How long a starting server waits for the holder to say who it is. */
const holderAnswerMs = 1000;
/** Attempts to bind when the name was freed between a refused bind and the connect. */
const bindAttemptsMax = 5;

export class DataDirLockedError extends Error {
  constructor(
    readonly directory: string,
    readonly holder: DataDirHolder | undefined,
  ) {
    const who =
      holder === undefined
        ? 'another process (it did not say which)'
        : `process ${holder.pid} on ${holder.host} (since ${holder.since})`;
    super(`${directory} is in use by ${who}: one server per data dir`);
    this.name = 'DataDirLockedError';
  }
}

/**
 * The socket name for a directory: abstract on Linux, a pipe on Windows (both vanish with their
 * process), a socket file in the temp dir elsewhere. The file can outlive a crash; it is removed
 * when nobody answers on it, which leaves a small race between two servers starting at once on
 * such systems that Linux and Windows do not have.
 */
function lockAddress(directory: string): string {
  const stats = statSync(directory, { bigint: true });
  const identity = `${stats.dev}:${stats.ino}`;
  if (process.platform === 'linux') return `\0corral-data-dir:${identity}`;
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 24);
  if (process.platform === 'win32') return `\\\\?\\pipe\\corral-data-dir-${digest}`;
  return join(tmpdir(), `corral-data-dir-${digest}.sock`);
}

export class DataDirLock {
  private constructor(
    readonly directory: string,
    private readonly address: string,
    private readonly server: Server,
    readonly holder: DataDirHolder,
  ) {}

  /**
   * True when `directory` (created 0700 if missing, as acquire would) is the locked one, by
   * device and inode: a symlink or bind mount of it too.
   */
  covers(directory: string): boolean {
    mkdirSync(directory, { recursive: true, mode: directoryMode });
    return lockAddress(directory) === this.address;
  }

  /**
   * Takes the lock on `directory` (created 0700 if missing), or throws DataDirLockedError naming
   * the process that holds it.
   */
  static async acquire(directory: string): Promise<DataDirLock> {
    mkdirSync(directory, { recursive: true, mode: directoryMode });
    const address = lockAddress(directory);
    const holder: DataDirHolder = {
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    };
    const record = `${JSON.stringify(holder)}\n`;
    for (let attempt = 1; attempt <= bindAttemptsMax; attempt++) {
      const server = createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(record);
      });
      const bound = await bind(server, address);
      if (bound === 'bound') {
        server.unref();
        const lock = new DataDirLock(directory, address, server, holder);
        await writeFile(join(directory, lockFileName), record, { mode: fileMode });
        return lock;
      }
      const other = await askHolder(address);
      if (other === 'gone') {
        // A file socket left by a crash (not Linux or Windows): nobody listens on it any more.
        if (!address.startsWith('\0') && !address.startsWith('\\\\')) {
          await rm(address, { force: true });
        }
        continue;
      }
      // A holder that does not answer (paused) still wrote who it is beside the lock.
      throw new DataDirLockedError(directory, other ?? readLockFile(directory));
    }
    throw new DataDirLockedError(directory, undefined);
  }

  /** Gives the lock up (the process's death does too). */
  async release(): Promise<void> {
    await rm(join(this.directory, lockFileName), { force: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function bind(server: Server, address: string): Promise<'bound' | 'inUse'> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('inUse');
      else reject(error);
    });
    server.listen(address, () => resolve('bound'));
  });
}

/**
 * Asks the listener at `address` who it is: its record, undefined when it accepts but does not
 * answer in time (a paused process still holds the lock), 'gone' when nobody listens.
 */
function askHolder(address: string): Promise<DataDirHolder | undefined | 'gone'> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let text = '';
    const finish = (result: DataDirHolder | undefined | 'gone') => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), holderAnswerMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) finish(undefined);
    });
    socket.on('end', () => finish(parseHolder(text)));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'gone' : undefined),
    );
  });
}

function readLockFile(directory: string): DataDirHolder | undefined {
  try {
    return parseHolder(readFileSync(join(directory, lockFileName), 'utf8'));
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): DataDirHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<DataDirHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return { pid: value.pid, host: value.host, since: String(value.since ?? '') };
  } catch {
    return undefined;
  }
}
