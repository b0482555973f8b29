// One znode: its data, ACL, persisted stat fields and children, plus the ephemeralOwner
// encodings of ZooKeeper's EphemeralType (normal ephemerals, containers, TTL nodes).

import type { ACL, Stat } from '../protocol/records.js';

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

export class Znode {
  /** Children by name; a Map keeps lookups O(1) and listing in creation order. */
  readonly children = new Map<string, Znode>();
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
  /** What clients see as ephemeralOwner: 0 for containers and TTL nodes (DataNode.copyStat). */
  readonly clientEphemeralOwner: bigint;

  constructor(
    public data: Buffer,
    public acl: readonly ACL[],
    readonly ephemeralOwner: bigint,
    zxid: number,
    time: number,
    ownerIsSession = true,
  ) {
    this.clientEphemeralOwner = ownerIsSession ? ephemeralOwner : 0n;
    // DataTree.createStat: every zxid is the creating one, both times the leader's clock.
    this.czxid = zxid;
    this.mzxid = zxid;
    this.pzxid = zxid;
    this.ctime = time;
    this.mtime = time;
  }

  stat(): Stat {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      // DataNode.copyStat turns the count of creates into a count of changes: every create has
      // a matching delete except for the children still present. (So /zookeeper reads -2.)
      cversion: (this.cversion * 2 - this.children.size) | 0,
      aversion: this.aversion,
      ephemeralOwner: this.clientEphemeralOwner,
      dataLength: this.data.length,
      numChildren: this.children.size,
      pzxid: this.pzxid,
    };
  }
}

/** Java int arithmetic: versions are 32-bit and wrap on overflow. */
export function nextVersion(version: number): number {
  return (version + 1) | 0;
}
