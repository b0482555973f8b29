// ZooKeeper's txn records as its txn log holds them (zookeeper.jute, module
// org.apache.zookeeper.txn): TxnHeader, then the record its type names, then an optional
// TxnDigest. Decoded as SerializeUtils.deserializeTxn reads them, including the older shapes it
// still accepts (a create without parentCVersion, a closeSession without its paths).

import { OpCode } from '../../protocol/constants.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import { readAclList, writeAclList, type ACL } from '../../protocol/records.js';
import { ZooKeeperFormatError } from './format.js';

export interface ZooKeeperTxnHeader {
  sessionId: bigint;
  cxid: number;
  zxid: number;
  time: number;
  /** The OpCode: create and create2 are applied alike but only a create's NODEEXISTS on replay
   * is fixed up (DataTree.processTxn), so the type is kept as logged. */
  type: number;
}

export type ZooKeeperTxn =
  /** create, create2 (ephemeral: owned by the header's session). */
  | { kind: 'create'; type: number; path: string; data: Buffer | null; acl: ACL[];
    ephemeral: boolean; parentCVersion: number }
  | { kind: 'createTTL'; type: number; path: string; data: Buffer | null; acl: ACL[];
    parentCVersion: number; ttlMs: bigint }
  | { kind: 'createContainer'; type: number; path: string; data: Buffer | null; acl: ACL[];
    parentCVersion: number }
  /** delete, deleteContainer. */
  | { kind: 'delete'; type: number; path: string }
  /** setData, and reconfig (a setData of /zookeeper/config). */
  | { kind: 'setData'; type: number; path: string; data: Buffer | null; version: number }
  | { kind: 'setACL'; type: number; path: string; acl: ACL[]; version: number }
  | { kind: 'check'; type: number; path: string; version: number }
  | { kind: 'createSession'; type: number; timeoutMs: number }
  /** paths: the session's ephemerals as the leader saw them; null in logs written before
   * CloseSessionTxn existed (the tree's own list is used then). */
  | { kind: 'closeSession'; type: number; paths: string[] | null }
  | { kind: 'error'; type: number; err: number }
  | { kind: 'multi'; type: number; ops: ZooKeeperTxn[] };

/** TxnDigest: the ordering server's tree digest after this txn (ZooKeeper 3.6+). */
export interface ZooKeeperTxnDigest {
  version: number;
  treeDigest: bigint;
}

export interface ZooKeeperLogEntry {
  header: ZooKeeperTxnHeader;
  txn: ZooKeeperTxn;
  digest?: ZooKeeperTxnDigest;
}

/** TxnDigest's size: an int and a long. */
const txnDigestBytes = 12;

function readData(reader: JuteReader): Buffer | null {
  const data = reader.bufferOrNull();
  return data === null ? null : Buffer.from(data);
}

function readAcls(reader: JuteReader): ACL[] {
  return readAclList(reader) ?? [];
}

/** One txn record of `type` (a sub-txn of a multi is read the same way). */
export function readTxnRecord(reader: JuteReader, type: number): ZooKeeperTxn {
  switch (type) {
    case OpCode.create:
    case OpCode.create2: {
      const path = reader.ustring();
      const data = readData(reader);
      const acl = readAcls(reader);
      const ephemeral = reader.boolean();
      // CreateTxnV0 had no parentCVersion; -1 makes replay derive it (processTxn's fixup).
      const parentCVersion = reader.remaining >= 4 ? reader.int() : -1;
      return { kind: 'create', type, path, data, acl, ephemeral, parentCVersion };
    }
    case OpCode.createTTL:
      return { kind: 'createTTL', type, path: reader.ustring(), data: readData(reader),
        acl: readAcls(reader), parentCVersion: reader.int(), ttlMs: reader.long() };
    case OpCode.createContainer:
      return { kind: 'createContainer', type, path: reader.ustring(), data: readData(reader),
        acl: readAcls(reader), parentCVersion: reader.int() };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { kind: 'delete', type, path: reader.ustring() };
    case OpCode.setData:
    case OpCode.reconfig:
      return { kind: 'setData', type, path: reader.ustring(), data: readData(reader),
        version: reader.int() };
    case OpCode.setACL:
      return { kind: 'setACL', type, path: reader.ustring(), acl: readAcls(reader),
        version: reader.int() };
    case OpCode.check:
      return { kind: 'check', type, path: reader.ustring(), version: reader.int() };
    case OpCode.createSession:
      return { kind: 'createSession', type, timeoutMs: reader.int() };
    case OpCode.closeSession:
      return { kind: 'closeSession', type,
        paths: reader.remaining >= 4 ? reader.stringVector() : null };
    case OpCode.error:
      return { kind: 'error', type, err: reader.int() };
    case OpCode.multi: {
      const ops = reader.vector((item) => {
        const subType = item.int();
        const bytes = item.bytes();
        return readTxnRecord(new JuteReader(bytes), subType);
      }) ?? [];
      return { kind: 'multi', type, ops };
    }
    default:
      throw new ZooKeeperFormatError(`unsupported txn type ${type}`);
  }
}

/** SerializeUtils.deserializeTxn: header, record, and the TxnDigest after it when there is
 * one (a txn logged before 3.6, or with digests off, has none). */
export function decodeLogEntry(bytes: Buffer): ZooKeeperLogEntry {
  const reader = new JuteReader(bytes);
  const header: ZooKeeperTxnHeader = {
    sessionId: reader.long(),
    cxid: reader.int(),
    zxid: reader.longNumber(),
    time: reader.longNumber(),
    type: reader.int(),
  };
  const txn = readTxnRecord(reader, header.type);
  if (reader.remaining < txnDigestBytes) return { header, txn };
  return { header, txn, digest: { version: reader.int(), treeDigest: reader.long() } };
}

export function writeTxnRecord(writer: JuteWriter, txn: ZooKeeperTxn): void {
  switch (txn.kind) {
    case 'create':
      writer.ustring(txn.path).bytes(txn.data);
      writeAclList(writer, txn.acl);
      writer.boolean(txn.ephemeral).int(txn.parentCVersion);
      return;
    case 'createTTL':
      writer.ustring(txn.path).bytes(txn.data);
      writeAclList(writer, txn.acl);
      writer.int(txn.parentCVersion).long(txn.ttlMs);
      return;
    case 'createContainer':
      writer.ustring(txn.path).bytes(txn.data);
      writeAclList(writer, txn.acl);
      writer.int(txn.parentCVersion);
      return;
    case 'delete':
      writer.ustring(txn.path);
      return;
    case 'setData':
      writer.ustring(txn.path).bytes(txn.data).int(txn.version);
      return;
    case 'setACL':
      writer.ustring(txn.path);
      writeAclList(writer, txn.acl);
      writer.int(txn.version);
      return;
    case 'check':
      writer.ustring(txn.path).int(txn.version);
      return;
    case 'createSession':
      writer.int(txn.timeoutMs);
      return;
    case 'closeSession':
      if (txn.paths !== null) writer.stringVector(txn.paths);
      return;
    case 'error':
      writer.int(txn.err);
      return;
    case 'multi':
      writer.vector(txn.ops, (item, op) => {
        const sub = new JuteWriter();
        writeTxnRecord(sub, op);
        item.int(op.type).bytes(sub.body());
      });
      return;
  }
}

/** The bytes of one log entry (header and record), as ZooKeeper's leader serializes a txn. */
export function encodeLogEntry(entry: ZooKeeperLogEntry): Buffer {
  const writer = new JuteWriter();
  const { header } = entry;
  writer.long(header.sessionId).int(header.cxid).long(header.zxid).long(header.time)
    .int(header.type);
  writeTxnRecord(writer, entry.txn);
  if (entry.digest !== undefined) writer.int(entry.digest.version).long(entry.digest.treeDigest);
  return Buffer.from(writer.body());
}
