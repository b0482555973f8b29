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

/** One round: reads pipelined on one connection while another session's writes flow. */
interface Round {
  replies: { reply: Awaited<ReturnType<RawClient['replyTo']>>; arrival: number }[];
  /** Whether some write was applied after a read ran (a zxid past its reply's) and answered
   * before that reply had arrived: applied while the reply was being encoded. */
  duringEncoding: boolean;
}

/** Rounds at most until one shows a write applied mid-encoding (the first almost always does). */
const roundsMax = 6;

describe('a sliced getChildren reply is a snapshot', () => {
  it('holds the children as of its zxid while another session changes them', async () => {
    const reader = await RawClient.session(server.port);
    const writer = await RawClient.session(server.port);
    const changes: Change[] = [];
    let arrivals = 0;
    let xid = 1;
    let readXid = 100;

    /** Sends one wave of writes; resolves once all are answered. */
    const wave = (): Promise<void> => Promise.all(Array.from({ length: writesPerWave }, () => {
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
    })).then(() => undefined);

    const round = async (): Promise<Round> => {
      // Writes are already on their way when the reads go out, so some are applied while the
      // replies are encoded however fast this machine encodes them.
      let waves = wave();
      reader.socket.cork();
      const firstRead = readXid;
      for (let index = 0; index < pipelinedReads; index++) {
        reader.send(readXid++, { kind: 'getChildren', path: '/wide', watch: false });
      }
      reader.socket.uncork();
      const reads = Array.from({ length: pipelinedReads }, (_, index) =>
        reader.replyTo(firstRead + index, 30_000)
          .then((reply) => ({ reply, arrival: arrivals++ })));
      let readsDone = false;
      const allRead = Promise.all(reads).finally(() => (readsDone = true));
      for (let sent = 1; sent < wavesMax && !readsDone; sent++) {
        await waves;
        waves = wave();
      }
      await waves;
      const replies = await allRead;
      const duringEncoding = replies.some(({ reply, arrival }) =>
        changes.some((change) => change.zxid > reply.header.zxid && change.arrival < arrival));
      return { replies, duringEncoding };
    };

    let observed = false;
    for (let attempt = 0; attempt < roundsMax && !observed; attempt++) {
      const { replies, duringEncoding } = await round();
      observed = duringEncoding;
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
    }
    // Without a write applied mid-encoding the test would show nothing.
    expect(observed).toBe(true);
    reader.destroy();
    writer.destroy();
  }, 90_000);
});
