// `corral export-zookeeper`: a stopped corral data dir written back in ZooKeeper's format (one
// snapshot at the data dir's last zxid, with the session table, plus the epoch files), so an
// Apache ZooKeeper started on the output serves the same tree: the way back after a migration.

import { basename, join } from 'node:path';
import { lockDataDirs, openReplicaStorage } from '../storage/data-dir.js';
import type { StorageLogger } from '../storage/recovery.js';
import { DataTree } from '../tree/data-tree.js';
import { zookeeperTreeOf } from '../storage/zookeeper/corral-tree.js';
import { writeZooKeeperData } from '../storage/zookeeper/data-dir.js';
import { NotADataDirError } from './inspect-data.js';
import { existsSync } from 'node:fs';

export interface ExportZooKeeperOptions {
  dataDir: string;
  /** ZooKeeper's dataDir to write; its version-2 must hold no snapshot or log yet. */
  to: string;
}

export interface ExportSummary {
  zxid: number;
  nodes: number;
  sessions: number;
  snapshotFile: string;
  bytes: number;
}

const hex = (value: number): string => `0x${value.toString(16)}`;
const quietLogger: StorageLogger = { info: () => undefined, warn: () => undefined };

export async function exportZooKeeper(
  options: ExportZooKeeperOptions,
  print: (line: string) => void = console.log,
): Promise<ExportSummary> {
  if (!existsSync(join(options.dataDir, 'corral.lmdb'))) {
    throw new NotADataDirError(options.dataDir);
  }
  // The lock refuses a data dir a running server holds: its state would move under the export.
  const locks = await lockDataDirs(options.dataDir, undefined);
  let tree: DataTree;
  let acceptedEpoch: number;
  let currentEpoch: number;
  try {
    const storage = await openReplicaStorage(options.dataDir, {}, quietLogger);
    try {
      // As a server recovers: the newest whole snapshot, then the log after it.
      tree = new DataTree({ extendedTypesEnabled: true });
      await storage.restoreInto(tree);
      storage.detach();
      for (const txn of storage.readFrom(tree.lastZxid)) tree.apply(txn);
      acceptedEpoch = storage.epochs.acceptedEpoch();
      currentEpoch = storage.epochs.currentEpoch();
    } finally {
      await storage.close();
    }
  } finally {
    for (const lock of locks) await lock.release();
  }
  const zookeeperTree = zookeeperTreeOf(tree);
  const zxid = zookeeperTree.lastZxid;
  // The tree digest (ZooKeeper's, tree/node-digest.ts) lets ZooKeeper check what it loads.
  const written = writeZooKeeperData(options.to, zookeeperTree, zxid,
    { acceptedEpoch, currentEpoch }, tree.treeDigest);
  const summary: ExportSummary = {
    zxid,
    nodes: zookeeperTree.nodes.size,
    sessions: zookeeperTree.sessions.size,
    snapshotFile: written.snapshotFile,
    bytes: written.bytes,
  };
  print(`exported ${options.dataDir} to ${options.to}`);
  print(`zxid              ${hex(zxid)}`);
  print(`znodes            ${summary.nodes}`);
  print(`sessions          ${summary.sessions}`);
  print(`acceptedEpoch     ${acceptedEpoch}`);
  print(`currentEpoch      ${currentEpoch}`);
  print(`snapshot          ${basename(written.snapshotFile)} (${written.bytes} bytes)`);
  return summary;
}
