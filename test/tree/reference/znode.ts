// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// One znode: its data, ACL, persisted stat fields and children, plus the ephemeralOwner
// encodings of ZooKeeper's EphemeralType (normal ephemerals, containers, TTL nodes).

import type { ACL, Stat } from '../../../protocol/records.js';

/** EphemeralType.CONTAINER_EPHEMERAL_OWNER: Long.MIN_VALUE, i.e. 0x8000000000000000 signed. */
export const containerEphemeralOwner = -(1n << 63n);
/** TTL owners are 0xFF00000000000000 | ttl; the ttl takes the low 40 bits. */
const extendedMask = 0xff00000000000000n;
const reservedBitsMask = 0x00ffff0000000000n;
/** EphemeralType.TTL.maxValue(): 0xFFFFFFFFFF ms, about 34 years. */
export const ttlMaxMs = 0xffffffffff;

export type EphemeralKind = 'void' | 'normal' | 'container' | 'ttl';

/** The ephemeralOwner of a TTL node, as a signed 64-bit value like Java's long. */
export function ttlEphemeralOwner(ttlMs: number): bigint {
  return BigInt.asIntN(64, extendedMask | BigInt(ttlMs));
}

/** EphemeralType.get: TTL encodings are only recognised when extended types are enabled. */
export function ephemeralKindOf(owner: bigint, extendedTypesEnabled: boolean): EphemeralKind {
  if (extendedTypesEnabled) {
    const unsigned = BigInt.asUintN(64, owner);
    if ((unsigned & extendedMask) === extendedMask && (unsigned & reservedBitsMask) === 0n) {
      return 'ttl';
    }
  }
  if (owner === containerEphemeralOwner) return 'container';
  return owner === 0n ? 'void' : 'normal';
}

/** The TTL in milliseconds carried by a TTL node's ephemeralOwner. */
export function ttlOf(owner: bigint): number {
  return Number(BigInt.asUintN(64, owner) & ~(extendedMask | reservedBitsMask));
}

/** A leaf's children: shared and empty. Typed read-only so it cannot be filled by mistake. */
const noChildren: ReadonlyMap<string, Znode> = new Map<string, Znode>();

/** The one 0n every non-ephemeral node shares (a decoded or computed 0n is a new object). */
export const noEphemeralOwner = 0n;

/**
 * One znode. Kept small because a tree holds millions: most znodes are leaves, so the children
 * map is only allocated with the first child; the clients' ephemeralOwner is derived, not
 * stored. Every change goes through NodeStore, which preserves the version a snapshot in
 * progress still has to write (see `generation` and tree/snapshot.ts).
 */
export class Znode {
  /** Children by name, allocated with the first one; a Map keeps lookups O(1) and listing in
   * creation order. */
  private childMap: Map<string, Znode> | undefined = undefined;
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  version = 0;
  /** Children ever created under this node, as ZooKeeper stores cversion: it is also the next
   * sequential suffix. Clients are shown 2 × cversion − numChildren instead (see stat()). */
  cversion = 0;
  aversion = 0;
  /** NodeStore.generation when this node was last changed: a snapshot capture begun at a later
   * generation has not yet seen the change, and must be handed the version before it. */
  generation = 0;
  /** This node's digest (tree/node-digest.ts) as last computed; -1 once a change outdates it.
   * Kept, as ZooKeeper's DataNode keeps it, so a parent's digest is not recomputed over its
   * data for every child created or deleted. */
  digestCache = -1;
  readonly ephemeralOwner: bigint;

  constructor(
    /** null when created or last set with null data (ZooKeeper keeps it null, and getData
     * answers null, not empty; its dataLength is 0 all the same). */
    public data: Buffer | null,
    public acl: readonly ACL[],
    ephemeralOwner: bigint,
    zxid: number,
    time: number,
    /** False for containers and TTL nodes: clients see ephemeralOwner 0 (DataNode.copyStat). */
    readonly ownerIsSession = true,
  ) {
    this.ephemeralOwner = ephemeralOwner === 0n ? noEphemeralOwner : ephemeralOwner;
    // DataTree.createStat: every zxid is the creating one, both times the leader's clock.
    this.czxid = zxid;
    this.mzxid = zxid;
    this.pzxid = zxid;
    this.ctime = time;
    this.mtime = time;
  }

  /** What clients see as ephemeralOwner: 0 for containers and TTL nodes. */
  get clientEphemeralOwner(): bigint {
    return this.ownerIsSession ? this.ephemeralOwner : noEphemeralOwner;
  }

  get children(): ReadonlyMap<string, Znode> {
    return this.childMap ?? noChildren;
  }

  get childCount(): number {
    return this.childMap === undefined ? 0 : this.childMap.size;
  }

  /** Only NodeStore links and unlinks children (it keeps the path index in step). */
  linkChild(name: string, child: Znode): void {
    (this.childMap ??= new Map()).set(name, child);
  }

  unlinkChild(name: string): void {
    this.childMap?.delete(name);
  }

  stat(): Stat {
    const childCount = this.childCount;
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      // DataNode.copyStat turns the count of creates into a count of changes: every create has
      // a matching delete except for the children still present. (So /zookeeper reads -2.)
      cversion: (this.cversion * 2 - childCount) | 0,
      aversion: this.aversion,
      ephemeralOwner: this.clientEphemeralOwner,
      dataLength: dataLengthOf(this.data),
      numChildren: childCount,
      pzxid: this.pzxid,
    };
  }
}

/** Stat.dataLength, and what a node's data counts for in sizes: 0 for null, as ZooKeeper
 * counts it (DataNode.copyStat). */
export function dataLengthOf(data: Buffer | null): number {
  return data === null ? 0 : data.length;
}

/** Java int arithmetic: versions are 32-bit and wrap on overflow. */
export function nextVersion(version: number): number {
  return (version + 1) | 0;
}
