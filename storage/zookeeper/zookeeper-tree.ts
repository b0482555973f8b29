// ZooKeeper's data tree as its files describe it: each znode's data, ACL and StatPersisted
// (the stored cversion counts creates only), the session table, and the replay of logged txns
// exactly as DataTree.processTxn applies them on restore. A snapshot is fuzzy (txns after its
// zxid may already be in it), so replay is idempotent as ZooKeeper's is: NODEEXISTS and NONODE
// are ignored, set versions come from the txn, a create only raises its parent's cversion.

import { OpCode } from '../../protocol/constants.js';
import type { ACL, Stat } from '../../protocol/records.js';
import { limitNodeName, quotaRoot, statNodeName } from '../../tree/quota.js';
import { formatStats, statsKeys } from '../../tree/stats-track.js';
import type {
  ZooKeeperLogEntry,
  ZooKeeperTxn,
  ZooKeeperTxnDigest,
  ZooKeeperTxnHeader,
} from './txn-records.js';

/** zookeeper.jute StatPersisted: Stat without dataLength and numChildren, which are derived. */
export type StatPersisted = Omit<Stat, 'dataLength' | 'numChildren'>;

export interface ZooKeeperNode {
  data: Buffer | null;
  acl: readonly ACL[];
  stat: StatPersisted;
  /** Child names; ZooKeeper keeps a HashSet, so order carries no meaning. */
  children: Set<string>;
}

/** EphemeralType.CONTAINER_EPHEMERAL_OWNER (Long.MIN_VALUE). */
export const containerOwner = -(1n << 63n);
const ttlMarker = 0xff00000000000000n;

/** EphemeralType.TTL.toEphemeralOwner. */
export function ttlOwner(ttlMs: bigint): bigint {
  return BigInt.asIntN(64, ttlMarker | ttlMs);
}

/** True for an owner that is a container's or a TTL node's mark rather than a session. */
export function isExtendedOwner(owner: bigint): boolean {
  if (owner === containerOwner) return true;
  const unsigned = BigInt.asUintN(64, owner);
  return (unsigned & ttlMarker) === ttlMarker && (unsigned & 0x00ffff0000000000n) === 0n;
}

/** ZooKeeper's path for a child: the root's children are "/name". */
function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The parent's path and the child's name; ZooKeeper's root is "" in its maps, "/" here. */
export function splitPath(path: string): { parent: string; name: string } {
  const lastSlash = path.lastIndexOf('/');
  return { parent: lastSlash <= 0 ? '/' : path.slice(0, lastSlash),
    name: path.slice(lastSlash + 1) };
}

export class ZooKeeperTree {
  readonly nodes = new Map<string, ZooKeeperNode>();
  /** Session id → timeout in ms (the snapshot's session table, then createSession/close). */
  readonly sessions = new Map<bigint, number>();
  /** The highest zxid applied (FileTxnSnapLog.fastForwardFromEdits' highestZxid). */
  lastZxid = 0;
  /** The TxnDigest of the last txn applied, with its zxid (undefined when it carried none):
   * ZooKeeper's own digest of the tree as that txn left it. */
  lastTxnDigest: (ZooKeeperTxnDigest & { zxid: number }) | undefined;
  /** Session id → its ephemerals' paths (DataTree.ephemerals), kept as nodes come and go. */
  private readonly ephemerals = new Map<bigint, Set<string>>();

  /** Adds a node read from a snapshot; its parent must already be there. */
  addNode(path: string, node: ZooKeeperNode): void {
    if (path !== '/') {
      const { parent, name } = splitPath(path);
      const parentNode = this.nodes.get(parent);
      if (parentNode === undefined) {
        throw new Error(`snapshot node ${path} comes before its parent ${parent}`);
      }
      parentNode.children.add(name);
    }
    this.nodes.set(path, node);
    this.track(path, node.stat.ephemeralOwner);
  }

  private track(path: string, owner: bigint): void {
    if (owner === 0n || isExtendedOwner(owner)) return;
    let owned = this.ephemerals.get(owner);
    if (owned === undefined) this.ephemerals.set(owner, (owned = new Set()));
    owned.add(path);
  }

  /** Paths depth first, parents before children, siblings in creation order (czxid). */
  *paths(): Generator<string> {
    const stack = ['/'];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      yield path;
      const children = [...node.children].map((name) => {
        const child = childPath(path, name);
        return { path: child, czxid: this.nodes.get(child)?.stat.czxid ?? 0 };
      });
      // Newest first onto the stack, so the oldest comes off first.
      children.sort((left, right) => right.czxid - left.czxid ||
        (left.path < right.path ? 1 : -1));
      for (const child of children) stack.push(child.path);
    }
  }

  /** FileTxnSnapLog.processTransaction: the session table, then DataTree.processTxn. */
  apply(entry: ZooKeeperLogEntry): void {
    const { header, txn } = entry;
    if (txn.kind === 'createSession') this.sessions.set(header.sessionId, txn.timeoutMs);
    if (txn.kind === 'closeSession') this.sessions.delete(header.sessionId);
    this.process(header, txn);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    this.lastTxnDigest = entry.digest === undefined ? undefined
      : { ...entry.digest, zxid: header.zxid };
  }

  /** DataTree.processTxn for one txn or sub-txn; returns its error code (0 when applied). */
  private process(header: ZooKeeperTxnHeader, txn: ZooKeeperTxn): number {
    const zxid = header.zxid;
    switch (txn.kind) {
      case 'create': {
        const owner = txn.ephemeral ? header.sessionId : 0n;
        const err = this.createNode(txn.path, txn.data, txn.acl, owner, txn.parentCVersion,
          header);
        // A create replayed onto a fuzzy snapshot that already holds its node still sets the
        // parent's cversion and pzxid (processTxn's NODEEXISTS fixup; create only).
        if (err === nodeExists && txn.type === OpCode.create) {
          this.setCversionPzxid(splitPath(txn.path).parent, txn.parentCVersion, zxid);
        }
        return err;
      }
      case 'createTTL':
        return this.createNode(txn.path, txn.data, txn.acl, ttlOwner(txn.ttlMs),
          txn.parentCVersion, header);
      case 'createContainer':
        return this.createNode(txn.path, txn.data, txn.acl, containerOwner, txn.parentCVersion,
          header);
      case 'delete':
        return this.deleteNode(txn.path, zxid);
      case 'setData': {
        const node = this.nodes.get(txn.path);
        if (node === undefined) return noNode;
        node.data = txn.data;
        node.stat.mtime = header.time;
        node.stat.mzxid = zxid;
        node.stat.version = txn.version;
        return 0;
      }
      case 'setACL': {
        const node = this.nodes.get(txn.path);
        if (node === undefined) return noNode;
        node.stat.aversion = txn.version;
        node.acl = txn.acl;
        return 0;
      }
      case 'closeSession':
        this.killSession(header.sessionId, zxid, txn.paths);
        return 0;
      case 'error':
        return txn.err;
      case 'check':
      case 'createSession':
        return 0;
      case 'multi':
        return this.multi(header, txn.ops);
    }
  }

  /** A multi's ops, all replaced by error txns when any op is one (processTxn's multi). */
  private multi(header: ZooKeeperTxnHeader, ops: readonly ZooKeeperTxn[]): number {
    const failed = ops.some((op) => op.kind === 'error');
    let err = 0;
    for (const op of ops) {
      const applied: ZooKeeperTxn = failed && op.kind !== 'error'
        ? { kind: 'error', type: OpCode.error, err: 0 }
        : op;
      const result = this.process({ ...header, type: applied.type }, applied);
      if (result !== 0 && err === 0) err = result;
    }
    return err;
  }

  private createNode(
    path: string,
    data: Buffer | null,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    parentCVersion: number,
    header: ZooKeeperTxnHeader,
  ): number {
    const { parent: parentPath, name } = splitPath(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return noNode;
    const existing = this.nodes.get(path);
    if (existing !== undefined) {
      // DataTree.createNode sets the ACL of the node that exists before refusing.
      existing.acl = acl;
      return nodeExists;
    }
    const cversion = parentCVersion === -1 ? parent.stat.cversion + 1 : parentCVersion;
    if (cversion > parent.stat.cversion) {
      parent.stat.cversion = cversion;
      parent.stat.pzxid = header.zxid;
    }
    parent.children.add(name);
    this.track(path, ephemeralOwner);
    this.nodes.set(path, {
      data,
      acl,
      stat: { czxid: header.zxid, mzxid: header.zxid, pzxid: header.zxid, ctime: header.time,
        mtime: header.time, version: 0, cversion: 0, aversion: 0, ephemeralOwner },
      children: new Set(),
    });
    return 0;
  }

  /** DataTree.deleteNode: the parent's pzxid moves even when the child is already gone. */
  private deleteNode(path: string, zxid: number): number {
    const { parent: parentPath, name } = splitPath(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return noNode;
    parent.children.delete(name);
    if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
    const node = this.nodes.get(path);
    if (node === undefined) return noNode;
    this.nodes.delete(path);
    this.ephemerals.get(node.stat.ephemeralOwner)?.delete(path);
    return 0;
  }

  private setCversionPzxid(path: string, cversion: number, zxid: number): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    const next = cversion === -1 ? node.stat.cversion + 1 : cversion;
    if (next > node.stat.cversion) {
      node.stat.cversion = next;
      node.stat.pzxid = zxid;
    }
  }

  /** DataTree.killSession: the txn's paths, then any other ephemeral the tree holds for it. */
  private killSession(sessionId: bigint, zxid: number, paths: readonly string[] | null): void {
    const owned = this.ephemerals.get(sessionId) ?? new Set<string>();
    this.ephemerals.delete(sessionId);
    for (const path of paths ?? []) {
      this.deleteNode(path, zxid);
      owned.delete(path);
    }
    for (const path of owned) this.deleteNode(path, zxid);
  }

  /**
   * DataTree.setupQuota, which ZooKeeper runs as it loads a snapshot and keeps up to date as it
   * replays: each quota's zookeeper_stats node holds the count and bytes of its subtree.
   */
  recountQuotas(): void {
    const prefix = `${quotaRoot}/`;
    const suffix = `/${limitNodeName}`;
    for (const [path, node] of this.nodes) {
      if (!path.startsWith(prefix) || !path.endsWith(suffix) || node.children.size > 0) continue;
      const quotaPath = path.slice(quotaRoot.length, path.length - suffix.length);
      const stats = this.nodes.get(`${quotaRoot}${quotaPath}/${statNodeName}`);
      if (stats === undefined || quotaPath.length === 0) continue;
      let count = 0n;
      let bytes = 0n;
      const pending = [quotaPath];
      for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        const counted = this.nodes.get(next);
        if (counted === undefined) continue;
        count++;
        bytes += BigInt(counted.data?.length ?? 0);
        for (const name of counted.children) pending.push(childPath(next, name));
      }
      stats.data = formatStats(new Map([[statsKeys.count, count], [statsKeys.bytes, bytes]]));
    }
  }

  /** The paths a session owns as ephemerals. */
  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }
}

/** KeeperException codes the replay tells apart. */
const noNode = -101;
const nodeExists = -110;
