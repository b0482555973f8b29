// Txns: what the leader orders by zxid and every replica applies to its data tree. A write is
// replicated as the client's request plus what applying it needs to be deterministic
// everywhere: the leader's clock reading and the session's identities (for ACL checks).
// Validation happens when the txn is applied, against exactly the state that precedes it, so a
// rejected write is an error txn on every replica alike (it still consumes its zxid, as in
// ZooKeeper).

import type { MultiOp, WriteRequest } from './requests.js';
import type { ACL, Id } from './records.js';
import type { Membership, ReconfigAsk } from './membership.js';

/** Who is asking: the session's authenticated identities, for ACL checks. */
export interface AuthContext {
  /** ZooKeeper Ids this session holds, e.g. { scheme: 'ip', id: '127.0.0.1' },
   * { scheme: 'digest', id: 'alice:base64sha1' }, { scheme: 'sasl', id: 'bob' }. */
  ids: Id[];
  /** True for the configured super user: every ACL check passes. */
  superUser: boolean;
}

export interface TxnHeader {
  zxid: number;
  /** Wall-clock milliseconds read by the leader when it ordered the txn (ctime/mtime). */
  time: number;
  /** The session that sent the request (0n for housekeeping txns). */
  sessionId: bigint;
  /** The client's xid for the request (0 for housekeeping). */
  cxid: number;
}

export type TxnBody =
  | { type: 'createSession'; sessionId: bigint; timeoutMs: number; password: Buffer }
  | { type: 'closeSession'; sessionId: bigint }
  | {
      type: 'write';
      request: WriteRequest;
      auth: AuthContext;
      /** The leader's enforceQuota (ZooKeeper checks quotas in the leader's prepare step),
       * stamped like its clock so every replica applies the same checks; absent when off. */
      enforceQuota?: boolean;
      /** Stamped by the leader when the writer is a local session (localSessionsEnabled), one
       * the tree does not hold: its writes pass the session check but own no ephemeral. */
      localSession?: boolean;
    }
  /** Leader housekeeping: remove an empty container, or a TTL node whose TTL elapsed. */
  | { type: 'deleteContainer'; path: string }
  /**
   * A reconfig the leader accepted: the next membership, whose version is this txn's zxid.
   * Applying it writes /zookeeper/config; it becomes the active configuration when committed.
   */
  | { type: 'reconfig'; membership: Membership }
  /**
   * An operator's restore (the admin server's `restore` command): the znodes of a backup, put in
   * place of a new tree. Every replica checks, as it applies it, that its tree is still new
   * (tree/restore.ts), so the check and the outcome are the same everywhere.
   */
  | RestoreTxnBody
  /**
   * A restore of any size, as a family of txns (tree/restore-staging.ts): begin opens a staging
   * area, each chunk adds a run of the backup's znodes to it (encoded by tree/restore-chunk.ts,
   * each well under the peer frame bound), and end checks the count and digest and puts the
   * staged tree in place in one step. The staging area is ordinary znodes under /zookeeper, so
   * snapshots, SNAP, DIFF and replay carry a restore in progress like any other state.
   */
  | RestoreBeginTxnBody
  | RestoreChunkTxnBody
  | RestoreEndTxnBody
  /** A request the leader rejected before it reached the tree (e.g. reconfig when disabled):
   * ZooKeeper still gives such an error txn a zxid. Applying it changes nothing. */
  | { type: 'error'; err: number };

/** One znode of a restore, with every stored stat field (the layout of a snapshot's records). */
export type RestoredNode = [
  path: string,
  data: Buffer | null,
  /** Index into the restore's ACL table. */
  aclIndex: number,
  ephemeralOwner: bigint,
  /** False for containers and TTL nodes, whose clients see ephemeralOwner 0. */
  ownerIsSession: boolean,
  czxid: number,
  mzxid: number,
  pzxid: number,
  ctime: number,
  mtime: number,
  version: number,
  /** Stored cversion: children ever created, not the one clients see. */
  cversion: number,
  aversion: number,
];

export interface RestoreTxnBody {
  type: 'restore';
  /** The zxid the backup was taken at, in the ensemble it came from. */
  sourceZxid: number;
  acls: ACL[][];
  /** Parents before children, as a snapshot holds them. */
  nodes: RestoredNode[];
}

export interface RestoreBeginTxnBody {
  type: 'restoreBegin';
  /** The zxid the backup was taken at, in the ensemble it came from. */
  sourceZxid: number;
  /** The znodes the backup's header announces (for operators; end checks what arrived). */
  nodeCount: number;
}

export interface RestoreChunkTxnBody {
  type: 'restoreChunk';
  /** The restore it belongs to: its begin txn's zxid. */
  restoreZxid: number;
  /** 0, 1, 2, …: chunks apply only in order, each once. */
  index: number;
  /** Znodes in the chunk (for the log and the answer; end counts the decoded ones). */
  nodes: number;
  /** The run of znodes, in the backup's order (tree/restore-chunk.ts). */
  bytes: Buffer;
}

export interface RestoreEndTxnBody {
  type: 'restoreEnd';
  restoreZxid: number;
  /** Chunks sent and znodes in them, all of which must be staged. */
  chunks: number;
  nodes: number;
  /** The tree digest (tree/node-digest.ts) the staged znodes make, as the leader summed it. */
  digest: bigint;
  /** Drops the staging area instead (an operator's restore that was cut off). */
  abandon?: boolean;
}

/**
 * ZooKeeper's TxnDigest, with the zxid it belongs to: the tree digest (tree/node-digest.ts) of
 * the ordering replica after it applied `zxid`. ZooKeeper's leader computes the digest the txn
 * itself will leave (it tracks pending changes); corral's leader validates a write only as it
 * applies it, so it stamps the newest digest it has, of an earlier zxid, and every replica
 * compares it with its own digest at that zxid. Absent in txns logged before digests existed.
 */
export interface TxnDigest {
  zxid: number;
  /** DigestCalculator's version; digests of other versions are not compared. */
  version: number;
  /** The sum of node digests, as Java's long. */
  treeDigest: bigint;
}

export interface Txn extends TxnHeader {
  body: TxnBody;
  digest?: TxnDigest;
}

/**
 * A client's reconfig on its way to the leader, never logged: the leader's machine turns it into
 * a `reconfig` txn or an `error` txn (protocol/membership.ts resolveReconfig and the leader's own
 * checks). `authorized` is the leader host's verdict on the session's WRITE permission on
 * /zookeeper/config (or super user, or skipACL), stamped before its machine sees the request.
 */
export interface ReconfigRequestBody extends ReconfigAsk {
  type: 'reconfigRequest';
  /** The client's curConfigId: -1, or the version the change must start from. */
  fromConfig: number;
  auth: AuthContext;
  authorized?: boolean;
}

/** What the leader's machine takes in `client.requests`: a txn body, or a reconfig to resolve. */
export type RequestBody = TxnBody | ReconfigRequestBody;

/** What a txn carries beyond its fixed fields, roughly, for cutting streams of txns by size. */
const txnFixedBytes = 64;
/** A restored znode's stat fields, ACL index and flags, roughly (RestoredNode). */
const restoredNodeFixedBytes = 80;

/**
 * Txns (or requests) that go together into one frame, one log commit or one apply end once
 * their bodyBulkBytes reach this, whatever their count: a sync's PROPOSAL batches and its log
 * reads, the requests a replica gathers in one turn (one PROPOSAL, or a learner's REQUEST), and
 * a standalone server's appends. Each such batch is encoded, or applied, in one turn of the
 * event loop, and a PROPOSAL is one peer frame: without this, 500 txns of a megabyte were one
 * frame of 500 MB, and 500 restore chunks of 4 MiB would pass the peer link's 1 GiB limit.
 */
export const txnBatchBytesMax = 1 << 20;

function requestBulkBytes(request: WriteRequest | MultiOp): number {
  switch (request.kind) {
    case 'create':
    case 'setData':
      return request.path.length + (request.data?.length ?? 0);
    case 'multi':
    case 'multiRead':
      return request.ops.reduce((sum, op) => sum + requestBulkBytes(op), 0);
    default:
      return request.path.length;
  }
}

/** About how many bytes a txn (or a request on its way to be one) takes encoded: its data,
 * paths and chunks, plus a fixed part (see txnBatchBytesMax). */
export function bodyBulkBytes(body: RequestBody): number {
  switch (body.type) {
    case 'write':
      return txnFixedBytes + requestBulkBytes(body.request);
    case 'restoreChunk':
      return txnFixedBytes + body.bytes.length;
    case 'restore':
      return txnFixedBytes + body.nodes.reduce((sum, node) =>
        sum + node[0].length + (node[1]?.length ?? 0) + restoredNodeFixedBytes, 0);
    case 'createSession':
      return txnFixedBytes + body.password.length;
    default:
      return txnFixedBytes;
  }
}

/** bodyBulkBytes of a txn's body. */
export function txnBulkBytes(txn: Txn): number {
  return bodyBulkBytes(txn.body);
}
