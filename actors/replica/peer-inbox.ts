// The replica host's side of receiving peer frames: each is decoded into the machine's
// `peer.<type>` event, SNAPPART pieces are joined back into the SNAP the machine expects, and what
// a message means for the outbox (a learner starting over) is done before the machine sees it.
import type { Logger } from 'pino';
import { peerEventOf, type ReplicaEvent } from '../../machines/replica.js';
import { decodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessage, ServerId, SessionTouch } from '../../protocol/peer.js';
import type { PeerOutbox } from './outbox.js';
import type { SnapAssembler } from './snap-assembler.js';
import { vetSiteSnapshot } from './site-snapshot.js';

export interface PeerInboxParts {
  outbox: PeerOutbox;
  snapAssembler: SnapAssembler;
  logger: Logger;
  /** Told of every decoded message (traces, the simulator). */
  observe?: (from: ServerId, message: PeerMessage) => void;
  /** Told of every decoded message too: the peer protocol a peer announces (peer-frames.ts). */
  heard?: (from: ServerId, message: PeerMessage) => void;
  /** A learner's clients' session touches since its last PING reply (none when leading). */
  drainTouches(): readonly SessionTouch[];
  /** Hands an event to the machine. */
  deliver(event: ReplicaEvent): void;
  /** The follower a snapshot was asked of (sync from the same site), if any: its SNAP is
   * checked whole before the machine sees it (site-snapshot.ts). */
  snapshotSource?(): ServerId | null;
  /**
   * The peers that may stream this replica a SNAP now: the leader it syncs with, and the
   * follower it asked a snapshot of. SNAPPART pieces from any other peer are dropped: the pieces
   * are held until their SNAP comes, so only a sync this replica is in may hold its memory.
   * Unset: pieces are taken from every peer (unit tests).
   */
  snapshotSenders?(): readonly ServerId[];
}

/** One peer frame in: the events it makes, handed to the machine in order. */
export function receivePeerFrame(parts: PeerInboxParts, from: ServerId, frame: Uint8Array): void {
  const { outbox, snapAssembler, logger } = parts;
  const decoded = decodePeerMessage(frame);
  if (!decoded.ok) {
    logger.warn({ peer: from, error: String(decoded.error) }, 'bad peer frame');
    return;
  }
  let message = decoded.message;
  parts.observe?.(from, message);
  parts.heard?.(from, message);
  if (message.type === 'snapPart') {
    if (parts.snapshotSenders !== undefined && !parts.snapshotSenders().includes(from)) {
      if (snapAssembler.refuseFrom(from)) {
        logger.warn({ peer: from },
          'SNAP pieces from a peer this replica is not syncing with: dropped');
      }
      return;
    }
    if (!snapAssembler.addPart(from, message.bytes)) logger.warn({ peer: from }, 'SNAP too large');
    return;
  }
  const lookingAgain = message.type === 'notification' && message.state === 'looking';
  if (message.type === 'followerInfo' || message.type === 'observerInfo' || lookingAgain) {
    // A learner starting over (or back to looking): nothing of an earlier sync stream to it may
    // follow, and a stream given up no longer silences it. A looker must hear who leads, or it
    // never comes back (found by the simulator: seed 500187).
    outbox.beginSync(from);
  }
  if (message.type === 'leaderInfo') {
    // A new sync with this leader begins: pieces of a SNAP the leader gave up streaming (its
    // link stayed up) must not be joined to the next one's (found by the simulator: seed 1170,
    // a SNAP payload that did not add up stopped the learner).
    snapAssembler.forget(from);
  }
  if (message.type === 'snap') {
    const whole = snapAssembler.complete(from, message);
    // Refused: the sync times out and the learner tries again, as after a broken link.
    if (whole === undefined) return;
    message = from === parts.snapshotSource?.() ? vetSiteSnapshot(from, whole, logger) : whole;
  }
  if (message.type === 'snapFrom') {
    // Nothing of an earlier stream from that follower may be joined to the one asked for now.
    snapAssembler.forget(message.peer);
    logger.info({ leader: from, peer: message.peer },
      'taking the snapshot from a follower of the site');
  }
  if (message.type === 'ping') {
    // The PING reply carries the sessions this replica's clients used since the last one.
    const touches = parts.drainTouches();
    if (touches.length > 0) parts.deliver({ type: 'sessions.touched', touches: [...touches] });
  }
  parts.deliver(peerEventOf(from, message));
}
