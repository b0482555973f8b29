// The chaos proxy mesh shaped as a wide-area network, over real loopback sockets: a link's delay
// holds every byte at least that long, a bandwidth limit makes a transfer take at least its size
// over the rate, order is kept, and the mesh counts the bytes each direction carried.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createShapedProxy, ProxyMesh } from '../../cli/chaos/proxy-mesh.js';
import type { LinkShape } from '../../cli/chaos/link-shaper.js';
import { encodeHello, helloTokenBytes, tcpPeerVersion } from '../../transport/tcp-peer-wire.js';

const host = '127.0.0.1';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that records when each byte arrived; it answers nothing. */
async function sinkServer() {
  const arrivals: Array<{ atMs: number; bytes: Buffer }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (bytes) => arrivals.push({ atMs: performance.now(), bytes }));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const received = () => Buffer.concat(arrivals.map((arrival) => arrival.bytes));
  return { port, arrivals, received };
}

async function dial(port: number): Promise<Socket> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => void socket.destroy());
  return socket;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function shaped(shape: LinkShape) {
  const sink = await sinkServer();
  const proxy = await createShapedProxy(sink.port, host, shape);
  cleanups.push(() => proxy.close());
  const socket = await dial(proxy.port);
  return { sink, proxy, socket };
}

describe('chaos proxy shaping', () => {
  it('holds each write for the link delay (40 ms, 5 writes 10 ms apart)', async () => {
    const { sink, socket } = await shaped({ delayMs: 40, bandwidthBytesPerMs: Infinity });
    const sentAt: number[] = [];
    for (let index = 0; index < 5; index++) {
      sentAt.push(performance.now());
      socket.write(Buffer.from(`m${index};`));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor(() => sink.received().toString().split(';').length > 5);
    expect(sink.received().toString()).toBe('m0;m1;m2;m3;m4;');
    // Each message is released on its own: the first arrival is at least 40 ms after its send.
    expect(sink.arrivals[0]!.atMs - sentAt[0]!).toBeGreaterThanOrEqual(40);
    const last = sink.arrivals[sink.arrivals.length - 1]!.atMs;
    expect(last - sentAt[4]!).toBeGreaterThanOrEqual(40);
  });

  it('paces bytes at the bandwidth (64 KiB at 256 B/ms takes at least 256 ms)', async () => {
    const { sink, socket, proxy } = await shaped({ delayMs: 0, bandwidthBytesPerMs: 256 });
    const payload = Buffer.alloc(64 * 1024, 7);
    const started = performance.now();
    socket.write(payload);
    await waitFor(() => sink.received().byteLength === payload.byteLength);
    const elapsedMs = sink.arrivals[sink.arrivals.length - 1]!.atMs - started;
    expect(elapsedMs).toBeGreaterThanOrEqual(payload.byteLength / 256);
    expect(elapsedMs).toBeLessThan(5_000);
    expect(sink.received().equals(payload)).toBe(true);
    expect(proxy.bytes().toTarget).toBe(payload.byteLength);
  });

  it('passes bytes on an unshaped link ahead of a 40 ms one sent at the same time', async () => {
    const plain = await shaped({ delayMs: 0, bandwidthBytesPerMs: Infinity });
    const slow = await shaped({ delayMs: 40, bandwidthBytesPerMs: Infinity });
    const started = performance.now();
    slow.socket.write(Buffer.from('now'));
    plain.socket.write(Buffer.from('now'));
    await waitFor(() => plain.sink.received().byteLength === 3 &&
      slow.sink.received().byteLength === 3);
    expect(plain.sink.arrivals[0]!.atMs).toBeLessThan(slow.sink.arrivals[0]!.atMs);
    expect(slow.sink.arrivals[0]!.atMs - started).toBeGreaterThanOrEqual(40);
  });

  it('shapes and counts per replica pair in the mesh (1→2 over 30 ms, 2→1 local)', async () => {
    const first = await sinkServer();
    const second = await sinkServer();
    const mesh = await ProxyMesh.create(new Map([[1, first.port], [2, second.port]]), host,
      (from) => ({ delayMs: from === 1 ? 30 : 0, bandwidthBytesPerMs: Infinity }));
    cleanups.push(() => mesh.close());
    const oneToTwo = await dial(mesh.portFor(1, 2));
    const twoToOne = await dial(mesh.portFor(2, 1));
    const started = performance.now();
    oneToTwo.write(Buffer.alloc(1000, 1));
    twoToOne.write(Buffer.alloc(500, 2));
    await waitFor(() => second.received().byteLength === 1000 &&
      first.received().byteLength === 500);
    expect(second.arrivals[0]!.atMs - started).toBeGreaterThanOrEqual(30);
    expect(mesh.bytesCarried(1, 2)).toBe(1000);
    expect(mesh.bytesCarried(2, 1)).toBe(500);
    // A cut still drops what is sent over a shaped link.
    mesh.partition(1, 2, 'oneWay');
    oneToTwo.write(Buffer.alloc(100, 3));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(second.received().byteLength).toBe(1000);
  });

  it('stops reading the sender while the receiver does not read, then carries all', async () => {
    // A receiver that reads nothing until told: the proxy must not take the sender's bytes into
    // its own memory meanwhile (a network holds a window, not the whole stream).
    const sockets: Socket[] = [];
    let received = 0;
    const server = createServer((socket) => {
      socket.pause();
      sockets.push(socket);
      socket.on('data', (bytes) => { received += bytes.byteLength; });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }));
    const proxy = await createShapedProxy((server.address() as { port: number }).port, host,
      { delayMs: 0, bandwidthBytesPerMs: Infinity });
    cleanups.push(() => proxy.close());
    const socket = await dial(proxy.port);
    const total = 48 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 9);
    for (let sent = 0; sent < total; sent += chunk.byteLength) socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // What passed is what the kernel's buffers hold, far from the whole stream.
    expect(proxy.bytes().toTarget).toBeLessThan(total / 2);
    expect(socket.writableLength).toBeGreaterThan(0);
    for (const each of sockets) each.resume();
    await waitFor(() => received === total, 20_000);
    expect(proxy.bytes().toTarget).toBe(total);
  });

  it('counts, shapes and cuts by the dialer its hello names, whatever the proxy', async () => {
    // A follower dials its peers at the addresses the leader's membership gives, which are the
    // leader's proxies: replica 2 reaching replica 3 through the proxy configured as 1→3.
    const sinks = [await sinkServer(), await sinkServer(), await sinkServer()];
    const mesh = await ProxyMesh.create(new Map(sinks.map((sink, index) => [index + 1, sink.port])),
      host, (from) => ({ delayMs: from === 2 ? 30 : 0, bandwidthBytesPerMs: Infinity }));
    cleanups.push(() => mesh.close());
    const socket = await dial(mesh.portFor(1, 3));
    const hello = encodeHello({ version: tcpPeerVersion, fromId: 2, toId: 3,
      token: Buffer.alloc(helloTokenBytes, 7) }, { host, port: 1 });
    const started = performance.now();
    socket.write(hello.subarray(0, 3));
    socket.write(hello.subarray(3));
    socket.write(Buffer.alloc(1000, 4));
    await waitFor(() => sinks[2]!.received().byteLength === hello.byteLength + 1000);
    expect(sinks[2]!.received().subarray(0, hello.byteLength).equals(hello)).toBe(true);
    expect(sinks[2]!.arrivals[0]!.atMs - started).toBeGreaterThanOrEqual(30);
    expect(mesh.bytesCarried(2, 3)).toBe(hello.byteLength + 1000);
    expect(mesh.bytesCarried(1, 3)).toBe(0);
    // A cut between 2 and 3 drops it; one between 1 and 3 would not have.
    mesh.partition(1, 3, 'both');
    socket.write(Buffer.alloc(10, 5));
    await waitFor(() => mesh.bytesCarried(2, 3) === hello.byteLength + 1010);
    mesh.healAll();
    mesh.partition(2, 3, 'oneWay');
    socket.write(Buffer.alloc(100, 6));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(mesh.bytesCarried(2, 3)).toBe(hello.byteLength + 1010);
  });
});
