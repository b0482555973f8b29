// Null znode data on the client wire: a null buffer (jute length -1) in create, setData and their
// multi forms decodes as null, not as empty data, and getData (alone or in multiRead) answers
// null as length -1, as ZooKeeper does. Empty data stays a zero-length buffer.

import { describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import { JuteReader } from '../../protocol/jute.js';
import type { Stat } from '../../protocol/records.js';
import {
  decodeRequest,
  encodeRequest,
  type ClientRequest,
  type CreateRequest,
} from '../../protocol/requests.js';
import { encodeReply, readReplyHeader, readResponseBody } from '../../protocol/responses.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const stat: Stat = {
  czxid: 1, mzxid: 1, ctime: 5, mtime: 5, version: 0, cversion: 0, aversion: 0,
  ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 1,
};

/** encodeRequest's frame is length, xid, opcode, body: the body is read back as the server does. */
function roundTrip(request: ClientRequest): ClientRequest {
  const frame = encodeRequest(7, request);
  const reader = new JuteReader(frame.subarray(4));
  reader.int();
  return decodeRequest(reader.int(), reader);
}

function create(opcode: CreateRequest['opcode'], data: Buffer | null): CreateRequest {
  return {
    kind: 'create', opcode, path: '/a', data, acl: open, flags: 0,
    ttl: opcode === OpCode.createTTL ? 1000 : -1,
  };
}

/** The data of a create or setData, however deep in a multi. */
function dataOf(request: ClientRequest): Array<Buffer | null> {
  if (request.kind === 'create' || request.kind === 'setData') return [request.data];
  if (request.kind === 'multi') return request.ops.flatMap((op) => dataOf(op as ClientRequest));
  return [];
}

const variants: Array<[string, Buffer | null]> = [
  ['null', null],
  ['empty', Buffer.alloc(0)],
  ['bytes', Buffer.from('xyz')],
];

describe('null data in client requests', () => {
  const requests: Array<[string, (data: Buffer | null) => ClientRequest]> = [
    ['create', (data) => create(OpCode.create, data)],
    ['create2', (data) => create(OpCode.create2, data)],
    ['createContainer', (data) => create(OpCode.createContainer, data)],
    ['createTTL', (data) => create(OpCode.createTTL, data)],
    ['setData', (data) => ({ kind: 'setData', path: '/a', data, version: -1 })],
    ['multi create and setData', (data) => ({
      kind: 'multi',
      ops: [create(OpCode.create2, data), { kind: 'setData', path: '/a', data, version: 3 }],
    })],
  ];
  const cases = requests.flatMap(([name, build]) =>
    variants.map(([label, data]) => [name, label, build, data] as const));

  it.each(cases)('%s with %s data decodes to the same data', (_name, _label, build, data) => {
    const decoded = dataOf(roundTrip(build(data)));
    expect(decoded.length).toBeGreaterThan(0);
    for (const value of decoded) expect(value).toEqual(data);
  });

  it('writes null data as length -1 and empty data as length 0', () => {
    const body = (data: Buffer | null) => encodeRequest(7, create(OpCode.create, data))
      .subarray(12 + 4 + 2);
    expect(body(null).readInt32BE(0)).toBe(-1);
    expect(body(Buffer.alloc(0)).readInt32BE(0)).toBe(0);
  });
});

describe('null data in replies', () => {
  it.each(variants)('getData with %s data reads back the same, and length -1 for null',
    (_label, data) => {
      const frame = encodeReply({ xid: 7, zxid: 9, err: 0 }, { kind: 'data', data, stat });
      const reader = new JuteReader(frame.subarray(4));
      readReplyHeader(reader);
      expect(frame.readInt32BE(4 + 16)).toBe(data === null ? -1 : data.length);
      expect(readResponseBody(OpCode.getData, reader)).toEqual({ kind: 'data', data, stat });
    });

  it.each(variants)('multiRead getData with %s data reads back the same', (_label, data) => {
    const body = {
      kind: 'multi' as const,
      results: [{ kind: 'getData' as const, data, stat }, { kind: 'getData' as const,
        data: Buffer.from('other'), stat }],
    };
    const frame = encodeReply({ xid: 7, zxid: 9, err: 0 }, body);
    const reader = new JuteReader(frame.subarray(4));
    readReplyHeader(reader);
    expect(readResponseBody(OpCode.multiRead, reader)).toEqual(body);
  });
});
