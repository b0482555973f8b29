// Applying a restore of many txns (protocol/txn.ts restoreBegin, restoreChunk, restoreEnd): a
// backup of any size arrives as chunks each well under the peer frame bound, is staged, and is
// put in place of the new tree by one txn, so clients never see a half-restored tree.
//
// The staging area is ordinary znodes: /zookeeper/restoring (its czxid names the restore: the
// begin txn's zxid) and one child per chunk holding the chunk's bytes as data. Being znodes,
// a restore in progress is carried by snapshots, SNAP, DIFF and replay like any other state,
// with no change to the snapshot format, and a replica synced or restarted midway ends with
// the same tree. Under /zookeeper/ they are left out of the tree digest (node-digest.ts), and
// their ACL lets clients read but never change them. Every check is made against the tree the
// txn meets, so every replica decides alike; a refused txn changes nothing.

import { ErrorCode } from '../protocol/errors.js';
import type { RestoreBeginTxnBody, RestoreChunkTxnBody, RestoreEndTxnBody, Txn } from
  '../protocol/txn.js';
import { readAclUnsafe } from './acl.js';
import { AdditiveHash, nodeDigest } from './node-digest.js';
import { isLeftOut, isNewTree, replaceNodes, stagingPath } from './restore.js';
import { RestoreChunkError, visitRestoreChunk } from './restore-chunk.js';
import type { NodeFields } from './snapshot.js';
import type { NodeStore } from './store.js';
import type { NodeInit, Znode } from './znode.js';

const systemPath = '/zookeeper';

/** A chunk's znode name: its index, zero-padded so names sort in order. */
export function chunkName(index: number): string {
  return `chunk-${index.toString().padStart(10, '0')}`;
}

/** What a staged restore's marker holds, for operators who look (`get /zookeeper/restoring`). */
interface StagingMarker {
  sourceZxid: number;
  nodeCount: number;
}

/** A restore staged in the tree: its begin's zxid, the backup's, and the chunks staged. */
export interface StagedRestore {
  restoreZxid: number;
  sourceZxid: number;
  chunks: number;
}

/** The restore staged in `store`, if any (one under way, or one cut off). */
export function stagedRestoreOf(store: NodeStore): StagedRestore | undefined {
  const marker = store.node(stagingPath);
  if (marker === undefined) return undefined;
  let sourceZxid = 0;
  try {
    sourceZxid = (JSON.parse(marker.data?.toString() ?? '{}') as StagingMarker).sourceZxid;
  } catch {
    // Only for operators' eyes: an unreadable marker still names its restore by its czxid.
  }
  return { restoreZxid: marker.czxid, sourceZxid, chunks: marker.childCount };
}

/** The staging marker of the restore begun at `restoreZxid`, or the error that refuses. */
function stagingOf(store: NodeStore, restoreZxid: number): Znode | number {
  const marker = store.node(stagingPath);
  if (marker === undefined) return ErrorCode.noNode;
  // Another restore was begun since (or this one never was): its chunks are not this one's.
  if (marker.czxid !== restoreZxid) return ErrorCode.badVersion;
  return marker;
}

/** Removes the staging area, chunks first (each a plain delete, so captures keep theirs). */
function dropStaging(store: NodeStore, zxid: number): void {
  const marker = store.node(stagingPath);
  if (marker === undefined) return;
  for (const name of marker.childNamesCopy()) {
    const path = `${stagingPath}/${name}`;
    store.delete(path, marker, store.node(path)!, zxid, undefined);
  }
  const system = store.node(systemPath)!;
  store.delete(stagingPath, system, marker, zxid, undefined);
}

function stagedNode(data: Buffer, txn: Txn): NodeInit & { zxid: number; time: number } {
  return { data, acl: readAclUnsafe, ephemeralOwner: 0n, ownerIsSession: true, zxid: txn.zxid,
    time: txn.time };
}

/** Begins a restore: refused over a tree with znodes of its own; any earlier staging (a restore
 * cut off) is dropped, so running a restore again starts it afresh. */
export function applyRestoreBegin(store: NodeStore, txn: Txn, body: RestoreBeginTxnBody): number {
  if (!isNewTree(store)) return ErrorCode.notEmpty;
  const system = store.node(systemPath);
  if (system === undefined) return ErrorCode.noNode;
  dropStaging(store, txn.zxid);
  const marker: StagingMarker = { sourceZxid: body.sourceZxid, nodeCount: body.nodeCount };
  store.create(systemPath, system, stagingPath,
    stagedNode(Buffer.from(JSON.stringify(marker)), txn), undefined);
  return ErrorCode.ok;
}

/** Stages the next chunk of the restore begun at body.restoreZxid (in order, each once). */
export function applyRestoreChunk(store: NodeStore, txn: Txn, body: RestoreChunkTxnBody): number {
  const marker = stagingOf(store, body.restoreZxid);
  if (typeof marker === 'number') return marker;
  if (body.index !== marker.childCount) return ErrorCode.badArguments;
  // A decoder may hand bytes over as a plain Uint8Array; the chunk is read as a Buffer.
  const given: Uint8Array = body.bytes;
  const bytes = Buffer.isBuffer(given) ? given
    : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
  store.create(stagingPath, marker, `${stagingPath}/${chunkName(body.index)}`,
    stagedNode(bytes, txn), undefined);
  return ErrorCode.ok;
}

/**
 * Ends a restore: every chunk is decoded and checked (parents before children, the node count
 * and the digest the leader summed) before anything changes, then the staged znodes take the
 * place of the tree in this one txn. `abandon` drops the staging area instead. Memory: the
 * chunks' bytes and the restored tree are held together only during this txn; the bytes go
 * with the staging area.
 */
export function applyRestoreEnd(store: NodeStore, txn: Txn, body: RestoreEndTxnBody): number {
  const marker = stagingOf(store, body.restoreZxid);
  if (typeof marker === 'number') return marker;
  if (body.abandon === true) {
    dropStaging(store, txn.zxid);
    return ErrorCode.ok;
  }
  // A client may have created znodes while chunks were staged: the tree is no longer new.
  if (!isNewTree(store)) return ErrorCode.notEmpty;
  if (marker.childCount !== body.chunks) return ErrorCode.badArguments;
  const chunks: Buffer[] = [];
  for (let index = 0; index < body.chunks; index++) {
    const chunk = store.node(`${stagingPath}/${chunkName(index)}`)?.dataCopy();
    if (chunk === undefined || chunk === null) return ErrorCode.badArguments;
    chunks.push(chunk);
  }
  if (stagedProblem(chunks, body) !== undefined) return ErrorCode.badArguments;
  replaceNodes(store, (add) => {
    for (const chunk of chunks) visitRestoreChunk(chunk, add, { checked: true, copy: true });
  });
  return ErrorCode.ok;
}

/** Why the staged chunks cannot be restored as `body` says, or undefined. */
export function stagedProblem(chunks: readonly Buffer[], body: RestoreEndTxnBody):
  string | undefined {
  const check = new RestoreCheck();
  try {
    for (const chunk of chunks) {
      visitRestoreChunk(chunk, (fields) => check.node(fields), { copy: false });
    }
  } catch (error) {
    if (error instanceof RestoreChunkError) return error.message;
    throw error;
  }
  return check.problem ?? check.endProblem(body.nodes, body.digest);
}

/**
 * The checks a restore's nodes must pass, node by node in the backup's order: the root first,
 * every parent before its children, /zookeeper present, and the count and digest of the nodes a
 * restore keeps. The leader runs it as it reads a backup (to refuse a bad one before it is
 * staged), and every replica again when the restore ends.
 */
export class RestoreCheck {
  problem: string | undefined;
  /** Nodes kept (not isLeftOut) so far, and their digest. */
  nodes = 0;
  private readonly sum = new AdditiveHash();
  private readonly seen = new Set<string>();

  get digest(): bigint {
    return this.sum.value();
  }

  node(fields: NodeFields): void {
    if (this.problem !== undefined) return;
    const path = fields.path;
    if (path === '/') {
      if (this.seen.size > 0) this.problem = 'the root is not the first node';
    } else if (!this.seen.has(path.slice(0, Math.max(1, path.lastIndexOf('/'))))) {
      this.problem = `${path}: its parent comes later or is missing`;
    } else if (this.seen.has(path)) {
      this.problem = `${path}: twice`;
    }
    // A node left out is no parent: a child of it (which no real tree has) fails the check.
    if (isLeftOut(fields)) return;
    this.seen.add(path);
    this.nodes++;
    this.sum.add(nodeDigest(path, fields));
  }

  /** Whatever is wrong once the last node is in, given the count and digest expected. */
  endProblem(nodes?: number, digest?: bigint): string | undefined {
    if (this.problem !== undefined) return this.problem;
    if (!this.seen.has('/zookeeper')) return 'the backup has no /zookeeper node';
    if (nodes !== undefined && nodes !== this.nodes) {
      return `${this.nodes} znodes staged, ${nodes} sent`;
    }
    if (digest !== undefined && digest !== this.digest) return 'the staged znodes\' digest differs';
    return undefined;
  }
}
