// The znodes themselves: each a slot across typed-array columns (tree/node-columns.ts) with its
// small value in a shared slab (tree/data-slab.ts), ACL and owner in shared tables, found by
// path through tree/path-index.ts. Adding, linking, unlinking and reading slots; NodeStore
// (tree/store.ts) builds the tree's operations, digest and captures on top.

import type { ACL } from '../protocol/records.js';
import { DataSlab, slabValueBytesMax } from './data-slab.js';
import { KeptChildLists, keptChildListMin } from './kept-child-lists.js';
import { NodeColumns, digestUnknown, largeData, noData, noSlot } from './node-columns.js';
import { PathIndex } from './path-index.js';
import { SharedTable } from './shared-table.js';
import { Znode, noEphemeralOwner } from './znode.js';

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

/** A value as its place in a larger buffer, also seen as a DataView (NodeFields.setDataIn). */
export interface DataSpan {
  dataSource: Uint8Array | undefined;
  dataView: DataView;
  dataStart: number;
  dataLength: number;
}

/** The stat fields a restored node brings (NodeFields has them). */
export type RestoredStat = Omit<StoredNode, 'path' | 'acl' | 'data'> & { data: Buffer | null };

export const emptyData = Buffer.alloc(0);

/** The most nodes reserve() makes room for ahead (a count read from a file is not trusted with
 * gigabytes): some 70 bytes a node of dense columns and index. */
const nodesReservedMax = 16_000_000;

/** The one-entry ACL aclKey saw last, and its key. */
const lastAcl = { perms: -1, scheme: '', id: '', key: '' };

/** An ACL's content as a key: lengths keep it unambiguous whatever schemes and ids hold. Most
 * creates name the ACL the one before named (a replay's thousands of world:anyone creates, each
 * its own decoded object): a one-entry ACL equal to the last one gets the same key string,
 * neither built nor hashed again. */
function aclKey(acl: readonly ACL[]): string {
  if (acl.length === 1) {
    const { perms, id } = acl[0]!;
    if (perms === lastAcl.perms && id.scheme === lastAcl.scheme && id.id === lastAcl.id) {
      return lastAcl.key;
    }
    lastAcl.perms = perms;
    lastAcl.scheme = id.scheme;
    lastAcl.id = id.id;
    lastAcl.key = `${perms}:${id.scheme.length}:${id.scheme}${id.id.length}:${id.id}`;
    return lastAcl.key;
  }
  let key = '';
  for (const { perms, id } of acl) {
    key += `${perms}:${id.scheme.length}:${id.scheme}${id.id.length}:${id.id}`;
  }
  return key;
}

export class NodeSlots {
  readonly columns = new NodeColumns();
  /** Path to slot, by (parent slot, name). */
  protected readonly index = new PathIndex(this.columns);
  protected slab = new DataSlab();
  /** Values over slabValueBytesMax, by slot: kept as the Buffer they came in. */
  protected readonly largeValues = new Map<number, Buffer>();
  /** ACLs by content: a million nodes created with the open ACL share one entry. */
  protected readonly acls = new SharedTable<readonly ACL[], string>(aclKey);
  protected readonly owners = new SharedTable<bigint>((owner) => owner);
  /** Wide nodes' lists of children as last read (childNamesOf). */
  private readonly keptChildLists = new KeptChildLists();
  protected firstCreated = noSlot;
  protected lastCreated = noSlot;
  /** Goes up when a capture begins; nodes changed since carry the new value (generation). */
  protected generation = 0;

  constructor() {
    this.owners.retain(noEphemeralOwner);
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

  /** The children's names in creation order; a wide node's is kept, frozen, until they change
   * (tree/kept-child-lists.ts). */
  childNamesOf(slot: number): readonly string[] {
    const count = this.columns.childCount.get(slot);
    if (count < keptChildListMin) return this.listChildNames(slot, count);
    return this.keptChildLists.of(slot, () => this.listChildNames(slot, count));
  }

  /** The children's names as a new array, never kept: for walks over the tree (quotas, a
   * restore's cleanup), which would otherwise fill the kept lists with lists nobody reads. */
  childNamesCopyOf(slot: number): string[] {
    return this.listChildNames(slot, this.columns.childCount.get(slot));
  }

  private listChildNames(slot: number, count: number): string[] {
    const { names, firstChild, nextSibling } = this.columns;
    const children = new Array<string>(count);
    let at = 0;
    for (let child = firstChild.get(slot); child !== noSlot; child = nextSibling[child]!) {
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
      count += childCount.get(next);
      for (let child = firstChild.get(next); child !== noSlot; child = nextSibling[child]!) {
        if (childCount.get(child) > 0) pending.push(child);
      }
    }
    return count;
  }

  /** Every stored field of a slot, its data copied. */
  storedNode(slot: number): StoredNode {
    const c = this.columns;
    return {
      path: this.pathOf(slot), data: this.dataOf(slot, true),
      acl: this.acls.at(c.aclIndex.get(slot)),
      ephemeralOwner: this.owners.at(c.ownerIndex.get(slot)),
      ownerIsSession: c.ownerIsSession[slot] === 1, czxid: c.czxid[slot]!,
      mzxid: c.mzxid.get(slot), pzxid: c.pzxid.get(slot), ctime: c.ctime[slot]!,
      mtime: c.mtime.get(slot), version: c.version.get(slot), cversion: c.cversion.get(slot),
      aversion: c.aversion.get(slot),
    };
  }

  /** The ACL table entry for this content, one reference more (a restorer holds its table's
   * entries this way while nodes name them by index). */
  retainAcl(acl: readonly ACL[]): number {
    return this.acls.retain(acl);
  }

  releaseAcl(index: number): void {
    this.acls.release(index);
  }

  /** Room for `nodes` nodes in the columns and the path index at once (a restore's count).
   * Only a hint: a count past nodesReservedMax is left to grow as nodes come. */
  reserve(nodes: number): void {
    if (nodes > nodesReservedMax) return;
    this.columns.reserve(nodes);
    this.index.reserve(nodes);
  }

  /** A bulk load of nodes begins (PathIndex.beginBulk), until endBulkIndex or clear. */
  beginBulkIndex(): void {
    this.index.beginBulk();
  }

  endBulkIndex(): void {
    this.index.endBulk();
  }

  slotOf(path: string): number | undefined {
    return this.index.find(path);
  }

  /** A new slot holding `path`, linked last among its parent's children and last in creation
   * order. Stat fields are the caller's to set. */
  protected addNode(path: string, parentSlot: number, aclIndex: number, data: Buffer | null,
    owner: bigint, ownerIsSession: boolean): number {
    return this.addNamedNode(parentSlot === noSlot ? '' : path.slice(path.lastIndexOf('/') + 1),
      parentSlot, aclIndex, data, owner, ownerIsSession);
  }

  /** addNode given the node's name (the last component of its path; '' for the root). */
  protected addNamedNode(name: string, parentSlot: number, aclIndex: number, data: Buffer | null,
    owner: bigint, ownerIsSession: boolean): number {
    const columns = this.columns;
    const slot = columns.allocate();
    columns.names[slot] = name;
    columns.aclIndex.set(slot, aclIndex);
    columns.ownerIndex.set(slot, owner === noEphemeralOwner ? 0 : this.owners.retain(owner));
    columns.ownerIsSession[slot] = ownerIsSession ? 1 : 0;
    columns.generation[slot] = this.generation;
    columns.digestCache[slot] = digestUnknown;
    this.storeData(slot, data);
    columns.parent[slot] = parentSlot;
    columns.firstChild.set(slot, noSlot);
    columns.lastChild.set(slot, noSlot);
    columns.childCount.set(slot, 0);
    columns.nextSibling[slot] = noSlot;
    columns.previousSibling[slot] = noSlot;
    this.index.add(slot);
    if (parentSlot !== noSlot) {
      this.keptChildLists.forget(parentSlot);
      const last = columns.lastChild.get(parentSlot);
      columns.previousSibling[slot] = last;
      if (last === noSlot) columns.firstChild.set(parentSlot, slot);
      else columns.nextSibling[last] = slot;
      columns.lastChild.set(parentSlot, slot);
      columns.childCount.set(parentSlot, columns.childCount.get(parentSlot) + 1);
    }
    columns.previousCreated[slot] = this.lastCreated;
    columns.nextCreated[slot] = noSlot;
    if (this.lastCreated === noSlot) this.firstCreated = slot;
    else columns.nextCreated[this.lastCreated] = slot;
    this.lastCreated = slot;
    return slot;
  }

  /** Puts back a node a multi deleted, in a slot of its own (its old one may be reused). */
  protected addStored(stored: StoredNode, parentSlot: number): number {
    const slot = this.addNode(stored.path, parentSlot, this.acls.retain(stored.acl), stored.data,
      stored.ephemeralOwner, stored.ownerIsSession);
    this.setStoredStat(slot, stored);
    return slot;
  }

  protected setStat(slot: number, zxid: number, time: number): void {
    const columns = this.columns;
    // DataTree.createStat: every zxid is the creating one, both times the leader's clock.
    columns.czxid[slot] = zxid;
    columns.mzxid.set(slot, zxid);
    columns.pzxid.set(slot, zxid);
    columns.ctime[slot] = time;
    columns.mtime.set(slot, time);
    columns.version.set(slot, 0);
    columns.cversion.set(slot, 0);
    columns.aversion.set(slot, 0);
  }

  protected setStoredStat(slot: number, fields: RestoredStat): void {
    const columns = this.columns;
    columns.czxid[slot] = fields.czxid;
    columns.mzxid.set(slot, fields.mzxid);
    columns.pzxid.set(slot, fields.pzxid);
    columns.ctime[slot] = fields.ctime;
    columns.mtime.set(slot, fields.mtime);
    columns.version.set(slot, fields.version);
    columns.cversion.set(slot, fields.cversion);
    columns.aversion.set(slot, fields.aversion);
  }

  /** Unlinks a slot from its parent, the creation order and the index, and frees it. */
  protected removeNode(slot: number): void {
    const columns = this.columns;
    const parentSlot = columns.parent[slot]!;
    const previous = columns.previousSibling[slot]!;
    const next = columns.nextSibling[slot]!;
    this.keptChildLists.forget(parentSlot);
    this.keptChildLists.forget(slot);
    if (parentSlot !== noSlot) {
      if (previous === noSlot) columns.firstChild.set(parentSlot, next);
      else columns.nextSibling[previous] = next;
      if (next === noSlot) columns.lastChild.set(parentSlot, previous);
      else columns.previousSibling[next] = previous;
      columns.childCount.set(parentSlot, columns.childCount.get(parentSlot) - 1);
    }
    const before = columns.previousCreated[slot]!;
    const after = columns.nextCreated[slot]!;
    if (before === noSlot) this.firstCreated = after;
    else columns.nextCreated[before] = after;
    if (after === noSlot) this.lastCreated = before;
    else columns.previousCreated[after] = before;
    this.index.remove(slot);
    this.releaseData(slot);
    this.acls.release(columns.aclIndex.get(slot));
    const ownerIndex = columns.ownerIndex.get(slot);
    if (ownerIndex !== 0) this.owners.release(ownerIndex);
    columns.release(slot);
  }

  protected storeData(slot: number, data: Buffer | null): void {
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

  /** storeData for the value at [start, start + length) of `source`, 1 to slabValueBytesMax
   * bytes, copied into the slab without a Buffer of its own. */
  protected storeDataIn(slot: number, source: DataView, start: number, length: number): void {
    this.columns.dataLength[slot] = length;
    this.columns.dataRef[slot] = this.slab.storeFrom(source, start, length);
  }

  protected releaseData(slot: number): void {
    const reference = this.columns.dataRef[slot]!;
    if (reference === largeData) this.largeValues.delete(slot);
    else if (reference !== noData) this.slab.release(reference);
  }

  protected replaceData(slot: number, data: Buffer | null): void {
    this.releaseData(slot);
    this.storeData(slot, data);
  }

  /** Empties every slot and table. */
  protected clearSlots(): void {
    // Slots are handed out again from the first: a list kept for a slot would be another node's.
    this.keptChildLists.clear();
    this.index.clear();
    this.columns.clear();
    this.slab = new DataSlab();
    this.largeValues.clear();
    this.acls.clear();
    this.owners.clear();
    this.owners.retain(noEphemeralOwner);
    this.firstCreated = noSlot;
    this.lastCreated = noSlot;
  }
}
