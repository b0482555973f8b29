// Client requests as one discriminated union, decoded from (and encoded to) jute records.
// `decodeRequest` turns a request header's type plus body into a typed request; an opcode it
// does not know becomes { kind: 'unknown' } so the server can answer as ZooKeeper does.

import { OpCode } from './constants.js';
import { JuteReader, JuteWriter } from './jute.js';
import { ACL, readAclList, writeAclList } from './records.js';

export interface CreateRequest {
  kind: 'create';
  /** create, create2, createContainer or createTTL: decides the response shape and checks. */
  opcode: 1 | 15 | 19 | 21;
  path: string;
  /** null when the client sent a null buffer (jute length -1), as zkCli's `create /a` does:
   * ZooKeeper keeps it null and answers getData with null, distinct from empty data. */
  data: Buffer | null;
  acl: ACL[] | null;
  flags: number;
  ttl: number;
}
export interface DeleteRequest { kind: 'delete'; path: string; version: number }
/** `data` null as in CreateRequest: kept null, not turned into empty data. */
export interface SetDataRequest {
  kind: 'setData';
  path: string;
  data: Buffer | null;
  version: number;
}
export interface SetACLRequest { kind: 'setACL'; path: string; acl: ACL[] | null; version: number }
export interface CheckRequest { kind: 'check'; path: string; version: number }
export interface ReadRequest {
  kind: 'exists' | 'getData' | 'getChildren' | 'getChildren2';
  path: string;
  watch: boolean;
}
export interface PathRequest {
  kind: 'getACL' | 'sync' | 'getAllChildrenNumber' | 'getEphemerals';
  path: string;
}

/** One operation inside multi (writes and check) or multiRead (reads). */
export type MultiOp =
  | CreateRequest
  | DeleteRequest
  | SetDataRequest
  | CheckRequest
  | { kind: 'getChildren'; path: string; watch: false }
  | { kind: 'getData'; path: string; watch: false };

export interface MultiRequest { kind: 'multi' | 'multiRead'; ops: MultiOp[] }
export interface AddWatchRequest { kind: 'addWatch'; path: string; mode: number }
export interface WatchesRequest {
  kind: 'removeWatches' | 'checkWatches';
  path: string;
  watcherType: number;
}
export interface SetWatchesRequest {
  kind: 'setWatches';
  /** setWatches (101) or setWatches2 (105). */
  opcode: 101 | 105;
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}
export interface AuthRequest { kind: 'auth'; authType: number; scheme: string; auth: Buffer }
export interface SaslRequest { kind: 'sasl'; token: Buffer }
export interface ReconfigRequest {
  kind: 'reconfig';
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  currentConfigId: bigint;
}
export interface BareRequest { kind: 'ping' | 'closeSession' | 'whoAmI' }
export interface UnknownRequest { kind: 'unknown'; opcode: number }

export type ClientRequest =
  | CreateRequest
  | DeleteRequest
  | SetDataRequest
  | SetACLRequest
  | CheckRequest
  | ReadRequest
  | PathRequest
  | MultiRequest
  | AddWatchRequest
  | WatchesRequest
  | SetWatchesRequest
  | AuthRequest
  | SaslRequest
  | ReconfigRequest
  | BareRequest
  | UnknownRequest;

/** Requests that change state and therefore become txns ordered by zxid. */
export type WriteRequest =
  | CreateRequest
  | DeleteRequest
  | SetDataRequest
  | SetACLRequest
  | CheckRequest
  | MultiRequest;

function readCreate(reader: JuteReader, opcode: CreateRequest['opcode']): CreateRequest {
  const path = reader.ustring();
  const data = reader.bufferOrNull();
  const acl = readAclList(reader);
  const flags = reader.int();
  const ttl = opcode === OpCode.createTTL ? reader.longNumber() : -1;
  return { kind: 'create', opcode, path, data, acl, flags, ttl };
}

function readSetData(reader: JuteReader): SetDataRequest {
  const path = reader.ustring();
  return { kind: 'setData', path, data: reader.bufferOrNull(), version: reader.int() };
}

function readMultiOps(reader: JuteReader, read: boolean): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.boolean();
    reader.int(); // err: always -1 in requests
    if (done) return ops;
    switch (type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        ops.push(readCreate(reader, type));
        break;
      case OpCode.delete:
        ops.push({ kind: 'delete', path: reader.ustring(), version: reader.int() });
        break;
      case OpCode.setData:
        ops.push(readSetData(reader));
        break;
      case OpCode.check:
        ops.push({ kind: 'check', path: reader.ustring(), version: reader.int() });
        break;
      case OpCode.getChildren:
        ops.push({ kind: 'getChildren', path: reader.ustring(), watch: false });
        reader.boolean();
        break;
      case OpCode.getData:
        ops.push({ kind: 'getData', path: reader.ustring(), watch: false });
        reader.boolean();
        break;
      default:
        throw new MultiOpError(type, read);
    }
  }
}

/** A multi carrying an op type ZooKeeper does not allow there. */
export class MultiOpError extends Error {
  constructor(readonly opcode: number, readonly inMultiRead: boolean) {
    super(`op type ${opcode} not allowed in ${inMultiRead ? 'multiRead' : 'multi'}`);
    this.name = 'MultiOpError';
  }
}

/** Decodes the body of a request whose header carried `opcode`. */
export function decodeRequest(opcode: number, reader: JuteReader): ClientRequest {
  switch (opcode) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return readCreate(reader, opcode);
    case OpCode.delete:
      return { kind: 'delete', path: reader.ustring(), version: reader.int() };
    case OpCode.exists:
      return { kind: 'exists', path: reader.ustring(), watch: reader.boolean() };
    case OpCode.getData:
      return { kind: 'getData', path: reader.ustring(), watch: reader.boolean() };
    case OpCode.getChildren:
      return { kind: 'getChildren', path: reader.ustring(), watch: reader.boolean() };
    case OpCode.getChildren2:
      return { kind: 'getChildren2', path: reader.ustring(), watch: reader.boolean() };
    case OpCode.setData:
      return readSetData(reader);
    case OpCode.getACL:
      return { kind: 'getACL', path: reader.ustring() };
    case OpCode.setACL:
      return {
        kind: 'setACL',
        path: reader.ustring(),
        acl: readAclList(reader),
        version: reader.int(),
      };
    case OpCode.sync:
      return { kind: 'sync', path: reader.ustring() };
    case OpCode.check:
      return { kind: 'check', path: reader.ustring(), version: reader.int() };
    case OpCode.multi:
      return { kind: 'multi', ops: readMultiOps(reader, false) };
    case OpCode.multiRead:
      return { kind: 'multiRead', ops: readMultiOps(reader, true) };
    case OpCode.addWatch:
      return { kind: 'addWatch', path: reader.ustring(), mode: reader.int() };
    case OpCode.removeWatches:
      return { kind: 'removeWatches', path: reader.ustring(), watcherType: reader.int() };
    case OpCode.checkWatches:
      return { kind: 'checkWatches', path: reader.ustring(), watcherType: reader.int() };
    case OpCode.setWatches:
    case OpCode.setWatches2:
      return readSetWatches(reader, opcode);
    case OpCode.getEphemerals:
      return { kind: 'getEphemerals', path: reader.ustring() };
    case OpCode.getAllChildrenNumber:
      return { kind: 'getAllChildrenNumber', path: reader.ustring() };
    case OpCode.whoAmI:
      return { kind: 'whoAmI' };
    case OpCode.auth:
      return {
        kind: 'auth',
        authType: reader.int(),
        scheme: reader.ustring(),
        auth: reader.bytes(),
      };
    case OpCode.sasl:
      return { kind: 'sasl', token: reader.bytes() };
    case OpCode.reconfig:
      return {
        kind: 'reconfig',
        joiningServers: reader.ustringOrNull(),
        leavingServers: reader.ustringOrNull(),
        newMembers: reader.ustringOrNull(),
        currentConfigId: reader.long(),
      };
    case OpCode.ping:
      return { kind: 'ping' };
    case OpCode.closeSession:
      return { kind: 'closeSession' };
    default:
      return { kind: 'unknown', opcode };
  }
}

function readSetWatches(reader: JuteReader, opcode: 101 | 105): SetWatchesRequest {
  const relativeZxid = reader.longNumber();
  const dataWatches = reader.stringVector();
  const existWatches = reader.stringVector();
  const childWatches = reader.stringVector();
  const persistentWatches = opcode === OpCode.setWatches2 ? reader.stringVector() : [];
  const persistentRecursiveWatches = opcode === OpCode.setWatches2 ? reader.stringVector() : [];
  return {
    kind: 'setWatches',
    opcode,
    relativeZxid,
    dataWatches,
    existWatches,
    childWatches,
    persistentWatches,
    persistentRecursiveWatches,
  };
}

export function isWriteRequest(request: ClientRequest): request is WriteRequest {
  switch (request.kind) {
    case 'create':
    case 'delete':
    case 'setData':
    case 'setACL':
    case 'check':
    case 'multi':
      return true;
    default:
      return false;
  }
}

/** Encodes a create-family request body (used by corral's client and the tests' raw client). */
export function writeCreate(writer: JuteWriter, request: Omit<CreateRequest, 'kind'>): void {
  writer.ustring(request.path).bytes(request.data);
  writeAclList(writer, request.acl ?? []);
  writer.int(request.flags);
  if (request.opcode === OpCode.createTTL) writer.long(request.ttl);
}

function writeMultiOp(writer: JuteWriter, op: MultiOp): void {
  switch (op.kind) {
    case 'create':
      writer.int(op.opcode).boolean(false).int(-1);
      writeCreate(writer, op);
      return;
    case 'delete':
    case 'check':
      writer.int(op.kind === 'delete' ? OpCode.delete : OpCode.check).boolean(false).int(-1);
      writer.ustring(op.path).int(op.version);
      return;
    case 'setData':
      writer.int(OpCode.setData).boolean(false).int(-1);
      writer.ustring(op.path).bytes(op.data).int(op.version);
      return;
    case 'getChildren':
    case 'getData':
      writer.int(op.kind === 'getData' ? OpCode.getData : OpCode.getChildren)
        .boolean(false)
        .int(-1);
      writer.ustring(op.path).boolean(false);
      return;
  }
}

/** The opcode a request travels under. */
export function opcodeOf(request: ClientRequest): number {
  switch (request.kind) {
    case 'create':
    case 'setWatches':
      return request.opcode;
    case 'unknown':
      return request.opcode;
    default:
      return OpCode[request.kind];
  }
}

/** Encodes a whole request frame: length prefix, RequestHeader(xid, type), body. */
export function encodeRequest(xid: number, request: ClientRequest): Buffer {
  const dataBytes = request.kind === 'setData' ? (request.data?.length ?? 0) : 0;
  const writer = new JuteWriter(dataBytes + 128);
  writer.int(xid).int(opcodeOf(request));
  switch (request.kind) {
    case 'create':
      writeCreate(writer, request);
      break;
    case 'delete':
    case 'check':
      writer.ustring(request.path).int(request.version);
      break;
    case 'setData':
      writer.ustring(request.path).bytes(request.data).int(request.version);
      break;
    case 'setACL':
      writer.ustring(request.path);
      writeAclList(writer, request.acl ?? []);
      writer.int(request.version);
      break;
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getChildren2':
      writer.ustring(request.path).boolean(request.watch);
      break;
    case 'getACL':
    case 'sync':
    case 'getAllChildrenNumber':
    case 'getEphemerals':
      writer.ustring(request.path);
      break;
    case 'multi':
    case 'multiRead':
      for (const op of request.ops) writeMultiOp(writer, op);
      writer.int(-1).boolean(true).int(-1);
      break;
    case 'addWatch':
      writer.ustring(request.path).int(request.mode);
      break;
    case 'removeWatches':
    case 'checkWatches':
      writer.ustring(request.path).int(request.watcherType);
      break;
    case 'setWatches':
      writer.long(request.relativeZxid);
      writer.stringVector(request.dataWatches).stringVector(request.existWatches);
      writer.stringVector(request.childWatches);
      if (request.opcode === OpCode.setWatches2) {
        writer.stringVector(request.persistentWatches);
        writer.stringVector(request.persistentRecursiveWatches);
      }
      break;
    case 'auth':
      writer.int(request.authType).ustring(request.scheme).bytes(request.auth);
      break;
    case 'sasl':
      writer.bytes(request.token);
      break;
    case 'reconfig':
      writer.ustring(request.joiningServers).ustring(request.leavingServers);
      writer.ustring(request.newMembers).long(request.currentConfigId);
      break;
    case 'ping':
    case 'closeSession':
    case 'whoAmI':
    case 'unknown':
      break;
  }
  return writer.frame();
}
