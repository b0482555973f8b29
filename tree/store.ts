// The tree's state and the only code that mutates it: the znodes (slots in typed-array
// columns, tree/node-slots.ts), the per-session ephemeral index, container and TTL sets, the
// session table, the size counter and the tree digest. Each mutation can record its inverse in
// an undo log, which is how a failing multi rolls back.

import type { ACL } from '../protocol/records.js';
import { slabValueBytesMax } from './data-slab.js';
import { noSlot } from './node-columns.js';
import {
  NodeSlots,
  emptyData,
  type DataSpan,
  type RestoredStat,
  type StoredNode,
} from './node-slots.js';
import { parentOf } from './paths.js';
import { TreeDigest } from './tree-digest.js';
import type { SessionEntry } from './types.js';
import {
  Znode,
  dataLengthOf,
  ephemeralKindOf,
  nextVersion,
  noEphemeralOwner,
  type NodeInit,
} from './znode.js';

export type { RestoredStat, StoredNode };

export type UndoLog = Array<() => void>;

/** A snapshot capture in progress (tree/snapshot.ts): told before a node it may not have
 * written yet changes or goes, so it can keep the version it must write. */
export interface CaptureInProgress {
  /** The store's generation when the capture began. */
  readonly generation: number;
  preserve(slot: number): void;
}

export class NodeStore extends NodeSlots {
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly sessions = new Map<bigint, SessionEntry>();
  /** Sum of path length plus data length over all nodes (DataTree.approximateDataSize). */
  dataSize = 0;
  private readonly captures = new Set<CaptureInProgress>();
  /** ZooKeeper's tree digest over these nodes, and the digests a restore deferred. */
  private readonly treeDigest: TreeDigest;

  constructor(
    readonly extendedTypesEnabled: boolean,
    /** ZooKeeper's digest.enabled: when false no digest is computed. */
    readonly digestEnabled = true,
  ) {
    super();
    this.treeDigest = new TreeDigest(this, digestEnabled);
  }

  /** The tree digest (0 when digests are off), as ZooKeeper's DataTree.getTreeDigest. */
  get digest(): bigint {
    return this.treeDigest.value;
  }

  /** True while some node's digest is not yet in the tree's (a deferred restore's). */
  get digestPending(): boolean {
    return this.treeDigest.digestPending;
  }

  /** The nodes restored from now until endDeferredDigests are left out of the digest sum. */
  beginDeferredDigests(): void {
    this.treeDigest.beginDeferredDigests();
  }

  /** Marks every node restored since beginDeferredDigests as pending (TreeDigest). */
  endDeferredDigests(): void {
    this.treeDigest.endDeferredDigests();
  }

  /** Adds up to `nodes` pending digests to the sum; true once none is pending. */
  completeDigests(nodes: number): boolean {
    return this.treeDigest.completeDigests(nodes);
  }

  /** Adds the bootstrap nodes (root and /zookeeper…) with zero stats, without bookkeeping. */
  addBootstrapNode(path: string, parent: Znode | undefined, acl: readonly ACL[]): Znode {
    const slot = this.addNode(path, parent?.slot ?? noSlot, this.acls.retain(acl), emptyData,
      noEphemeralOwner, true);
    this.setStat(slot, 0, 0);
    this.treeDigest.digestIn(path, slot);
    this.dataSize += path.length;
    return new Znode(this, slot);
  }

  /** DataTree.createNode: the parent's cversion and create count go up, its pzxid becomes
   * this zxid. `path` is kept as given (a request's path is one flat string; one built here
   * from the parent's would cost a second object per node). */
  create(
    parentPath: string,
    parent: Znode,
    path: string,
    init: NodeInit & { zxid: number; time: number },
    undo: UndoLog | undefined,
  ): Znode {
    const columns = this.columns;
    const parentSlot = parent.slot;
    this.changing(parentSlot);
    const cversion = columns.cversion.get(parentSlot);
    const pzxid = columns.pzxid.get(parentSlot);
    this.treeDigest.digestOut(parentPath, parentSlot);
    columns.cversion.set(parentSlot, nextVersion(cversion));
    columns.pzxid.set(parentSlot, init.zxid);
    this.treeDigest.digestIn(parentPath, parentSlot);
    const slot = this.addNode(path, parentSlot, this.acls.retain(init.acl), init.data,
      init.ephemeralOwner, init.ownerIsSession);
    this.setStat(slot, init.zxid, init.time);
    this.treeDigest.digestIn(path, slot);
    this.dataSize += path.length + dataLengthOf(init.data);
    this.indexOwner(path, init.ephemeralOwner, true);
    undo?.push(() => {
      const created = this.index.find(path)!;
      const parentNow = this.index.find(parentPath)!;
      this.indexOwner(path, init.ephemeralOwner, false);
      this.dataSize -= path.length + dataLengthOf(init.data);
      this.treeDigest.digestOut(path, created);
      this.removeNode(created);
      this.treeDigest.digestOut(parentPath, parentNow);
      columns.cversion.set(parentNow, cversion);
      columns.pzxid.set(parentNow, pzxid);
      this.treeDigest.digestIn(parentPath, parentNow);
    });
    return new Znode(this, slot);
  }

  /** DataTree.deleteNode: only the parent's pzxid moves, and only forwards (the cversion
   * clients see still grows, through Znode.stat()). */
  delete(path: string, parent: Znode, node: Znode, zxid: number, undo: UndoLog | undefined): void {
    const parentPath = parentOf(path);
    const columns = this.columns;
    const parentSlot = parent.slot;
    this.changing(parentSlot);
    // The slot is reused: a capture still to write this node keeps its fields now.
    this.changing(node.slot);
    const kept = undo === undefined ? undefined : this.storedNode(node.slot);
    const pzxid = columns.pzxid.get(parentSlot);
    const owner = node.ephemeralOwner;
    const dataLength = node.dataLength;
    this.treeDigest.digestOut(parentPath, parentSlot);
    this.treeDigest.digestOut(path, node.slot);
    this.removeNode(node.slot);
    if (zxid > pzxid) columns.pzxid.set(parentSlot, zxid);
    this.treeDigest.digestIn(parentPath, parentSlot);
    this.dataSize -= path.length + dataLength;
    this.indexOwner(path, owner, false);
    if (kept === undefined) return;
    undo?.push(() => {
      const parentNow = this.index.find(parentPath)!;
      this.indexOwner(path, owner, true);
      this.dataSize += path.length + dataLength;
      const slot = this.addStored(kept, parentNow);
      this.treeDigest.digestIn(path, slot);
      this.treeDigest.digestOut(parentPath, parentNow);
      columns.pzxid.set(parentNow, pzxid);
      this.treeDigest.digestIn(parentPath, parentNow);
    });
  }

  /** DataTree.setData: new data, version + 1, mtime and mzxid from the txn. */
  setData(
    path: string,
    node: Znode,
    data: Buffer | null,
    zxid: number,
    time: number,
    undo: UndoLog | undefined,
  ): void {
    const columns = this.columns;
    const slot = node.slot;
    this.changing(slot);
    const version = columns.version.get(slot);
    const mzxid = columns.mzxid.get(slot);
    const mtime = columns.mtime.get(slot);
    const oldData = undo === undefined ? undefined : this.dataOf(slot, true);
    const grownBytes = dataLengthOf(data) - node.dataLength;
    this.treeDigest.digestOut(path, slot);
    this.replaceData(slot, data);
    columns.version.set(slot, nextVersion(version));
    columns.mzxid.set(slot, zxid);
    columns.mtime.set(slot, time);
    this.treeDigest.digestIn(path, slot);
    this.dataSize += grownBytes;
    if (oldData === undefined) return;
    undo?.push(() => {
      const now = this.index.find(path)!;
      this.dataSize -= grownBytes;
      this.treeDigest.digestOut(path, now);
      this.replaceData(now, oldData);
      columns.version.set(now, version);
      columns.mzxid.set(now, mzxid);
      columns.mtime.set(now, mtime);
      this.treeDigest.digestIn(path, now);
    });
  }

  /** DataTree.updateQuotaStat (tree/quota.ts): a quota's stats node gets new data while its
   * version, mzxid and mtime stay as they were. */
  rewriteData(node: Znode, data: Buffer, undo: UndoLog | undefined): void {
    const slot = node.slot;
    const path = this.pathOf(slot);
    this.changing(slot);
    const oldData = undo === undefined ? undefined : this.dataOf(slot, true);
    const grownBytes = data.length - node.dataLength;
    this.replaceData(slot, data);
    this.dataSize += grownBytes;
    if (oldData === undefined) return;
    undo?.push(() => {
      this.dataSize -= grownBytes;
      this.replaceData(this.index.find(path)!, oldData);
    });
  }

  /** DataTree.setACL: new ACL and aversion + 1; mzxid and mtime do not change. */
  setAcl(path: string, node: Znode, acl: readonly ACL[]): void {
    const slot = node.slot;
    this.changing(slot);
    this.treeDigest.digestOut(path, slot);
    const retained = this.acls.retain(acl);
    this.acls.release(this.columns.aclIndex.get(slot));
    this.columns.aclIndex.set(slot, retained);
    this.columns.aversion.set(slot, nextVersion(this.columns.aversion.get(slot)));
    this.treeDigest.digestIn(path, slot);
  }

  /** QuorumPeer's writes of /zookeeper/config (data version -1) and DataTree's constructor
   * (aversion -1): stored as given, outside any txn, on a node the digest leaves out. */
  forceVersions(node: Znode, versions: { version?: number; aversion?: number }): void {
    this.changing(node.slot);
    if (versions.version !== undefined) this.columns.version.set(node.slot, versions.version);
    if (versions.aversion !== undefined) this.columns.aversion.set(node.slot, versions.aversion);
  }

  /** Snapshot restore: empties the store before records are added back (tree/snapshot.ts). */
  clear(): void {
    // A capture in progress keeps every node it has not yet seen change.
    if (this.captures.size > 0) {
      for (const slot of this.slotsInCreationOrder()) this.changing(slot);
    }
    this.clearSlots();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.sessions.clear();
    this.dataSize = 0;
    this.treeDigest.clear();
  }

  /**
   * Snapshot restore: adds a node under `parentSlot` (noSlot for the root) with every stat
   * field as the record holds it; `aclIndex` is an entry retainAcl gave. The node comes as its
   * name (the last component of its path, '' for the root) and its path's length:
   * `fields.path` is read only when the path is needed (a digest summed now, an ephemeral,
   * container or TTL node to index), so most restored nodes make no path string
   * (tree/snapshot.ts StoreRestorer).
   */
  restoreNamedNode(name: string, pathLength: number, parentSlot: number, aclIndex: number,
    fields: RestoredStat & { readonly path: string } & Partial<DataSpan>): number {
    this.acls.retainIndex(aclIndex);
    const owner = fields.ephemeralOwner;
    // Data handed over as its place in a frame goes from there into the slab.
    const source = fields.dataSource;
    const spanned = source !== undefined && fields.dataLength! <= slabValueBytesMax;
    const slot = this.addNamedNode(name, parentSlot, aclIndex, spanned ? emptyData : fields.data,
      owner, fields.ownerIsSession);
    if (spanned) this.storeDataIn(slot, fields.dataView!, fields.dataStart!, fields.dataLength!);
    this.setStoredStat(slot, fields);
    this.treeDigest.restored(slot, fields.path, fields);
    this.dataSize += pathLength + (spanned ? fields.dataLength! : dataLengthOf(fields.data));
    if (owner !== noEphemeralOwner) this.indexOwner(fields.path, owner, true);
    return slot;
  }

  /** Starts a capture: from now on every node about to change is shown to it first. */
  beginCapture<Capture extends CaptureInProgress>(
    capture: (generation: number) => Capture,
  ): Capture {
    this.generation++;
    const started = capture(this.generation);
    this.captures.add(started);
    return started;
  }

  endCapture(capture: CaptureInProgress): void {
    this.captures.delete(capture);
  }

  /** Copy-on-write for captures: called before any stored field of a slot changes, and before
   * its node goes. A node last changed before a capture began is shown to it once. */
  private changing(slot: number): void {
    const generation = this.columns.generation;
    if (this.captures.size === 0 || generation[slot] === this.generation) return;
    for (const capture of this.captures) {
      if (generation[slot]! < capture.generation) capture.preserve(slot);
    }
    generation[slot] = this.generation;
  }

  private indexOwner(path: string, owner: bigint, add: boolean): void {
    switch (ephemeralKindOf(owner, this.extendedTypesEnabled)) {
      case 'void':
        return;
      case 'container':
        if (add) this.containers.add(path);
        else this.containers.delete(path);
        return;
      case 'ttl':
        if (add) this.ttls.add(path);
        else this.ttls.delete(path);
        return;
      case 'normal':
        this.indexEphemeral(path, owner, add);
        return;
    }
  }

  private indexEphemeral(path: string, owner: bigint, add: boolean): void {
    let paths = this.ephemerals.get(owner);
    if (add) {
      if (paths === undefined) this.ephemerals.set(owner, (paths = new Set()));
      paths.add(path);
    } else if (paths !== undefined) {
      paths.delete(path);
      if (paths.size === 0) this.ephemerals.delete(owner);
    }
  }
}

