// The tree's state and the only code that mutates it: the path index, the per-session
// ephemeral index, container and TTL sets, the session table and the size counter. Each
// mutation can record its inverse in an undo log, which is how a failing multi rolls back.

import type { ACL } from '../protocol/records.js';
import { basenameOf, childPath } from './paths.js';
import type { SessionEntry } from './types.js';
import { Znode, ephemeralKindOf, nextVersion } from './znode.js';

export type UndoLog = Array<() => void>;

export class NodeStore {
  readonly nodes = new Map<string, Znode>();
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly sessions = new Map<bigint, SessionEntry>();
  /** Sum of path length plus data length over all nodes (DataTree.approximateDataSize). */
  dataSize = 0;

  constructor(readonly extendedTypesEnabled: boolean) {}

  /** Adds the bootstrap nodes (root and /zookeeper…) with zero stats, without bookkeeping. */
  addBootstrapNode(path: string, parent: Znode | undefined, acl: readonly ACL[]): Znode {
    const node = new Znode(Buffer.alloc(0), acl, 0n, 0, 0);
    parent?.children.set(basenameOf(path), node);
    this.nodes.set(path, node);
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
    const { cversion, pzxid } = parent;
    parent.cversion = nextVersion(cversion);
    parent.pzxid = node.czxid;
    parent.children.set(name, node);
    this.nodes.set(path, node);
    this.dataSize += path.length + node.data.length;
    this.index(path, node.ephemeralOwner, true);
    undo?.push(() => {
      this.index(path, node.ephemeralOwner, false);
      this.dataSize -= path.length + node.data.length;
      this.nodes.delete(path);
      parent.children.delete(name);
      parent.cversion = cversion;
      parent.pzxid = pzxid;
    });
    return path;
  }

  /** DataTree.deleteNode: only the parent's pzxid moves, and only forwards (the cversion
   * clients see still grows, through Znode.stat()). */
  delete(path: string, parent: Znode, node: Znode, zxid: number, undo: UndoLog | undefined): void {
    const name = basenameOf(path);
    const { pzxid } = parent;
    parent.children.delete(name);
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.nodes.delete(path);
    this.dataSize -= path.length + node.data.length;
    this.index(path, node.ephemeralOwner, false);
    undo?.push(() => {
      this.index(path, node.ephemeralOwner, true);
      this.dataSize += path.length + node.data.length;
      this.nodes.set(path, node);
      parent.children.set(name, node);
      parent.pzxid = pzxid;
    });
  }

  /** DataTree.setData: new data, version + 1, mtime and mzxid from the txn. */
  setData(node: Znode, data: Buffer, zxid: number, time: number, undo: UndoLog | undefined): void {
    const { data: oldData, version, mzxid, mtime } = node;
    node.data = data;
    node.version = nextVersion(version);
    node.mzxid = zxid;
    node.mtime = time;
    this.dataSize += data.length - oldData.length;
    undo?.push(() => {
      this.dataSize -= data.length - oldData.length;
      node.data = oldData;
      node.version = version;
      node.mzxid = mzxid;
      node.mtime = mtime;
    });
  }

  /** DataTree.setACL: new ACL and aversion + 1; mzxid and mtime do not change. */
  setAcl(node: Znode, acl: readonly ACL[]): void {
    node.acl = acl;
    node.aversion = nextVersion(node.aversion);
  }

  /** Snapshot restore: empties the store before records are added back (tree/snapshot.ts). */
  clear(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.sessions.clear();
    this.dataSize = 0;
  }

  /** Snapshot restore: indexes a node already linked to its parent (tree/snapshot.ts). */
  restoreNode(path: string, node: Znode): void {
    this.nodes.set(path, node);
    this.dataSize += path.length + node.data.length;
    this.index(path, node.ephemeralOwner, true);
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
