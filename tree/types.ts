// The values the data tree hands back to the server: what applying a txn produced (reply body,
// error, watch triggers) and what a read returned. Kept apart so watches.ts and the server can
// import them without the tree's internals.

import type { ACL } from '../protocol/records.js';
import type { ResponseBody } from '../protocol/responses.js';
import type { QuotaExceeded } from './quota.js';

/** A change that may fire watches, in the order ZooKeeper's DataTree fires them. */
export interface ChangeTrigger {
  path: string;
  type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';
  /** The ACL DataTree hands triggerWatch: the node's own (for childrenChanged, the parent's).
   * A watcher without READ on it is not told (ZooKeeper's fix for CVE-2024-23944, in 3.8.4
   * and in Debian's 3.8.0-11+deb12u2, checks it in ServerCnxn.process(event, acl)). */
  acl: readonly ACL[];
}

export interface ApplyOutcome {
  zxid: number;
  /** The reply header's err: 0 for every multi (its errors are per op, as in ZooKeeper). */
  err: number;
  body: ResponseBody;
  triggers: ChangeTrigger[];
  /** Set by a closeSession txn: the session the server must now drop. */
  closedSession?: bigint;
  /** Quota limits an enforced write passed (soft) or was refused at (hard): ZooKeeper's
   * leader logs each as "Quota exceeded: …". */
  quotaExceeded?: QuotaExceeded[];
}

export interface ReadResult {
  err: number;
  body: ResponseBody;
}

export interface SessionEntry {
  timeoutMs: number;
  password: Buffer;
}

export interface DataTreeOptions {
  /** zookeeper.extendedTypesEnabled: allows TTL nodes (createTTL). Containers need no flag. */
  extendedTypesEnabled?: boolean;
  /** Largest znode payload accepted (jute.maxbuffer); longer data is a marshallingError. */
  dataBytesMax?: number;
  /** Schemes with an authentication provider, which ACLs may name (default digest, ip, sasl). */
  authSchemes?: ReadonlySet<string>;
  /** ZooKeeper's digest.enabled (default true): keep the tree digest (tree/node-digest.ts). */
  digestEnabled?: boolean;
  /** Told when a txn's stamped digest differs from this tree's at the same zxid. */
  digestMismatch?: (mismatch: DigestMismatch) => void;
}

/** A txn whose stamped digest (TxnDigest) is not what this tree had at that zxid. */
export interface DigestMismatch {
  /** The txn that carried the digest. */
  txnZxid: number;
  /** The zxid the digest belongs to. */
  zxid: number;
  expected: bigint;
  actual: bigint;
}
