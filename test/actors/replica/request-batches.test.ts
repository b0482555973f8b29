// The requests a replica gathers in one turn go to its machine as one `client.requests`, which a
// leader proposes as one PROPOSAL (a learner forwards it as one REQUEST): small ones together
// until the turn ends or a thousand are gathered, large ones cut by size, so that a turn which
// completes many megabyte-sized requests never makes one frame of hundreds of megabytes.

import { describe, expect, it } from 'vitest';
import type { ClientRequestEntry } from '../../../machines/replica-context.js';
import type { ReplicaEvent } from '../../../machines/replica.js';
import { RequestBatches } from '../../../actors/replica/request-batches.js';
import { txnBatchBytesMax } from '../../../protocol/txn.js';

const auth = { ids: [], superUser: false };

function setData(cxid: number, bytes: number): ClientRequestEntry {
  return { sessionId: 1n, cxid, time: 0, body: { type: 'write', auth,
    request: { kind: 'setData', path: '/n', data: Buffer.alloc(bytes), version: -1 } } };
}

/** Batches handed over, as the cxids in each; `endTurn` runs what waits for the turn's end. */
function batching(): { batches: RequestBatches; sent: number[][]; endTurn: () => void } {
  const sent: number[][] = [];
  let queued: Array<() => void> = [];
  const batches = new RequestBatches((work) => queued.push(work), () => undefined,
    (event: ReplicaEvent) => {
      if (event.type === 'client.requests') sent.push(event.requests.map((entry) => entry.cxid));
    });
  const endTurn = (): void => {
    const work = queued;
    queued = [];
    for (const step of work) step();
  };
  return { batches, sent, endTurn };
}

describe('request batches', () => {
  it('hands small requests over together when the turn ends', () => {
    const { batches, sent, endTurn } = batching();
    for (let cxid = 1; cxid <= 40; cxid++) batches.add(setData(cxid, 1024));
    expect(sent).toEqual([]);
    endTurn();
    expect(sent).toEqual([Array.from({ length: 40 }, (_, index) => index + 1)]);
  });

  it('hands large requests over once a batch reaches its bytes, in order, none lost', () => {
    const { batches, sent, endTurn } = batching();
    for (let cxid = 1; cxid <= 30; cxid++) batches.add(setData(cxid, 300 * 1024));
    endTurn();
    expect(sent.flat()).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    // Four of 300 KiB pass 1 MiB: each batch ends on the request that reaches the bound.
    expect(txnBatchBytesMax).toBe(1 << 20);
    const perBatch = 4;
    expect(sent.slice(0, -1).every((batch) => batch.length === perBatch)).toBe(true);
    expect(sent.length).toBe(Math.ceil(30 / perBatch));
  });

  it('still hands a thousand small requests over at once', () => {
    const { batches, sent } = batching();
    for (let cxid = 1; cxid <= 1000; cxid++) batches.add(setData(cxid, 10));
    expect(sent.map((batch) => batch.length)).toEqual([1000]);
  });
});
