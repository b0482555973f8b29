// A reply too large to encode in one turn of the event loop (getChildren of a node with 100k
// children): its list of names is encoded a slice at a time into one buffer sized up front, so
// a server can answer other connections between slices. The bytes are encodeReply's.

import { asciiBytesOf, JuteWriter } from './jute.js';
import { FrameParts } from './frame-parts.js';
import { writeStat, type ReplyHeader } from './records.js';
import type { ResponseBody } from './responses.js';

/** The reply bodies that are a list of names, the only ones that grow without bound. */
export type NameListBody = Extract<ResponseBody, { kind: 'children' | 'childrenStat' | 'paths' }>;

/** Bytes of the reply header (xid, zxid, err) and of a Stat. */
const replyHeaderBytes = 16;
const statBytes = 68;

export function isNameListBody(body: ResponseBody): body is NameListBody {
  return body.kind === 'children' || body.kind === 'childrenStat' || body.kind === 'paths';
}

export function namesOf(body: NameListBody): readonly string[] {
  return body.kind === 'paths' ? body.paths : body.children;
}

export class SlicedReplyEncoder {
  private readonly writer: JuteWriter;
  private readonly names: readonly string[];
  private encoded = 0;
  private chars = 0;

  /** A successful reply (a body goes only with err 0, as in encodeReply). */
  constructor(header: ReplyHeader, private readonly body: NameListBody) {
    if (header.err !== 0) throw new Error('a sliced reply carries a body: err must be 0');
    this.names = namesOf(body);
    // Sized for ASCII names, the common case: one allocation, no copy as it fills.
    const bytes = 4 + replyHeaderBytes + 4 + asciiBytesOf(this.names, 0, this.names.length);
    this.writer = new JuteWriter(bytes + statBytes);
    this.writer.int(header.xid).long(header.zxid).int(header.err).int(this.names.length);
  }

  /** UTF-16 code units of the names encoded so far (what ZooKeeper's read metrics count). */
  get nameChars(): number {
    return this.chars;
  }

  /**
   * Encodes up to `namesMax` more names, stopping early once the names encoded in this step
   * take `bytesMax` (ASCII bytes and length prefixes; at least one name is encoded); returns
   * the whole frame once the last is written.
   */
  step(namesMax: number, bytesMax = Number.POSITIVE_INFINITY): Buffer | undefined {
    const last = Math.min(this.names.length, this.encoded + namesMax);
    let end = this.encoded;
    let bytes = 0;
    for (; end < last && bytes < bytesMax; end++) bytes += 4 + this.names[end]!.length;
    this.chars += bytes - 4 * (end - this.encoded);
    this.writer.strings(this.names, this.encoded, end);
    this.encoded = end;
    if (end < this.names.length) return undefined;
    if (this.body.kind === 'childrenStat') writeStat(this.writer, this.body.stat);
    return this.writer.frame();
  }
}

/** Where a name-list reply's vector of names lies in its frame: after the length prefix and
 * the reply header, before a Stat (getChildren2's). */
export function nameVectorOf(frame: Buffer, body: NameListBody): Buffer {
  const tail = body.kind === 'childrenStat' ? statBytes : 0;
  return frame.subarray(4 + replyHeaderBytes, frame.length - tail);
}

/**
 * A successful name-list reply made from a vector of names (count and names) encoded before, by
 * a reply of the same list: the bytes encodeReply would write, as three parts (length prefix and
 * reply header, the vector itself, and getChildren2's Stat), so the vector is never copied. A
 * copy would write 870 KB for 100k names to memory the process may never have touched, a fresh
 * page fault per 4 KiB: several milliseconds of one turn.
 */
export function keptNameListFrame(
  header: ReplyHeader,
  body: NameListBody,
  nameVector: Buffer,
): FrameParts {
  if (header.err !== 0) throw new Error('a name list goes only with err 0');
  const withStat = body.kind === 'childrenStat';
  const length = replyHeaderBytes + nameVector.length + (withStat ? statBytes : 0);
  const head = new JuteWriter(4 + replyHeaderBytes).int(header.xid).long(header.zxid)
    .int(header.err).frame();
  // frame() wrote the head's own length: the prefix counts the whole frame's.
  head.writeInt32BE(length, 0);
  if (!withStat) return new FrameParts([head, nameVector]);
  const stat = new JuteWriter(4 + statBytes);
  writeStat(stat, body.stat);
  return new FrameParts([head, nameVector, stat.body()]);
}
