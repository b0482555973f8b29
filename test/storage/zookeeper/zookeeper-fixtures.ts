// ZooKeeper data dirs made for tests: txn log entries of each kind, a history applied through
// the ZooKeeper tree model, and snapshot and log files written as ZooKeeper lays them out.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpCode } from '../../../protocol/constants.js';
import type { ACL } from '../../../protocol/records.js';
import {
  snapshotFileName,
  txnLogFileName,
  type ZooKeeperCompression,
} from '../../../storage/zookeeper/format.js';
import { compressSnapshot } from '../../../storage/zookeeper/snap-stream.js';
import { writeSnapshot } from '../../../storage/zookeeper/snapshot.js';
import { encodeTxnLogFile } from '../../../storage/zookeeper/txn-log.js';
import type { ZooKeeperLogEntry, ZooKeeperTxn } from '../../../storage/zookeeper/txn-records.js';
import { ZooKeeperTree } from '../../../storage/zookeeper/zookeeper-tree.js';
import { emptyZooKeeperTree } from '../../../storage/zookeeper/data-dir.js';

export const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
export const digestAcl: ACL[] = [{ perms: 31,
  id: { scheme: 'digest', id: 'alice:+Ir5sN1lGJEEs8xBZhZXKvjLJ7c=' } }];
export const sessionA = 0x100000a0000001n;
export const sessionB = 0x100000a0000002n;

export function entry(zxid: number, txn: ZooKeeperTxn, sessionId = sessionA): ZooKeeperLogEntry {
  return { header: { sessionId, cxid: zxid % 0x1000, zxid, time: 1_700_000_000_000 + zxid * 1000,
    type: txn.type }, txn };
}

export function create(path: string, data: Buffer | null, parentCVersion: number,
  options: { ephemeral?: boolean; acl?: ACL[]; type?: number } = {}): ZooKeeperTxn {
  return { kind: 'create', type: options.type ?? OpCode.create2, path, data,
    acl: options.acl ?? openAcl, ephemeral: options.ephemeral ?? false, parentCVersion };
}

/** A history of every txn kind ZooKeeper 3.8 logs, zxids 1..n in epoch 1. */
export function history(): ZooKeeperLogEntry[] {
  const epoch = 0x1_0000_0000;
  const txns: Array<[ZooKeeperTxn, bigint?]> = [
    [{ kind: 'createSession', type: OpCode.createSession, timeoutMs: 30_000 }],
    [{ kind: 'createSession', type: OpCode.createSession, timeoutMs: 10_000 }, sessionB],
    [create('/app', Buffer.from('root'), 1)],
    [create('/app/a', null, 1)],
    [create('/app/empty', Buffer.alloc(0), 2, { type: OpCode.create })],
    [create('/app/lock', Buffer.from('held'), 3, { ephemeral: true })],
    [create('/app/gone', Buffer.from('g'), 4, { ephemeral: true }), sessionB],
    [{ kind: 'setData', type: OpCode.setData, path: '/app/a', data: Buffer.from('v1'),
      version: 1 }],
    [{ kind: 'setACL', type: OpCode.setACL, path: '/app/a', acl: digestAcl, version: 1 }],
    [{ kind: 'createContainer', type: OpCode.createContainer, path: '/app/box',
      data: Buffer.alloc(0), acl: openAcl, parentCVersion: 5 }],
    [{ kind: 'createTTL', type: OpCode.createTTL, path: '/app/ttl', data: Buffer.from('t'),
      acl: openAcl, parentCVersion: 6, ttlMs: 60_000n }],
    [{ kind: 'multi', type: OpCode.multi, ops: [
      create('/app/m1', Buffer.from('1'), 7),
      { kind: 'check', type: OpCode.check, path: '/app/a', version: 1 },
      { kind: 'setData', type: OpCode.setData, path: '/app', data: Buffer.from('r2'),
        version: 1 },
    ] }],
    [{ kind: 'multi', type: OpCode.multi, ops: [
      { kind: 'error', type: OpCode.error, err: 0 },
      { kind: 'error', type: OpCode.error, err: -101 },
    ] }],
    [{ kind: 'error', type: OpCode.error, err: -110 }],
    [{ kind: 'delete', type: OpCode.delete, path: '/app/empty' }],
    [{ kind: 'closeSession', type: OpCode.closeSession, paths: ['/app/gone'] }, sessionB],
    [{ kind: 'setData', type: OpCode.reconfig, path: '/zookeeper/config',
      data: Buffer.from('server.1=127.0.0.1:1:2:participant;127.0.0.1:3\nversion=1'),
      version: 1 }],
    [create('/app/a/child-0000000000', Buffer.from('c'), 1)],
  ];
  return txns.map(([txn, session], index) => entry(epoch + index + 1, txn, session));
}

/** A ZooKeeper tree as its constructor makes it, then `entries` applied. */
export function treeAfter(entries: readonly ZooKeeperLogEntry[]): ZooKeeperTree {
  const tree = emptyZooKeeperTree();
  for (const logged of entries) tree.apply(logged);
  tree.recountQuotas();
  return tree;
}

export interface DirFiles {
  snapshots?: Array<{ zxid: number; tree: ZooKeeperTree; compression?: ZooKeeperCompression }>;
  logs?: Array<{ zxid: number; file: Buffer }>;
}

/** Writes snapshot and log files into `<dir>/version-2`, as ZooKeeper names them. */
export function writeZooKeeperDir(dir: string, files: DirFiles): string {
  const versionDir = join(dir, 'version-2');
  mkdirSync(versionDir, { recursive: true });
  for (const snapshot of files.snapshots ?? []) {
    const compression = snapshot.compression ?? 'none';
    const suffix = compression === 'none' ? '' : `.${compression}`;
    writeFileSync(join(versionDir, `${snapshotFileName(snapshot.zxid)}${suffix}`),
      compressSnapshot(writeSnapshot(snapshot.tree), compression));
  }
  for (const log of files.logs ?? []) {
    writeFileSync(join(versionDir, txnLogFileName(log.zxid)), log.file);
  }
  return versionDir;
}

export function logFile(entries: readonly ZooKeeperLogEntry[], preallocated = 4096): Buffer {
  return encodeTxnLogFile(entries, preallocated);
}

/** A tree as plain values, for deep equality: every node's data, ACL and stat; sessions. */
export function describeTree(tree: ZooKeeperTree): object {
  const nodes: Record<string, object> = {};
  for (const [path, node] of [...tree.nodes].sort(([left], [right]) =>
    (left < right ? -1 : 1))) {
    nodes[path] = { data: node.data?.toString('hex') ?? null, acl: node.acl,
      stat: { ...node.stat, ephemeralOwner: String(node.stat.ephemeralOwner) },
      children: [...node.children].sort() };
  }
  const sessions = [...tree.sessions].map(([id, timeout]) => `${id}:${timeout}`).sort();
  return { nodes, sessions };
}
