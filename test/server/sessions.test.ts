// Session lifetime on a real corral process with tickTime 200 ms (timeouts 400..4000 ms): expiry
// of a client that vanishes, reconnecting before and after it, timeout negotiation, wrong
// passwords, clients from the future, and pings. Raw sockets speak the handshake directly.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateFlag, EventType } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { startRelay } from '../interop/proxy.js';
import {
  call,
  closeClient,
  connectClient,
  recordingWatcher,
  waitFor,
  within,
} from '../interop/nzc.js';
import { RawClient, sleep } from './raw-client.js';

const tickTimeMs = 200;
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** Expiry is checked against the negotiated timeout plus this much scheduling slack. */
const expirySlackMs = 1500;

let server: CorralServer;

beforeAll(async () => {
  server = await startCorral({ tickTimeMs });
});

afterAll(async () => {
  await server?.stop();
});

async function createEphemeral(client: RawClient, xid: number, path: string): Promise<void> {
  const created = await client.call(xid, {
    kind: 'create',
    opcode: 1,
    path,
    data: Buffer.from('e'),
    acl: openAcl,
    flags: CreateFlag.ephemeral,
    ttl: -1,
  });
  expect(created.header.err).toBe(0);
}

async function existsErr(client: RawClient, xid: number, path: string): Promise<number> {
  return (await client.call(xid, { kind: 'exists', path, watch: false })).header.err;
}

async function openSession(port: number, timeoutMs: number) {
  const client = await RawClient.open(port);
  const response = await client.handshake({ timeoutMs });
  if (response === 'closed') throw new Error('handshake refused');
  const password = Buffer.from(response.password);
  return { client, response, sessionId: response.sessionId, password };
}

describe('sessions: expiry of a vanished client (tickTime 200 ms)', () => {
  it('expires after the negotiated 1000 ms: ephemeral gone, watches fire NodeDeleted', async () => {
    const owner = await openSession(server.port, 1000);
    expect(owner.response.timeout).toBe(1000);
    await createEphemeral(owner.client, 1, '/vanish');
    const watcher = await RawClient.session(server.port);
    await watcher.call(1, { kind: 'exists', path: '/vanish', watch: true });
    const reader = await RawClient.session(server.port);
    await reader.call(1, { kind: 'getData', path: '/vanish', watch: true });

    const vanishedAtMs = Date.now();
    owner.client.destroy();
    const [existsEvents, dataEvents] = await Promise.all([
      watcher.waitForEvents(1, 1000 + expirySlackMs),
      reader.waitForEvents(1, 1000 + expirySlackMs),
    ]);
    const elapsedMs = Date.now() - vanishedAtMs;
    expect(existsEvents).toEqual([{ type: EventType.nodeDeleted, state: 3, path: '/vanish' }]);
    expect(dataEvents).toEqual([{ type: EventType.nodeDeleted, state: 3, path: '/vanish' }]);
    expect(elapsedMs).toBeGreaterThanOrEqual(1000 - tickTimeMs);
    expect(await existsErr(watcher, 2, '/vanish')).toBe(ErrorCode.noNode);

    // Coming back with the expired id and password: timeout 0, session id 0, then closed.
    const late = await RawClient.open(server.port);
    const answer = await late.handshake({ sessionId: owner.sessionId, password: owner.password });
    expect(answer).not.toBe('closed');
    if (answer !== 'closed') {
      expect(answer.timeout).toBe(0);
      expect(answer.sessionId).toBe(0n);
    }
    expect(await late.waitClosed(2000)).toBe(true);
    watcher.destroy();
    reader.destroy();
  });

  it('keeps the session and its ephemeral on a reconnect at 500 of 1000 ms', async () => {
    const owner = await openSession(server.port, 1000);
    await createEphemeral(owner.client, 1, '/comeback');
    owner.client.destroy();
    await sleep(500);
    const again = await RawClient.open(server.port);
    const answer = await again.handshake({ sessionId: owner.sessionId, password: owner.password });
    expect(answer).not.toBe('closed');
    if (answer !== 'closed') {
      expect(answer.timeout).toBe(1000);
      expect(answer.sessionId).toBe(owner.sessionId);
    }
    // Past the original deadline, kept alive by the reads below.
    for (let round = 0; round < 6; round++) {
      await sleep(250);
      expect(await existsErr(again, 10 + round, '/comeback')).toBe(0);
    }
    const ephemerals = await again.call(20, { kind: 'getEphemerals', path: '/' });
    expect(ephemerals.body).toEqual({ kind: 'paths', paths: ['/comeback'] });
    again.destroy();
  });

  it('treats a wrong password as expired and leaves the real session alone', async () => {
    const owner = await openSession(server.port, 4000);
    await createEphemeral(owner.client, 1, '/guarded');
    const wrong = Buffer.from(owner.password);
    wrong[0] = wrong[0]! ^ 0xff;
    const intruder = await RawClient.open(server.port);
    const answer = await intruder.handshake({ sessionId: owner.sessionId, password: wrong });
    expect(answer).not.toBe('closed');
    if (answer !== 'closed') expect([answer.timeout, answer.sessionId]).toEqual([0, 0n]);
    expect(await intruder.waitClosed(2000)).toBe(true);
    expect(owner.client.closed).toBe(false);
    expect(await existsErr(owner.client, 2, '/guarded')).toBe(0);
    owner.client.destroy();
  });

  it('refuses, by closing, a client whose lastZxidSeen is ahead of the server', async () => {
    const client = await RawClient.open(server.port);
    const answer = await client.handshake({ lastZxidSeen: 0x7fff_0000_0000 });
    expect(answer).toBe('closed');
  });

  it('stays alive on pings alone for 3× its 600 ms timeout, then expires', async () => {
    const owner = await openSession(server.port, 600);
    expect(owner.response.timeout).toBe(600);
    await createEphemeral(owner.client, 1, '/pinged');
    const observer = await RawClient.session(server.port);
    const startedAtMs = Date.now();
    while (Date.now() - startedAtMs < 1800) {
      owner.client.send(-2, { kind: 'ping' });
      await sleep(150);
    }
    expect(await existsErr(observer, 1, '/pinged')).toBe(0);
    expect(owner.client.received.filter((r) => r.kind === 'reply').length).toBeGreaterThan(5);
    // Silence on an open socket expires the session too, and the server then hangs up.
    await observer.call(2, { kind: 'exists', path: '/pinged', watch: true });
    const events = await observer.waitForEvents(1, 600 + expirySlackMs);
    expect(events[0]?.type).toBe(EventType.nodeDeleted);
    expect(await owner.client.waitClosed(2000)).toBe(true);
    observer.destroy();
  });
});

describe('sessions: timeout negotiation', () => {
  it.each([
    [1, 400],
    [-5, 400],
    [399, 400],
    [1500, 1500],
    [4001, 4000],
    [1_000_000_000, 4000],
  ])('clamps a requested %i ms to %i ms with tickTime 200 (2..20 ticks)', async (asked, got) => {
    const { client, response } = await openSession(server.port, asked);
    expect(response.timeout).toBe(got);
    client.destroy();
  });

  it('clamps to minSessionTimeout=1000 and maxSessionTimeout=3000 from zoo.cfg', async () => {
    const bounded = await startCorral({
      zooCfg: [`tickTime=${tickTimeMs}`, 'minSessionTimeout=1000', 'maxSessionTimeout=3000'],
    });
    try {
      const results: number[] = [];
      for (const asked of [1, 500, 2000, 3001, 60_000]) {
        const { client, response } = await openSession(bounded.port, asked);
        results.push(response.timeout);
        client.destroy();
      }
      expect(results).toEqual([1000, 1000, 2000, 3000, 3000]);
    } finally {
      await bounded.stop();
    }
  });
});

describe('sessions: node-zookeeper-client', () => {
  it("surfaces 'expired' when it comes back after its 800 ms session is gone", async () => {
    const relay = await startRelay(server.port);
    const client = await connectClient(`127.0.0.1:${relay.port}`, { sessionTimeout: 800 });
    try {
      await call((cb) => client.create('/nzc-expiry', Buffer.alloc(0), 1, cb));
      const observer = await connectClient(`127.0.0.1:${server.port}`, { sessionTimeout: 4000 });
      const deleted = recordingWatcher();
      await call((cb) => observer.exists('/nzc-expiry', deleted.watcher, cb));
      const expired = waitFor(client, 'expired', 8000);
      await relay.cut();
      const event = await within(deleted.first, 800 + expirySlackMs + 1000);
      expect(event.getName()).toBe('NODE_DELETED');
      await relay.resume();
      await expired;
      await closeClient(observer);
    } finally {
      client.close();
      await relay.cut();
    }
  });
});
