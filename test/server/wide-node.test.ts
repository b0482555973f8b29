// getChildren of a node with 100k children on a real corral server over TCP: the whole list
// comes back (getChildren2 with the node's stat, getAllChildrenNumber its count), and while such
// replies are encoded (a slice per turn, actors/server/sliced-replies.ts) another session's
// writes are applied and answered, which the zxids in the replies' headers prove: a server that
// encoded them in one go would run the pipelined reads in one turn, all at one zxid. The server
// keeps no encoded lists here (maxGetChildrenResponseCacheSize=0), so every reply is encoded
// again; wide-node-kept.test.ts reads lists answered from their kept encoding.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../protocol/constants.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { RawClient } from './raw-client.js';
import { createChildren, createOp, openAcl, wideNames } from './wide-node-fixture.js';

const childCount = 100_000;
const names = wideNames(childCount);

let server: CorralServer;
let client: RawClient;
let lastCreateZxid = 0;
let nextXid = 1;

beforeAll(async () => {
  server = await startCorral({ zooCfg: ['tickTime=2000', 'maxGetChildrenResponseCacheSize=0',
    '4lw.commands.whitelist=mntr'] });
  client = await RawClient.session(server.port);
  expect((await client.call(nextXid++, createOp('/wide'))).header.err).toBe(0);
  expect((await client.call(nextXid++, createOp('/other'))).header.err).toBe(0);
  ({ nextXid, lastZxid: lastCreateZxid } = await createChildren(client, nextXid, '/wide', names));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

describe('getChildren of a node with 100k children', () => {
  it('answers the whole list, getChildren2 with the node stat, and the count', async () => {
    const children = await client.call(nextXid++, { kind: 'getChildren', path: '/wide',
      watch: false }, 30_000);
    expect(children.header.err).toBe(0);
    expect(children.body.kind === 'children' && children.body.children).toEqual(names);

    const withStat = await client.call(nextXid++, { kind: 'getChildren2', path: '/wide',
      watch: false }, 30_000);
    expect(withStat.body.kind).toBe('childrenStat');
    if (withStat.body.kind !== 'childrenStat') return;
    expect(withStat.body.children).toEqual(names);
    expect(withStat.body.stat.numChildren).toBe(childCount);
    expect(withStat.body.stat.cversion).toBe(childCount);
    expect(withStat.body.stat.pzxid).toBe(lastCreateZxid);

    const count = await client.call(nextXid++, { kind: 'getAllChildrenNumber', path: '/wide' });
    expect(count.body).toEqual({ kind: 'number', value: childCount });
    // Nothing kept, nothing counted.
    expect(await fourLetterWord(server.port, 'mntr')).toMatch(
      /zk_response_packet_get_children_cache_hits\t0\n[^]*_cache_misses\t0\n/);
  }, 60_000);

  it('lets another session write while the replies are encoded (4 pipelined, zxids)', async () => {
    const reader = await RawClient.session(server.port);
    const writer = await RawClient.session(server.port);
    // Arrival order over both sockets: the writer's replies and the reader's last bytes.
    let arrivals = 0;
    const writerReplyArrival: number[] = [];
    writer.socket.on('data', () => writerReplyArrival.push(arrivals++));
    const pipelined = 4;
    const firstXid = 100;
    // One write (corked): the server hands the four reads over together, as one chunk.
    reader.socket.cork();
    for (let index = 0; index < pipelined; index++) {
      reader.send(firstXid + index, { kind: 'getChildren', path: '/wide', watch: false });
    }
    reader.socket.uncork();
    const readerDone = (async () => {
      const replies = [];
      for (let index = 0; index < pipelined; index++) {
        replies.push(await reader.replyTo(firstXid + index, 30_000));
      }
      return { replies, arrival: arrivals++ };
    })();
    // The writer writes back to back until the reads are all answered.
    let readsAnswered = false;
    void readerDone.then(() => (readsAnswered = true));
    const writes: number[] = [];
    for (let xid = 1; !readsAnswered && xid <= 10_000; xid++) {
      const reply = await writer.call(xid, { kind: 'setData', path: '/other',
        data: Buffer.from(String(xid)), version: -1 });
      expect(reply.header.err).toBe(0);
      writes.push(reply.header.zxid);
    }
    const { replies, arrival: readerLastArrival } = await readerDone;
    for (const reply of replies) {
      expect(reply.body.kind === 'children' && reply.body.children.length).toBe(childCount);
    }
    // The reads ran one after another as each reply was sent: the writer's writes were applied
    // between the first and the last, and answered before the last reply's last byte arrived.
    const firstReadZxid = replies[0]!.header.zxid;
    const lastReadZxid = replies[pipelined - 1]!.header.zxid;
    expect(lastReadZxid).toBeGreaterThan(firstReadZxid);
    const answeredBetween = writes.filter((zxid) => zxid > firstReadZxid && zxid <= lastReadZxid);
    expect(answeredBetween.length).toBeGreaterThan(0);
    expect(writerReplyArrival[0]).toBeLessThan(readerLastArrival);
    reader.destroy();
    writer.destroy();
  }, 60_000);

  it('sends a child watch event after the getChildren reply that set it, before the write',
    async () => {
      // One connection: the create is handed over while the getChildren reply is still being
      // encoded, so it can be applied (and fire the watch) before that reply is written. The
      // event must follow the reply that set its watch and precede the create's own reply.
      const client = await RawClient.session(server.port);
      client.socket.cork();
      client.send(1, { kind: 'getChildren', path: '/wide', watch: true });
      client.send(2, { kind: 'create', opcode: 1, path: '/wide/late', data: Buffer.alloc(0),
        acl: openAcl, flags: 0, ttl: -1 });
      client.socket.uncork();
      const listed = await client.replyTo(1, 30_000);
      expect(listed.body.kind === 'children' && listed.body.children.includes('late')).toBe(false);
      expect((await client.replyTo(2)).header.err).toBe(0);
      await client.waitForEvents(1);
      expect(client.received.map((entry) => entry.kind === 'reply' ? entry.header.xid : 'event'))
        .toEqual([1, 'event', 2]);
      expect(client.events()).toEqual([
        { type: EventType.nodeChildrenChanged, state: 3, path: '/wide' },
      ]);
      client.destroy();
    }, 60_000);
});

