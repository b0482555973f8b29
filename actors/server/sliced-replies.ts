// Read replies too large to encode in one turn: a list of 100k children takes milliseconds to
// encode, and every other connection would wait for it. Such a reply is encoded a slice of names
// per turn, bounded in count and bytes (protocol/sliced-reply.ts); its connection's later replies
// wait in its queue, and the notifications fired meanwhile wait behind it
// (connection-notifications.ts).
//
// A wide node's list, read again while its children have not changed, is not encoded again: the
// tree hands out the same frozen array for it (tree/kept-child-lists.ts), and the bytes its
// names were encoded to are kept by path with that array (NameListReplies), as ZooKeeper keeps
// serialized getChildren2 replies by path (ResponseCache, maxGetChildrenResponseCacheSize). A
// reply is then those bytes themselves, between a fresh header and Stat (protocol/frame-parts.ts):
// nothing of the list is copied.

import type { ReplyHeader } from '../../protocol/records.js';
import { asciiBytesOf } from '../../protocol/jute.js';
import { encodeReply, type ResponseBody } from '../../protocol/responses.js';
import type { Frame } from '../../protocol/frame-parts.js';
import {
  isNameListBody,
  keptNameListFrame,
  nameVectorOf,
  namesOf,
  SlicedReplyEncoder,
  type NameListBody,
} from '../../protocol/sliced-reply.js';

/** A list of names at least this long is encoded in slices; a shorter one at once. */
export const slicedReplyNamesMin = 16_384;
/** ... or a shorter list whose names take this many bytes (long names). */
export const slicedReplyBytesMin = 256 * 1024;
/** Names encoded per turn at most. */
export const replyNamesPerSlice = 8_192;
/**
 * Bytes of names encoded per turn at most: a slice copies them a character at a time, about
 * 0.1-0.2 ms for 64 KiB, so a slice stays well inside the 5 ms another client may wait
 * whatever the names' length (a count alone would let 8,192 names of 200 characters take 1.6
 * MB, several milliseconds). Bytes, not a clock: the simulator replays slices exactly.
 */
export const replyBytesPerSlice = 64 * 1024;

/** Whether this successful reply is encoded in slices. A long list is known by its count
 * alone: the turn that read it does not pass over its names (only a shorter one is summed). */
export function isLargeReply(err: number, body: ResponseBody): body is NameListBody {
  if (err !== 0 || !isNameListBody(body)) return false;
  const names = namesOf(body);
  return names.length >= slicedReplyNamesMin ||
    asciiBytesOf(names, 0, names.length) >= slicedReplyBytesMin;
}

/** A reply encoded in slices, and its names' characters (for the read metrics). */
export interface SlicedReply {
  frame: Buffer;
  nameChars: number;
}

/**
 * Encodes the reply a slice per turn, from the next turn on; resolves with the whole frame. The
 * turn that read the list (the one part that cannot be sliced: the names are copied out of the
 * tree at once, so that writes applied between slices do not show) does nothing more: sizing
 * the buffer passes over every name, and goes with the first slice.
 */
export function encodeInSlices(
  header: ReplyHeader,
  body: NameListBody,
  nextTurn: (work: () => void) => void,
  namesPerSlice = replyNamesPerSlice,
  bytesPerSlice = replyBytesPerSlice,
): Promise<SlicedReply> {
  return new Promise((resolve) => {
    let encoder: SlicedReplyEncoder | undefined;
    const step = (): void => {
      encoder ??= new SlicedReplyEncoder(header, body);
      const frame = encoder.step(namesPerSlice, bytesPerSlice);
      if (frame === undefined) nextTurn(step);
      else resolve({ frame, nameChars: encoder.nameChars });
    };
    nextTurn(step);
  });
}

/** A reply's frame, and its names' characters (for the read metrics). */
export interface NameListReply {
  frame: Frame;
  nameChars: number;
}

/** A list's vector of names as a reply encoded it, the list, and the names' characters. */
interface KeptVector {
  names: readonly string[];
  bytes: Buffer;
  nameChars: number;
}

/** Bytes of kept vectors at most: the oldest read goes first beyond this, or beyond `listsMax`
 * lists (maxGetChildrenResponseCacheSize). */
export const keptVectorBytesMax = 64 * 1024 * 1024;
/** A longer vector is not kept: one list would take an eighth of what all may keep. */
export const keptListBytesMax = 8 * 1024 * 1024;

/** The counters ZooKeeper's getChildren response cache keeps. */
export interface KeptListCounters {
  response_packet_get_children_cache_hits: number;
  response_packet_get_children_cache_misses: number;
}

/**
 * Encodes successful replies whose body is a list of names: a large list in slices over later
 * turns, and a list the tree keeps (a frozen array) from the bytes a reply of it was encoded to
 * before, when there is one.
 */
export class NameListReplies {
  /** Kept vectors by the path of the node whose list they encode, least recently read first.
   * One per path: a list that changed replaces its predecessor the next time it is read. */
  private readonly kept = new Map<string, KeptVector>();
  private keptBytes = 0;

  constructor(
    /** Lists whose vectors are kept at most; 0 or less keeps none. */
    private readonly listsMax: number,
    private readonly counters: KeptListCounters,
    private readonly nextTurn: (work: () => void) => void,
  ) {}

  /** Lists kept, and the bytes of their vectors. */
  get size(): { lists: number; bytes: number } {
    return { lists: this.kept.size, bytes: this.keptBytes };
  }

  /**
   * The reply to a read whose result is `err` and `body`, or undefined when it is not a list
   * this encodes (encodeReply does, at once); a promise when it is encoded over later turns.
   * `path` is the node whose children a getChildren or getChildren2 listed: only such a list is
   * kept, and only when the tree keeps it too (a frozen array).
   */
  encode(header: ReplyHeader, body: ResponseBody, path?: string):
    NameListReply | Promise<NameListReply> | undefined {
    if (header.err !== 0 || !isNameListBody(body)) return undefined;
    const names = namesOf(body);
    const keepAt = this.listsMax > 0 && Object.isFrozen(names) ? path : undefined;
    if (keepAt !== undefined) {
      const kept = this.kept.get(keepAt);
      if (kept?.names === names) {
        this.counters.response_packet_get_children_cache_hits++;
        this.kept.delete(keepAt);
        this.kept.set(keepAt, kept);
        return { frame: keptNameListFrame(header, body, kept.bytes), nameChars: kept.nameChars };
      }
      this.counters.response_packet_get_children_cache_misses++;
    }
    if (!isLargeReply(header.err, body)) {
      if (keepAt === undefined) return undefined;
      const frame = encodeReply(header, body);
      const nameChars = asciiBytesOf(names, 0, names.length) - 4 * names.length;
      return this.keep(keepAt, names, body, { frame, nameChars });
    }
    const sliced = encodeInSlices(header, body, this.nextTurn);
    return keepAt === undefined ? sliced
      : sliced.then((reply) => this.keep(keepAt, names, body, reply));
  }

  /** Drops every kept vector. */
  clear(): void {
    this.kept.clear();
    this.keptBytes = 0;
  }

  private keep(path: string, names: readonly string[], body: NameListBody,
    reply: SlicedReply): NameListReply {
    const previous = this.kept.get(path);
    if (previous !== undefined) {
      this.kept.delete(path);
      this.keptBytes -= previous.bytes.length;
    }
    const vector = nameVectorOf(reply.frame, body);
    if (vector.length > keptListBytesMax) return reply;
    // A vector that is most of its memory is kept as it is (the frame goes to the socket, which
    // only reads it, and frames are never written once made): a copy of a large one, made in
    // this turn, would take milliseconds. A small one may be a part of a shared pool's slab,
    // which it would keep alive: it is copied.
    const bytes = vector.length * 2 >= vector.buffer.byteLength ? vector : Buffer.from(vector);
    this.kept.set(path, { names, bytes, nameChars: reply.nameChars });
    this.keptBytes += bytes.length;
    for (const [oldest, evicted] of this.kept) {
      if (this.kept.size <= this.listsMax && this.keptBytes <= keptVectorBytesMax) break;
      this.kept.delete(oldest);
      this.keptBytes -= evicted.bytes.length;
    }
    return reply;
  }
}
