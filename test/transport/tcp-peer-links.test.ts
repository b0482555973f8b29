// The life of TCP peer links: a restarted peer is redialed with capped backoff, two replicas
// dialing each other at once end with one connection (the higher id's), a peer that stops
// reading costs the sender its link (`overflow`) rather than unbounded memory, and close()
// leaves nothing that would keep the process alive.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, sleep, startStalledPeer, waitFor } from './tcp-peer-support.js';

const run = promisify(execFile);

let cluster: Cluster;

afterEach(() => {
  cluster?.close();
});

describe('tcp peer transport reconnect', () => {
  it.each([
    [2, 'the higher id, which then dials'],
    [1, 'the lower id, which then asks to be called back'],
  ])('reconnects with backoff to a peer that restarts on its port (%i: %s)', async (restarting) => {
    cluster = new Cluster();
    const survivor = restarting === 1 ? 2 : 1;
    const backoff = { reconnectBackoffMsBase: 20, reconnectBackoffMsMax: 160 };
    await cluster.start(1, backoff);
    await cluster.start(2, backoff);
    cluster.send(survivor, restarting, 'before');
    await waitFor(() => cluster.has(`${restarting} frame ${survivor} before`), 'the first link');
    const dialsBefore = cluster.transport(survivor).statistics.dialAttempts;
    cluster.transport(restarting).close();
    await waitFor(() => cluster.has(`${survivor} disconnected ${restarting} peerClosed`), 'close');
    await sleep(500);
    // Delays with random 0.5 are 15, 30, 60, 120, 120 … ms: about 6 dials in 500 ms, not 50.
    const dialsWhileDown = cluster.transport(survivor).statistics.dialAttempts - dialsBefore;
    expect(dialsWhileDown).toBeGreaterThanOrEqual(3);
    expect(dialsWhileDown).toBeLessThanOrEqual(8);
    expect(cluster.transport(survivor).linkState(restarting).state).not.toBe('connected');
    await cluster.start(restarting, backoff);
    // Nobody sends: the survivor's redial alone brings the link back.
    await waitFor(() => cluster.count(`${survivor} connected ${restarting}`) === 2, 'redial');
    await waitFor(() => cluster.has(`${restarting} connected ${survivor}`), 'both ends');
    cluster.send(survivor, restarting, 'after');
    cluster.send(restarting, survivor, 'reply');
    await waitFor(() => cluster.has(`${restarting} frame ${survivor} after`), 'a frame out');
    await waitFor(() => cluster.has(`${survivor} frame ${restarting} reply`), 'a frame back');
  });

  it('keeps exactly one connection when both replicas dial at once (5 pairs)', async () => {
    cluster = new Cluster();
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (const id of ids) await cluster.start(id);
    const pairs = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] as const;
    for (const [lower, higher] of pairs) {
      cluster.send(lower, higher, 'from lower');
      cluster.send(higher, lower, 'from higher');
    }
    for (const [lower, higher] of pairs) {
      await waitFor(() => cluster.has(`${higher} frame ${lower} from lower`), 'lower to higher');
      await waitFor(() => cluster.has(`${lower} frame ${higher} from higher`), 'higher to lower');
    }
    await sleep(200);
    for (const [lower, higher] of pairs) {
      expect(cluster.count(`${lower} connected ${higher}`)).toBe(1);
      expect(cluster.count(`${higher} connected ${lower}`)).toBe(1);
      expect(cluster.transport(higher).linkState(lower)).toMatchObject({
        state: 'connected',
        direction: 'outbound',
      });
      expect(cluster.transport(lower).linkState(higher)).toMatchObject({
        state: 'connected',
        direction: 'inbound',
      });
    }
    expect(cluster.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
  });
});

describe('tcp peer transport backpressure', () => {
  it('closes with overflow when a peer stops reading; queued bytes stay bounded', async () => {
    const stalled = await startStalledPeer(1);
    cluster = new Cluster();
    cluster.peers.set(1, stalled.address);
    const sendQueueBytesMax = 256 * 1024;
    const frame = Buffer.alloc(16 * 1024, 7);
    const leader = await cluster.start(2, { frameBytesMax: 64 * 1024, sendQueueBytesMax });
    try {
      leader.send(1, Buffer.from('hello'));
      await waitFor(() => cluster.has('2 connected 1'), 'the stalled peer to accept');
      let queuedBytesMaximum = 0;
      let framesSent = 0;
      // The kernel's socket buffers take a few MiB first; 64 MiB is far past any of them.
      const framesMax = (64 * 1024 * 1024) / frame.length;
      while (leader.linkState(1).state === 'connected' && framesSent < framesMax) {
        leader.send(1, frame);
        framesSent += 1;
        queuedBytesMaximum = Math.max(queuedBytesMaximum, leader.linkState(1).queuedBytes);
        // Let the socket move bytes to the kernel now and then, as a real leader would.
        if (framesSent % 64 === 0) await sleep(1);
      }
      expect(leader.linkState(1).state).not.toBe('connected');
      expect(framesSent).toBeLessThan(framesMax);
      expect(queuedBytesMaximum).toBeGreaterThan(0);
      expect(queuedBytesMaximum).toBeLessThanOrEqual(sendQueueBytesMax);
      await waitFor(() => cluster.has('2 disconnected 1 overflow'), 'the overflow event');
      expect(leader.linkState(1).queuedBytes).toBe(0);
      expect(leader.statistics.framesLost).toBeGreaterThanOrEqual(1);
    } finally {
      for (const socket of stalled.sockets) socket.destroy();
      stalled.server.close();
    }
  });
});

describe('tcp peer transport close', () => {
  it('releases the listener, sockets and timers: a process that closes it exits', async () => {
    const directory = writeExitFixture();
    try {
      const { stdout } = await run(process.execPath, [path.join(directory, 'exit.mjs')], {
        timeout: 20_000,
      });
      const exitedAt = Date.now();
      const [traffic, closed, closedAt] = stdout.trim().split('\n');
      expect([traffic, closed]).toEqual(['traffic done', 'closed']);
      // The fixture's backoff and handshake timers are 5 to 20 s: exiting within 2 s of close()
      // means none was left behind, nor a socket or the listener.
      expect(exitedAt - Number(closedAt)).toBeLessThan(2_000);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

/**
 * The transport's files as plain JavaScript, next to node_modules so `nanoevents` resolves, and
 * a script that runs three transports, leaves a dial in backoff, closes everything and returns.
 */
function writeExitFixture(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const directory = mkdtempSync(path.join(cache, 'tcp-peer-exit-'));
  writeFileSync(path.join(directory, 'package.json'), '{ "type": "module" }');
  // transport/ and the protocol/ files it may import, in the same layout, subfolders included.
  const copy = (folder: string): void => {
    mkdirSync(path.join(directory, folder));
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      if (entry.isDirectory()) {
        copy(path.join(folder, entry.name));
        continue;
      }
      if (!entry.name.endsWith('.ts')) continue;
      const source = readFileSync(path.join(root, folder, entry.name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(path.join(directory, folder, entry.name.replace(/\.ts$/, '.js')), outputText);
    }
  };
  for (const folder of ['transport', 'protocol']) copy(folder);
  writeFileSync(path.join(directory, 'exit.mjs'), exitScript);
  return directory;
}

const exitScript = `
import { createTcpTransport } from './transport/tcp-peer.js';
const peers = new Map([[4, { host: '127.0.0.1', port: 1 }]]);
const slow = { reconnectBackoffMsBase: 10000, reconnectBackoffMsMax: 20000,
  handshakeTimeoutMs: 10000 };
const transports = [];
for (const id of [1, 2, 3]) {
  const transport = await createTcpTransport({ localId: id, peers, ...slow,
    listen: { host: '127.0.0.1', port: 0 } });
  peers.set(id, transport.address);
  transports.push(transport);
}
const [one, two, three] = transports;
const received = new Promise((resolve) => {
  let count = 0;
  const seen = () => { count += 1; if (count === 2) resolve(); };
  two.on('frame', seen);
  one.on('frame', seen);
});
one.send(2, Buffer.from('a'));
three.send(1, Buffer.from('b'));
two.send(4, Buffer.from('into the void'));
await received;
while (two.linkState(4).state !== 'backoff') await new Promise((r) => setTimeout(r, 5));
console.log('traffic done');
for (const transport of transports) transport.close();
console.log('closed');
console.log(Date.now());
`;
