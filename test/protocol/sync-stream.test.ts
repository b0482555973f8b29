// A sync stream's PROPOSAL batches are cut by size as well as by count: each batch is one peer
// frame, encoded in one turn of the leader's event loop, so large values (or a restore's 4 MiB
// chunks) make batches of a few txns, not one frame of hundreds of megabytes. Every txn is sent
// once, in order, and each batch committed so far is followed by its COMMIT.

import { describe, expect, it } from 'vitest';
import { encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessage } from '../../protocol/peer.js';
import { syncBatchTxnsMax, syncStreamMessages } from '../../protocol/sync-stream.js';
import { txnBatchBytesMax, txnBulkBytes, type Txn } from '../../protocol/txn.js';

const auth = { ids: [], superUser: false };

function setData(zxid: number, bytes: number): Txn {
  return { zxid, time: 1_700_000_000_000 + zxid, sessionId: 1n, cxid: zxid,
    body: { type: 'write', auth,
      request: { kind: 'setData', path: `/n${zxid % 7}`, data: Buffer.alloc(bytes, zxid & 0xff),
        version: -1 } } };
}

/** Restore chunks of 4 MiB (admin-backup.ts restoreChunkBytes), one buffer shared by all. */
const chunkBytes = Buffer.alloc(4 << 20, 7);

function restoreChunk(zxid: number): Txn {
  return { zxid, time: 1_700_000_000_000 + zxid, sessionId: 0n, cxid: 0,
    body: { type: 'restoreChunk', restoreZxid: 1, index: zxid - 2, nodes: 10,
      bytes: chunkBytes } };
}

function proposals(messages: PeerMessage[]): Txn[][] {
  return messages.flatMap((message) => message.type === 'proposal' ? [message.txns] : []);
}

describe('sync stream batches', () => {
  it('cuts batches of large values by size, sending each txn once and in order', () => {
    const txns = Array.from({ length: 40 }, (_, index) => setData(index + 1, 700 * 1024));
    const messages = [...syncStreamMessages(txns, 30)];
    const batches = proposals(messages);
    expect(batches.flat().map((txn) => txn.zxid)).toEqual(txns.map((txn) => txn.zxid));
    expect(batches.length).toBeGreaterThanOrEqual(20);
    for (const batch of batches) {
      const bytes = batch.reduce((sum, txn) => sum + txnBulkBytes(txn), 0);
      expect(bytes - txnBulkBytes(batch.at(-1)!)).toBeLessThan(txnBatchBytesMax);
      const frame = encodePeerMessage({ type: 'proposal', txns: batch });
      expect(frame.byteLength).toBeLessThan(txnBatchBytesMax + 800 * 1024);
    }
    // Each batch with committed txns is followed by a COMMIT of the last of them, never past 30.
    const commits = messages.flatMap((message) => message.type === 'commit' ? [message.zxid] : []);
    expect(commits.at(-1)).toBe(30);
    expect(Math.max(...commits)).toBe(30);
  });

  it('still cuts small txns by count', () => {
    const txns = Array.from({ length: 1200 }, (_, index) => setData(index + 1, 10));
    const sizes = proposals([...syncStreamMessages(txns, 1200)]).map((batch) => batch.length);
    expect(sizes).toEqual([syncBatchTxnsMax, syncBatchTxnsMax, 1200 - 2 * syncBatchTxnsMax]);
  });

  it('gives a restore\'s 4 MiB chunks a batch each, far below the peer frame limit', () => {
    const txns = Array.from({ length: 300 }, (_, index) => restoreChunk(index + 2));
    const batches = proposals([...syncStreamMessages(txns, 301)]);
    expect(batches.map((batch) => batch.length)).toEqual(txns.map(() => 1));
  });

  it('counts a multi by its ops', () => {
    const op = (index: number) => ({ kind: 'create' as const, opcode: 1 as const,
      path: `/m${index}`, data: Buffer.alloc(1000), acl: [], flags: 0, ttl: -1 });
    const multi: Txn = { zxid: 1, time: 0, sessionId: 1n, cxid: 1,
      body: { type: 'write', auth, request: { kind: 'multi', ops: [op(1), op(2), op(3)] } } };
    expect(txnBulkBytes(multi)).toBeGreaterThanOrEqual(3000);
    expect(txnBulkBytes(multi)).toBeLessThan(3200);
  });
});
