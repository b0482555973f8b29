// A getChildren reply encoded over many turns (actors/server/sliced-replies.ts) lists the
// children as they were when the read ran, on a real corral server over TCP: another session
// deletes and creates children of the same node while the replies are encoded, its writes are
// applied and answered before a reply's last byte has arrived, and yet each reply is exactly
// the children at the zxid in its header: no change applied between slices leaks into it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral, type CorralServer } from '../support/corral.js';
import { RawClient } from './raw-client.js';
import { createChildren, createOp as create, openAcl, wideNames } from './wide-node-fixture.js';

const childCount = 100_000;
const names = wideNames(childCount);
const empty = Buffer.alloc(0);
const pipelinedReads = 4;
/** Writes the other session has in flight at once, and the most waves it sends. */
const writesPerWave = 40;
const wavesMax = 100;

let server: CorralServer;

beforeAll(async () => {
  server = await startCorral({ tickTimeMs: 2000 });
  const setup = await RawClient.session(server.port);
  let xid = 1;
  expect((await setup.call(xid++, create('/wide'))).header.err).toBe(0);
  await createChildren(setup, xid, '/wide', names);
  setup.destroy();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** One write of the other session: deletes an original child, or creates a new one. */
interface Change {
  kind: 'delete' | 'create';
  name: string;
  zxid: number;
  /** Its place in the order replies arrived on both connections. */
  arrival: number;
}

describe('a sliced getChildren reply is a snapshot', () => {
  it('holds the children as of its zxid while another session changes them', async () => {
    const reader = await RawClient.session(server.port);
    const writer = await RawClient.session(server.port);
    let arrivals = 0;
    reader.socket.cork();
    for (let index = 0; index < pipelinedReads; index++) {
      reader.send(100 + index, { kind: 'getChildren', path: '/wide', watch: false });
    }
    reader.socket.uncork();
    const reads = Array.from({ length: pipelinedReads }, (_, index) =>
      reader.replyTo(100 + index, 30_000).then((reply) => ({ reply, arrival: arrivals++ })));
    let readsDone = false;
    const allRead = Promise.all(reads).finally(() => (readsDone = true));

    const changes: Change[] = [];
    let xid = 1;
    for (let wave = 0; wave < wavesMax && !readsDone; wave++) {
      const sent = Array.from({ length: writesPerWave }, () => {
        const serial = xid++;
        const change = serial % 2 === 1
          ? { kind: 'delete' as const, name: names[serial * 37 % childCount]! }
          : { kind: 'create' as const, name: `n${serial}` };
        writer.send(serial, change.kind === 'delete'
          ? { kind: 'delete', path: `/wide/${change.name}`, version: -1 }
          : { kind: 'create', opcode: 1, path: `/wide/${change.name}`, data: empty,
            acl: openAcl, flags: 0, ttl: -1 });
        return writer.replyTo(serial, 30_000).then((reply) => {
          expect(reply.header.err).toBe(0);
          changes.push({ ...change, zxid: reply.header.zxid, arrival: arrivals++ });
        });
      });
      await Promise.all(sent);
    }
    const replies = await allRead;

    // Some write was applied after a read ran (a zxid past the reply's) and answered before
    // that reply had arrived: it was applied while the reply was being encoded.
    const duringEncoding = replies.some(({ reply, arrival }) =>
      changes.some((change) => change.zxid > reply.header.zxid && change.arrival < arrival));
    expect(duringEncoding).toBe(true);

    for (const { reply } of replies) {
      expect(reply.header.err).toBe(0);
      const expected = new Set(names);
      for (const change of changes) {
        if (change.zxid > reply.header.zxid) continue;
        if (change.kind === 'delete') expected.delete(change.name);
        else expected.add(change.name);
      }
      const listed = reply.body.kind === 'children' ? reply.body.children : [];
      expect(listed.length).toBe(expected.size);
      expect([...listed].sort()).toEqual([...expected].sort());
    }
    reader.destroy();
    writer.destroy();
  }, 90_000);
});
