// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// The tree's state and the only code that mutates it: the path index, the per-session
// ephemeral index, container and TTL sets, the session table and the size counter. Each
// mutation can record its inverse in an undo log, which is how a failing multi rolls back.

import type { ACL } from '../../../protocol/records.js';
import { AdditiveHash, nodeDigest } from './node-digest.js';
import { basenameOf, childPath, parentOf } from '../../../tree/paths.js';
import type { SessionEntry } from '../../../tree/types.js';
import { Znode, dataLengthOf, ephemeralKindOf, nextVersion } from './znode.js';

export type UndoLog = Array<() => void>;

/** Distinct ACLs shared between nodes; past this, new ACLs are kept per node (still correct,
 * only larger). ZooKeeper shares them too (ReferenceCountedACLCache). */
const internedAclsMax = 10_000;

/** A snapshot capture in progress (tree/snapshot.ts): told before a node it may not have
 * written yet changes, so it can keep the version it must write. */
export interface CaptureInProgress {
  /** The store's generation when the capture began. */
  readonly generation: number;
  preserve(node: Znode): void;
}

export class NodeStore {
  readonly nodes = new Map<string, Znode>();
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly sessions = new Map<bigint, SessionEntry>();
  /** Sum of path length plus data length over all nodes (DataTree.approximateDataSize). */
  dataSize = 0;
  /** Goes up when a capture begins; nodes changed since carry the new value (Znode.generation). */
  private generation = 0;
  private readonly captures = new Set<CaptureInProgress>();
  /** ACLs by content: a million nodes created with the open ACL hold one array, not a million
   * (and a snapshot's ACL table stays as small as the set of distinct ACLs). */
  private readonly aclsByKey = new Map<string, readonly ACL[]>();
  /** ZooKeeper's tree digest (NodeHashMapImpl): every node's digest taken out before it
   * changes and put back after, so it always covers the tree as it is. */
  private readonly digestSum = new AdditiveHash();

  constructor(
    readonly extendedTypesEnabled: boolean,
    /** ZooKeeper's digest.enabled: when false no digest is computed. */
    readonly digestEnabled = true,
  ) {}

  /** The tree digest (0 when digests are off), as ZooKeeper's DataTree.getTreeDigest. */
  get digest(): bigint {
    return this.digestSum.value();
  }

  /** Adds the bootstrap nodes (root and /zookeeper…) with zero stats, without bookkeeping. */
  addBootstrapNode(path: string, parent: Znode | undefined, acl: readonly ACL[]): Znode {
    const node = new Znode(Buffer.alloc(0), this.internAcl(acl), 0n, 0, 0);
    parent?.linkChild(basenameOf(path), node);
    this.nodes.set(path, node);
    this.digestIn(path, node);
    this.dataSize += path.length;
    return node;
  }

  /** DataTree.createNode: the parent's cversion and create count go up, its pzxid becomes
   * this zxid. */
  create(
    parentPath: string,
    parent: Znode,
    name: string,
    node: Znode,
    undo: UndoLog | undefined,
  ): string {
    const path = childPath(parentPath, name);
    this.changing(parent);
    node.generation = this.generation;
    const { cversion, pzxid } = parent;
    this.digestOut(parentPath, parent);
    parent.cversion = nextVersion(cversion);
    parent.pzxid = node.czxid;
    this.digestIn(parentPath, parent);
    node.acl = this.internAcl(node.acl);
    parent.linkChild(name, node);
    this.nodes.set(path, node);
    this.digestIn(path, node);
    this.dataSize += path.length + dataLengthOf(node.data);
    this.index(path, node.ephemeralOwner, true);
    undo?.push(() => {
      this.index(path, node.ephemeralOwner, false);
      this.dataSize -= path.length + dataLengthOf(node.data);
      this.digestOut(path, node);
      this.nodes.delete(path);
      parent.unlinkChild(name);
      this.digestOut(parentPath, parent);
      parent.cversion = cversion;
      parent.pzxid = pzxid;
      this.digestIn(parentPath, parent);
    });
    return path;
  }

  /** DataTree.deleteNode: only the parent's pzxid moves, and only forwards (the cversion
   * clients see still grows, through Znode.stat()). */
  delete(path: string, parent: Znode, node: Znode, zxid: number, undo: UndoLog | undefined): void {
    const name = basenameOf(path);
    const parentPath = parentOf(path);
    this.changing(parent);
    const { pzxid } = parent;
    this.digestOut(parentPath, parent);
    parent.unlinkChild(name);
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.digestIn(parentPath, parent);
    this.digestOut(path, node);
    this.nodes.delete(path);
    this.dataSize -= path.length + dataLengthOf(node.data);
    this.index(path, node.ephemeralOwner, false);
    undo?.push(() => {
      this.index(path, node.ephemeralOwner, true);
      this.dataSize += path.length + dataLengthOf(node.data);
      this.nodes.set(path, node);
      this.digestIn(path, node);
      this.digestOut(parentPath, parent);
      parent.linkChild(name, node);
      parent.pzxid = pzxid;
      this.digestIn(parentPath, parent);
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
    this.changing(node);
    const { data: oldData, version, mzxid, mtime } = node;
    this.digestOut(path, node);
    node.data = data;
    node.version = nextVersion(version);
    node.mzxid = zxid;
    node.mtime = time;
    this.digestIn(path, node);
    const grownBytes = dataLengthOf(data) - dataLengthOf(oldData);
    this.dataSize += grownBytes;
    undo?.push(() => {
      this.dataSize -= grownBytes;
      this.digestOut(path, node);
      node.data = oldData;
      node.version = version;
      node.mzxid = mzxid;
      node.mtime = mtime;
      this.digestIn(path, node);
    });
  }

  /** DataTree.updateQuotaStat (tree/quota.ts): a quota's stats node gets new data while its
   * version, mzxid and mtime stay as they were. */
  rewriteData(node: Znode, data: Buffer, undo: UndoLog | undefined): void {
    this.changing(node);
    const oldData = node.data;
    node.data = data;
    const grownBytes = data.length - dataLengthOf(oldData);
    this.dataSize += grownBytes;
    undo?.push(() => {
      this.dataSize -= grownBytes;
      node.data = oldData;
    });
  }

  /** DataTree.setACL: new ACL and aversion + 1; mzxid and mtime do not change. */
  setAcl(path: string, node: Znode, acl: readonly ACL[]): void {
    this.changing(node);
    this.digestOut(path, node);
    node.acl = this.internAcl(acl);
    node.aversion = nextVersion(node.aversion);
    this.digestIn(path, node);
  }

  /** Snapshot restore: empties the store before records are added back (tree/snapshot.ts). */
  clear(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.sessions.clear();
    this.dataSize = 0;
    this.digestSum.clear();
  }

  /** Snapshot restore: indexes a node already linked to its parent (tree/snapshot.ts). */
  restoreNode(path: string, node: Znode): void {
    this.nodes.set(path, node);
    this.digestIn(path, node);
    this.dataSize += path.length + dataLengthOf(node.data);
    this.index(path, node.ephemeralOwner, true);
  }

  /** The shared ACL array with this content (see aclsByKey). */
  internAcl(acl: readonly ACL[]): readonly ACL[] {
    // Lengths keep the key unambiguous whatever characters schemes and ids hold.
    let key = '';
    for (const { perms, id } of acl) {
      key += `${perms}:${id.scheme.length}:${id.scheme}${id.id.length}:${id.id}`;
    }
    const known = this.aclsByKey.get(key);
    if (known !== undefined) return known;
    if (this.aclsByKey.size < internedAclsMax) this.aclsByKey.set(key, acl);
    return acl;
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

  /** Copy-on-write for captures: called before any stored field of `node` changes. A node
   * last changed before a capture began is shown to it once, on its first change since. */
  private changing(node: Znode): void {
    if (this.captures.size === 0 || node.generation === this.generation) return;
    for (const capture of this.captures) {
      if (node.generation < capture.generation) capture.preserve(node);
    }
    node.generation = this.generation;
  }

  /** Takes `node`'s digest out of the tree's, before it changes or goes. */
  private digestOut(path: string, node: Znode): void {
    if (!this.digestEnabled) return;
    if (node.digestCache < 0) node.digestCache = nodeDigest(path, node);
    this.digestSum.remove(node.digestCache);
  }

  /** Puts `node`'s digest, computed afresh, into the tree's, after it changed or came. */
  private digestIn(path: string, node: Znode): void {
    if (!this.digestEnabled) return;
    node.digestCache = nodeDigest(path, node);
    this.digestSum.add(node.digestCache);
  }

  private index(path: string, owner: bigint, add: boolean): void {
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
