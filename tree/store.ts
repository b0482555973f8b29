// The tree's state and the only code that mutates it: znodes as slots in typed-array columns
// (tree/node-columns.ts) with their small values in a shared slab, the path index, the
// per-session ephemeral index, container and TTL sets, the session table and the size counter.
// Each mutation can record its inverse in an undo log, which is how a failing multi rolls back.

import type { ACL } from '../protocol/records.js';
import { DataSlab, slabValueBytesMax } from './data-slab.js';
import { NodeColumns, largeData, noData, noSlot } from './node-columns.js';
import { AdditiveHash, nodeDigest } from './node-digest.js';
import { parentOf } from './paths.js';
import { PathIndex } from './path-index.js';
import { SharedTable } from './shared-table.js';
import type { SessionEntry } from './types.js';
import {
  Znode,
  dataLengthOf,
  ephemeralKindOf,
  nextVersion,
  noEphemeralOwner,
  type NodeInit,
} from './znode.js';

export type UndoLog = Array<() => void>;

/** A snapshot capture in progress (tree/snapshot.ts): told before a node it may not have
 * written yet changes or goes, so it can keep the version it must write. */
export interface CaptureInProgress {
  /** The store's generation when the capture began. */
  readonly generation: number;
  preserve(slot: number): void;
}

/** Every stored field of one node, held apart from the store (a capture's preserved version,
 * a deleted node a multi may put back). `data` is the node's own copy. */
export interface StoredNode {
  path: string;
  data: Buffer | null;
  acl: readonly ACL[];
  ephemeralOwner: bigint;
  ownerIsSession: boolean;
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
}

/** The stat fields a restored node brings (NodeFields has them). */
export type RestoredStat = Omit<StoredNode, 'path' | 'acl' | 'data'> & { data: Buffer | null };

const emptyData = Buffer.alloc(0);

/** An ACL's content as a key: lengths keep it unambiguous whatever schemes and ids hold. */
function aclKey(acl: readonly ACL[]): string {
  let key = '';
  for (const { perms, id } of acl) {
    key += `${perms}:${id.scheme.length}:${id.scheme}${id.id.length}:${id.id}`;
  }
  return key;
}

export class NodeStore {
  readonly columns = new NodeColumns();
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly sessions = new Map<bigint, SessionEntry>();
  /** Sum of path length plus data length over all nodes (DataTree.approximateDataSize). */
  dataSize = 0;
  /** Path to slot, by (parent slot, name). */
  private readonly index = new PathIndex(this.columns);
  private slab = new DataSlab();
  /** Values over slabValueBytesMax, by slot: kept as the Buffer they came in. */
  private readonly largeValues = new Map<number, Buffer>();
  /** ACLs by content: a million nodes created with the open ACL share one entry. */
  private readonly acls = new SharedTable<readonly ACL[], string>(aclKey);
  private readonly owners = new SharedTable<bigint>((owner) => owner);
  private firstCreated = noSlot;
  private lastCreated = noSlot;
  /** Goes up when a capture begins; nodes changed since carry the new value (generation). */
  private generation = 0;
  private readonly captures = new Set<CaptureInProgress>();
  /** ZooKeeper's tree digest (NodeHashMapImpl): every node's digest taken out before it
   * changes and put back after, so it always covers the tree as it is. */
  private readonly digestSum = new AdditiveHash();

  constructor(
    readonly extendedTypesEnabled: boolean,
    /** ZooKeeper's digest.enabled: when false no digest is computed. */
    readonly digestEnabled = true,
  ) {
    this.owners.retain(noEphemeralOwner);
  }

  /** The tree digest (0 when digests are off), as ZooKeeper's DataTree.getTreeDigest. */
  get digest(): bigint {
    return this.digestSum.value();
  }

  get nodeCount(): number {
    return this.index.size;
  }

  node(path: string): Znode | undefined {
    const slot = this.index.find(path);
    return slot === undefined ? undefined : new Znode(this, slot);
  }

  has(path: string): boolean {
    return this.index.find(path) !== undefined;
  }

  /** Every path in creation order (parents before children). */
  *paths(): Generator<string> {
    const columns = this.columns;
    for (let slot = this.firstCreated; slot !== noSlot; slot = columns.nextCreated[slot]!) {
      yield this.pathOf(slot);
    }
  }

  /** A slot's path, from its names up to the root. */
  pathOf(slot: number): string {
    const { parent, names } = this.columns;
    if (parent[slot] === noSlot) return '/';
    const parts: string[] = [];
    for (let at = slot; parent[at] !== noSlot; at = parent[at]!) parts.push(names[at]!);
    let path = '';
    for (let index = parts.length - 1; index >= 0; index--) path += `/${parts[index]!}`;
    return path;
  }

  /** Every slot in creation order, as a capture lists them. */
  slotsInCreationOrder(): Int32Array {
    const slots = new Int32Array(this.index.size);
    let at = 0;
    const next = this.columns.nextCreated;
    for (let slot = this.firstCreated; slot !== noSlot; slot = next[slot]!) slots[at++] = slot;
    return slots;
  }

  aclAt(index: number): readonly ACL[] {
    return this.acls.at(index);
  }

  ownerAt(index: number): bigint {
    return this.owners.at(index);
  }

  /** A slot's data: in place (valid until the next change) or as a copy of its own. */
  dataOf(slot: number, copy: boolean): Buffer | null {
    const length = this.columns.dataLength[slot]!;
    if (length < 0) return null;
    const reference = this.columns.dataRef[slot]!;
    if (reference === noData) return emptyData;
    if (reference === largeData) return this.largeValues.get(slot)!;
    return copy ? this.slab.copy(reference, length) : this.slab.view(reference, length);
  }

  childNamesOf(slot: number): string[] {
    const { names, firstChild, nextSibling } = this.columns;
    const children = new Array<string>(this.columns.childCount[slot]!);
    let at = 0;
    for (let child = firstChild[slot]!; child !== noSlot; child = nextSibling[child]!) {
      children[at++] = names[child]!;
    }
    return children;
  }

  /** Nodes below `slot` at any depth. */
  descendantCount(slot: number): number {
    const { firstChild, nextSibling, childCount } = this.columns;
    let count = 0;
    const pending = [slot];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      count += childCount[next]!;
      for (let child = firstChild[next]!; child !== noSlot; child = nextSibling[child]!) {
        if (childCount[child]! > 0) pending.push(child);
      }
    }
    return count;
  }

  /** Every stored field of a slot, its data copied. */
  storedNode(slot: number): StoredNode {
    const c = this.columns;
    return {
      path: this.pathOf(slot), data: this.dataOf(slot, true), acl: this.acls.at(c.aclIndex[slot]!),
      ephemeralOwner: this.owners.at(c.ownerIndex[slot]!), ownerIsSession: c.ownerIsSession[slot] === 1,
      czxid: c.czxid[slot]!, mzxid: c.mzxid[slot]!, pzxid: c.pzxid[slot]!, ctime: c.ctime[slot]!,
      mtime: c.mtime[slot]!, version: c.version[slot]!, cversion: c.cversion[slot]!,
      aversion: c.aversion[slot]!,
    };
  }

  /** Adds the bootstrap nodes (root and /zookeeper…) with zero stats, without bookkeeping. */
  addBootstrapNode(path: string, parent: Znode | undefined, acl: readonly ACL[]): Znode {
    const slot = this.addNode(path, parent?.slot ?? noSlot, this.acls.retain(acl), emptyData,
      noEphemeralOwner, true);
    this.setStat(slot, 0, 0);
    this.digestIn(path, slot);
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
    const cversion = columns.cversion[parentSlot]!;
    const pzxid = columns.pzxid[parentSlot]!;
    this.digestOut(parentPath, parentSlot);
    columns.cversion[parentSlot] = nextVersion(cversion);
    columns.pzxid[parentSlot] = init.zxid;
    this.digestIn(parentPath, parentSlot);
    const slot = this.addNode(path, parentSlot, this.acls.retain(init.acl), init.data,
      init.ephemeralOwner, init.ownerIsSession);
    this.setStat(slot, init.zxid, init.time);
    this.digestIn(path, slot);
    this.dataSize += path.length + dataLengthOf(init.data);
    this.indexOwner(path, init.ephemeralOwner, true);
    undo?.push(() => {
      const created = this.index.find(path)!;
      const parentNow = this.index.find(parentPath)!;
      this.indexOwner(path, init.ephemeralOwner, false);
      this.dataSize -= path.length + dataLengthOf(init.data);
      this.digestOut(path, created);
      this.removeNode(created);
      this.digestOut(parentPath, parentNow);
      columns.cversion[parentNow] = cversion;
      columns.pzxid[parentNow] = pzxid;
      this.digestIn(parentPath, parentNow);
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
    const pzxid = columns.pzxid[parentSlot]!;
    const owner = node.ephemeralOwner;
    const dataLength = node.dataLength;
    this.digestOut(parentPath, parentSlot);
    this.digestOut(path, node.slot);
    this.removeNode(node.slot);
    if (zxid > pzxid) columns.pzxid[parentSlot] = zxid;
    this.digestIn(parentPath, parentSlot);
    this.dataSize -= path.length + dataLength;
    this.indexOwner(path, owner, false);
    if (kept === undefined) return;
    undo?.push(() => {
      const parentNow = this.index.find(parentPath)!;
      this.indexOwner(path, owner, true);
      this.dataSize += path.length + dataLength;
      const slot = this.addStored(kept, parentNow);
      this.digestIn(path, slot);
      this.digestOut(parentPath, parentNow);
      columns.pzxid[parentNow] = pzxid;
      this.digestIn(parentPath, parentNow);
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
    const version = columns.version[slot]!;
    const mzxid = columns.mzxid[slot]!;
    const mtime = columns.mtime[slot]!;
    const oldData = undo === undefined ? undefined : this.dataOf(slot, true);
    const grownBytes = dataLengthOf(data) - node.dataLength;
    this.digestOut(path, slot);
    this.replaceData(slot, data);
    columns.version[slot] = nextVersion(version);
    columns.mzxid[slot] = zxid;
    columns.mtime[slot] = time;
    this.digestIn(path, slot);
    this.dataSize += grownBytes;
    if (oldData === undefined) return;
    undo?.push(() => {
      const now = this.index.find(path)!;
      this.dataSize -= grownBytes;
      this.digestOut(path, now);
      this.replaceData(now, oldData);
      columns.version[now] = version;
      columns.mzxid[now] = mzxid;
      columns.mtime[now] = mtime;
      this.digestIn(path, now);
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
    this.digestOut(path, slot);
    const retained = this.acls.retain(acl);
    this.acls.release(this.columns.aclIndex[slot]!);
    this.columns.aclIndex[slot] = retained;
    this.columns.aversion[slot] = nextVersion(this.columns.aversion[slot]!);
    this.digestIn(path, slot);
  }

  /** QuorumPeer's writes of /zookeeper/config (data version -1) and DataTree's constructor
   * (aversion -1): stored as given, outside any txn, on a node the digest leaves out. */
  forceVersions(node: Znode, versions: { version?: number; aversion?: number }): void {
    this.changing(node.slot);
    if (versions.version !== undefined) this.columns.version[node.slot] = versions.version;
    if (versions.aversion !== undefined) this.columns.aversion[node.slot] = versions.aversion;
  }

  /** Snapshot restore: empties the store before records are added back (tree/snapshot.ts). */
  clear(): void {
    // A capture in progress keeps every node it has not yet seen change.
    if (this.captures.size > 0) {
      for (const slot of this.slotsInCreationOrder()) this.changing(slot);
    }
    this.index.clear();
    this.columns.clear();
    this.slab = new DataSlab();
    this.largeValues.clear();
    this.acls.clear();
    this.owners.clear();
    this.owners.retain(noEphemeralOwner);
    this.firstCreated = noSlot;
    this.lastCreated = noSlot;
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.sessions.clear();
    this.dataSize = 0;
    this.digestSum.clear();
  }

  /** The ACL table entry for this content, one reference more (a restorer holds its table's
   * entries this way while nodes name them by index). */
  retainAcl(acl: readonly ACL[]): number {
    return this.acls.retain(acl);
  }

  releaseAcl(index: number): void {
    this.acls.release(index);
  }

  /** Snapshot restore: adds a node under `parentSlot` (noSlot for the root) with every stat
   * field as the record holds it; `aclIndex` is an entry retainAcl gave. */
  restoreNode(path: string, parentSlot: number, aclIndex: number, fields: RestoredStat): number {
    this.acls.retainIndex(aclIndex);
    const slot = this.addNode(path, parentSlot, aclIndex, fields.data, fields.ephemeralOwner,
      fields.ownerIsSession);
    this.setStoredStat(slot, fields);
    this.digestIn(path, slot);
    this.dataSize += path.length + dataLengthOf(fields.data);
    this.indexOwner(path, fields.ephemeralOwner, true);
    return slot;
  }

  slotOf(path: string): number | undefined {
    return this.index.find(path);
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

  /** A new slot holding `path`, linked last among its parent's children and last in creation
   * order. Stat fields are the caller's to set. */
  private addNode(path: string, parentSlot: number, aclIndex: number, data: Buffer | null,
    owner: bigint, ownerIsSession: boolean): number {
    const columns = this.columns;
    const slot = columns.allocate();
    columns.names[slot] = parentSlot === noSlot ? '' : path.slice(path.lastIndexOf('/') + 1);
    columns.aclIndex[slot] = aclIndex;
    columns.ownerIndex[slot] = owner === noEphemeralOwner ? 0 : this.owners.retain(owner);
    columns.ownerIsSession[slot] = ownerIsSession ? 1 : 0;
    columns.generation[slot] = this.generation;
    columns.digestCache[slot] = -1;
    this.storeData(slot, data);
    columns.parent[slot] = parentSlot;
    columns.firstChild[slot] = noSlot;
    columns.lastChild[slot] = noSlot;
    columns.childCount[slot] = 0;
    columns.nextSibling[slot] = noSlot;
    columns.previousSibling[slot] = noSlot;
    this.index.add(slot);
    if (parentSlot !== noSlot) {
      const last = columns.lastChild[parentSlot]!;
      columns.previousSibling[slot] = last;
      if (last === noSlot) columns.firstChild[parentSlot] = slot;
      else columns.nextSibling[last] = slot;
      columns.lastChild[parentSlot] = slot;
      columns.childCount[parentSlot]!++;
    }
    columns.previousCreated[slot] = this.lastCreated;
    columns.nextCreated[slot] = noSlot;
    if (this.lastCreated === noSlot) this.firstCreated = slot;
    else columns.nextCreated[this.lastCreated] = slot;
    this.lastCreated = slot;
    return slot;
  }

  /** Puts back a node a multi deleted, in a slot of its own (its old one may be reused). */
  private addStored(stored: StoredNode, parentSlot: number): number {
    const slot = this.addNode(stored.path, parentSlot, this.acls.retain(stored.acl), stored.data,
      stored.ephemeralOwner, stored.ownerIsSession);
    this.setStoredStat(slot, stored);
    return slot;
  }

  private setStat(slot: number, zxid: number, time: number): void {
    const columns = this.columns;
    // DataTree.createStat: every zxid is the creating one, both times the leader's clock.
    columns.czxid[slot] = zxid;
    columns.mzxid[slot] = zxid;
    columns.pzxid[slot] = zxid;
    columns.ctime[slot] = time;
    columns.mtime[slot] = time;
    columns.version[slot] = 0;
    columns.cversion[slot] = 0;
    columns.aversion[slot] = 0;
  }

  private setStoredStat(slot: number, fields: RestoredStat): void {
    const columns = this.columns;
    columns.czxid[slot] = fields.czxid;
    columns.mzxid[slot] = fields.mzxid;
    columns.pzxid[slot] = fields.pzxid;
    columns.ctime[slot] = fields.ctime;
    columns.mtime[slot] = fields.mtime;
    columns.version[slot] = fields.version;
    columns.cversion[slot] = fields.cversion;
    columns.aversion[slot] = fields.aversion;
  }

  /** Unlinks a slot from its parent, the creation order and the index, and frees it. */
  private removeNode(slot: number): void {
    const columns = this.columns;
    const parentSlot = columns.parent[slot]!;
    const previous = columns.previousSibling[slot]!;
    const next = columns.nextSibling[slot]!;
    if (parentSlot !== noSlot) {
      if (previous === noSlot) columns.firstChild[parentSlot] = next;
      else columns.nextSibling[previous] = next;
      if (next === noSlot) columns.lastChild[parentSlot] = previous;
      else columns.previousSibling[next] = previous;
      columns.childCount[parentSlot]!--;
    }
    const before = columns.previousCreated[slot]!;
    const after = columns.nextCreated[slot]!;
    if (before === noSlot) this.firstCreated = after;
    else columns.nextCreated[before] = after;
    if (after === noSlot) this.lastCreated = before;
    else columns.previousCreated[after] = before;
    this.index.remove(slot);
    this.releaseData(slot);
    this.acls.release(columns.aclIndex[slot]!);
    if (columns.ownerIndex[slot] !== 0) this.owners.release(columns.ownerIndex[slot]!);
    columns.release(slot);
  }

  private storeData(slot: number, data: Buffer | null): void {
    const columns = this.columns;
    columns.dataLength[slot] = data === null ? -1 : data.length;
    if (data === null || data.length === 0) {
      columns.dataRef[slot] = noData;
    } else if (data.length > slabValueBytesMax) {
      columns.dataRef[slot] = largeData;
      this.largeValues.set(slot, data);
    } else {
      columns.dataRef[slot] = this.slab.store(data);
    }
  }

  private releaseData(slot: number): void {
    const reference = this.columns.dataRef[slot]!;
    if (reference === largeData) this.largeValues.delete(slot);
    else if (reference !== noData) this.slab.release(reference);
  }

  private replaceData(slot: number, data: Buffer | null): void {
    this.releaseData(slot);
    this.storeData(slot, data);
  }

  /** Takes a slot's digest out of the tree's, before it changes or goes. */
  private digestOut(path: string, slot: number): void {
    if (!this.digestEnabled) return;
    const cache = this.columns.digestCache;
    if (cache[slot]! < 0) cache[slot] = nodeDigest(path, new Znode(this, slot));
    this.digestSum.remove(cache[slot]!);
  }

  /** Puts a slot's digest, computed afresh, into the tree's, after it changed or came. */
  private digestIn(path: string, slot: number): void {
    if (!this.digestEnabled) return;
    const digest = nodeDigest(path, new Znode(this, slot));
    this.columns.digestCache[slot] = digest;
    this.digestSum.add(digest);
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

