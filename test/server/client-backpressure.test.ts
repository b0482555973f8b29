// Bounded memory per client connection, on a real corral process: sessions that pipeline reads
// of a 1 MB node and never read the replies hold the server's RSS within a stated bound (they
// are throttled, not answered into memory), other clients are served meanwhile, a throttled
// session that starts reading gets every reply, and one whose replies outgrow
// client.sendQueueBytesMax (64 MiB by default) is dropped while the server keeps serving.

import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ACL } from '../../protocol/records.js';
import { encodeRequest, type ClientRequest } from '../../protocol/requests.js';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import { startCorral, type CorralServer } from '../support/corral.js';
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
let admin: RawClient;
let nextXid = 1;
const opened: RawClient[] = [];

beforeAll(async () => {
  server = await startCorral({ tickTimeMs: 2000, clientAddress: host });
  admin = await session();
  const big = Buffer.alloc(bigNodeBytes, 7);
  for (const [path, data] of [['/big', big], ['/small', Buffer.from('s')]] as const) {
    const created = await admin.call(nextXid++, create(path, data));
    expect(created.kind === 'reply' && created.header.err).toBe(0);
  }
});

afterAll(async () => {
  for (const client of opened) client.destroy();
  await server?.stop();
});

async function session(): Promise<RawClient> {
  const client = await RawClient.session(server.port, {}, host);
  opened.push(client);
  return client;
}

function create(path: string, data: Buffer): ClientRequest {
  return { kind: 'create', opcode: 1, path, data, acl: openAcl, flags: 0, ttl: -1 };
}

const getBig: ClientRequest = { kind: 'getData', path: '/big', watch: false };

/**
 * A session that stops reading after its handshake: its replies are left in the socket (the
 * kernel's buffers fill, then the server's), and only counted once it is resumed.
 */
async function hog(): Promise<{ client: RawClient; socket: Socket; replies: () => number }> {
  const client = await session();
  const socket = client.socket;
  socket.removeAllListeners('data');
  socket.pause();
  const decoder = new FrameDecoder(2 * bigNodeBytes);
  let replies = 0;
  socket.on('data', (chunk: Buffer) => (replies += decoder.push(chunk).length));
  return { client, socket, replies: () => replies };
}

/** A fresh session writes and reads back within `withinMs`: the server still serves. */
async function expectServed(withinMs: number): Promise<void> {
  const startedAt = Date.now();
  const client = await session();
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
    for (const { socket } of hogs) {
      const frames = Array.from({ length: hogRequests }, (_, index) =>
        encodeRequest(index + 1, getBig));
      socket.write(Buffer.concat(frames));
    }
    let peakKb = baselineKb;
    const sampleUntil = Date.now() + 1500;
    while (Date.now() < sampleUntil) {
      peakKb = Math.max(peakKb, await residentKb(pid));
      await sleep(50);
    }
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
      const { client, socket, replies } = await hog();
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
      expect(await client.waitClosed(5000)).toBe(true);
      expect(replies()).toBeLessThan(overflowReads + 1);
      expect(server.process.exitCode).toBeNull();
    });
});
