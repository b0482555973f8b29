// One znode as a handle on the compact store's columns, plus the ephemeralOwner encodings of
// ZooKeeper's EphemeralType (normal ephemerals, containers, TTL nodes).

import type { ACL, Stat } from '../protocol/records.js';
import type { NodeSlots } from './node-slots.js';

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

/** The one 0n every non-ephemeral node shares (a decoded or computed 0n is a new object). */
export const noEphemeralOwner = 0n;

/**
 * One znode, as a handle on its slot in NodeStore's columns (tree/node-columns.ts): the tree
 * keeps no object per node, so a handle is made for each lookup and is valid while the node
 * exists. Every change goes through NodeStore, which preserves the version a snapshot in
 * progress still has to write (see `generation` and tree/snapshot.ts).
 */
export class Znode {
  constructor(
    private readonly store: NodeSlots,
    readonly slot: number,
  ) {}

  get path(): string {
    return this.store.pathOf(this.slot);
  }

  get czxid(): number {
    return this.store.columns.czxid[this.slot]!;
  }

  get mzxid(): number {
    return this.store.columns.mzxid.get(this.slot);
  }

  get pzxid(): number {
    return this.store.columns.pzxid.get(this.slot);
  }

  get ctime(): number {
    return this.store.columns.ctime[this.slot]!;
  }

  get mtime(): number {
    return this.store.columns.mtime.get(this.slot);
  }

  get version(): number {
    return this.store.columns.version.get(this.slot);
  }

  /** Children ever created under this node, as ZooKeeper stores cversion (see stat()). */
  get cversion(): number {
    return this.store.columns.cversion.get(this.slot);
  }

  get aversion(): number {
    return this.store.columns.aversion.get(this.slot);
  }

  get acl(): readonly ACL[] {
    return this.store.aclAt(this.store.columns.aclIndex.get(this.slot));
  }

  get ephemeralOwner(): bigint {
    return this.store.ownerAt(this.store.columns.ownerIndex.get(this.slot));
  }

  /** False for containers and TTL nodes: clients see ephemeralOwner 0 (DataNode.copyStat). */
  get ownerIsSession(): boolean {
    return this.store.columns.ownerIsSession[this.slot] === 1;
  }

  /** What clients see as ephemeralOwner: 0 for containers and TTL nodes. */
  get clientEphemeralOwner(): bigint {
    return this.ownerIsSession ? this.ephemeralOwner : noEphemeralOwner;
  }

  /** The data in place, or null when created or last set with null data (ZooKeeper keeps it
   * null, and getData answers null, not empty; its dataLength is 0 all the same). Valid only
   * until the tree next changes: read it at once, or take dataCopy(). */
  get data(): Buffer | null {
    return this.store.dataOf(this.slot, false);
  }

  /** The data as a Buffer the caller may keep (replies, records). */
  dataCopy(): Buffer | null {
    return this.store.dataOf(this.slot, true);
  }

  /** Stat.dataLength: 0 for null data. */
  get dataLength(): number {
    return Math.max(0, this.store.columns.dataLength[this.slot]!);
  }

  get childCount(): number {
    return this.store.columns.childCount.get(this.slot);
  }

  /** The children's names in creation order. */
  childNames(): readonly string[] {
    return this.store.childNamesOf(this.slot);
  }

  /** The children's names as an array of its own, not kept (see NodeSlots.childNamesCopyOf). */
  childNamesCopy(): string[] {
    return this.store.childNamesCopyOf(this.slot);
  }

  stat(): Stat {
    const columns = this.store.columns;
    const slot = this.slot;
    const childCount = columns.childCount.get(slot);
    return {
      czxid: columns.czxid[slot]!,
      mzxid: columns.mzxid.get(slot),
      ctime: columns.ctime[slot]!,
      mtime: columns.mtime.get(slot),
      version: columns.version.get(slot),
      // DataNode.copyStat turns the count of creates into a count of changes: every create has
      // a matching delete except for the children still present. (So /zookeeper reads -2.)
      cversion: (columns.cversion.get(slot) * 2 - childCount) | 0,
      aversion: columns.aversion.get(slot),
      ephemeralOwner: this.clientEphemeralOwner,
      dataLength: Math.max(0, columns.dataLength[slot]!),
      numChildren: childCount,
      pzxid: columns.pzxid.get(slot),
    };
  }
}

/** What a create gives a new node besides its stat (every zxid the creating one). */
export interface NodeInit {
  data: Buffer | null;
  acl: readonly ACL[];
  ephemeralOwner: bigint;
  /** False for containers and TTL nodes (see Znode.ownerIsSession). */
  ownerIsSession: boolean;
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
