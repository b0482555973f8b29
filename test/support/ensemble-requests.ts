// Small raw-client steps the real-process ensemble tests share: one create through a fresh
// session (its error code), and a bounded wait for a condition.
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';

export const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** A persistent create of `path` holding its own name, open to all. */
export function createRequest(path: string): ClientRequest {
  return {
    kind: 'create', opcode: 1, path, data: Buffer.from(path), acl: openAcl, flags: 0, ttl: -1,
  };
}

/** One create through a fresh session on `port`: its error code. */
export async function createOn(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    return (await client.call(1, createRequest(path))).header.err;
  } finally {
    client.destroy();
  }
}

/** Polls `probe` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}
