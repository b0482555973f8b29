// `corral backup` and `corral restore`: an online backup through a server's admin `snapshot`
// command, written to a file only once it arrived whole (every frame checked), and its restore
// through the admin `restore` command of a new ensemble's leader (see actors/operations/
// admin-backup.ts for what the server does).

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { visitSnapshotStream } from '../storage/snapshot-stream.js';
import {
  adminRequest,
  type AdminAddress,
  authorizationHeader,
  parseAdminAddress,
  readText,
  refusalText,
} from './admin-client.js';

export interface BackupFlags {
  admin: string;
  out: string;
  auth?: string;
  commandUrl: string;
  timeout: string;
}

export interface RestoreFlags {
  admin: string;
  in: string;
  auth?: string;
  commandUrl: string;
  timeout: string;
}

/** The flags both commands take beside their file. */
export function addAdminFlags(command: Command): Command {
  return command
    .requiredOption('--admin <host:port>', 'the admin server (admin.serverAddress:serverPort)')
    .option('--auth <scheme:credentials>', 'credentials as zkCli addauth takes them, e.g. ' +
      'digest:user:password (sent as ZooKeeper 3.9\'s Authorization header)')
    .option('--command-url <path>', 'the server\'s admin.commandURL', '/commands')
    .option('--timeout <ms>', 'give up when the server is silent this long', '30000');
}

function timeoutOf(text: string): number {
  const timeoutMs = Number(text);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout ${text}`);
  return timeoutMs;
}

/** A backup file's frames are read and checked at most this large (snapshot-format.ts). */
const backupFrameBytesMax = 1 << 30;

/** Checks a backup file whole, a frame at a time (it may be far larger than memory); its zxid. */
async function checkBackup(file: string): Promise<number> {
  const { zxid } = await visitSnapshotStream(file, createReadStream(file), {},
    backupFrameBytesMax);
  return zxid;
}

/** Streams the snapshot to `<out>.partial`, checks it, then renames it to `out` (fsynced), so
 * `out` is only ever a whole backup. Answers what was written. */
export async function runBackup(flags: BackupFlags): Promise<{ zxid: number; bytes: number }> {
  const address = parseAdminAddress(flags.admin);
  const base = flags.commandUrl.replace(/\/+$/, '');
  const response = await adminRequest({
    address,
    path: `${base}/snapshot?streaming=true`,
    authorization: authorizationHeader(flags.auth),
    timeoutMs: timeoutOf(flags.timeout),
  });
  if (response.statusCode !== 200 || response.headers['content-type'] !==
    'application/octet-stream') {
    const text = await readText(response);
    throw new Error(`backup refused: ${refusalText(response.statusCode, text)}`);
  }
  const partial = `${flags.out}.partial`;
  try {
    const file = createWriteStream(partial);
    response.pipe(file);
    await Promise.race([
      once(file, 'finish'),
      once(response, 'error').then(([error]) => Promise.reject(error as Error)),
      once(response, 'aborted').then(() => Promise.reject(new Error('backup stream cut'))),
    ]);
    const { size: bytes } = await stat(partial);
    const declared = response.trailers.snapshot_size;
    if (declared !== undefined && Number(declared) !== bytes) {
      throw new Error(`backup cut short: ${bytes} of ${declared} bytes`);
    }
    const zxid = await checkBackup(partial);
    const header = response.headers.last_zxid;
    if (header !== undefined && Number(header) !== zxid) {
      throw new Error(`backup holds zxid 0x${zxid.toString(16)}, the server said ${header}`);
    }
    await syncFile(partial);
    await rename(partial, flags.out);
    await syncFile(dirname(flags.out));
    return { zxid, bytes };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Checks the backup file frame by frame, then streams it to the restore command; the server's
 * answer. Neither step holds more than a frame of it in memory, whatever its size.
 */
export async function runRestore(flags: RestoreFlags): Promise<Record<string, unknown>> {
  const address = parseAdminAddress(flags.admin);
  await checkBackup(flags.in);
  const { size } = await stat(flags.in);
  const base = flags.commandUrl.replace(/\/+$/, '');
  const response = await postFile(address, `${base}/restore`, flags.in, size,
    authorizationHeader(flags.auth), timeoutOf(flags.timeout));
  const text = await readText(response);
  if (response.statusCode !== 200) {
    throw new Error(`restore refused: ${refusalText(response.statusCode, text)}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** POSTs a file as the body, streamed (the server reads it as fast as it restores it). The
 * timeout bounds every pause of the exchange, as adminRequest's does. */
function postFile(address: AdminAddress, path: string, file: string, size: number,
  authorization: string | undefined, timeoutMs: number): Promise<IncomingMessage> {
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': size,
  };
  if (authorization !== undefined) headers.Authorization = authorization;
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: address.host, port: address.port, path, method: 'POST',
      headers, timeout: timeoutMs }, resolve);
    request.on('timeout', () => request.destroy(new Error(`admin server ${address.host}:` +
      `${address.port} was silent for ${timeoutMs} ms`)));
    request.on('error', reject);
    const body = createReadStream(file);
    body.on('error', (error) => request.destroy(error));
    // An answer given before the whole body went (a refusal) ends the upload.
    request.on('response', () => body.destroy());
    body.pipe(request);
  });
}

/** Registers `backup` and `restore` on the program. */
export function addBackupCommands(program: Command): void {
  addAdminFlags(program
    .command('backup')
    .description('stream an online backup (the admin snapshot command) to a file')
    .requiredOption('--out <file>', 'where to write the backup'))
    .action(async (flags: BackupFlags) => {
      const { zxid, bytes } = await runBackup(flags);
      console.log(`backup at zxid 0x${zxid.toString(16)} (${bytes} bytes) written to ${flags.out}`);
    });
  addAdminFlags(program
    .command('restore')
    .description('restore a backup into a new ensemble (the admin restore command, on its leader)')
    .requiredOption('--in <file>', 'the backup to restore'))
    .action(async (flags: RestoreFlags) => {
      const answer = await runRestore(flags);
      const zxid = Number(answer.last_zxid);
      console.log(`restored ${String(answer.node_count)} znodes of the backup at zxid ` +
        `0x${zxid.toString(16)} (restore txn ${String(answer.restore_zxid)}, begun at ` +
        `${String(answer.begin_zxid)}, ${String(answer.chunks)} chunks)`);
    });
}
