// Sync from the same site, the host's side (the machines decide: machines/leading/site-sync.ts,
// machines/following/site-sync.ts). A synced follower streams its tree to a learner of its site
// as the leader streams a SNAP: encoded from a capture a SNAPPART at a time through the outbox,
// paced by the link, so the whole snapshot is never held. The learner checks the snapshot whole
// before its machine takes it; a bad one reaches the machine as SNAPREFUSED (back to the leader).
import type { Logger } from 'pino';
import { encodePeerMessage } from '../../protocol/peer-codec.js';
import {
  treeSnapshotBytes,
  type PeerMessage,
  type PeerMessageOf,
  type ServerId,
  type Zxid,
} from '../../protocol/peer.js';
import { hex } from '../../protocol/zxid.js';
import { checkSnapshot, peerSnapshotFormatVersion } from '../../storage/peer-snapshot.js';
import type { DataTree } from '../../tree/data-tree.js';
import { snapFrames, type PeerOutbox } from './outbox.js';

export interface SiteSnapshotParts {
  tree: DataTree;
  outbox: PeerOutbox;
  logger: Logger;
}

/**
 * Streams this follower's tree, as of the last txn it applied, to learner `to`; or SNAPREFUSED
 * when that txn is beyond `committedZxid`, the last COMMIT the follower applied. A replica
 * replays its whole log at startup, committed or not, so until the leader's COMMITs reach that
 * tail its tree may hold txns a later leader could truncate: a learner whose log would start
 * after them could not be cut back below its snapshot.
 */
export function serveSiteSnapshot(
  to: ServerId,
  committedZxid: Zxid,
  { tree, outbox, logger }: SiteSnapshotParts,
): void {
  const capture = tree.capture();
  if (capture.zxid > committedZxid) {
    capture.release();
    logger.info({ learner: to, zxid: hex(capture.zxid), committedZxid: hex(committedZxid) },
      'snapshot refused to a learner of the site: the tree holds txns not yet committed');
    outbox.send(to, encodePeerMessage({ type: 'snapRefused' }));
    return;
  }
  const snap = {
    type: 'snap',
    zxid: capture.zxid,
    snapshot: { formatVersion: peerSnapshotFormatVersion, bytes: Buffer.alloc(0) },
  } as const;
  logger.info({ learner: to, zxid: hex(capture.zxid) },
    'serving a snapshot to a learner of the site');
  outbox.stream(to, snapFrames(snap, capture, outbox.snapPartBytes), (outcome) => {
    logger.info(
      { learner: to, zxid: hex(capture.zxid), sent: outcome.sent, bytes: outcome.bytes,
        ms: Math.round(outcome.ms) },
      outcome.sent ? 'site snapshot sent' : 'site snapshot abandoned',
    );
  });
}

/**
 * The SNAP a learner got from the follower its machine asked (`from`), checked: itself when
 * whole and of the zxid it says, else SNAPREFUSED, so the learner falls back to the leader.
 */
export function vetSiteSnapshot(
  from: ServerId,
  snap: PeerMessageOf<'snap'>,
  logger: Logger,
): PeerMessage {
  try {
    const zxid = checkSnapshot(snap.snapshot);
    if (zxid !== snap.zxid) throw new Error(`its frames say ${hex(zxid)}`);
    logger.info(
      { peer: from, zxid: hex(zxid), bytes: treeSnapshotBytes(snap.snapshot) },
      'snapshot from a follower of the site',
    );
    return snap;
  } catch (error) {
    logger.warn(
      { peer: from, zxid: hex(snap.zxid), error: String(error) },
      'snapshot from a follower of the site refused: syncing from the leader',
    );
    return { type: 'snapRefused' };
  }
}
