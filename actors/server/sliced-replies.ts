// Read replies too large to encode in one turn: a list of 100k children takes milliseconds to
// encode, and every other connection would wait for it. Such a reply is encoded a slice of names
// per turn (protocol/sliced-reply.ts); its connection's later replies wait in its queue, and the
// notifications fired meanwhile wait behind it (connection-notifications.ts).

import type { ReplyHeader } from '../../protocol/records.js';
import type { ResponseBody } from '../../protocol/responses.js';
import {
  isNameListBody,
  namesOf,
  SlicedReplyEncoder,
  type NameListBody,
} from '../../protocol/sliced-reply.js';

/** A list of names at least this long is encoded in slices; a shorter one at once. */
export const slicedReplyNamesMin = 16_384;
/** Names encoded per turn: well under a millisecond for names of a few dozen characters. */
export const replyNamesPerSlice = 8_192;

/** Whether this successful reply is encoded in slices. */
export function isLargeReply(err: number, body: ResponseBody): body is NameListBody {
  return err === 0 && isNameListBody(body) && namesOf(body).length >= slicedReplyNamesMin;
}

/** Encodes the reply a slice per turn, the first one now; resolves with the whole frame. */
export function encodeInSlices(
  header: ReplyHeader,
  body: NameListBody,
  nextTurn: (work: () => void) => void,
  namesPerSlice = replyNamesPerSlice,
): Promise<Buffer> {
  const encoder = new SlicedReplyEncoder(header, body);
  return new Promise((resolve) => {
    const step = (): void => {
      const frame = encoder.step(namesPerSlice);
      if (frame === undefined) nextTurn(step);
      else resolve(frame);
    };
    step();
  });
}
