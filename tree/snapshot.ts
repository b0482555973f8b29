// The data tree's state as plain records, for snapshots: a consistent capture of every znode
// (all stored stat fields, ACL, data, ephemeral owner) and the session table, and the
// restore that rebuilds an identical tree (same digest, same child and ephemeral order).

import type { ACL } from '../protocol/records.js';
import type { RestoredNode } from '../protocol/txn.js';
import type { CaptureInProgress, NodeStore, StoredNode } from './store.js';

/**
 * One znode as stored: a tuple keeps msgpack small (no repeated field names). Its layout is the
 * protocol's (a restore txn carries the same records).
 */
export type NodeRecord = RestoredNode;

/** One znode's stored fields, as a mutable object that a reader fills again for each node:
 * restoring a million nodes through it allocates no record per node (tree/snapshot.ts). */
const emptyView: DataView = new DataView(new ArrayBuffer(0));

export class NodeFields {
  private pathText = '';
  /**
   * A path not made into a string of its own yet: it is pathSource[pathStart, pathEnd), as a
   * snapshot frame's path column holds it (setPathIn). A restore reads the parent's and the
   * node's name straight from there, so a million nodes cost no path string each; `path`
   * makes the string when something asks for it.
   */
  pathSource: string | undefined = undefined;
  pathStart = 0;
  pathEnd = 0;
  private dataValue: Buffer | null = Buffer.alloc(0);
  /**
   * Data not made into a Buffer of its own yet: dataSource[dataStart, dataStart + dataLength),
   * a view valid while the node is handed over (setDataIn). A restore copies it from there
   * into the tree's slab; `data` makes the Buffer (a view) when something asks for it.
   */
  dataSource: Buffer | undefined = undefined;
  /** dataSource as a DataView (over the same bytes, from the same offset). */
  dataView: DataView = emptyView;
  dataStart = 0;
  dataLength = 0;
  aclIndex = 0;
  ephemeralOwner = 0n;
  ownerIsSession = false;
  czxid = 0;
  mzxid = 0;
  pzxid = 0;
  ctime = 0;
  mtime = 0;
  version = 0;
  cversion = 0;
  aversion = 0;

  get path(): string {
    const source = this.pathSource;
    if (source !== undefined) {
      this.pathText = source.slice(this.pathStart, this.pathEnd);
      this.pathSource = undefined;
    }
    return this.pathText;
  }

  set path(path: string) {
    this.pathText = path;
    this.pathSource = undefined;
  }

  get data(): Buffer | null {
    const source = this.dataSource;
    if (source !== undefined) {
      this.dataValue = source.subarray(this.dataStart, this.dataStart + this.dataLength);
      this.dataSource = undefined;
    }
    return this.dataValue;
  }

  set data(data: Buffer | null) {
    this.dataValue = data;
    this.dataSource = undefined;
  }

  /** The data is source[start, start + length) (not null, and not empty), made into a Buffer
   * only when `data` is read; `view` is a DataView of `source`'s bytes. */
  setDataIn(source: Buffer, view: DataView, start: number, length: number): void {
    this.dataSource = source;
    this.dataView = view;
    this.dataStart = start;
    this.dataLength = length;
  }

  /** The path is source[start, end), made into a string only when `path` is read. */
  setPathIn(source: string, start: number, end: number): void {
    this.pathSource = source;
    this.pathStart = start;
    this.pathEnd = end;
  }

  /** Fills this from a record; returns this. */
  of(record: NodeRecord): this {
    this.path = record[0];
    this.data = record[1];
    this.aclIndex = record[2];
    this.ephemeralOwner = record[3];
    this.ownerIsSession = record[4];
    this.czxid = record[5];
    this.mzxid = record[6];
    this.pzxid = record[7];
    this.ctime = record[8];
    this.mtime = record[9];
    this.version = record[10];
    this.cversion = record[11];
    this.aversion = record[12];
    return this;
  }

  record(): NodeRecord {
    return [this.path, this.data, this.aclIndex, this.ephemeralOwner, this.ownerIsSession,
      this.czxid, this.mzxid, this.pzxid, this.ctime, this.mtime, this.version, this.cversion,
      this.aversion];
  }
}

export interface SessionRecord {
  sessionId: bigint;
  timeoutMs: number;
  password: Buffer;
}

/**
 * The tree at one zxid, which later txns cannot change, without copying the tree.
 *
 * Design: copy-on-write by generation. Beginning a capture lists the store's slots in creation
 * order (4 bytes a node; a few milliseconds per 1,000,000 znodes) and copies the session table,
 * and bumps the store's generation. From then on NodeStore shows every node to the capture
 * before its first change or its delete (a slot's generation older than the capture's), and the
 * capture keeps every field of that node as it was (`preserved`), since a deleted node's slot
 * may be reused. Nodes created later are not listed. So records read at any time later give
 * exactly the state at `zxid`, and encoding can run in slices between txns with no pause of
 * the tree. The alternative, capturing in bounded slices while holding back txn application,
 * would delay writes for the whole snapshot. Copies cost only for nodes changed while the
 * snapshot is written; call release() when done with it.
 *
 * ACLs are numbered in first-use order as records are read (newAcls() hands out the table's
 * growth), since the full table is only known once every node has been read.
 */
export class TreeCapture implements CaptureInProgress {
  readonly sessions: SessionRecord[] = [];
  readonly nodeCount: number;
  private slots: Int32Array;
  private readonly preserved = new Map<number, StoredNode>();
  private readonly aclIndexOf = new Map<readonly ACL[], number>();
  private acls: Array<readonly ACL[]> = [];
  private released = false;
  private lastParent = -1;
  private lastParentPath = '';

  constructor(
    private readonly store: NodeStore,
    readonly zxid: number,
    readonly generation: number,
  ) {
    this.slots = store.slotsInCreationOrder();
    this.nodeCount = this.slots.length;
    for (const [sessionId, entry] of store.sessions) {
      this.sessions.push({ sessionId, timeoutMs: entry.timeoutMs, password: entry.password });
    }
  }

  /** NodeStore, before the node in `slot` first changes (or goes) after this capture began. */
  preserve(slot: number): void {
    if (this.preserved.has(slot)) return;
    this.preserved.set(slot, this.store.storedNode(slot));
  }

  /**
   * The node at `index` (in creation order) as it was at `zxid`. Its data is read in place when
   * the node is unchanged since the capture began: a view of the tree's memory, valid until the
   * tree next changes, so a caller copies it (as a snapshot frame does) before it lets any write
   * run. A copy here cost a third of a snapshot's encoding (100k values of 1 KiB: 146 ms, 50 of
   * them making and filling the copies).
   */
  record(index: number): NodeRecord {
    assert(!this.released, 'a released capture was read');
    assert(index >= 0 && index < this.nodeCount, `capture has no node ${index}`);
    const slot = this.slots[index]!;
    const at = this.preserved.size === 0 ? undefined : this.preserved.get(slot);
    if (at !== undefined) {
      return [at.path, at.data, this.aclIndex(at.acl), at.ephemeralOwner, at.ownerIsSession,
        at.czxid, at.mzxid, at.pzxid, at.ctime, at.mtime, at.version, at.cversion, at.aversion];
    }
    // Unchanged since the capture began: read in place, without an object for the node.
    const store = this.store;
    const c = store.columns;
    return [this.pathOf(slot), store.dataOf(slot, false),
      this.aclIndex(store.aclAt(c.aclIndex.get(slot))),
      store.ownerAt(c.ownerIndex.get(slot)), c.ownerIsSession[slot] === 1, c.czxid[slot]!,
      c.mzxid.get(slot), c.pzxid.get(slot), c.ctime[slot]!, c.mtime.get(slot),
      c.version.get(slot), c.cversion.get(slot), c.aversion.get(slot)];
  }

  /** ACLs numbered since the last call, in index order. */
  newAcls(): Array<readonly ACL[]> {
    const added = this.acls;
    this.acls = [];
    return added;
  }

  /** Stops the copy-on-write and drops the references; records can no longer be read. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.store.endCapture(this);
    this.slots = new Int32Array(0);
    this.preserved.clear();
  }

  /** The path of a node unchanged since the capture began. Its parent is then alive and
   * unmoved too (a parent outlives its children), so the last parent's path is remembered:
   * records come in creation order, where siblings mostly follow each other. */
  private pathOf(slot: number): string {
    const parent = this.store.columns.parent[slot]!;
    if (parent < 0) return '/';
    if (parent !== this.lastParent) {
      this.lastParent = parent;
      this.lastParentPath = this.store.pathOf(parent);
    }
    const name = this.store.columns.names[slot]!;
    return this.lastParentPath === '/' ? `/${name}` : `${this.lastParentPath}/${name}`;
  }

  private aclIndex(acl: readonly ACL[]): number {
    let index = this.aclIndexOf.get(acl);
    if (index === undefined) {
      index = this.aclIndexOf.size;
      this.aclIndexOf.set(acl, index);
      this.acls.push(acl);
    }
    return index;
  }
}

/** Begins a capture of the store (see TreeCapture). Nodes come in creation order: parents
 * come before children, and re-inserting in this order rebuilds every children list and
 * ephemeral set in the same order. */
export function captureStore(store: NodeStore, zxid: number): TreeCapture {
  return store.beginCapture((generation) => new TreeCapture(store, zxid, generation));
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export class SnapshotRestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotRestoreError';
  }
}

/**
 * Rebuilds a store from records, parents first. ACLs with equal content share one entry of the
 * store's table, so a million nodes with the open ACL hold one copy of it. Records come in
 * creation order, where siblings mostly follow each other, so the last parent is remembered
 * rather than looked up. finish() lets go of the table entries the records named.
 */
export class StoreRestorer {
  /** The store's ACL table index for each index of the records' table. */
  private readonly aclIndexes: number[] = [];
  private parentPath = '';
  private parentSlot = -1;
  private readonly scratch = new NodeFields();

  constructor(private readonly store: NodeStore) {
    store.clear();
    // Nodes come in a stream of known length: the path index takes them in batches.
    store.beginBulkIndex();
  }

  /** The snapshot's node count, when known before its nodes: the store makes room at once. */
  reserve(nodeCount: number): void {
    this.store.reserve(nodeCount);
  }

  /** Appends to the ACL table that records' aclIndex points into. */
  addAcls(acls: ReadonlyArray<readonly ACL[]>): void {
    for (const acl of acls) this.aclIndexes.push(this.store.retainAcl(acl));
  }

  node(record: NodeRecord): void {
    this.nodeFields(this.scratch.of(record));
  }

  /** Adds one node; `fields` is only read, so the caller may reuse it. */
  nodeFields(fields: NodeFields): void {
    const aclIndex = this.aclIndexes[fields.aclIndex];
    if (aclIndex === undefined) {
      throw new SnapshotRestoreError(`${fields.path}: unknown ACL ${fields.aclIndex}`);
    }
    const source = fields.pathSource;
    if (source !== undefined && this.spannedNode(source, fields, aclIndex)) return;
    const path = fields.path;
    const parentSlot = path === '/' ? -1 : this.parentOf(path);
    const name = parentSlot === -1 ? '' : path.slice(path.lastIndexOf('/') + 1);
    this.store.restoreNamedNode(name, path.length, parentSlot, aclIndex, fields);
  }

  /**
   * Adds a node whose path is a span of `source` (NodeFields.setPathIn), as parentOf would
   * place it, without making its path string: the parent is compared in place and only the
   * name is cut out. False (nothing done) for a path this does not handle (the root, one with
   * no slash past its first character), which nodeFields then adds by its path.
   */
  private spannedNode(source: string, fields: NodeFields, aclIndex: number): boolean {
    const start = fields.pathStart;
    const end = fields.pathEnd;
    const lastSlash = source.lastIndexOf('/', end - 1);
    if (lastSlash < start || end - start < 2 || source.charCodeAt(start) !== 0x2f) return false;
    const parentLength = lastSlash - start;
    const parentPath = this.parentPath;
    const sameParent = this.parentSlot >= 0 &&
      parentLength === (parentPath === '/' ? 0 : parentPath.length) &&
      source.startsWith(parentPath, start);
    if (!sameParent) {
      this.parentPath = parentLength === 0 ? '/' : source.slice(start, lastSlash);
      const slot = this.store.slotOf(this.parentPath);
      this.parentSlot = slot ?? -1;
      if (slot === undefined) throw new SnapshotRestoreError(`${fields.path}: parent missing`);
    }
    this.store.restoreNamedNode(source.slice(lastSlash + 1, end), end - start, this.parentSlot,
      aclIndex, fields);
    return true;
  }

  session(record: SessionRecord): void {
    this.store.sessions.set(record.sessionId, {
      timeoutMs: record.timeoutMs,
      password: record.password,
    });
  }

  /** Releases the ACL table entries held for the records (nodes hold their own), and indexes
   * the nodes the path index still holds back. */
  finish(): void {
    this.store.endBulkIndex();
    for (const index of this.aclIndexes.splice(0)) this.store.releaseAcl(index);
  }

  private parentOf(path: string): number {
    const lastSlash = path.lastIndexOf('/');
    const parentPath = this.parentPath;
    const sameParent = lastSlash === (parentPath === '/' ? 0 : parentPath.length) &&
      path.startsWith(parentPath);
    if (sameParent && this.parentSlot >= 0) return this.parentSlot;
    this.parentPath = lastSlash === 0 ? '/' : path.slice(0, lastSlash);
    const slot = this.store.slotOf(this.parentPath);
    if (slot === undefined) {
      this.parentSlot = -1;
      throw new SnapshotRestoreError(`${path}: parent missing`);
    }
    this.parentSlot = slot;
    return slot;
  }
}
