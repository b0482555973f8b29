// Bounded memory per client connection, on a real corral process: sessions that pipeline reads
// of a 1 MB node and never read the replies hold the server's RSS within a stated bound (they
// are throttled, not answered into memory), other clients are served meanwhile, a throttled
// session that starts reading gets every reply, and one whose replies outgrow
// client.sendQueueBytesMax (64 MiB by default) is dropped while the server keeps serving. The
// same throttle holds on the secure client port (TLS).

import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JuteWriter } from '../../protocol/jute.js';
import { writeConnectRequest, type ACL } from '../../protocol/records.js';
import { encodeRequest, type ClientRequest } from '../../protocol/requests.js';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import {
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from '../support/certificates.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { freePort } from '../support/ports.js';
import { tlsZooCfg } from '../support/tls-servers.js';
import { RawClient, residentKb, sleep } from './raw-client.js';

const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bigNodeBytes = 1_000_000;
/** 4 sessions × 300 getData of the 1 MB node: 1.2 GB of replies if all were made at once. */
const hogSessions = 4;
const hogRequests = 300;
/** The stated bound: 4 × (4 MiB throttle + a reply) is about 20 MiB; the rest is slack. */
const rssGrowthKbMax = 100 * 1024;
/** Reads behind a write, all made as it is applied: 80 MB, past the 64 MiB hard limit. */
const overflowReads = 80;
/** A loopback address of this file's own (no other test's clients land on this server). */
const host = '127.0.0.3';

let server: CorralServer;
let nextXid = 1;
const opened: Array<{ destroy(): unknown }> = [];

beforeAll(async () => {
  server = await startCorral({ tickTimeMs: 2000, clientAddress: host });
  await createNodes(server.port, host);
});

afterAll(async () => {
  for (const client of opened) client.destroy();
  await server?.stop();
});

async function session(port = server.port, address = host): Promise<RawClient> {
  const client = await RawClient.session(port, {}, address);
  opened.push(client);
  return client;
}

/** The 1 MB node the hogs read, and a small one the others write. */
async function createNodes(port: number, address: string): Promise<void> {
  const admin = await session(port, address);
  const big = Buffer.alloc(bigNodeBytes, 7);
  for (const [path, data] of [['/big', big], ['/small', Buffer.from('s')]] as const) {
    const created = await admin.call(nextXid++, create(path, data));
    expect(created.kind === 'reply' && created.header.err).toBe(0);
  }
}

function create(path: string, data: Buffer): ClientRequest {
  return { kind: 'create', opcode: 1, path, data, acl: openAcl, flags: 0, ttl: -1 };
}

const getBig: ClientRequest = { kind: 'getData', path: '/big', watch: false };

interface Hog {
  socket: Socket;
  /** Replies read since the socket was resumed. */
  replies: () => number;
}

/** A socket connected to the server, TCP or TLS. */
type Dial = () => Promise<Socket>;

const dialTcp: Dial = async () => {
  const socket = connectTcp({ host, port: server.port });
  await once(socket, 'connect');
  return socket;
};

/**
 * A session that stops reading after its handshake: its replies are left in the socket (the
 * kernel's buffers fill, then the server's), and only counted once it is resumed.
 */
async function hog(dial: Dial = dialTcp): Promise<Hog> {
  const socket = await dial();
  opened.push(socket);
  socket.on('error', () => undefined);
  const writer = new JuteWriter(64);
  writeConnectRequest(writer, {
    protocolVersion: 0, lastZxidSeen: 0, timeout: 30_000, sessionId: 0n,
    password: Buffer.alloc(16), readOnly: false,
  });
  socket.write(writer.frame());
  const decoder = new FrameDecoder(2 * bigNodeBytes);
  let replies = -1;
  socket.on('data', (chunk: Buffer) => (replies += decoder.push(chunk).length));
  await until(() => replies === 0, 5000);
  socket.pause();
  return { socket, replies: () => replies };
}

/** Pipelines `count` getData of the 1 MB node on each hog, without reading. */
function pipelineReads(hogs: Hog[], count: number): void {
  for (const { socket } of hogs) {
    socket.write(Buffer.concat(Array.from({ length: count }, (_, index) =>
      encodeRequest(index + 1, getBig))));
  }
}

/** The server's largest RSS (kB) seen over `forMs`, sampled every 50 ms. */
async function peakResidentKb(pid: number, forMs: number): Promise<number> {
  let peakKb = 0;
  const sampleUntil = Date.now() + forMs;
  while (Date.now() < sampleUntil) {
    peakKb = Math.max(peakKb, await residentKb(pid));
    await sleep(50);
  }
  return peakKb;
}

/** A fresh session writes and reads back within `withinMs`: the server still serves. */
async function expectServed(withinMs: number, port = server.port, address = host): Promise<void> {
  const startedAt = Date.now();
  const client = await session(port, address);
  const data = Buffer.from(String(startedAt));
  const set = await client.call(nextXid++, { kind: 'setData', path: '/small', data, version: -1 });
  expect(set.kind === 'reply' && set.header.err).toBe(0);
  const read = await client.call(nextXid++, { kind: 'getData', path: '/small', watch: false });
  expect(read.kind === 'reply' && read.body.kind === 'data' && read.body.data).toEqual(data);
  expect(Date.now() - startedAt).toBeLessThan(withinMs);
  client.destroy();
}

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe() && Date.now() < deadline) await sleep(20);
  return probe();
}

describe('a client that pipelines without reading', () => {
  it(`holds RSS within ${rssGrowthKbMax / 1024} MiB of growth (${hogSessions} sessions × ` +
    `${hogRequests} getData of 1 MB), serves others, and answers all once read`, async () => {
    const pid = server.process.pid!;
    const baselineKb = await residentKb(pid);
    const hogs = await Promise.all(Array.from({ length: hogSessions }, () => hog()));
    pipelineReads(hogs, hogRequests);
    let peakKb = await peakResidentKb(pid, 1500);
    await expectServed(2000);
    peakKb = Math.max(peakKb, await residentKb(pid));
    expect(peakKb - baselineKb).toBeLessThan(rssGrowthKbMax);
    // Throttled, not dropped: a hog that starts reading gets every reply.
    const [reader] = hogs;
    reader!.socket.resume();
    expect(await until(() => reader!.replies() === hogRequests, 15_000)).toBe(true);
    expect(reader!.socket.destroyed).toBe(false);
    for (const { socket } of hogs) socket.destroy();
  });

  it('drops a session whose replies outgrow client.sendQueueBytesMax, and keeps serving',
    async () => {
      const { socket, replies } = await hog();
      const setSmall: ClientRequest = {
        kind: 'setData', path: '/small', data: Buffer.from('w'), version: -1,
      };
      const frames = [encodeRequest(1, setSmall)];
      for (let xid = 2; xid <= overflowReads + 1; xid++) frames.push(encodeRequest(xid, getBig));
      socket.write(Buffer.concat(frames));
      const dropped = () => server.output().includes('does not read its replies');
      expect(await until(dropped, 5000)).toBe(true);
      await expectServed(2000);
      // Reset: the client learns of it even while not reading, and gets what the kernel let
      // through at most, far fewer replies than it asked for.
      socket.resume();
      expect(await until(() => socket.destroyed, 5000)).toBe(true);
      expect(replies()).toBeLessThan(overflowReads + 1);
      expect(server.process.exitCode).toBeNull();
    });
});

describe.runIf(opensslAvailable())('a TLS client that pipelines without reading', () => {
  let certificates: TestCertificates;
  let secure: CorralServer;
  let securePort: number;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    securePort = await freePort();
    secure = await startCorral({
      zooCfg: ['tickTime=2000', ...tlsZooCfg(certificates, securePort)],
    });
    await createNodes(secure.port, '127.0.0.1');
  });

  afterAll(async () => {
    await secure?.stop();
    certificates?.remove();
  });

  it(`is throttled as over TCP: RSS within ${rssGrowthKbMax / 1024} MiB of growth`, async () => {
    const pid = secure.process.pid!;
    const dialTlsSocket: Dial = async () => {
      const socket = connectTls({
        host: '127.0.0.1', port: securePort, ca: certificates.ca,
        cert: certificates.alice.cert, key: certificates.alice.key, servername: 'localhost',
      });
      await once(socket, 'secureConnect');
      return socket;
    };
    const baselineKb = await residentKb(pid);
    const hogs = await Promise.all(Array.from({ length: hogSessions }, () =>
      hog(dialTlsSocket)));
    pipelineReads(hogs, hogRequests);
    const peakKb = await peakResidentKb(pid, 1500);
    await expectServed(2000, secure.port, '127.0.0.1');
    expect(peakKb - baselineKb).toBeLessThan(rssGrowthKbMax);
    const [reader] = hogs;
    reader!.socket.resume();
    expect(await until(() => reader!.replies() === hogRequests, 15_000)).toBe(true);
  });
});
