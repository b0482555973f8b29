// A replica takes SNAP pieces only from the peers it syncs with (the leader, and the follower it
// asked a snapshot of): pieces are held until their SNAP comes, so a peer this replica is not
// syncing with cannot make it hold memory by streaming them. Dropped pieces are logged once.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { receivePeerFrame, type PeerInboxParts } from '../../../actors/replica/peer-inbox.js';
import { PeerOutbox } from '../../../actors/replica/outbox.js';
import { SnapAssembler } from '../../../actors/replica/snap-assembler.js';
import type { ReplicaEvent } from '../../../machines/replica.js';
import { encodePeerMessage } from '../../../protocol/peer-codec.js';
import { treeSnapshotBytes, type ServerId } from '../../../protocol/peer.js';

function inbox(senders: ServerId[]): { parts: PeerInboxParts; events: ReplicaEvent[];
  warnings: string[] } {
  const events: ReplicaEvent[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => {
    warnings.push((JSON.parse(line) as { msg: string }).msg);
  } });
  const outbox = new PeerOutbox({ send: () => undefined,
    linkState: () => ({ state: 'connected', queuedBytes: 0 }) }, logger,
  { nextTurn: () => Promise.resolve(), sleep: () => Promise.resolve() });
  const parts: PeerInboxParts = { outbox, snapAssembler: new SnapAssembler(1 << 30), logger,
    drainTouches: () => [], deliver: (event) => events.push(event),
    snapshotSenders: () => senders };
  return { parts, events, warnings };
}

const piece = encodePeerMessage({ type: 'snapPart', bytes: Buffer.alloc(1000, 1) });
const snap = encodePeerMessage({ type: 'snap', zxid: 5,
  snapshot: { formatVersion: 2, bytes: Buffer.alloc(10, 2) } });

/** The bytes of the SNAP the machine was handed last. */
function deliveredSnapBytes(events: ReplicaEvent[]): number {
  const event = events.at(-1);
  if (event?.type !== 'peer.snap') throw new Error(`no SNAP delivered: ${event?.type}`);
  return treeSnapshotBytes(event.message.snapshot);
}

describe('peer inbox: SNAP pieces', () => {
  it('joins the pieces its leader streams to the SNAP that ends them', () => {
    const { parts, events, warnings } = inbox([2]);
    for (let index = 0; index < 3; index++) receivePeerFrame(parts, 2, piece);
    receivePeerFrame(parts, 2, snap);
    expect(deliveredSnapBytes(events)).toBe(3010);
    expect(warnings).toEqual([]);
  });

  it('drops pieces from a peer it does not sync with, and says so once', () => {
    const { parts, events, warnings } = inbox([2]);
    for (let index = 0; index < 50; index++) receivePeerFrame(parts, 3, piece);
    receivePeerFrame(parts, 3, snap);
    // Nothing of the 50 pieces was held or joined.
    expect(deliveredSnapBytes(events)).toBe(10);
    expect(warnings).toEqual(['SNAP pieces from a peer this replica is not syncing with: dropped']);
  });
});
