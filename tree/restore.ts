// Applying a restore txn (the admin server's `restore`): a backup's znodes take the place of a
// new tree, every stat field as the backup holds it. Checked as it is applied, against the tree
// it meets, so every replica decides alike and a refused restore is an error txn everywhere.
// Only a new tree is replaced: restoring over live data would silently undo acknowledged writes.

import { ErrorCode } from '../protocol/errors.js';
import type { RestoreTxnBody } from '../protocol/txn.js';
import type { NodeStore } from './store.js';
import { NodeFields, StoreRestorer } from './snapshot.js';

/** The znodes every tree starts with: a tree holding no others is new. */
const newTreePaths: ReadonlySet<string> = new Set([
  '/',
  '/zookeeper',
  '/zookeeper/quota',
  '/zookeeper/config',
]);

/** This ensemble's membership: the backup's would name the servers it came from. */
const configPath = '/zookeeper/config';

/** Whether `store` holds only the znodes a tree starts with. */
export function isNewTree(store: NodeStore): boolean {
  for (const path of store.nodes.keys()) if (!newTreePaths.has(path)) return false;
  return true;
}

/** Was the node, in the backup, an ephemeral of a client session? Such sessions belong to the
 * ensemble the backup came from; their nodes would outlive every session here. */
function isSessionEphemeral(node: RestoreTxnBody['nodes'][number]): boolean {
  return node[4] && node[3] !== 0n;
}

/**
 * Why `body` cannot be restored, or undefined: the root first, every parent before its
 * children, every ACL index in the table. Checked before the tree is touched, so a restore is
 * applied whole or not at all.
 */
export function restoreBodyProblem(body: RestoreTxnBody): string | undefined {
  const seen = new Set<string>();
  for (const node of body.nodes) {
    const path = node[0];
    if (node[2] < 0 || node[2] >= body.acls.length) return `${path}: unknown ACL ${node[2]}`;
    if (path === '/') {
      if (seen.size > 0) return 'the root is not the first node';
    } else {
      const parent = path.slice(0, Math.max(1, path.lastIndexOf('/')));
      if (!seen.has(parent)) return `${path}: its parent comes later or is missing`;
    }
    seen.add(path);
  }
  if (!seen.has('/zookeeper')) return 'the backup has no /zookeeper node';
  return undefined;
}

/** The error a restore is refused with, or undefined when it can be applied to `store`. */
export function restoreRefusal(store: NodeStore, body: RestoreTxnBody): number | undefined {
  if (restoreBodyProblem(body) !== undefined) return ErrorCode.badArguments;
  if (!isNewTree(store)) return ErrorCode.notEmpty;
  return undefined;
}

/**
 * Replaces the store's znodes with the backup's, keeping this tree's /zookeeper/config and its
 * sessions (clients connected now). Ephemerals of the backup's sessions are left out (see
 * isSessionEphemeral). Call only when restoreRefusal answered undefined.
 */
export function restoreNodes(store: NodeStore, body: RestoreTxnBody): void {
  const config = store.nodes.get(configPath);
  const sessions = [...store.sessions];
  const restorer = new StoreRestorer(store);
  restorer.addAcls(body.acls);
  const fields = new NodeFields();
  for (const node of body.nodes) {
    if (node[0] === configPath || isSessionEphemeral(node)) continue;
    restorer.nodeFields(fields.of(node));
  }
  if (config !== undefined) {
    restorer.addAcls([config.acl]);
    restorer.nodeFields(fields.of([configPath, config.data, body.acls.length,
      config.ephemeralOwner, config.ownerIsSession, config.czxid, config.mzxid, config.pzxid,
      config.ctime, config.mtime, config.version, config.cversion, config.aversion]));
  }
  for (const [sessionId, session] of sessions) store.sessions.set(sessionId, session);
}
