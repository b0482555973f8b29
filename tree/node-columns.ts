// Every znode's fields as one slot across typed-array columns, with links for its children
// (first, last, siblings) and for the tree's creation order. A million znodes as objects cost
// over 500 bytes each in heap (object, boxed numbers, Buffer, maps of children and paths); as
// columns they cost about a fifth of that. Slots are reused after a delete.

import { SparseColumn, float64Page, int32Page } from './sparse-column.js';

/** Slot "none" in link columns. */
export const noSlot = -1;
/** dataRef for null data and for empty data (told apart by dataLength: -1 is null). */
export const noData = -1;
/** digestCache of a node whose digest is not computed yet. A real digest may equal it: it is
 * then computed again, to the same value, when next needed. */
export const digestUnknown = 0xffffffff;
/** dataRef of a value too large for the slab, kept as its own Buffer (NodeStore.largeData). */
export const largeData = -2;

const slotsInitial = 1024;

export class NodeColumns {
  capacity = 0;
  czxid = new Float64Array(0);
  ctime = new Float64Array(0);
  /** mzxid and pzxid are czxid, mtime is ctime, until the node changes (tree/sparse-column.ts);
   * a writer sets czxid and ctime first, then these. */
  readonly mzxid = new SparseColumn(float64Page, 0, () => this.czxid);
  readonly pzxid = new SparseColumn(float64Page, 0, () => this.czxid);
  readonly mtime = new SparseColumn(float64Page, 0, () => this.ctime);
  /** The node's digest (tree/node-digest.ts, a CRC-32) as last computed, or digestUnknown
   * until it is. Kept, as ZooKeeper's DataNode keeps it, so a parent's digest is not
   * recomputed over its data for every child created or deleted. */
  digestCache = new Uint32Array(0);
  readonly version = new SparseColumn(int32Page, 0);
  /** Children ever created under this node, as ZooKeeper stores cversion: it is also the next
   * sequential suffix. Clients are shown 2 × cversion − numChildren instead (Znode.stat()). */
  readonly cversion = new SparseColumn(int32Page, 0);
  readonly aversion = new SparseColumn(int32Page, 0);
  /** NodeStore's generation when this node was last changed: a snapshot capture begun at a
   * later generation has not yet seen the change, and must be handed the version before it. */
  generation = new Int32Array(0);
  /** Index into NodeStore's ACL table: most trees give nearly every node one ACL, the first
   * the table numbered (the root's), so this column is sparse too. */
  readonly aclIndex = new SparseColumn(int32Page, 0);
  /** Index into NodeStore's owner table (0: no owner). */
  readonly ownerIndex = new SparseColumn(int32Page, 0);
  /** A slab cell (tree/data-slab.ts), noData or largeData. */
  dataRef = new Int32Array(0);
  /** -1 for null data (ZooKeeper keeps null apart from empty data). */
  dataLength = new Int32Array(0);
  parent = new Int32Array(0);
  readonly firstChild = new SparseColumn(int32Page, noSlot);
  readonly lastChild = new SparseColumn(int32Page, noSlot);
  nextSibling = new Int32Array(0);
  previousSibling = new Int32Array(0);
  readonly childCount = new SparseColumn(int32Page, 0);
  /** Creation order over the whole tree: a snapshot lists nodes in it (parents first). */
  nextCreated = new Int32Array(0);
  previousCreated = new Int32Array(0);
  /** 1 when clients see the owner as ephemeralOwner (not for containers and TTL nodes). */
  ownerIsSession = new Uint8Array(0);
  /** Each slot's name (the last component of its path; "" for the root); undefined for a free
   * slot. Paths are not stored: tree/path-index.ts finds a slot by its names. */
  names: Array<string | undefined> = [];
  private readonly free: number[] = [];
  private used = 0;

  /** A slot for a new node: a freed one, or the next never used. Its fields are left as
   * they were; the caller sets every one. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  release(slot: number): void {
    this.names[slot] = undefined;
    this.free.push(slot);
  }

  clear(): void {
    this.free.length = 0;
    this.names = [];
    this.used = 0;
    for (const column of sparseColumns) this[column].clear();
  }

  /** Room for `slots` slots in one step (a restore knows its node count): doubling up to a
   * million slots copies every column some ten times. The capacity is the one doubling would
   * reach, so a reserved store holds no more memory than a grown one. */
  reserve(slots: number): void {
    let capacity = Math.max(slotsInitial, this.capacity);
    while (capacity < slots) capacity *= 2;
    if (capacity > this.capacity) this.grow(capacity);
  }

  private grow(capacityAtLeast = 0): void {
    const capacity = Math.max(slotsInitial, this.capacity * 2, capacityAtLeast);
    for (const name of float64Columns) this[name] = grown(this[name], new Float64Array(capacity));
    for (const name of int32Columns) this[name] = grown(this[name], new Int32Array(capacity));
    this.digestCache = grown(this.digestCache, new Uint32Array(capacity));
    this.ownerIsSession = grown(this.ownerIsSession, new Uint8Array(capacity));
    this.capacity = capacity;
  }
}

const float64Columns = ['czxid', 'ctime'] as const;
const int32Columns = ['generation', 'dataRef', 'dataLength', 'parent', 'nextSibling',
  'previousSibling', 'nextCreated', 'previousCreated'] as const;
const sparseColumns = ['mzxid', 'pzxid', 'mtime', 'version', 'cversion', 'aversion',
  'aclIndex', 'ownerIndex', 'firstChild', 'lastChild', 'childCount'] as const;

function grown<Column extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
  old: Column,
  bigger: Column,
): Column {
  bigger.set(old as ArrayLike<number>);
  return bigger;
}
