// A wide node's list of children read again over TCP from a real corral server while it has not
// changed is answered from the bytes its first reply was encoded to (actors/server/
// sliced-replies.ts, tree/node-slots.ts), as ZooKeeper answers getChildren2 from its response
// cache: the same names, a Stat of the node as it is now, a watch set as any read sets it, and
// a change to the children in the very next reply. mntr counts the hits and misses under
// ZooKeeper's names. Pipelined reads of the list, unread, do not hold another session's writes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../protocol/constants.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { RawClient } from './raw-client.js';
import { createChildren, createOp as create, wideNames } from './wide-node-fixture.js';

/** Over the count a reply is encoded in slices at, and the count the tree keeps lists from. */
const childCount = 20_000;
const names = wideNames(childCount);

let server: CorralServer;
let client: RawClient;
let nextXid = 1;

async function cacheCounts(): Promise<{ hits: number; misses: number }> {
  const mntr = await fourLetterWord(server.port, 'mntr');
  const value = (name: string): number => {
    const line = mntr.split('\n').find((each) => each.startsWith(`zk_${name}\t`));
    if (line === undefined) throw new Error(`mntr has no zk_${name}`);
    return Number(line.split('\t')[1]);
  };
  return { hits: value('response_packet_get_children_cache_hits'),
    misses: value('response_packet_get_children_cache_misses') };
}

async function childrenOf(path: string): Promise<string[]> {
  const reply = await client.call(nextXid++, { kind: 'getChildren', path, watch: false }, 30_000);
  expect(reply.header.err).toBe(0);
  if (reply.body.kind !== 'children') throw new Error(`unexpected ${reply.body.kind}`);
  return [...reply.body.children];
}

beforeAll(async () => {
  server = await startCorral({ zooCfg: ['tickTime=2000', '4lw.commands.whitelist=mntr,srvr'] });
  client = await RawClient.session(server.port);
  expect((await client.call(nextXid++, create('/wide'))).header.err).toBe(0);
  expect((await client.call(nextXid++, create('/other'))).header.err).toBe(0);
  ({ nextXid } = await createChildren(client, nextXid, '/wide', names));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describe('a wide node\'s list read again', () => {
  it('comes from its kept encoding, with a fresh Stat, counted as ZooKeeper counts', async () => {
    expect(await cacheCounts()).toEqual({ hits: 0, misses: 0 });
    expect(await childrenOf('/wide')).toEqual(names);
    expect(await cacheCounts()).toEqual({ hits: 0, misses: 1 });
    expect(await childrenOf('/wide')).toEqual(names);
    expect(await cacheCounts()).toEqual({ hits: 1, misses: 1 });
    // The node's data changes, its children do not: the names are kept, the Stat is new.
    const set = await client.call(nextXid++, { kind: 'setData', path: '/wide',
      data: Buffer.from('v1'), version: -1 });
    expect(set.header.err).toBe(0);
    const withStat = await client.call(nextXid++, { kind: 'getChildren2', path: '/wide',
      watch: false }, 30_000);
    if (withStat.body.kind !== 'childrenStat') throw new Error('expected a stat');
    expect(withStat.body.children).toEqual(names);
    expect(withStat.body.stat).toMatchObject({ version: 1, dataLength: 2,
      numChildren: childCount, mzxid: set.header.zxid });
    expect(await cacheCounts()).toEqual({ hits: 2, misses: 1 });
  }, 60_000);

  it('holds a change to the children from the next reply on', async () => {
    await childrenOf('/wide');
    expect((await client.call(nextXid++, create('/wide/zz'))).header.err).toBe(0);
    expect(await childrenOf('/wide')).toEqual([...names, 'zz']);
    const removed = await client.call(nextXid++, { kind: 'delete', path: '/wide/zz',
      version: -1 });
    expect(removed.header.err).toBe(0);
    expect(await childrenOf('/wide')).toEqual(names);
  }, 60_000);

  it('sets a watch as any read does, and its event follows the reply', async () => {
    await childrenOf('/wide');
    const { hits } = await cacheCounts();
    const watcher = await RawClient.session(server.port);
    const listed = await watcher.call(1, { kind: 'getChildren', path: '/wide', watch: true },
      30_000);
    expect(listed.body.kind === 'children' && listed.body.children.length).toBe(childCount);
    expect((await cacheCounts()).hits).toBe(hits + 1);
    expect((await client.call(nextXid++, create('/wide/watched'))).header.err).toBe(0);
    expect(await watcher.waitForEvents(1)).toEqual([
      { type: EventType.nodeChildrenChanged, state: 3, path: '/wide' },
    ]);
    watcher.destroy();
    const removed = await client.call(nextXid++, { kind: 'delete', path: '/wide/watched',
      version: -1 });
    expect(removed.header.err).toBe(0);
  }, 60_000);

  it('lets another session write while pipelined replies of it wait to be read', async () => {
    await childrenOf('/wide');
    const reader = await RawClient.session(server.port);
    const writer = await RawClient.session(server.port);
    const pipelined = 40;
    // The reader reads nothing until the writer is done: the server holds its replies, a few
    // megabytes, unsent.
    reader.socket.pause();
    reader.socket.cork();
    for (let index = 0; index < pipelined; index++) {
      reader.send(100 + index, { kind: 'getChildren', path: '/wide', watch: false });
    }
    reader.socket.uncork();
    for (let xid = 1; xid <= 20; xid++) {
      const reply = await writer.call(xid, { kind: 'setData', path: '/other',
        data: Buffer.from(String(xid)), version: -1 });
      expect(reply.header.err).toBe(0);
    }
    reader.socket.resume();
    for (let index = 0; index < pipelined; index++) {
      const reply = await reader.replyTo(100 + index, 30_000);
      expect(reply.body.kind === 'children' && reply.body.children.length).toBe(childCount);
    }
    reader.destroy();
    writer.destroy();
  }, 60_000);
});
