// Watches over raw sockets on a real server: setWatches/setWatches2 after a reconnect (missed
// events fire, the rest re-register), a watch event arriving before the reply that reveals the
// change, one-shot versus persistent, removeWatches without a watch. The setWatches and
// ordering cases run against Apache ZooKeeper 3.8 too, so corral is held to its answers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddWatchMode, EventType, WatcherType, Xid } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL, WatcherEvent } from '../../protocol/records.js';
import type { SetWatchesRequest } from '../../protocol/requests.js';
import { startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { RawClient } from './raw-client.js';

const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const targets = zookeeperAvailable() ? ['corral', 'zookeeper'] : ['corral'];
const ports = new Map<string, number>();
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const [corral, zookeeper] = await Promise.all([
    startCorral({ tickTimeMs: 2000 }),
    zookeeperAvailable() ? startZooKeeper() : undefined,
  ]);
  ports.set('corral', corral.port);
  stops.push(corral.stop);
  if (zookeeper !== undefined) {
    ports.set('zookeeper', zookeeper.port);
    stops.push(zookeeper.stop);
  }
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

let nextXid = 1;

async function create(client: RawClient, path: string, data = ''): Promise<number> {
  const xid = nextXid++;
  const reply = await client.call(xid, {
    kind: 'create',
    opcode: 1,
    path,
    data: Buffer.from(data),
    acl: openAcl,
    flags: 0,
    ttl: -1,
  });
  expect(reply.header.err, `create ${path}`).toBe(0);
  return reply.header.zxid;
}

async function setData(client: RawClient, path: string, data: string) {
  const reply = await client.call(nextXid++, {
    kind: 'setData',
    path,
    data: Buffer.from(data),
    version: -1,
  });
  expect(reply.header.err, `setData ${path}`).toBe(0);
  return reply;
}

async function remove(client: RawClient, path: string): Promise<void> {
  const reply = await client.call(nextXid++, { kind: 'delete', path, version: -1 });
  expect(reply.header.err, `delete ${path}`).toBe(0);
}

function event(type: number, path: string): WatcherEvent {
  return { type, state: 3, path };
}

function setWatchesRequest(
  opcode: 101 | 105,
  relativeZxid: number,
  watches: Partial<SetWatchesRequest>,
): SetWatchesRequest {
  return {
    kind: 'setWatches',
    opcode,
    relativeZxid,
    dataWatches: [],
    existWatches: [],
    childWatches: [],
    persistentWatches: [],
    persistentRecursiveWatches: [],
    ...watches,
  };
}

describe.each(targets)('watches after reconnect (%s)', (target) => {
  it.each([101, 105] as const)('setWatches opcode %i fires missed events, re-registers others',
    async (opcode) => {
      const port = ports.get(target)!;
      const root = `/sw${opcode}`;
      const writer = await RawClient.session(port);
      await create(writer, root);
      for (const name of ['data', 'gone', 'kids', 'stable']) {
        await create(writer, `${root}/${name}`);
      }
      const seenZxid = await create(writer, `${root}/kids/a`);
      // Changes the reconnecting client missed.
      await setData(writer, `${root}/data`, 'changed');
      await remove(writer, `${root}/gone`);
      await create(writer, `${root}/new`);
      await create(writer, `${root}/kids/b`);

      const client = await RawClient.session(port);
      client.send(Xid.setWatches, setWatchesRequest(opcode, seenZxid, {
        dataWatches: [`${root}/data`, `${root}/gone`, `${root}/stable`],
        existWatches: [`${root}/new`, `${root}/absent`],
        childWatches: [`${root}/kids`, `${root}/stable`],
      }));
      const reply = await client.replyTo(Xid.setWatches);
      expect(reply.header.err).toBe(0);
      // The missed events come before the setWatches reply.
      const missed = client.received.slice(0, client.received.indexOf(reply));
      expect(missed.map((entry) => (entry.kind === 'event' ? entry.event : entry))).toEqual([
        event(EventType.nodeDataChanged, `${root}/data`),
        event(EventType.nodeDeleted, `${root}/gone`),
        event(EventType.nodeCreated, `${root}/new`),
        event(EventType.nodeChildrenChanged, `${root}/kids`),
      ]);

      // The unchanged ones were registered again and fire on the next change.
      await setData(writer, `${root}/stable`, 'now');
      await create(writer, `${root}/absent`);
      await create(writer, `${root}/stable/child`);
      const events = await client.waitForEvents(7);
      expect(events.slice(4)).toEqual([
        event(EventType.nodeDataChanged, `${root}/stable`),
        event(EventType.nodeCreated, `${root}/absent`),
        event(EventType.nodeChildrenChanged, `${root}/stable`),
      ]);
      writer.destroy();
      client.destroy();
    });

  it('setWatches2 re-registers a persistent recursive watch that keeps firing', async () => {
    const port = ports.get(target)!;
    const writer = await RawClient.session(port);
    const seenZxid = await create(writer, '/persist');
    const client = await RawClient.session(port);
    const reply = await client.call(Xid.setWatches, setWatchesRequest(105, seenZxid, {
      persistentRecursiveWatches: ['/persist'],
    }));
    expect(reply.header.err).toBe(0);
    await create(writer, '/persist/a');
    await setData(writer, '/persist/a', '1');
    await setData(writer, '/persist/a', '2');
    expect(await client.waitForEvents(3)).toEqual([
      event(EventType.nodeCreated, '/persist/a'),
      event(EventType.nodeDataChanged, '/persist/a'),
      event(EventType.nodeDataChanged, '/persist/a'),
    ]);
    writer.destroy();
    client.destroy();
  });

  it('delivers the event before the reply that reveals the change (writer and reader)',
    async () => {
      const port = ports.get(target)!;
      const writer = await RawClient.session(port);
      const reader = await RawClient.session(port);
      await create(writer, '/order');
      await writer.call(nextXid++, { kind: 'getData', path: '/order', watch: true });
      await reader.call(nextXid++, { kind: 'getData', path: '/order', watch: true });
      const written = await setData(writer, '/order', 'x');
      // The writer's own watch fired before its setData reply.
      const writerEvent = writer.received.findIndex((entry) => entry.kind === 'event');
      expect(writerEvent).toBeGreaterThanOrEqual(0);
      expect(writerEvent).toBeLessThan(writer.received.indexOf(written));
      // The other session reads after the write was acknowledged: event first, then data.
      const readXid = nextXid++;
      const read = await reader.call(readXid, { kind: 'getData', path: '/order', watch: false });
      expect(read.body).toMatchObject({ kind: 'data', data: Buffer.from('x') });
      const readerEvent = reader.received.findIndex((entry) => entry.kind === 'event');
      expect(readerEvent).toBeGreaterThanOrEqual(0);
      expect(readerEvent).toBeLessThan(reader.received.indexOf(read));
      writer.destroy();
      reader.destroy();
    });
});

function removeWatches(client: RawClient, watcherType: number) {
  return client.call(nextXid++, { kind: 'removeWatches', path: '/', watcherType });
}

describe('watches on corral: one-shot, persistent, removal', () => {
  it('fires a getData watch once over two setData, a persistent addWatch twice', async () => {
    const port = ports.get('corral')!;
    const writer = await RawClient.session(port);
    const oneShot = await RawClient.session(port);
    const persistent = await RawClient.session(port);
    await create(writer, '/modes');
    await oneShot.call(nextXid++, { kind: 'getData', path: '/modes', watch: true });
    const added = await persistent.call(nextXid++, {
      kind: 'addWatch',
      path: '/modes',
      mode: AddWatchMode.persistent,
    });
    expect(added.header.err).toBe(0);
    await setData(writer, '/modes', '1');
    await setData(writer, '/modes', '2');
    await create(writer, '/modes/child');
    expect(await persistent.waitForEvents(3)).toEqual([
      event(EventType.nodeDataChanged, '/modes'),
      event(EventType.nodeDataChanged, '/modes'),
      event(EventType.nodeChildrenChanged, '/modes'),
    ]);
    // A barrier read on the one-shot session: everything for it has arrived by its reply.
    await oneShot.call(nextXid++, { kind: 'exists', path: '/modes', watch: false });
    expect(oneShot.events()).toEqual([event(EventType.nodeDataChanged, '/modes')]);
    for (const client of [writer, oneShot, persistent]) client.destroy();
  });

  it.each([
    ['any', WatcherType.any],
    ['data', WatcherType.data],
    ['children', WatcherType.children],
  ])('answers removeWatches (%s) with NoWatcher -121 when none is set', async (_name, type) => {
    const port = ports.get('corral')!;
    const client = await RawClient.session(port);
    const none = await removeWatches(client, type);
    expect(none.header.err).toBe(ErrorCode.noWatcher);
    // With one set, the first removal succeeds and the second finds nothing again.
    const registration =
      type === WatcherType.children
        ? ({ kind: 'getChildren', path: '/', watch: true } as const)
        : ({ kind: 'exists', path: '/', watch: true } as const);
    await client.call(nextXid++, registration);
    const first = await removeWatches(client, type);
    const again = await removeWatches(client, type);
    expect([first.header.err, again.header.err]).toEqual([0, ErrorCode.noWatcher]);
    client.destroy();
  });
});

describe.each(targets)('watch request edge cases (%s)', (target) => {
  it('answers MarshallingError to removeWatches/checkWatches type 9 and addWatch mode 7',
    async () => {
      const client = await RawClient.session(ports.get(target)!);
      const results = [
        await client.call(nextXid++, { kind: 'removeWatches', path: '/', watcherType: 9 }),
        await client.call(nextXid++, { kind: 'checkWatches', path: '/', watcherType: 9 }),
        await client.call(nextXid++, { kind: 'addWatch', path: '/', mode: 7 }),
      ];
      expect(results.map((reply) => reply.header.err)).toEqual([
        ErrorCode.marshallingError,
        ErrorCode.marshallingError,
        ErrorCode.marshallingError,
      ]);
      client.destroy();
    });
});
