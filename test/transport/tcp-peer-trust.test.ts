// The peer port against a stranger on the same network, over real loopback sockets: a hello
// only claims an id, and the acceptor believes it once the replica at that id's configured
// address vouches for the hello's token. So a stranger claiming a configured id is refused
// whether that replica is up (its healthy link stays, nothing is displaced) or down; a loop of
// such hellos leaves the links alone; before a hello is believed a connection may send one
// handshake frame and no more, and only handshakingMax connections may be handshaking at once.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWireMessage, tcpPeerVersion } from '../../transport/tcp-peer-wire.js';
import { Cluster, loopback, RawPeer, sleep, waitFor } from './tcp-peer-support.js';

let cluster: Cluster;
let rawPeers: RawPeer[] = [];
const closers: Array<() => void> = [];

afterEach(() => {
  cluster?.close();
  for (const raw of rawPeers) raw.socket.destroy();
  rawPeers = [];
  for (const close of closers.splice(0)) close();
});

async function dialRaw(id: number): Promise<RawPeer> {
  const raw = await RawPeer.dial(cluster.transport(id).address);
  rawPeers.push(raw);
  return raw;
}

/** Links 1–2 and 1–3 up, with a frame across each. */
async function connectedTrio(): Promise<void> {
  cluster = new Cluster();
  await cluster.start(1);
  await cluster.start(2);
  await cluster.start(3);
  cluster.send(1, 2, 'up');
  cluster.send(1, 3, 'up');
  await waitFor(() => cluster.has('2 frame 1 up') && cluster.has('3 frame 1 up'), 'links');
}

describe('tcp peer transport against a stranger', () => {
  it('refuses a hello claiming a live replica id, and keeps that replica\'s link', async () => {
    await connectedTrio();
    const raw = await dialRaw(1);
    raw.hello(3, 1);
    await waitFor(() => raw.closed, 'the stranger to be refused');
    expect(raw.received)
      .toEqual([expect.objectContaining({ kind: 'refuse', refusal: 'unverified' })]);
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
    cluster.send(3, 1, 'still here');
    await waitFor(() => cluster.has('1 frame 3 still here'), 'the real link to carry on');
    expect(cluster.transport(1).linkState(3).state).toBe('connected');
    expect(cluster.transport(1).statistics.handshakesRefused).toBe(1);
  });

  it('refuses a hello claiming a configured id whose replica is down', async () => {
    cluster = new Cluster();
    await cluster.start(1);
    // Id 2's configured address: a port that was free a moment ago and is now closed.
    const vacant = createServer();
    await new Promise<void>((resolve) => vacant.listen(0, loopback, resolve));
    const address = vacant.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    await new Promise<void>((resolve) => vacant.close(() => resolve()));
    cluster.peers.set(2, { host: loopback, port: address.port });
    const raw = await dialRaw(1);
    raw.hello(2, 1);
    await waitFor(() => raw.closed, 'the stranger to be refused');
    expect(raw.received[0]).toMatchObject({ kind: 'refuse', refusal: 'unverified' });
    expect(cluster.lines).toEqual([]);
  });

  it('refuses a hello whose claimed id answers for another token (a replayed hello)', async () => {
    // Id 2 is dialing 1 for real; a stranger copying an old token cannot pass as its dial.
    await connectedTrio();
    const raw = await dialRaw(1);
    raw.hello(2, 1);
    await waitFor(() => raw.closed, 'the stranger to be refused');
    expect(raw.received[0]).toMatchObject({ kind: 'refuse', refusal: 'unverified' });
  });

  it('keeps every link through 60 hellos a second claiming two replicas, for a second',
  async () => {
    await connectedTrio();
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 1_000 && sent < 120) {
      const raw = await dialRaw(1);
      raw.hello(sent % 2 === 0 ? 2 : 3, 1);
      sent += 1;
      await sleep(16);
    }
    await waitFor(() => rawPeers.every((raw) => raw.closed), 'every stranger to be refused');
    const refusals = rawPeers.map((raw) => raw.received[0]?.kind === 'refuse');
    expect(refusals.every(Boolean)).toBe(true);
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
    cluster.send(2, 1, 'after');
    cluster.send(3, 1, 'after');
    await waitFor(() => cluster.has('1 frame 2 after') && cluster.has('1 frame 3 after'), 'frames');
    // One warning a second at most, however many strangers: a stranger cannot fill the disk.
    const warnings = cluster.logs.get(1)?.filter((line) => line.startsWith('warn')) ?? [];
    expect(warnings.length).toBeLessThanOrEqual(3);
  });

  it('reads no more than a hello before the hello is believed', async () => {
    cluster = new Cluster();
    await cluster.start(1);
    const raw = await dialRaw(1);
    // A length prefix announcing 1 MiB: refused at once, not buffered while it trickles in.
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(1024 * 1024);
    raw.socket.write(prefix);
    await waitFor(() => raw.closed, 'the connection to close');
    const warnings = cluster.logs.get(1)?.filter((line) => line.startsWith('warn')) ?? [];
    expect(warnings.join('\n')).toMatch(/outside \[0, 31\]/);
  });

  it('closes connections past handshakingMax on accept, and a replica still links after',
  async () => {
    cluster = new Cluster();
    await cluster.start(1, { handshakingMax: 4, handshakeTimeoutMs: 300 });
    const idle: RawPeer[] = [];
    for (let index = 0; index < 10; index++) idle.push(await dialRaw(1));
    await waitFor(() => idle.filter((raw) => raw.closed).length >= 6, 'the excess to close');
    expect(idle.slice(0, 4).some((raw) => raw.closed)).toBe(false);
    expect(cluster.transport(1).statistics.handshakesRefused).toBe(6);
    // The four that hold their slots say nothing and are closed at the handshake deadline.
    await waitFor(() => idle.every((raw) => raw.closed), 'the idle ones to time out', 2_000);
    await cluster.start(2);
    cluster.send(2, 1, 'in');
    await waitFor(() => cluster.has('1 frame 2 in'), 'the real replica to link');
  });

  it('answers a verify truthfully only about its own dial in progress', async () => {
    // A verify names the asker and the token; a replica not dialing the asker says no.
    cluster = new Cluster();
    await cluster.start(1);
    await cluster.start(2);
    const raw = await dialRaw(2);
    raw.socket.write(
      encodeWireMessage({
        kind: 'verify', version: tcpPeerVersion, fromId: 1, toId: 2, token: Buffer.alloc(16, 7),
      }),
    );
    await waitFor(() => raw.closed, 'the answer');
    expect(raw.received).toEqual([{ kind: 'verdict', vouched: false }]);
  });

  it('replaces a link when the real replica redials (it restarted on its port)', async () => {
    await connectedTrio();
    const address = cluster.peers.get(3);
    cluster.transport(3).close();
    // Port reuse: the restarted replica listens where its configuration says.
    await sleep(50);
    if (address === undefined) throw new Error('no address');
    cluster.peers.set(3, address);
    await cluster.start(3);
    cluster.send(3, 1, 'again');
    await waitFor(() => cluster.has('1 frame 3 again'), 'the new link');
  });
});
