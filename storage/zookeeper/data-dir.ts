// A stopped ZooKeeper's data directory, read as ZooKeeper's own startup reads it
// (FileTxnSnapLog.restore): the newest snapshot that is valid (an older one when it is not, as
// FileSnap.deserialize falls back), then every logged txn after its zxid, in the logs
// FileTxnLog.getLogFiles picks, up to the last whole record; plus the epochs a quorum peer keeps.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import {
  epochOf,
  parseFileName,
  snapshotFileName,
  ZooKeeperFormatError,
  type ZooKeeperFileName,
} from './format.js';
import { compressSnapshot, decompressSnapshot } from './snap-stream.js';
import { readSnapshot, writeSnapshot, type ZooKeeperSnapshotDigest } from './snapshot.js';
import { readTxnLogFile, type TornTail } from './txn-log.js';
import { ZooKeeperTree } from './zookeeper-tree.js';

/** FileSnap.deserialize tries at most this many snapshots, newest first. */
const snapshotsTriedMax = 100;
const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const readAcl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

export interface LoadedZooKeeperData {
  tree: ZooKeeperTree;
  /** The last zxid: the snapshot's, or the last txn replayed after it. */
  zxid: number;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The snapshot loaded (undefined when the directory held none: the log alone is replayed). */
  snapshot?: { file: string; zxid: number; digest?: ZooKeeperSnapshotDigest };
  /** Newer snapshots passed over, and why. */
  skippedSnapshots: Array<{ file: string; reason: string }>;
  logFiles: string[];
  txnsReplayed: number;
  tornTails: TornTail[];
  /** ZooKeeper's digest of the tree at `zxid`, when its files hold one: the last replayed
   * txn's TxnDigest, or the snapshot's ZxidDigest when nothing was replayed after it. */
  digest?: { zxid: number; version: number; treeDigest: bigint };
}

/** ZooKeeper keeps its files in <dataDir>/version-2; either directory is accepted. */
export function versionDirectory(dir: string): string {
  const child = join(dir, 'version-2');
  if (basename(dir) !== 'version-2' && existsSync(child) && statSync(child).isDirectory()) {
    return child;
  }
  return dir;
}

function filesOf(dir: string, prefix: 'snapshot' | 'log'): Array<ZooKeeperFileName & {
  file: string }> {
  const found = [];
  for (const name of readdirSync(dir)) {
    const parsed = parseFileName(name, prefix);
    if (parsed !== undefined) found.push({ ...parsed, file: join(dir, name) });
  }
  return found.sort((left, right) => left.zxid - right.zxid);
}

/** SnapStream.isValidSnapshot for an uncompressed file: long enough, ending in a seal. */
function looksSealed(bytes: Buffer): boolean {
  if (bytes.length < 10) return false;
  return bytes.readInt32BE(bytes.length - 5) === 1 && bytes[bytes.length - 1] === 0x2f;
}

/** A DataTree as ZooKeeper's constructor makes it, for a directory without snapshots. */
export function emptyZooKeeperTree(): ZooKeeperTree {
  const tree = new ZooKeeperTree();
  const stat = () => ({ czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0,
    aversion: 0, ephemeralOwner: 0n, pzxid: 0 });
  for (const path of ['/', '/zookeeper', '/zookeeper/quota']) {
    tree.addNode(path, { data: Buffer.alloc(0), acl: openAcl, stat: stat(), children: new Set() });
  }
  tree.addNode('/zookeeper/config', { data: Buffer.alloc(0), acl: readAcl,
    stat: { ...stat(), aversion: -1 }, children: new Set() });
  return tree;
}

function readEpoch(dir: string, name: string): number | undefined {
  const file = join(dir, name);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  if (!/^\d+$/.test(text)) throw new ZooKeeperFormatError(`${file} holds "${text}", not an epoch`);
  return Number(text);
}

/** Loads the newest valid snapshot of `snapshotDir`, or an empty tree when there is none. */
function loadSnapshot(snapshotDir: string, result: LoadedZooKeeperData): void {
  const snapshots = filesOf(snapshotDir, 'snapshot').reverse().slice(0, snapshotsTriedMax);
  for (const candidate of snapshots) {
    try {
      const bytes = readFileSync(candidate.file);
      if (candidate.compression === 'none' && !looksSealed(bytes)) {
        throw new ZooKeeperFormatError('does not end with a seal (torn or not a snapshot)');
      }
      const { tree, digest } = readSnapshot(decompressSnapshot(bytes, candidate.compression));
      tree.lastZxid = candidate.zxid;
      result.tree = tree;
      result.zxid = candidate.zxid;
      result.snapshot = { file: candidate.file, zxid: candidate.zxid,
        ...(digest === undefined ? {} : { digest }) };
      return;
    } catch (error) {
      if (!(error instanceof ZooKeeperFormatError)) throw error;
      result.skippedSnapshots.push({ file: candidate.file, reason: error.message });
    }
  }
  if (snapshots.length > 0) {
    throw new ZooKeeperFormatError(`no valid snapshot in ${snapshotDir} ` +
      `(${result.skippedSnapshots.map((skipped) => `${basename(skipped.file)}: ` +
        skipped.reason).join('; ')})`);
  }
}

/** FileTxnLog.getLogFiles: the last log starting at or before the snapshot, and all after. */
function logFilesAfter(logDir: string, snapshotZxid: number): string[] {
  const logs = filesOf(logDir, 'log');
  let startZxid = 0;
  for (const log of logs) {
    if (log.zxid <= snapshotZxid && log.zxid > startZxid) startZxid = log.zxid;
  }
  return logs.filter((log) => log.zxid >= startZxid).map((log) => log.file);
}

export interface ZooKeeperDirs {
  /** ZooKeeper's dataDir, or its version-2 child. */
  dataDir: string;
  /** dataLogDir when the txn logs are kept apart (either it or its version-2 child). */
  dataLogDir?: string;
}

export function loadZooKeeperData(dirs: ZooKeeperDirs): LoadedZooKeeperData {
  const snapshotDir = versionDirectory(dirs.dataDir);
  const logDir = dirs.dataLogDir === undefined ? snapshotDir : versionDirectory(dirs.dataLogDir);
  for (const dir of new Set([snapshotDir, logDir])) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ZooKeeperFormatError(`${dir} is not a directory`);
    }
  }
  const result: LoadedZooKeeperData = { tree: emptyZooKeeperTree(), zxid: 0, acceptedEpoch: 0,
    currentEpoch: 0, skippedSnapshots: [], logFiles: [], txnsReplayed: 0, tornTails: [] };
  loadSnapshot(snapshotDir, result);
  const snapshotZxid = result.zxid;
  result.logFiles = logFilesAfter(logDir, snapshotZxid);
  // ZooKeeper starts empty on such a directory; an import from it is a mistyped path.
  if (result.snapshot === undefined && result.logFiles.length === 0) {
    throw new ZooKeeperFormatError(`no ZooKeeper snapshot or txn log in ${snapshotDir}` +
      (logDir === snapshotDir ? '' : ` or ${logDir}`));
  }
  result.logFiles.forEach((file, index) => {
    const newest = index === result.logFiles.length - 1;
    for (const entry of readTxnLogFile(readFileSync(file), file, newest, result.tornTails)) {
      // FileTxnIterator starts after the snapshot's zxid: older txns are in it already.
      if (entry.header.zxid <= snapshotZxid) continue;
      result.tree.apply(entry);
      result.txnsReplayed++;
    }
  });
  result.tree.recountQuotas();
  result.zxid = Math.max(snapshotZxid, result.tree.lastZxid);
  const digest = result.txnsReplayed > 0 ? result.tree.lastTxnDigest
    : result.snapshot?.digest === undefined ? undefined
      : { zxid: result.snapshot.digest.zxid, version: result.snapshot.digest.version,
        treeDigest: result.snapshot.digest.digest };
  if (digest !== undefined && digest.zxid === result.zxid) result.digest = digest;
  result.tree.lastZxid = result.zxid;
  const epoch = epochOf(result.zxid);
  result.acceptedEpoch = readEpoch(snapshotDir, 'acceptedEpoch') ?? epoch;
  result.currentEpoch = readEpoch(snapshotDir, 'currentEpoch') ?? epoch;
  return result;
}

export interface ZooKeeperDataWritten {
  snapshotFile: string;
  bytes: number;
}

/**
 * Writes ZooKeeper's files for `tree` into `<dir>/version-2`, which must hold no snapshot or
 * log yet: one uncompressed snapshot named by `zxid` (ZooKeeper reads it whatever its
 * compression setting), with `treeDigest` as its ZxidDigest when given, and
 * acceptedEpoch/currentEpoch as a quorum peer keeps them. Each file is fsynced, then the
 * directory.
 */
export function writeZooKeeperData(
  dir: string,
  tree: ZooKeeperTree,
  zxid: number,
  epochs: { acceptedEpoch: number; currentEpoch: number },
  treeDigest?: bigint,
): ZooKeeperDataWritten {
  const versionDir = join(dir, 'version-2');
  mkdirSync(versionDir, { recursive: true });
  if (readdirSync(versionDir).some((name) => parseFileName(name, 'snapshot') !== undefined ||
    parseFileName(name, 'log') !== undefined)) {
    throw new ZooKeeperFormatError(`${versionDir} already holds ZooKeeper data`);
  }
  const snapshotFile = join(versionDir, snapshotFileName(zxid));
  const bytes = compressSnapshot(writeSnapshot(tree,
    treeDigest === undefined ? undefined : { zxid, treeDigest }), 'none');
  writeDurably(snapshotFile, bytes);
  // QuorumPeer.writeLongToFile: the number as text.
  writeDurably(join(versionDir, 'acceptedEpoch'), Buffer.from(String(epochs.acceptedEpoch)));
  writeDurably(join(versionDir, 'currentEpoch'), Buffer.from(String(epochs.currentEpoch)));
  const directory = openSync(versionDir, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
  return { snapshotFile, bytes: bytes.length };
}

function writeDurably(file: string, bytes: Buffer): void {
  const descriptor = openSync(file, 'wx', 0o644);
  try {
    let written = 0;
    // A write may take less than asked; each pass writes at least a byte, so bytes bound it.
    while (written < bytes.length) written += writeSync(descriptor, bytes, written);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}
