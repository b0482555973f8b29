// A reply too large to encode in one turn of the event loop (getChildren of a node with 100k
// children): its list of names is encoded a slice at a time into one buffer sized up front, so
// a server can answer other connections between slices. The bytes are encodeReply's.

import { asciiBytesOf, JuteWriter } from './jute.js';
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
 * a reply of the same list: the bytes encodeReply would write, copied a slice at a time. A copy
 * writes to memory the process may never have touched, which costs a fresh page fault per 4 KiB:
 * up to several milliseconds for the 870 KB of 100k names, too long for one turn.
 */
export class KeptNameListCopier {
  private readonly writer: JuteWriter;
  private copied = 0;

  constructor(header: ReplyHeader, private readonly body: NameListBody,
    private readonly nameVector: Uint8Array) {
    if (header.err !== 0) throw new Error('a name list goes only with err 0');
    this.writer = new JuteWriter(4 + replyHeaderBytes + nameVector.length +
      (body.kind === 'childrenStat' ? statBytes : 0));
    this.writer.int(header.xid).long(header.zxid).int(header.err);
  }

  /** Copies up to `bytesMax` more bytes of the vector; returns the whole frame once done. */
  step(bytesMax = Number.POSITIVE_INFINITY): Buffer | undefined {
    const end = Math.min(this.nameVector.length, this.copied + Math.max(1, bytesMax));
    this.writer.raw(this.nameVector.subarray(this.copied, end));
    this.copied = end;
    if (end < this.nameVector.length) return undefined;
    if (this.body.kind === 'childrenStat') writeStat(this.writer, this.body.stat);
    return this.writer.frame();
  }
}

/** The reply KeptNameListCopier makes, made at once. */
export function encodeKeptNameList(
  header: ReplyHeader,
  body: NameListBody,
  nameVector: Uint8Array,
): Buffer {
  return new KeptNameListCopier(header, body, nameVector).step()!;
}
