// Client responses: the reply header plus one body shape per operation, encoded for the server
// and decoded for corral's own client and the tests' clients. ZooKeeper sends no body when the
// reply header carries an error (except inside multi, where each op has a result).

import { OpCode } from './constants.js';
import { JuteReader, JuteWriter } from './jute.js';
import {
  ACL,
  ReplyHeader,
  Stat,
  WatcherEvent,
  readAclList,
  readStat,
  writeAclList,
  writeStat,
} from './records.js';

export type OpResult =
  | { kind: 'create'; path: string; stat: Stat | null }
  | { kind: 'delete' }
  | { kind: 'setData'; stat: Stat }
  | { kind: 'check' }
  /** data null when the znode's data is null (see CreateRequest.data): sent as length -1. */
  | { kind: 'getData'; data: Buffer | null; stat: Stat }
  | { kind: 'getChildren'; children: readonly string[] }
  | { kind: 'error'; err: number };

export type ResponseBody =
  | { kind: 'none' }
  | { kind: 'path'; path: string }
  | { kind: 'pathStat'; path: string; stat: Stat }
  | { kind: 'stat'; stat: Stat }
  | { kind: 'data'; data: Buffer | null; stat: Stat }
  | { kind: 'acl'; acl: ACL[]; stat: Stat }
  | { kind: 'children'; children: readonly string[] }
  | { kind: 'childrenStat'; children: readonly string[]; stat: Stat }
  | { kind: 'multi'; results: OpResult[] }
  | { kind: 'paths'; paths: string[] }
  | { kind: 'number'; value: number }
  | { kind: 'clientInfo'; entries: { authScheme: string; user: string }[] }
  | { kind: 'token'; token: Buffer | null };

/** Multi result headers carry the op type of the request they answer (create2 for create2). */
function multiResultType(result: OpResult): number {
  switch (result.kind) {
    case 'create':
      return result.stat === null ? OpCode.create : OpCode.create2;
    case 'delete':
      return OpCode.delete;
    case 'setData':
      return OpCode.setData;
    case 'check':
      return OpCode.check;
    case 'getData':
      return OpCode.getData;
    case 'getChildren':
      return OpCode.getChildren;
    case 'error':
      return OpCode.error;
  }
}

function writeOpResult(writer: JuteWriter, result: OpResult): void {
  const err = result.kind === 'error' ? result.err : 0;
  writer.int(multiResultType(result)).boolean(false).int(err);
  switch (result.kind) {
    case 'create':
      writer.ustring(result.path);
      if (result.stat !== null) writeStat(writer, result.stat);
      break;
    case 'setData':
      writeStat(writer, result.stat);
      break;
    case 'getData':
      writer.bytes(result.data);
      writeStat(writer, result.stat);
      break;
    case 'getChildren':
      writer.stringVector(result.children);
      break;
    case 'error':
      writer.int(result.err);
      break;
    case 'delete':
    case 'check':
      break;
  }
}

export function writeResponseBody(writer: JuteWriter, body: ResponseBody): void {
  switch (body.kind) {
    case 'none':
      return;
    case 'path':
      writer.ustring(body.path);
      return;
    case 'pathStat':
      writer.ustring(body.path);
      writeStat(writer, body.stat);
      return;
    case 'stat':
      writeStat(writer, body.stat);
      return;
    case 'data':
      writer.bytes(body.data);
      writeStat(writer, body.stat);
      return;
    case 'acl':
      writeAclList(writer, body.acl);
      writeStat(writer, body.stat);
      return;
    case 'children':
      writer.stringVector(body.children);
      return;
    case 'childrenStat':
      writer.stringVector(body.children);
      writeStat(writer, body.stat);
      return;
    case 'multi':
      for (const result of body.results) writeOpResult(writer, result);
      writer.int(-1).boolean(true).int(-1);
      return;
    case 'paths':
      writer.stringVector(body.paths);
      return;
    case 'number':
      writer.int(body.value);
      return;
    case 'clientInfo':
      writer.vector(body.entries, (w, entry) => w.ustring(entry.authScheme).ustring(entry.user));
      return;
    case 'token':
      writer.bytes(body.token);
      return;
  }
}

/**
 * A whole reply frame: length prefix, ReplyHeader, and the body when err is 0 (or always, for
 * the few replies ZooKeeper sends a body with an error, such as a failed SASL step).
 */
export function encodeReply(header: ReplyHeader, body: ResponseBody, bodyOnError = false): Buffer {
  const writer = new JuteWriter(body.kind === 'data' ? (body.data?.length ?? 0) + 128 : 128);
  writer.int(header.xid).long(header.zxid).int(header.err);
  if (header.err === 0 || bodyOnError) writeResponseBody(writer, body);
  return writer.frame();
}

/** A watch notification frame (xid -1). */
export function encodeNotification(zxid: number, event: WatcherEvent): Buffer {
  const writer = new JuteWriter(64 + event.path.length * 3);
  writer.int(-1).long(zxid).int(0).int(event.type).int(event.state).ustring(event.path);
  return writer.frame();
}

export function readReplyHeader(reader: JuteReader): ReplyHeader {
  return { xid: reader.int(), zxid: reader.longNumber(), err: reader.int() };
}

export function readWatcherEvent(reader: JuteReader): WatcherEvent {
  return { type: reader.int(), state: reader.int(), path: reader.ustring() };
}

function readOpResults(reader: JuteReader): OpResult[] {
  const results: OpResult[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.boolean();
    const err = reader.int();
    if (done) return results;
    switch (type) {
      case OpCode.create:
        results.push({ kind: 'create', path: reader.ustring(), stat: null });
        break;
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        results.push({ kind: 'create', path: reader.ustring(), stat: readStat(reader) });
        break;
      case OpCode.delete:
        results.push({ kind: 'delete' });
        break;
      case OpCode.setData:
        results.push({ kind: 'setData', stat: readStat(reader) });
        break;
      case OpCode.check:
        results.push({ kind: 'check' });
        break;
      case OpCode.getData:
        results.push({ kind: 'getData', data: reader.bufferOrNull(), stat: readStat(reader) });
        break;
      case OpCode.getChildren:
        results.push({ kind: 'getChildren', children: reader.stringVector() });
        break;
      case OpCode.error:
        results.push({ kind: 'error', err: reader.int() });
        break;
      default:
        results.push({ kind: 'error', err });
    }
  }
}

/** Decodes a successful response body for a request of type `opcode`. */
export function readResponseBody(opcode: number, reader: JuteReader): ResponseBody {
  switch (opcode) {
    case OpCode.create:
      return { kind: 'path', path: reader.ustring() };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { kind: 'pathStat', path: reader.ustring(), stat: readStat(reader) };
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      return { kind: 'stat', stat: readStat(reader) };
    case OpCode.getData:
    case OpCode.reconfig:
      return { kind: 'data', data: reader.bufferOrNull(), stat: readStat(reader) };
    case OpCode.getACL:
      return { kind: 'acl', acl: readAclList(reader) ?? [], stat: readStat(reader) };
    case OpCode.getChildren:
      return { kind: 'children', children: reader.stringVector() };
    case OpCode.getChildren2:
      return { kind: 'childrenStat', children: reader.stringVector(), stat: readStat(reader) };
    case OpCode.sync:
      return { kind: 'path', path: reader.ustring() };
    case OpCode.multi:
    case OpCode.multiRead:
      return { kind: 'multi', results: readOpResults(reader) };
    case OpCode.getEphemerals:
      return { kind: 'paths', paths: reader.stringVector() };
    case OpCode.getAllChildrenNumber:
      return { kind: 'number', value: reader.int() };
    case OpCode.whoAmI:
      return {
        kind: 'clientInfo',
        entries: reader.vector((r) => ({ authScheme: r.ustring(), user: r.ustring() })) ?? [],
      };
    case OpCode.sasl:
      return { kind: 'token', token: reader.bufferOrNull() };
    default:
      return { kind: 'none' };
  }
}
