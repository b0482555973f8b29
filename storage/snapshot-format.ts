// The snapshot format's shared parts: the frames a snapshot is made of, its version and magic,
// and the error for a snapshot that cannot be used. Written by snapshot-encoding.ts, read by
// snapshot-decoding.ts; snapshot-file.ts keeps snapshots as files.

import { Packr } from 'msgpackr';
import type { NodeRecord, SessionRecord } from '../tree/snapshot.js';

/** 4: as 3, with null data told apart from empty data (nodeFlags.nullData); the flag byte
 * of formats 2 and 3 only ever holds ownerIsSession, so their nodes all read as non-null.
 * 3: node frames are raw (see rawFrameMarker), laid out as format 2's columns. 2: nodes in
 * columns (nodeColumns frames, all msgpack), and ACL frames that add to the table (one before
 * each frame that uses new ACLs). 1: nodes as tuples after one ACL frame. All three are read. */
export const snapshotFormatVersion = 4;
export const readableFormatVersions: ReadonlySet<number> = new Set([1, 2, 3, 4]);
export const magic = 'corral-snapshot';
/** A frame longer than this is damage, not data (a node frame's data ends once past about a
 * megabyte, so it holds that plus one node of at most jute.maxbuffer: far below; older
 * snapshots' frames held 250 nodes whatever their size). */
export const frameBytesMax = 1 << 30;
/**
 * The first payload byte of a raw frame (format 3): 0xc1 is the one byte MessagePack never uses,
 * so it cannot begin an ordinary frame. A raw frame is the marker, a u32 (LE) length of a msgpack
 * head, the head, then bytes the head describes. Node frames are raw so that each node's fields
 * and data are written once, into memory reused across the snapshot (FrameArena), instead of
 * being copied three times into fresh buffers (columns, msgpack, frame): for a tree of 1 KiB
 * values that was most of what a snapshot cost the event loop, and it doubled write latency
 * while one was written.
 */
export const rawFrameMarker = 0xc1;

export const packr = new Packr({ useRecords: false, useBigIntExtension: true });

export type SnapshotFrame =
  | { type: 'header'; magic: string; formatVersion: number; zxid: number; nodeCount: number }
  | { type: 'acls'; acls: Array<Array<[number, string, string]>> }
  | { type: 'nodes'; nodes: NodeRecord[] }
  | NodeColumns
  | { type: 'sessions'; sessions: SessionRecord[] }
  | { type: 'end'; nodeCount: number; sessionCount: number };

export class CorruptSnapshotError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`snapshot ${file} is not usable: ${reason}`);
    this.name = 'CorruptSnapshotError';
  }
}

export function corrupt(file: string, reason: string): CorruptSnapshotError {
  return new CorruptSnapshotError(file, reason);
}

/**
 * A frame's nodes column by column (format 2): decoding allocates no array, number or bigint
 * per node, which is most of what restoring a million znodes cost with tuples. Little-endian.
 */
export interface NodeColumns {
  type: 'nodeColumns';
  count: number;
  /** Paths joined by NUL, which no path holds (creates refuse it). */
  paths: string;
  /** Per node: u32 ACL index, i64 ephemeralOwner, u8 flags (nodeFlags), u32 data length, then
   * f64 czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion. */
  fixed: Uint8Array;
  /** The nodes' data, one after another. */
  data: Uint8Array;
}

export const fixedBytesPerNode = 4 + 8 + 1 + 4 + 8 * 8;

/** The bits of a node's flag byte. nullData is new in format 4: a version 3 reader took any
 * byte other than 1 as "not ownerIsSession", hence the new version rather than a quiet bit. */
export const nodeFlags = { ownerIsSession: 1, nullData: 2 } as const;

/** The head of a raw node frame; the fixed columns and then the data follow it. */
export interface RawNodesHead {
  type: 'nodeColumns';
  count: number;
  paths: string;
  fixedBytes: number;
}
