// Read replies too large to encode in one turn: a list of 100k children takes milliseconds to
// encode, and every other connection would wait for it. Such a reply is encoded a slice of names
// per turn, bounded in count and bytes (protocol/sliced-reply.ts); its connection's later replies
// wait in its queue, and the notifications fired meanwhile wait behind it
// (connection-notifications.ts).

import type { ReplyHeader } from '../../protocol/records.js';
import { asciiBytesOf } from '../../protocol/jute.js';
import type { ResponseBody } from '../../protocol/responses.js';
import {
  isNameListBody,
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
