// WireConnection and its frame decoder: the decoder fed one byte at a time and in random chunks,
// and the connection against a scripted in-process server speaking ZooKeeper's wire format.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError } from '../../client/frame-decoder.js';
import { WireConnection } from '../../client/wire.js';
import { OpCode, Xid } from '../../protocol/constants.js';
import { ConnectionLossError, ErrorCode, SessionExpiredError } from '../../protocol/errors.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { encodeNotification } from '../../protocol/responses.js';
import { FakeServer, type Answer } from './fake-server.js';

function frame(payload: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(payload.length);
  return Buffer.concat([length, payload]);
}

describe('FrameDecoder', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('hello'), Buffer.alloc(300, 7)];
  const stream = Buffer.concat(payloads.map(frame));

  it('yields the same frames when fed one byte at a time', () => {
    const frames: Buffer[] = [];
    const decoder = new FrameDecoder(1024, (payload) => frames.push(Buffer.from(payload)));
    for (const byte of stream) decoder.push(Buffer.from([byte]));
    expect(frames).toEqual(payloads);
  });

  it('yields the same frames for any chunking of the stream', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 })), (cuts) => {
        const frames: Buffer[] = [];
        const decoder = new FrameDecoder(1024, (payload) => frames.push(Buffer.from(payload)));
        let start = 0;
        for (const cut of [...cuts].sort((left, right) => left - right)) {
          decoder.push(stream.subarray(start, cut));
          start = cut;
        }
        decoder.push(stream.subarray(start));
        expect(frames).toEqual(payloads);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it.each([
    ['above the limit', 1025],
    ['negative', -1],
  ])('rejects a length prefix %s, even one byte at a time', (_name, length) => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(length);
    const decoder = new FrameDecoder(1024, () => {});
    expect(() => {
      for (const byte of prefix) decoder.push(Buffer.from([byte]));
    }).toThrow(FrameError);
  });
});

const servers: FakeServer[] = [];
const connections: WireConnection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  for (const server of servers.splice(0)) await server.stop();
});

async function connectTo(
  answer: Answer,
  options: { connectTimeoutMs?: number; pingIntervalMs?: number; frameBytesMax?: number } = {},
): Promise<{ server: FakeServer; connection: WireConnection }> {
  const server = new FakeServer(answer, options.connectTimeoutMs);
  servers.push(server);
  const port = await server.listen();
  const connection = await WireConnection.open({
    host: '127.0.0.1', port, timeoutMs: 6000, readOnly: true, lastZxidSeen: 5,
    pingIntervalMs: options.pingIntervalMs ?? 0, frameBytesMax: options.frameBytesMax,
  });
  connections.push(connection);
  return { server, connection };
}

/** Echoes every request with zxid 100 + xid and err 0. */
const echo: Answer = ({ xid }, send) => send({ xid, zxid: 100 + xid, err: 0 });
const getData = (path: string): ClientRequest => ({ kind: 'getData', path, watch: false });

describe('WireConnection', () => {
  it('performs the handshake with protocol version 0 and the given fields', async () => {
    const { server, connection } = await connectTo(echo);
    expect(server.connects).toEqual([{
      protocolVersion: 0, lastZxidSeen: 5, timeout: 6000, sessionId: 0n,
      password: Buffer.alloc(16), readOnly: true,
    }]);
    expect(connection.sessionId).toBe(0x1234n);
    expect(connection.password).toEqual(Buffer.alloc(16, 9));
    expect(connection.negotiatedTimeoutMs).toBe(6000);
    expect(connection.lastZxid).toBe(5);
  });

  it('rejects with SessionExpiredError when the server answers timeout 0', async () => {
    const server = new FakeServer(echo, 0);
    servers.push(server);
    const port = await server.listen();
    await expect(WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 6000 }))
      .rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('pipelines requests with increasing xids and resolves error replies', async () => {
    const { server, connection } = await connectTo(({ xid }, send) => {
      if (xid === 2) send({ xid, zxid: 7, err: ErrorCode.noNode });
      else send({ xid, zxid: 7, err: 0 }, { kind: 'children', children: ['x'] });
    });
    const replies = await Promise.all([
      connection.request({ kind: 'getChildren', path: '/a', watch: false }),
      connection.request({ kind: 'getChildren', path: '/b', watch: false }),
      connection.request({ kind: 'getChildren', path: '/c', watch: false }),
    ]);
    expect(server.received.map(({ xid }) => xid)).toEqual([1, 2, 3]);
    expect(replies.map(({ header }) => header.err)).toEqual([0, ErrorCode.noNode, 0]);
    expect(replies[1]?.body).toEqual({ kind: 'none' });
    expect(replies[2]?.body).toEqual({ kind: 'children', children: ['x'] });
    expect(connection.lastZxid).toBe(7);
  });

  it('delivers a watch event before the reply that follows it', async () => {
    const order: string[] = [];
    const { connection } = await connectTo(({ xid, socket }, send) => {
      socket.write(encodeNotification(-1, { type: 3, state: 3, path: '/a' }));
      send({ xid, zxid: 9, err: 0 }, { kind: 'stat', stat: statOf(9) });
    });
    connection.onNotification((event) => order.push(`event ${event.type} ${event.path}`));
    await connection.request({ kind: 'setData', path: '/a', data: Buffer.from('x'), version: -1 });
    order.push('reply');
    expect(order).toEqual(['event 3 /a', 'reply']);
  });

  it('uses xid -4 for auth and -8 for setWatches, answered out of order', async () => {
    const held: (() => void)[] = [];
    const { server, connection } = await connectTo((received, send) => {
      const reply = (): void => send({ xid: received.xid, zxid: 0, err: 0 });
      if (received.request.kind === 'removeWatches') held.push(reply);
      else reply();
    });
    const read = connection.request({ kind: 'removeWatches', path: '/a', watcherType: 3 });
    const auth = await connection.request({
      kind: 'auth', authType: 0, scheme: 'digest', auth: Buffer.from('u:p'),
    });
    expect(auth.header.xid).toBe(Xid.auth);
    await connection.request({
      kind: 'setWatches', opcode: OpCode.setWatches, relativeZxid: 1, dataWatches: ['/a'],
      existWatches: [], childWatches: [], persistentWatches: [], persistentRecursiveWatches: [],
    });
    held.forEach((reply) => reply());
    expect((await read).header.xid).toBe(1);
    expect(server.received.map(({ xid }) => xid)).toEqual([1, Xid.auth, Xid.setWatches]);
  });

  it('pings with xid -2 when idle; ping replies do not move lastZxid', async () => {
    const { server, connection } = await connectTo(
      ({ xid }, send) => send({ xid, zxid: 999, err: 0 }),
      { pingIntervalMs: 20 },
    );
    await new Promise((resolve) => setTimeout(resolve, 90));
    expect(server.received.some(({ xid, request }) => xid === Xid.ping && request.kind === 'ping'))
      .toBe(true);
    expect(connection.lastZxid).toBe(5);
  });

  // Regression: pings were checked once per interval and skipped when anything had been sent, so
  // a request just after a check left two intervals (the host's read timeout) without a frame.
  it('pings within one interval of the last send, whenever that send happened', async () => {
    const pingIntervalMs = 200;
    const pingsAtMs: number[] = [];
    const { connection } = await connectTo(({ xid, request }, send) => {
      if (request.kind === 'ping') pingsAtMs.push(performance.now());
      send({ xid, zxid: 0, err: 0 });
    }, { pingIntervalMs });
    // Just after where a once-per-interval check would run.
    await new Promise((resolve) => setTimeout(resolve, pingIntervalMs + 5));
    const sentAtMs = performance.now();
    await connection.request({ kind: 'delete', path: '/a', version: -1 });
    await new Promise((resolve) => setTimeout(resolve, 2 * pingIntervalMs + 50));
    const firstPing = pingsAtMs.find((atMs) => atMs > sentAtMs);
    expect(firstPing).toBeDefined();
    expect((firstPing as number) - sentAtMs).toBeLessThan(pingIntervalMs * 1.5);
  });

  it('fails in-flight requests with ConnectionLossError when the socket closes', async () => {
    const { connection } = await connectTo(({ socket }) => socket.destroy());
    let closed = false;
    connection.onClose(() => (closed = true));
    const pending = [connection.request(getData('/a')), connection.request(getData('/b'))];
    for (const request of pending) {
      await expect(request).rejects.toBeInstanceOf(ConnectionLossError);
    }
    expect(closed).toBe(true);
    await expect(connection.request(getData('/c'))).rejects.toBeInstanceOf(ConnectionLossError);
  });

  it('drops the connection on a reply with an unexpected xid', async () => {
    const { connection } = await connectTo(({ xid }, send) => {
      send({ xid: xid + 5, zxid: 1, err: 0 });
    });
    await expect(connection.request(getData('/a'))).rejects.toThrow(/reply xid 6, expected 1/);
  });

  it('fails a request whose reply body is malformed, with the connection', async () => {
    const { connection } = await connectTo(echo);
    await expect(connection.request(getData('/a'))).rejects.toThrow(/truncated record/);
    expect(connection.closed).toBe(true);
  });

  it('drops the connection on a reply frame above frameBytesMax', async () => {
    const { connection } = await connectTo(
      ({ xid }, send) => {
        send({ xid, zxid: 1, err: 0 }, { kind: 'data', data: Buffer.alloc(500), stat: statOf(1) });
      },
      { frameBytesMax: 256 },
    );
    await expect(connection.request(getData('/a'))).rejects.toThrow(/frame length/);
  });

  it('close() sends closeSession, waits for its reply, then ends the socket', async () => {
    const { server, connection } = await connectTo(echo);
    await connection.close();
    expect(server.received.map(({ request }) => request.kind)).toEqual(['closeSession']);
    expect(connection.closed).toBe(true);
  });
});

function statOf(zxid: number) {
  return {
    czxid: zxid, mzxid: zxid, ctime: 1, mtime: 1, version: 0, cversion: 0, aversion: 0,
    ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: zxid,
  };
}
