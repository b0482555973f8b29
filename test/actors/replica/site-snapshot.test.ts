// Sync from the same site, the host's side (actors/replica/site-snapshot.ts): the follower's tree
// streamed as SNAPPART pieces and a SNAP through a real outbox, joined back by the learner's
// assembler into a snapshot that restores the same tree; a learner takes only a whole snapshot of
// the zxid it names, and turns anything else into SNAPREFUSED (back to the leader). A follower
// whose tree holds a txn no COMMIT has reached yet refuses to serve it.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decodePeerMessage } from '../../../protocol/peer-codec.js';
import type { PeerMessage, PeerMessageOf } from '../../../protocol/peer.js';
import { restoreTree } from '../../../storage/peer-snapshot.js';
import { DataTree } from '../../../tree/data-tree.js';
import { PeerOutbox } from '../../../actors/replica/outbox.js';
import { SnapAssembler } from '../../../actors/replica/snap-assembler.js';
import { serveSiteSnapshot, vetSiteSnapshot } from '../../../actors/replica/site-snapshot.js';
import { treeOf, TxnStream } from '../../storage/fixtures.js';

const logger = pino({ level: 'silent' });

/** Serves `tree` to learner 4 through an outbox over a link that is always up; the frames. */
async function served(tree: DataTree, snapPartBytes: number): Promise<PeerMessage[]> {
  const frames: Uint8Array[] = [];
  const outbox = new PeerOutbox(
    { send: (_to, frame) => frames.push(frame),
      linkState: () => ({ state: 'connected', queuedBytes: 0 }) },
    logger,
    { nextTurn: () => new Promise((resolve) => setImmediate(resolve)),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), snapPartBytes,
      sliceBytesMax: snapPartBytes },
  );
  const ended = new Promise<boolean>((resolve) => {
    const original = outbox.stream.bind(outbox);
    outbox.stream = (to, generator) => original(to, generator, (outcome) => resolve(outcome.sent));
  });
  serveSiteSnapshot(4, tree.lastZxid, { tree, outbox, logger });
  expect(await ended).toBe(true);
  return frames.map((frame) => {
    const decoded = decodePeerMessage(frame);
    if (!decoded.ok) throw decoded.error;
    return decoded.message;
  });
}

function assembled(messages: PeerMessage[]): PeerMessageOf<'snap'> {
  const assembler = new SnapAssembler(1 << 30);
  for (const message of messages.slice(0, -1)) {
    if (message.type !== 'snapPart') throw new Error(`unexpected ${message.type}`);
    assembler.addPart(3, message.bytes);
  }
  const last = messages.at(-1);
  if (last?.type !== 'snap') throw new Error('no SNAP at the end');
  return assembler.complete(3, last)!;
}

describe('site snapshot', () => {
  const tree = treeOf(new TxnStream(31).take(3000));

  it('streams the tree in pieces that join into a SNAP of the same tree', async () => {
    const messages = await served(tree, 1024);
    const parts = messages.filter((message) => message.type === 'snapPart').length;
    expect(parts, `${tree.nodeCount} nodes`).toBeGreaterThanOrEqual(2);
    const snap = assembled(messages);
    expect(snap.zxid).toBe(tree.lastZxid);
    expect(vetSiteSnapshot(3, snap, logger)).toBe(snap);
    const restored = new DataTree({ extendedTypesEnabled: true });
    expect(restoreTree(restored, snap.snapshot)).toBe(tree.lastZxid);
    expect(restored.nodeCount).toBe(tree.nodeCount);
  });

  it('refuses to serve a tree holding a txn beyond the last COMMIT it applied', () => {
    const frames: Uint8Array[] = [];
    const outbox = new PeerOutbox(
      { send: (_to, frame) => frames.push(frame),
        linkState: () => ({ state: 'connected', queuedBytes: 0 }) },
      logger,
      { nextTurn: () => Promise.resolve(), sleep: () => Promise.resolve() },
    );
    serveSiteSnapshot(4, tree.lastZxid - 1, { tree, outbox, logger });
    expect(frames.map((frame) => decodePeerMessage(frame))).toEqual([
      { ok: true, message: { type: 'snapRefused' } },
    ]);
  });

  it('refuses a flipped byte, a cut payload and a zxid its frames do not say', async () => {
    const snap = assembled(await served(tree, 64 * 1024));
    const bytes = Buffer.from(snap.snapshot.bytes);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    const variants: Array<PeerMessageOf<'snap'>> = [
      { ...snap, snapshot: { ...snap.snapshot, bytes: flipped } },
      { ...snap, snapshot: { ...snap.snapshot, bytes: bytes.subarray(0, bytes.length - 9) } },
      { ...snap, zxid: snap.zxid + 1 },
    ];
    for (const variant of variants) {
      expect(vetSiteSnapshot(3, variant, logger)).toEqual({ type: 'snapRefused' });
    }
  });
});
