// A setData that fires a herd of 2,000 data watches, on a real corral server over TCP. Every
// watcher gets exactly one notification, with ZooKeeper's bytes; a watcher that reads the node
// while the fan-out is under way gets the event before its read's reply; and the writer's reply
// is not held until the last watcher is written to (actors/server/notification-fan-out.ts
// writes a slice of connections per turn, in the order the watches were set).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { RawClient } from './raw-client.js';

const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const herdSize = 2000;
/** Watchers (the last ones to be written to) that read the node as soon as the writer hears. */
const readersRightAfter = 200;
const sessionsOpenedAtOnce = 200;

let server: CorralServer;
const watchers: RawClient[] = [];

beforeAll(async () => {
  // ZooKeeper's default of 60 connections per address would refuse the herd.
  server = await startCorral({ zooCfg: ['tickTime=2000', 'maxClientCnxns=0'] });
  for (let start = 0; start < herdSize; start += sessionsOpenedAtOnce) {
    const count = Math.min(sessionsOpenedAtOnce, herdSize - start);
    watchers.push(...await Promise.all(Array.from({ length: count },
      () => RawClient.session(server.port))));
  }
}, 120_000);

afterAll(async () => {
  for (const watcher of watchers) watcher.destroy();
  await server?.stop();
});

describe('a setData that fires a 2,000-session watch herd', () => {
  it('notifies each watcher once, before any read reply, and answers the writer first',
  async () => {
    const writer = await RawClient.session(server.port);
    const created = await writer.call(1, { kind: 'create', opcode: 1, path: '/herd',
      data: Buffer.from('v0'), acl: openAcl, flags: 0, ttl: -1 });
    expect(created.header.err).toBe(0);
    // The watches are set one connection after another, so the fan-out's order is known.
    for (const watcher of watchers) {
      const read = await watcher.call(1, { kind: 'getData', path: '/herd', watch: true });
      expect(read.header.err).toBe(0);
    }
    // Arrival order across all sockets: each watcher's first frame from now on, the writer's.
    let arrivals = 0;
    const notifiedAt: number[] = new Array(herdSize);
    watchers.forEach((watcher, index) => watcher.socket.once('data', () => {
      notifiedAt[index] = arrivals++;
    }));
    let writerAnsweredAt = -1;
    writer.socket.once('data', () => {
      writerAnsweredAt = arrivals++;
      // The last watchers read the node at once: most are still waiting for their event.
      for (const watcher of watchers.slice(herdSize - readersRightAfter)) {
        watcher.send(2, { kind: 'getData', path: '/herd', watch: false });
      }
    });
    const written = await writer.call(2, { kind: 'setData', path: '/herd',
      data: Buffer.from('v1'), version: -1 }, 30_000);
    expect(written.header.err).toBe(0);

    await Promise.all(watchers.map((watcher) => watcher.waitForEvents(1, 30_000)));
    const readers = watchers.slice(herdSize - readersRightAfter);
    await Promise.all(readers.map((reader) => reader.replyTo(2, 30_000)));
    // A round trip more on every connection: nothing else was sent after the one event.
    await Promise.all(watchers.map((watcher) => watcher.call(3, { kind: 'exists', path: '/herd',
      watch: false }, 30_000)));

    const expected = { type: EventType.nodeDataChanged, state: 3, path: '/herd' };
    for (const watcher of watchers) expect(watcher.events()).toEqual([expected]);
    for (const reader of readers) {
      const afterSetting = reader.received.slice(1).map((entry) => entry.kind === 'reply'
        ? entry.header.xid : 'event');
      expect(afterSetting).toEqual(['event', 2, 3]);
      const reply = reader.received.find((entry) => entry.kind === 'reply'
        && entry.header.xid === 2);
      expect(reply?.kind === 'reply' && reply.body.kind === 'data'
        && reply.body.data?.toString()).toBe('v1');
    }
    // The writer heard back before the last watcher was told.
    expect(writerAnsweredAt).toBeGreaterThanOrEqual(0);
    expect(writerAnsweredAt).toBeLessThan(Math.max(...notifiedAt));
    writer.destroy();
  }, 90_000);
});
