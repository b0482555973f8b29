// Seeded fuzzing of a real corral server's client port over TCP: random bytes, lying length
// prefixes, broken handshakes and malformed requests on fresh sockets, while a healthy
// node-zookeeper-client session keeps reading and writing. Each attack must end its own
// connection or be answered with an error; the process must stay up with bounded memory.

import type { Client } from 'node-zookeeper-client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import { JuteWriter } from '../../protocol/jute.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { call, closeClient, connectClient, zookeeper } from '../interop/nzc.js';
import { RawClient, residentKb, sleep } from '../server/raw-client.js';

const seed = 20_240_611;
/** How long an attacked connection gets to be closed or answered. */
const verdictWaitMs = 2000;
const rssGrowthKbMax = 200 * 1024;
const juteMaxBufferBytes = 0xfffff;

let server: CorralServer;
let healthy: Client;
let baselineRssKb: number;
let healthyWrites = 0;
/** Opened first, never completing a handshake: the server must drop them on its own. */
let idle: RawClient;
let halfSent: RawClient;
let idleOpenedAtMs: number;

beforeAll(async () => {
  server = await startCorral({ tickTimeMs: 2000 });
  healthy = await connectClient(`127.0.0.1:${server.port}`, { sessionTimeout: 6000 });
  await call((cb) => healthy.create('/healthy', Buffer.from('0'), cb));
  await call((cb) =>
    healthy.create('/healthy-ephemeral', Buffer.alloc(0), zookeeper.CreateMode.EPHEMERAL, cb),
  );
  baselineRssKb = await residentKb(server.process.pid!);
  idleOpenedAtMs = Date.now();
  idle = await RawClient.open(server.port);
  halfSent = await RawClient.open(server.port);
  halfSent.write(connectFrame().subarray(0, 20));
});

afterAll(async () => {
  if (healthy !== undefined) await closeClient(healthy);
  await server?.stop();
});

/** The healthy session still reads its own last write and still owns its ephemeral. */
async function expectHealthy(): Promise<void> {
  expect(server.process.exitCode).toBeNull();
  healthyWrites++;
  const data0 = Buffer.from(String(healthyWrites));
  await call((cb) => healthy.setData('/healthy', data0, -1, cb));
  const data = await call<Buffer>((cb) => healthy.getData('/healthy', undefined, cb));
  expect(data.toString()).toBe(String(healthyWrites));
  const stat = await call<unknown>((cb) => healthy.exists('/healthy-ephemeral', undefined, cb));
  expect(stat).not.toBeNull();
}

function frame(body: (writer: JuteWriter) => void): Buffer {
  const writer = new JuteWriter(256);
  body(writer);
  return writer.frame();
}

function connectFrame(sessionId = 0n, timeoutMs = 10_000): Buffer {
  return frame((w) => w.int(0).long(0).int(timeoutMs).long(sessionId).bytes(Buffer.alloc(16)));
}

/** Outcome of an attack on a session's connection: the reply to `xid`, or closed. */
async function verdict(client: RawClient, xid: number): Promise<'closed' | number> {
  const deadline = Date.now() + verdictWaitMs;
  while (Date.now() < deadline) {
    const reply = client.received.find((r) => r.kind === 'reply' && r.header.xid === xid);
    if (reply?.kind === 'reply') return reply.header.err;
    if (client.closed) return 'closed';
    await sleep(10);
  }
  throw new Error(`connection neither answered xid ${xid} nor closed`);
}

/** After an answered attack the same connection must still serve a plain read. */
async function expectStillServing(client: RawClient): Promise<void> {
  const probe = await client.call(999_999, { kind: 'exists', path: '/healthy', watch: false });
  expect(probe.header.err).toBe(0);
}

const knownOpcodes = new Set<number>(Object.values(OpCode));
const arbitraryUnknownOpcode = fc
  .integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
  .filter((opcode) => !knownOpcodes.has(opcode));

/** Paths ZooKeeper's PathUtils rejects (never '' or '/', which name the root). */
const arbitraryInvalidPath = fc.oneof(
  fc.constantFrom('x', 'a/b', '/a/', '//', '/a//b', '/.', '/a/..', '/\u0000', '/\u{1F600}\uD800'),
  fc.string({ minLength: 1, maxLength: 20 }).map((text) => `${text}/`),
  fc.string({ minLength: 1, maxLength: 20 }).filter((text) => !text.startsWith('/')),
);

/** Bytes that are not UTF-8, wrapped in a path-looking prefix. */
const arbitraryInvalidUtf8 = fc
  .constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80])
  .map((bytes) => Buffer.from([0x2f, 0x66, ...bytes]));

describe('client port fuzz, before the handshake', () => {
  it('closes on random bytes or waits for more; never crashes (seeded, 60 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const client = await RawClient.open(server.port);
        client.write(bytes);
        await sleep(20);
        // Our half-close ends any partial frame: the server must then let the socket go.
        client.socket.end();
        expect(await client.waitClosed(verdictWaitMs)).toBe(true);
      }),
      { seed, numRuns: 60 },
    );
    await expectHealthy();
  });

  it('closes on length prefixes above jute.maxbuffer or negative (seeded, 40 runs)', async () => {
    const arbitraryLength = fc.oneof(
      fc.constantFrom(2 ** 31 - 1, -1, -(2 ** 31), juteMaxBufferBytes + 1),
      fc.integer({ min: juteMaxBufferBytes + 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: -(2 ** 31), max: -1 }),
    );
    await fc.assert(
      fc.asyncProperty(arbitraryLength, fc.uint8Array({ maxLength: 64 }), async (length, tail) => {
        const client = await RawClient.open(server.port);
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(length);
        client.write(Buffer.concat([prefix, tail]));
        expect(await client.waitClosed(verdictWaitMs)).toBe(true);
      }),
      { seed, numRuns: 40 },
    );
    await expectHealthy();
  });

  it('closes on connect frames cut short or with garbage bodies (seeded, 60 runs)', async () => {
    const whole = connectFrame();
    const truncated = fc.integer({ min: 1, max: whole.length - 1 }).map((cut) => ({
      bytes: whole.subarray(0, cut),
      complete: false,
    }));
    const garbage = fc.uint8Array({ maxLength: 27 }).map((body) => ({
      bytes: Buffer.concat([lengthPrefix(body.length), body]),
      complete: true,
    }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(truncated, garbage), async ({ bytes, complete }) => {
        const client = await RawClient.open(server.port);
        client.write(bytes);
        // A complete body too short for a ConnectRequest is refused by closing.
        if (!complete) client.socket.end();
        expect(await client.waitClosed(verdictWaitMs)).toBe(true);
      }),
      { seed, numRuns: 60 },
    );
    await expectHealthy();
  });
});

describe('client port: a connect request\'s password length (as ZooKeeper 3.8)', () => {
  const withPasswordLength = (length: number): Buffer =>
    frame((w) => w.int(0).long(0).int(10_000).long(0).int(length).boolean(false));

  it('closes the connection on a length below -1, gives a session for -1 (null)', async () => {
    for (const length of [-2, -16, -(2 ** 31)]) {
      const client = await RawClient.open(server.port);
      expect(await client.handshake({ connectFrame: withPasswordLength(length) })).toBe('closed');
      expect(await client.waitClosed(verdictWaitMs)).toBe(true);
    }
    const client = await RawClient.open(server.port);
    const answer = await client.handshake({ connectFrame: withPasswordLength(-1) });
    expect(answer).not.toBe('closed');
    if (answer !== 'closed') expect(answer.sessionId).not.toBe(0n);
    await expectStillServing(client);
    client.destroy();
    await expectHealthy();
  });
});

describe('client port fuzz, after a valid connect', () => {
  it('answers or closes random request bodies under every opcode (seeded, 120 runs)', async () => {
    const opcode = fc.oneof(fc.constantFrom(...knownOpcodes), arbitraryUnknownOpcode);
    await fc.assert(
      fc.asyncProperty(opcode, fc.uint8Array({ maxLength: 120 }), async (type, body) => {
        // Skip the two that legitimately end the session or that the server ignores.
        fc.pre(type !== OpCode.closeSession && type !== OpCode.ping);
        const client = await RawClient.session(server.port);
        client.write(Buffer.concat([lengthPrefix(8 + body.length), header(7, type), body]));
        const outcome = await verdict(client, 7);
        if (!knownOpcodes.has(type)) expect(outcome).toBe(ErrorCode.unimplemented);
        if (outcome !== 'closed' && outcome !== ErrorCode.unimplemented) {
          await expectStillServing(client);
        }
        client.destroy();
      }),
      { seed, numRuns: 120 },
    );
    await expectHealthy();
  });
});

function request(xid: number, type: number, body: (writer: JuteWriter) => void): Buffer {
  return frame((w) => {
    w.int(xid).int(type);
    body(w);
  });
}

const worldAll = (w: JuteWriter): void => {
  w.int(1).int(31).ustring('world').ustring('anyone');
};

describe('client port fuzz, malformed requests on a session', () => {
  it('answers invalid paths with an error, connection kept (seeded, 60 runs)', async () => {
    const kind = fc.constantFrom('create', 'delete', 'setData', 'getData', 'exists', 'children');
    await fc.assert(
      fc.asyncProperty(kind, arbitraryInvalidPath, async (operation, path) => {
        const client = await RawClient.session(server.port);
        client.write(pathRequest(operation, (w) => w.ustring(path)));
        const outcome = await verdict(client, 7);
        expect(outcome).not.toBe('closed');
        expect(outcome).not.toBe(0);
        await expectStillServing(client);
        client.destroy();
      }),
      { seed, numRuns: 60 },
    );
    await expectHealthy();
  });

  it('answers invalid UTF-8 in paths with an error or closes (seeded, 30 runs)', async () => {
    const kind = fc.constantFrom('create', 'delete', 'setData', 'getData', 'exists', 'children');
    await fc.assert(
      fc.asyncProperty(kind, arbitraryInvalidUtf8, async (operation, bytes) => {
        const client = await RawClient.session(server.port);
        client.write(pathRequest(operation, (w) => w.bytes(bytes)));
        const outcome = await verdict(client, 7);
        expect(outcome).not.toBe(0);
        if (outcome !== 'closed') await expectStillServing(client);
        client.destroy();
      }),
      { seed, numRuns: 30 },
    );
    await expectHealthy();
  });

  it('answers MarshallingError to multi with bogus op types (seeded, 30 runs)', async () => {
    const allowed = new Set<number>([1, 2, 5, 13, 15, 19, 21, 4, 8, -1]);
    const bogus = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((t) => !allowed.has(t));
    await fc.assert(
      fc.asyncProperty(bogus, fc.constantFrom(OpCode.multi, OpCode.multiRead), async (op, type) => {
        const client = await RawClient.session(server.port);
        client.write(
          request(7, type, (w) => {
            w.int(OpCode.check).boolean(false).int(-1).ustring('/healthy').int(-1);
            w.int(op).boolean(false).int(-1).ustring('/x').int(0);
            w.int(-1).boolean(true).int(-1);
          }),
        );
        expect(await verdict(client, 7)).toBe(ErrorCode.marshallingError);
        await expectStillServing(client);
        client.destroy();
      }),
      { seed, numRuns: 30 },
    );
    await expectHealthy();
  });

  it('answers MarshallingError to vector counts beyond the frame (seeded, 30 runs)', async () => {
    const count = fc.integer({ min: 1000, max: 2 ** 31 - 1 });
    const shape = fc.constantFrom('aclOfCreate', 'setWatches', 'setACL');
    await fc.assert(
      fc.asyncProperty(shape, count, async (where, vectorCount) => {
        const client = await RawClient.session(server.port);
        if (where === 'aclOfCreate') {
          const body = (w: JuteWriter): void => void w.ustring('/v').bytes(null).int(vectorCount);
          client.write(request(7, OpCode.create, body));
        } else if (where === 'setACL') {
          client.write(request(7, OpCode.setACL, (w) => w.ustring('/healthy').int(vectorCount)));
        } else {
          client.write(request(7, OpCode.setWatches, (w) => w.long(0).int(vectorCount).int(0)));
        }
        expect(await verdict(client, 7)).toBe(ErrorCode.marshallingError);
        await expectStillServing(client);
        client.destroy();
      }),
      { seed, numRuns: 30 },
    );
    await expectHealthy();
  });

  it('answers Unimplemented to unknown opcodes, then closes (seeded, 30 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryUnknownOpcode, async (type) => {
        const client = await RawClient.session(server.port);
        client.write(request(7, type, () => undefined));
        expect(await verdict(client, 7)).toBe(ErrorCode.unimplemented);
        expect(await client.waitClosed(verdictWaitMs)).toBe(true);
      }),
      { seed, numRuns: 30 },
    );
    await expectHealthy();
  });
});

describe('client port fuzz, resources', () => {
  it('keeps RSS bounded after 40 sockets each holding a 1 MB partial frame, twice', async () => {
    for (let round = 0; round < 2; round++) {
      const clients = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const client = await RawClient.open(server.port);
          client.write(Buffer.concat([lengthPrefix(juteMaxBufferBytes), Buffer.alloc(900_000)]));
          return client;
        }),
      );
      await sleep(300);
      await expectHealthy();
      for (const client of clients) client.destroy();
    }
    await sleep(500);
    const rssKb = await residentKb(server.process.pid!);
    expect(rssKb - baselineRssKb).toBeLessThan(rssGrowthKbMax);
    await expectHealthy();
  });

  it('closes sockets that never finish a handshake after ~10 s (as ZooKeeper 3.8)', async () => {
    const elapsedMs = Date.now() - idleOpenedAtMs;
    const waitMs = 13_000 - elapsedMs;
    await Promise.all([idle.waitClosed(waitMs), halfSent.waitClosed(waitMs)]);
    expect(idle.closed).toBe(true);
    expect(halfSent.closed).toBe(true);
    expect(Date.now() - idleOpenedAtMs).toBeGreaterThanOrEqual(9_000);
    await expectHealthy();
  });
});

function pathRequest(operation: string, path: (writer: JuteWriter) => void): Buffer {
  switch (operation) {
    case 'create':
      return request(7, OpCode.create, (w) => {
        path(w);
        w.bytes(null);
        worldAll(w);
        w.int(0);
      });
    case 'delete':
      return request(7, OpCode.delete, (w) => {
        path(w);
        w.int(-1);
      });
    case 'setData':
      return request(7, OpCode.setData, (w) => {
        path(w);
        w.bytes(Buffer.from('x')).int(-1);
      });
    default: {
      const types: Record<string, number> = {
        getData: OpCode.getData,
        exists: OpCode.exists,
        children: OpCode.getChildren2,
      };
      return request(7, types[operation]!, (w) => {
        path(w);
        w.boolean(true);
      });
    }
  }
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(length);
  return prefix;
}

function header(xid: number, type: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeInt32BE(xid);
  bytes.writeInt32BE(type, 4);
  return bytes;
}
