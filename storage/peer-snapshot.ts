// SNAP's payload: the data tree encoded exactly as a snapshot file holds it (storage/
// snapshot-file.ts, checksummed frames), and the restore that rebuilds an identical tree from it.
// The leader sends it to a learner too far behind its log to DIFF; production and simulator
// alike. Being a snapshot file's bytes, a learner checks every frame before it restores, and
// stores the payload as its own snapshot without encoding the tree again.
import { slabValueBytesMax } from '../tree/data-slab.js';
import type { TreeSnapshot } from '../protocol/peer.js';
import type { DataTree } from '../tree/data-tree.js';
import { encodeSnapshot, snapshotBytesZxid, visitSnapshotBytes } from './snapshot-file.js';

/** 2: snapshot-file frames (format 3 and later). 1 was one msgpack document of node tuples. */
export const peerSnapshotFormatVersion = 2;

/** What errors call a SNAP's payload, which has no file name. */
const snapName = 'SNAP payload';

export function snapshotOfTree(tree: DataTree): TreeSnapshot {
  return { formatVersion: peerSnapshotFormatVersion, bytes: encodeSnapshot(tree.capture()) };
}

/** The payload as a Buffer over the same memory (msgpackr may hand back a plain Uint8Array). */
export function snapshotBytes(snapshot: TreeSnapshot): Buffer {
  const { bytes } = snapshot;
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Rebuilds `tree` from a snapshot; returns the zxid it is current to. Throws
 * CorruptSnapshotError, leaving `tree` unusable, unless every frame checks and the counts match.
 */
export function restoreTree(tree: DataTree, snapshot: TreeSnapshot): number {
  if (snapshot.formatVersion !== peerSnapshotFormatVersion) {
    throw new Error(`peer snapshot: unknown format ${snapshot.formatVersion}`);
  }
  const bytes = snapshotBytes(snapshot);
  const zxid = snapshotBytesZxid(snapName, bytes);
  tree.restore(zxid, (restorer) => {
    visitSnapshotBytes(snapName, bytes, {
      // Columns and path index sized once from the count, as a restart does (tree/snapshot.ts).
      // The tree copies small values into its slab: they need not be copied out first.
      copyDataOver: slabValueBytesMax,
      header: (_zxid, nodeCount) => restorer.reserve(nodeCount),
      acls: (acls) => restorer.addAcls(acls),
      node: (fields) => restorer.nodeFields(fields),
      sessions: (sessions) => {
        for (const session of sessions) {
          restorer.session({ ...session, password: Buffer.from(session.password) });
        }
      },
    });
  });
  return zxid;
}

/**
 * Checks a SNAP's payload whole (every frame's checksum, the counts, the end frame) without
 * building a tree, and returns the zxid it is current to; throws CorruptSnapshotError otherwise.
 * A snapshot from a follower of the site (sync from the same site) is checked so before it is
 * taken, so that a bad one sends the learner back to the leader instead of stopping it.
 */
export function checkSnapshot(snapshot: TreeSnapshot): number {
  if (snapshot.formatVersion !== peerSnapshotFormatVersion) {
    throw new Error(`peer snapshot: unknown format ${snapshot.formatVersion}`);
  }
  const bytes = snapshotBytes(snapshot);
  return visitSnapshotBytes(snapName, bytes, {}).zxid;
}
