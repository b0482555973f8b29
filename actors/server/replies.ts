// The one place that turns outcomes into reply frames, as ZooKeeper's FinalRequestProcessor
// does: a header with the zxid and error code, and a body only when the error code is 0.

import { encodeReply, type ResponseBody } from '../../protocol/responses.js';

const none: ResponseBody = { kind: 'none' };

export function reply(xid: number, zxid: number, err: number, body: ResponseBody = none): Buffer {
  return encodeReply({ xid, zxid, err }, err === 0 ? body : none);
}
