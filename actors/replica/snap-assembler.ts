// A learner's side of a streamed SNAP: the SNAPPART pieces from a peer, joined into the one SNAP
// that ends them, which is what the machine gets (outbox.ts is the sending side). The tree is
// restored from the pieces as they come, so that a large SNAP is restored while the rest of it
// is still on the wire, not in one block after its last byte: a wiped follower of a million
// znodes otherwise spent longer restoring its SNAP than receiving it. The log (log.ts) takes
// the restored tree when the machine loads that SNAP; if the restore failed (a corrupt frame),
// there is none, and the log restores from the whole payload, which fails as it always did.
// The tree's digest is left for later, as at a standalone server's startup: summing a million
// node digests was some 40% of a restore, and the log completes it a slice per turn once the
// tree is in place (until then applied txns keep no digest and compare none).

import type { PeerMessageOf, ServerId, TreeSnapshot, Zxid } from '../../protocol/peer.js';
import { peerSnapshotFormatVersion, SnapshotPieceRestore } from '../../storage/peer-snapshot.js';
import type { DataTree } from '../../tree/data-tree.js';

interface Pieces {
  parts: Uint8Array[];
  bytes: number;
  refused: boolean;
  /** The tree being restored from the pieces so far; undefined once a piece failed to. */
  restore: SnapshotPieceRestore | undefined;
}

/** A SNAP's tree, restored as it was received, current to `zxid`; its digest not yet summed
 * (DataTree.completeDigest). */
export interface RestoredSnap {
  zxid: Zxid;
  tree: DataTree;
}

export class SnapAssembler {
  private readonly pieces = new Map<ServerId, Pieces>();
  /** Trees restored from completed SNAPs, until the log takes them (or the SNAP is dropped). */
  private readonly restored = new WeakMap<TreeSnapshot, RestoredSnap>();
  /** Peers whose pieces were dropped since their link last broke (refuseFrom). */
  private readonly refused = new Set<ServerId>();

  /**
   * `emptyTree`: a new tree to restore a SNAP into as its pieces come; without one (or while
   * it answers undefined), the SNAP is only joined, and the log restores it whole.
   */
  constructor(
    private readonly bytesMax: number,
    private readonly emptyTree?: () => DataTree | undefined,
  ) {}

  /** Keeps a piece; false once the pieces from `from` pass bytesMax (its SNAP is then refused). */
  addPart(from: ServerId, bytes: Uint8Array): boolean {
    let entry = this.pieces.get(from);
    if (entry === undefined) {
      const tree = this.emptyTree?.();
      entry = { parts: [], bytes: 0, refused: false,
        restore: tree === undefined ? undefined : new SnapshotPieceRestore(tree, true) };
      this.pieces.set(from, entry);
    }
    if (entry.refused) return false;
    entry.parts.push(bytes);
    entry.bytes += bytes.length;
    if (entry.bytes > this.bytesMax) {
      entry.refused = true;
      entry.parts = [];
      entry.restore = undefined;
      return false;
    }
    entry.restore = restoreMore(entry.restore, bytes);
    return true;
  }

  /**
   * The SNAP with the pieces before it joined in front of its own bytes; undefined when its
   * pieces were refused as too large.
   */
  complete(from: ServerId, snap: PeerMessageOf<'snap'>): PeerMessageOf<'snap'> | undefined {
    const entry = this.pieces.get(from);
    if (entry === undefined) return snap;
    this.pieces.delete(from);
    const last = snap.snapshot.bytes;
    if (entry.refused || entry.bytes + last.length > this.bytesMax) return undefined;
    // The pieces stay apart: joined, they would be copied once more (TreeSnapshot.pieces).
    const snapshot = { ...snap.snapshot, pieces: entry.parts };
    const restore = restoreMore(entry.restore, last);
    if (restore !== undefined && snapshot.formatVersion === peerSnapshotFormatVersion) {
      try {
        this.restored.set(snapshot, { zxid: restore.finish(), tree: restore.tree });
      } catch {
        // No end frame: the log's restore of the whole payload says so.
      }
    }
    return { ...snap, snapshot };
  }

  /** The tree `snapshot` (a SNAP this completed) was restored into as it came, if it was;
   * handed over once. */
  takeRestored(snapshot: TreeSnapshot): RestoredSnap | undefined {
    const found = this.restored.get(snapshot);
    this.restored.delete(snapshot);
    return found;
  }

  /** The link to `from` broke: a stream on it can never complete. */
  forget(from: ServerId): void {
    this.pieces.delete(from);
    this.refused.delete(from);
  }

  /**
   * Pieces from `from` are being dropped (it streams while this replica does not sync with it):
   * anything it sent before is dropped too. True the first time since the link last broke or
   * a sync with it began, so that the drop is logged once, not per piece.
   */
  refuseFrom(from: ServerId): boolean {
    this.pieces.delete(from);
    if (this.refused.has(from)) return false;
    this.refused.add(from);
    return true;
  }
}

/** `restore` with `bytes` restored too; undefined if it could not be (the tree is dropped). */
function restoreMore(restore: SnapshotPieceRestore | undefined, bytes: Uint8Array):
  SnapshotPieceRestore | undefined {
  if (restore === undefined) return undefined;
  try {
    restore.push(bytes);
    return restore;
  } catch {
    // A corrupt frame: the log's restore of the whole payload finds and reports it.
    return undefined;
  }
}
