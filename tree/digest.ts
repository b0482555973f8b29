// A deterministic fingerprint of a replica's state (every znode and the session table), so
// replicas, snapshots and the simulator can compare trees after applying the same zxids.

import { createHash } from 'node:crypto';
import type { NodeStore } from './store.js';

function byKey<K extends string | bigint>(left: K, right: K): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Null data hashes as "null" where the length goes, so a replica that turned null into empty
 * data (or back) digests differently; trees without null data digest as they always have. */
function dataLengthField(data: Buffer | null): string {
  return data === null ? 'null' : String(data.length);
}

export function digestOf(store: NodeStore): string {
  const hash = createHash('sha256');
  const paths = [...store.paths()].sort(byKey);
  for (const path of paths) {
    const node = store.node(path);
    if (node === undefined) continue;
    hash.update(path).update('\0');
    hash.update(
      `${node.czxid},${node.mzxid},${node.pzxid},${node.ctime},${node.mtime},` +
        `${node.version},${node.cversion},${node.aversion},${node.ephemeralOwner},` +
        `${dataLengthField(node.data)},${node.childCount}\0`,
    );
    if (node.data !== null) hash.update(node.data);
    for (const entry of node.acl) {
      hash.update(`${entry.perms}\0${entry.id.scheme}\0${entry.id.id}\0`);
    }
    hash.update('\n');
  }
  const sessionIds = [...store.sessions.keys()].sort(byKey);
  for (const sessionId of sessionIds) {
    const session = store.sessions.get(sessionId);
    if (session === undefined) continue;
    hash.update(`session ${sessionId} ${session.timeoutMs}\0`).update(session.password);
  }
  return hash.digest('hex');
}
