// A node with many children on a real server, for the wide-node tests: the children's names and
// the creates that make them, 1,000 per multi and all multis in flight at once (far faster than
// one create each).

import { expect } from 'vitest';
import type { ACL } from '../../protocol/records.js';
import type { MultiOp } from '../../protocol/requests.js';
import type { RawClient } from './raw-client.js';

export const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const createsPerMulti = 1000;

/** c000000, c000001, …: `count` names in the order they are created. */
export function wideNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `c${String(index).padStart(6, '0')}`);
}

/** A create of an empty persistent node with the open ACL, as a multi op or a request. */
export function createOp(path: string): MultiOp {
  return { kind: 'create', opcode: 1, path, data: Buffer.alloc(0), acl: openAcl, flags: 0,
    ttl: -1 };
}

/**
 * Creates `names` under `parent` (which exists) through `client`, numbering the multis from
 * `firstXid`; resolves with the next free xid and the zxid of the last create.
 */
export async function createChildren(client: RawClient, firstXid: number, parent: string,
  names: readonly string[]): Promise<{ nextXid: number; lastZxid: number }> {
  let xid = firstXid;
  for (let start = 0; start < names.length; start += createsPerMulti) {
    const ops = names.slice(start, start + createsPerMulti)
      .map((name) => createOp(`${parent}/${name}`));
    client.send(xid++, { kind: 'multi', ops });
  }
  let lastZxid = 0;
  for (let each = firstXid; each < xid; each++) {
    const reply = await client.replyTo(each, 30_000);
    expect(reply.header.err).toBe(0);
    lastZxid = Math.max(lastZxid, reply.header.zxid);
  }
  return { nextXid: xid, lastZxid };
}
