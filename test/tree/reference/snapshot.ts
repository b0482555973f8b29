// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// The data tree's state as plain records, for snapshots: a consistent capture of every znode
// (all stored stat fields, ACL, data, ephemeral owner) and the session table, and the
// restore that rebuilds an identical tree (same digest, same child and ephemeral order).

import type { ACL } from '../../../protocol/records.js';
import type { RestoredNode } from '../../../protocol/txn.js';
import type { CaptureInProgress, NodeStore } from './store.js';
import { Znode } from './znode.js';

/**
 * One znode as stored: a tuple keeps msgpack small (no repeated field names). Its layout is the
 * protocol's (a restore txn carries the same records).
 */
export type NodeRecord = RestoredNode;

/** One znode's stored fields, as a mutable object that a reader fills again for each node:
 * restoring a million nodes through it allocates no record per node (tree/snapshot.ts). */
export class NodeFields {
  path = '';
  data: Buffer | null = Buffer.alloc(0);
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

/** A node's changeable fields as a capture began; the others never change after a create. */
interface NodeVersion {
  data: Buffer | null;
  acl: readonly ACL[];
  mzxid: number;
  pzxid: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
}

/**
 * The tree at one zxid, which later txns cannot change, without copying the tree.
 *
 * Design: copy-on-write by generation. Beginning a capture copies only the path index's keys
 * and values into two arrays (references; about 30 ms per 1,000,000 znodes) and the session
 * table, and bumps the store's generation. From then on NodeStore shows every node to the
 * capture before its first change (Znode.generation older than the capture's), and the capture
 * keeps that node's fields as they were (`preserved`). Deleted nodes stay referenced by the
 * arrays and are never changed again; nodes created later are not in the arrays. So records
 * read at any time later give exactly the state at `zxid`, and encoding can run in slices
 * between txns with no pause of the tree. The alternative, capturing in bounded slices while
 * holding back txn application, would delay writes for the whole snapshot. Copies cost only
 * for nodes changed while the snapshot is written; call release() when done with it.
 *
 * ACLs are numbered in first-use order as records are read (newAcls() hands out the table's
 * growth), since the full table is only known once every node has been read.
 */
export class TreeCapture implements CaptureInProgress {
  readonly sessions: SessionRecord[] = [];
  readonly nodeCount: number;
  private paths: string[];
  private nodes: Znode[];
  private readonly preserved = new Map<Znode, NodeVersion>();
  private readonly aclIndexOf = new Map<readonly ACL[], number>();
  private acls: Array<readonly ACL[]> = [];
  private released = false;

  constructor(
    private readonly store: NodeStore,
    readonly zxid: number,
    readonly generation: number,
  ) {
    this.paths = Array.from(store.nodes.keys());
    this.nodes = Array.from(store.nodes.values());
    this.nodeCount = this.nodes.length;
    for (const [sessionId, entry] of store.sessions) {
      this.sessions.push({ sessionId, timeoutMs: entry.timeoutMs, password: entry.password });
    }
  }

  /** NodeStore, before `node` first changes after this capture began. */
  preserve(node: Znode): void {
    if (this.preserved.has(node)) return;
    this.preserved.set(node, {
      data: node.data,
      acl: node.acl,
      mzxid: node.mzxid,
      pzxid: node.pzxid,
      mtime: node.mtime,
      version: node.version,
      cversion: node.cversion,
      aversion: node.aversion,
    });
  }

  /** The node at `index` (in the path index's order) as it was at `zxid`. */
  record(index: number): NodeRecord {
    assert(!this.released, 'a released capture was read');
    const node = this.nodes[index];
    assert(node !== undefined, `capture has no node ${index}`);
    const at: NodeVersion = this.preserved.get(node) ?? node;
    return [
      this.paths[index]!,
      at.data,
      this.aclIndex(at.acl),
      node.ephemeralOwner,
      node.ownerIsSession,
      node.czxid,
      at.mzxid,
      at.pzxid,
      node.ctime,
      at.mtime,
      at.version,
      at.cversion,
      at.aversion,
    ];
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
    this.paths = [];
    this.nodes = [];
    this.preserved.clear();
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

/** Begins a capture of the store (see TreeCapture). Nodes come in the path index's insertion
 * order, which is creation order: parents come before children, and re-inserting in this order
 * rebuilds every children map and ephemeral set in the same order. */
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
 * Rebuilds a store from records, parents first. ACLs with equal content share one array
 * (NodeStore.internAcl), so a million nodes with the open ACL hold one copy of it. Records come
 * in creation order, where siblings mostly follow each other, so the last parent is remembered
 * rather than looked up.
 */
export class StoreRestorer {
  private readonly acls: Array<readonly ACL[]> = [];
  private parentPath = '';
  private parent: Znode | undefined;
  private readonly scratch = new NodeFields();

  constructor(private readonly store: NodeStore) {
    store.clear();
  }

  /** Appends to the ACL table that records' aclIndex points into. */
  addAcls(acls: ReadonlyArray<readonly ACL[]>): void {
    for (const acl of acls) this.acls.push(this.store.internAcl(acl));
  }

  node(record: NodeRecord): void {
    this.nodeFields(this.scratch.of(record));
  }

  /** Adds one node; `fields` is only read, so the caller may reuse it. */
  nodeFields(fields: NodeFields): void {
    const path = fields.path;
    const acl = this.acls[fields.aclIndex];
    if (acl === undefined) {
      throw new SnapshotRestoreError(`${path}: unknown ACL ${fields.aclIndex}`);
    }
    const node = new Znode(fields.data, acl, fields.ephemeralOwner, fields.czxid, fields.ctime,
      fields.ownerIsSession);
    node.mzxid = fields.mzxid;
    node.pzxid = fields.pzxid;
    node.mtime = fields.mtime;
    node.version = fields.version;
    node.cversion = fields.cversion;
    node.aversion = fields.aversion;
    if (path !== '/') this.parentOf(path).linkChild(path.slice(path.lastIndexOf('/') + 1), node);
    this.store.restoreNode(path, node);
  }

  session(record: SessionRecord): void {
    this.store.sessions.set(record.sessionId, {
      timeoutMs: record.timeoutMs,
      password: record.password,
    });
  }

  private parentOf(path: string): Znode {
    const lastSlash = path.lastIndexOf('/');
    const parentPath = this.parentPath;
    const sameParent = lastSlash === (parentPath === '/' ? 0 : parentPath.length) &&
      path.startsWith(parentPath);
    if (sameParent && this.parent !== undefined) return this.parent;
    this.parentPath = lastSlash === 0 ? '/' : path.slice(0, lastSlash);
    this.parent = this.store.nodes.get(this.parentPath);
    if (this.parent === undefined) throw new SnapshotRestoreError(`${path}: parent missing`);
    return this.parent;
  }
}
