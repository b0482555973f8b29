// SNAP's payload: a DataTree capture (tree/snapshot.ts) packed with msgpackr into the peer
// protocol's opaque TreeSnapshot, and the restore that rebuilds an identical tree from it. The
// leader sends it to a learner too far behind its log to DIFF; production and simulator alike.
import { Packr } from 'msgpackr';
import type { TreeSnapshot } from '../protocol/peer.js';
import type { ACL } from '../protocol/records.js';
import type { DataTree } from '../tree/data-tree.js';
import type { NodeRecord, SessionRecord } from '../tree/snapshot.js';

export const peerSnapshotFormatVersion = 1;

const packr = new Packr({ useRecords: false, useBigIntExtension: true });

interface PackedTree {
  zxid: number;
  acls: Array<readonly ACL[]>;
  nodes: NodeRecord[];
  sessions: SessionRecord[];
}

export function snapshotOfTree(tree: DataTree): TreeSnapshot {
  const capture = tree.capture();
  const nodes = Array.from({ length: capture.nodeCount }, (_, index) => capture.record(index));
  // ACLs are numbered as records are read, so the table is complete only after all of them.
  const packed: PackedTree = {
    zxid: capture.zxid,
    acls: capture.newAcls(),
    nodes,
    sessions: capture.sessions,
  };
  capture.release();
  return { formatVersion: peerSnapshotFormatVersion, bytes: packr.pack(packed) };
}

/** Rebuilds `tree` from a snapshot; returns the zxid it is current to. */
export function restoreTree(tree: DataTree, snapshot: TreeSnapshot): number {
  if (snapshot.formatVersion !== peerSnapshotFormatVersion) {
    throw new Error(`peer snapshot: unknown format ${snapshot.formatVersion}`);
  }
  const packed = packr.unpack(snapshot.bytes) as PackedTree;
  const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  tree.restore(packed.zxid, (restorer) => {
    restorer.addAcls(packed.acls);
    for (const node of packed.nodes) {
      const [path, data, ...rest] = node;
      restorer.node([path, buffer(data), ...rest] as NodeRecord);
    }
    for (const session of packed.sessions) {
      restorer.session({ ...session, password: buffer(session.password) });
    }
  });
  return packed.zxid;
}
