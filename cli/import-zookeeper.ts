// `corral import-zookeeper`: a stopped ZooKeeper's data (its newest valid snapshot and the txn
// log after it) becomes a new corral data dir at the same zxid: the same znodes with every stat
// field, the same ACLs, the live sessions with their ephemerals, and the epochs. The target
// must be empty; nothing is ever written into ZooKeeper's directories.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { lockDataDirs, openReplicaStorage } from '../storage/data-dir.js';
import type { StorageLogger } from '../storage/recovery.js';
import { corralTreeOf } from '../storage/zookeeper/corral-tree.js';
import { loadZooKeeperData, type LoadedZooKeeperData } from '../storage/zookeeper/data-dir.js';
import type { DataTree } from '../tree/data-tree.js';
import { digestVersion } from '../tree/node-digest.js';

export interface ImportZooKeeperOptions {
  /** ZooKeeper's dataDir (or its version-2 child). */
  from: string;
  /** ZooKeeper's dataLogDir, when its txn logs are kept apart. */
  fromLog?: string;
  /** The corral data dir to create; must not exist or be empty. */
  dataDir: string;
}

export interface ImportSummary {
  zxid: number;
  nodes: number;
  sessions: number;
  ephemerals: number;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The imported tree's digest against ZooKeeper's own at the same zxid: `absent` when
   * ZooKeeper's files hold none for it (or of another digest version). */
  digest: 'matches' | 'differs' | 'absent';
  /** What became of ZooKeeper's myid file (an ensemble member's id), if it had one. */
  myid?: string;
  loaded: LoadedZooKeeperData;
}

export class TargetNotEmptyError extends Error {
  constructor(dataDir: string) {
    super(`${dataDir} is not empty: import-zookeeper only creates a new data dir`);
    this.name = 'TargetNotEmptyError';
  }
}

const myIdFile = 'myid';

const hex = (value: number | bigint): string =>
  `0x${BigInt.asUintN(64, BigInt(value)).toString(16)}`;

/** Storage's log lines go nowhere here: the summary says what matters. */
const quietLogger: StorageLogger = { info: () => undefined, warn: () => undefined };

export async function importZooKeeper(
  options: ImportZooKeeperOptions,
  print: (line: string) => void = console.log,
): Promise<ImportSummary> {
  // A replica's myid may already be in place (ZooKeeper's setup writes it first); nothing else.
  if (existsSync(options.dataDir) &&
    readdirSync(options.dataDir).some((name) => name !== myIdFile)) {
    throw new TargetNotEmptyError(options.dataDir);
  }
  // Everything is read and checked before the target is touched: a damaged source leaves none.
  const loaded = loadZooKeeperData({ dataDir: options.from,
    ...(options.fromLog === undefined ? {} : { dataLogDir: options.fromLog }) });
  const tree = corralTreeOf(loaded.tree, loaded.zxid, { extendedTypesEnabled: true });
  mkdirSync(options.dataDir, { recursive: true });
  const locks = await lockDataDirs(options.dataDir, undefined);
  try {
    const storage = await openReplicaStorage(options.dataDir, {}, quietLogger);
    try {
      storage.attach(tree);
      // The tree becomes the data dir's one snapshot, at ZooKeeper's zxid, with an empty log
      // after it: the state a replica is in after a SNAP from its leader.
      if (loaded.zxid > 0) await storage.snapshot();
      await storage.epochs.setAcceptedEpoch(loaded.acceptedEpoch);
      await storage.epochs.setCurrentEpoch(loaded.currentEpoch);
    } finally {
      await storage.close();
    }
  } finally {
    for (const lock of locks) await lock.release();
  }
  const myid = copyMyId(options.from, options.dataDir);
  const summary: ImportSummary = {
    zxid: loaded.zxid,
    nodes: loaded.tree.nodes.size,
    sessions: loaded.tree.sessions.size,
    ephemerals: [...loaded.tree.sessions.keys()]
      .reduce((total, session) => total + loaded.tree.ephemeralsOf(session).size, 0),
    acceptedEpoch: loaded.acceptedEpoch,
    currentEpoch: loaded.currentEpoch,
    digest: compareDigest(tree, loaded),
    myid,
    loaded,
  };
  printSummary(summary, options, print);
  return summary;
}

/**
 * ZooKeeper's DataTree.compareDigest, once, at the end: corral keeps ZooKeeper's tree digest
 * (tree/node-digest.ts), so the imported tree must sum to what ZooKeeper stamped for that zxid.
 * A difference is reported, not fatal, as ZooKeeper only logs one.
 */
function compareDigest(tree: DataTree, loaded: LoadedZooKeeperData): ImportSummary['digest'] {
  const expected = loaded.digest;
  if (expected === undefined || expected.version !== digestVersion) return 'absent';
  return BigInt.asIntN(64, tree.treeDigest) === BigInt.asIntN(64, expected.treeDigest)
    ? 'matches' : 'differs';
}

/**
 * A quorum peer's dataDir holds its id in `myid`, which corral reads from its own data dir as
 * ZooKeeper does: copied, so the replica keeps its id with the same zoo.cfg.
 */
function copyMyId(from: string, dataDir: string): string | undefined {
  const parent = basename(from) === 'version-2' ? dirname(from) : from;
  const source = join(parent, myIdFile);
  const target = join(dataDir, myIdFile);
  if (!existsSync(source)) return undefined;
  if (existsSync(target)) {
    const ours = readFileSync(target, 'utf8').trim();
    const theirs = readFileSync(source, 'utf8').trim();
    if (ours !== theirs) return `${target} kept: ${ours} (ZooKeeper's says ${theirs})`;
    return `${target} kept`;
  }
  copyFileSync(source, target);
  return `copied from ${source}`;
}

function printSummary(
  summary: ImportSummary,
  options: ImportZooKeeperOptions,
  print: (line: string) => void,
): void {
  const { loaded } = summary;
  print(`imported ${options.from} into ${options.dataDir}`);
  print(`zxid              ${hex(summary.zxid)}`);
  print(`znodes            ${summary.nodes}`);
  print(`sessions          ${summary.sessions} (${summary.ephemerals} ephemerals)`);
  print(`acceptedEpoch     ${summary.acceptedEpoch}`);
  print(`currentEpoch      ${summary.currentEpoch}`);
  if (summary.myid !== undefined) print(`myid              ${summary.myid}`);
  print(`snapshot          ${loaded.snapshot === undefined ? 'none'
    : `${basename(loaded.snapshot.file)} (zxid ${hex(loaded.snapshot.zxid)})`}`);
  for (const skipped of loaded.skippedSnapshots) {
    print(`skipped snapshot  ${basename(skipped.file)}: ${skipped.reason}`);
  }
  print(`txns replayed     ${loaded.txnsReplayed} from ${loaded.logFiles.length} log file(s)`);
  print(`tree digest       ${summary.digest === 'absent' ? 'none recorded by ZooKeeper'
    : summary.digest === 'matches' ? `matches ZooKeeper's at ${hex(summary.zxid)}`
      : `DIFFERS from ZooKeeper's at ${hex(summary.zxid)}`}`);
  for (const torn of loaded.tornTails) {
    print(`log tail ignored  ${basename(torn.file)} at byte ${torn.offset}: ${torn.reason}`);
  }
}
