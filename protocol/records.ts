// The shared jute records: Stat, Id, ACL, watcher events, and the connect handshake.
// Field order is ZooKeeper's (zookeeper.jute); zxids and times are numbers, session ids bigints.

import { JuteReader, JuteWriter } from './jute.js';

export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.longNumber(),
    mzxid: reader.longNumber(),
    ctime: reader.longNumber(),
    mtime: reader.longNumber(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.long(),
    dataLength: reader.int(),
    numChildren: reader.int(),
    pzxid: reader.longNumber(),
  };
}

export function writeStat(writer: JuteWriter, stat: Stat): void {
  writer
    .long(stat.czxid)
    .long(stat.mzxid)
    .long(stat.ctime)
    .long(stat.mtime)
    .int(stat.version)
    .int(stat.cversion)
    .int(stat.aversion)
    .long(stat.ephemeralOwner)
    .int(stat.dataLength)
    .int(stat.numChildren)
    .long(stat.pzxid);
}

export function readId(reader: JuteReader): Id {
  return { scheme: reader.ustring(), id: reader.ustring() };
}

export function writeId(writer: JuteWriter, id: Id): void {
  writer.ustring(id.scheme).ustring(id.id);
}

export function readAcl(reader: JuteReader): ACL {
  return { perms: reader.int(), id: readId(reader) };
}

export function writeAcl(writer: JuteWriter, acl: ACL): void {
  writer.int(acl.perms);
  writeId(writer, acl.id);
}

export function readAclList(reader: JuteReader): ACL[] | null {
  return reader.vector(readAcl);
}

export function writeAclList(writer: JuteWriter, acls: readonly ACL[]): void {
  writer.vector(acls, writeAcl);
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeout: number;
  sessionId: bigint;
  password: Buffer;
  /** Absent in pre-3.4 clients' handshakes. */
  readOnly: boolean;
}

export function readConnectRequest(reader: JuteReader): ConnectRequest {
  const protocolVersion = reader.int();
  const lastZxidSeen = reader.longNumber();
  const timeout = reader.int();
  const sessionId = reader.long();
  const password = reader.bytes();
  const readOnly = reader.remaining > 0 ? reader.boolean() : false;
  return { protocolVersion, lastZxidSeen, timeout, sessionId, password, readOnly };
}

export function writeConnectRequest(writer: JuteWriter, request: ConnectRequest): void {
  writer
    .int(request.protocolVersion)
    .long(request.lastZxidSeen)
    .int(request.timeout)
    .long(request.sessionId)
    .bytes(request.password)
    .boolean(request.readOnly);
}

export interface ConnectResponse {
  protocolVersion: number;
  timeout: number;
  sessionId: bigint;
  password: Buffer;
  readOnly: boolean;
}

export function writeConnectResponse(writer: JuteWriter, response: ConnectResponse): void {
  writer
    .int(response.protocolVersion)
    .int(response.timeout)
    .long(response.sessionId)
    .bytes(response.password)
    .boolean(response.readOnly);
}

export function readConnectResponse(reader: JuteReader): ConnectResponse {
  const protocolVersion = reader.int();
  const timeout = reader.int();
  const sessionId = reader.long();
  const password = reader.bytes();
  const readOnly = reader.remaining > 0 ? reader.boolean() : false;
  return { protocolVersion, timeout, sessionId, password, readOnly };
}

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}
