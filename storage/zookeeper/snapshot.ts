// ZooKeeper's snapshot file, as FileSnap writes it: a FileHeader (ZKSN, 2, dbId), the session
// table (SerializeUtils.serializeSnapshot), the DataTree (its ACL cache, then every node
// parents first: path, data, ACL reference, StatPersisted, ending with the path "/"), sealed by
// the Adler-32 of everything before it and "/"; since 3.6 a ZxidDigest follows, sealed again.

import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { readAclList, writeAclList, type ACL } from '../../protocol/records.js';
import {
  adler32,
  fileFormatVersion,
  snapshotDbId,
  snapshotMagic,
  ZooKeeperFormatError,
} from './format.js';
import { ZooKeeperTree, type StatPersisted, type ZooKeeperNode } from './zookeeper-tree.js';

/** ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID: ZooDefs.Ids.OPEN_ACL_UNSAFE, never stored. */
const openUnsafeAclId = -1n;
const openAclUnsafe: readonly ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** DigestCalculator's version; 2 and later store the digest as a long. */
const digestVersion = 2;

export interface ZooKeeperSnapshotDigest {
  zxid: number;
  version: number;
  digest: bigint;
}

export interface ReadSnapshot {
  tree: ZooKeeperTree;
  /** The ZxidDigest a 3.6+ snapshot carries (zxid 0: none was known when it was written). */
  digest?: ZooKeeperSnapshotDigest;
}

function readStatPersisted(reader: JuteReader): StatPersisted {
  return {
    czxid: reader.longNumber(),
    mzxid: reader.longNumber(),
    ctime: reader.longNumber(),
    mtime: reader.longNumber(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.long(),
    pzxid: reader.longNumber(),
  };
}

function offsetOf(raw: Buffer, reader: JuteReader): number {
  return raw.length - reader.remaining;
}

/** SnapStream.checkSealIntegrity: the checksum of every byte so far, then "/". */
function checkSeal(raw: Buffer, reader: JuteReader): void {
  const sum = adler32(raw.subarray(0, offsetOf(raw, reader)));
  const stored = reader.long();
  const marker = reader.ustringOrNull();
  if (stored !== BigInt(sum)) {
    throw new ZooKeeperFormatError(`checksum mismatch (stored ${stored}, computed ${sum})`);
  }
  if (marker !== '/') throw new ZooKeeperFormatError('seal lacks its "/" marker');
}

/** The tree and sessions of a snapshot's uncompressed bytes; throws ZooKeeperFormatError on
 * any damage (a bad checksum, a short record), as FileSnap.deserialize's IOException. */
export function readSnapshot(raw: Buffer): ReadSnapshot {
  try {
    return readSnapshotRecords(raw);
  } catch (error) {
    if (error instanceof ZooKeeperFormatError) throw error;
    throw new ZooKeeperFormatError(error instanceof Error ? error.message : String(error));
  }
}

function readSnapshotRecords(raw: Buffer): ReadSnapshot {
  const reader = new JuteReader(raw);
  const magic = reader.int();
  if (magic !== snapshotMagic) throw new ZooKeeperFormatError(`bad magic 0x${magic.toString(16)}`);
  reader.int();
  reader.long();
  const tree = new ZooKeeperTree();
  for (let count = reader.int(); count > 0; count--) {
    tree.sessions.set(reader.long(), reader.int());
  }
  const acls = new Map<bigint, readonly ACL[]>([[openUnsafeAclId, openAclUnsafe]]);
  for (let count = reader.int(); count > 0; count--) {
    const id = reader.long();
    acls.set(id, readAclList(reader) ?? []);
  }
  for (let path = reader.ustring(); path !== '/'; path = reader.ustring()) {
    const data = reader.bufferOrNull();
    const aclId = reader.long();
    const stat = readStatPersisted(reader);
    const acl = acls.get(aclId);
    if (acl === undefined) throw new ZooKeeperFormatError(`${path}: unknown ACL ${aclId}`);
    const node: ZooKeeperNode = { data: data === null ? null : Buffer.from(data), acl, stat,
      children: new Set() };
    tree.addNode(path === '' ? '/' : path, node);
  }
  if (!tree.nodes.has('/')) throw new ZooKeeperFormatError('snapshot holds no root node');
  checkSeal(raw, reader);
  if (reader.remaining === 0) return { tree };
  // FileSnap.deserialize: a ZxidDigest, then a second seal.
  const zxid = reader.longNumber();
  const version = reader.int();
  const digest = version < 2 ? BigInt(`0x${reader.ustringOrNull() ?? '0'}`) : reader.long();
  checkSeal(raw, reader);
  return { tree, digest: { zxid, version, digest } };
}

function writeStatPersisted(writer: JuteWriter, stat: StatPersisted): void {
  writer.long(stat.czxid).long(stat.mzxid).long(stat.ctime).long(stat.mtime)
    .int(stat.version).int(stat.cversion).int(stat.aversion).long(stat.ephemeralOwner)
    .long(stat.pzxid);
}

function seal(writer: JuteWriter): void {
  writer.long(adler32(writer.body())).ustring('/');
}

/**
 * The snapshot bytes ZooKeeper 3.8 writes for `tree` (uncompressed). `digest`, the tree digest
 * at the snapshot's zxid, becomes its ZxidDigest, which ZooKeeper compares with its own as it
 * loads; without it the ZxidDigest is empty (zxid 0) and nothing is compared.
 */
export function writeSnapshot(
  tree: ZooKeeperTree,
  digest: { zxid: number; treeDigest: bigint } = { zxid: 0, treeDigest: 0n },
): Buffer {
  const writer = new JuteWriter(1 << 16);
  writer.int(snapshotMagic).int(fileFormatVersion).long(snapshotDbId);
  writer.int(tree.sessions.size);
  for (const [sessionId, timeoutMs] of tree.sessions) writer.long(sessionId).int(timeoutMs);
  // The ACL cache: one entry per distinct list, numbered from 1 as ZooKeeper numbers them.
  // Nodes mostly share their ACL arrays, so they are looked up by identity before by content.
  const aclIds = new Map<string, bigint>();
  const aclIdOf = new Map<readonly ACL[], bigint>();
  const aclLists: Array<readonly ACL[]> = [];
  for (const node of tree.nodes.values()) {
    if (aclIdOf.has(node.acl)) continue;
    const key = JSON.stringify(node.acl);
    let id = aclIds.get(key);
    if (id === undefined) {
      id = BigInt(aclLists.length + 1);
      aclIds.set(key, id);
      aclLists.push(node.acl);
    }
    aclIdOf.set(node.acl, id);
  }
  writer.int(aclLists.length);
  aclLists.forEach((acl, index) => {
    writer.long(index + 1);
    writeAclList(writer, acl);
  });
  for (const path of tree.paths()) {
    const node = tree.nodes.get(path)!;
    // DataTree.serializeNode names the root "" (the "/" path ends the list).
    writer.ustring(path === '/' ? '' : path).bytes(node.data);
    writer.long(aclIdOf.get(node.acl)!);
    writeStatPersisted(writer, node.stat);
  }
  writer.ustring('/');
  seal(writer);
  writer.long(digest.zxid).int(digestVersion).long(BigInt.asIntN(64, digest.treeDigest));
  seal(writer);
  return Buffer.from(writer.body());
}
