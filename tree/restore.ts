// Applying a restore txn (the admin server's `restore`): a backup's znodes take the place of a
// new tree, every stat field as the backup holds it. Checked as it is applied, against the tree
// it meets, so every replica decides alike and a refused restore is an error txn everywhere.
// Only a new tree is replaced: restoring over live data would silently undo acknowledged writes.

import { ErrorCode } from '../protocol/errors.js';
import type { ACL } from '../protocol/records.js';
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

/** Where a restore of many txns stages its chunks (tree/restore-staging.ts). */
export const stagingPath = '/zookeeper/restoring';

/** Whether `store` holds only the znodes a tree starts with, and perhaps a restore's staging
 * area (one cut off is begun again from nothing). */
export function isNewTree(store: NodeStore): boolean {
  for (const path of store.paths()) {
    if (!newTreePaths.has(path) && !isStaged(path)) return false;
  }
  return true;
}

function isStaged(path: string): boolean {
  return path.startsWith(stagingPath) &&
    (path.length === stagingPath.length || path[stagingPath.length] === '/');
}

/** Was the node, in the backup, an ephemeral of a client session? Such sessions belong to the
 * ensemble the backup came from; their nodes would outlive every session here. */
function isSessionEphemeral(node: RestoreTxnBody['nodes'][number]): boolean {
  return node[4] && node[3] !== 0n;
}

/** Whether a restore leaves out a backup's node: this ensemble keeps its own membership, and
 * ephemerals of the backup's sessions are dropped (see isSessionEphemeral). */
export function isLeftOut(fields: Pick<NodeFields, 'path' | 'ownerIsSession' |
  'ephemeralOwner'>): boolean {
  return fields.path === configPath || (fields.ownerIsSession && fields.ephemeralOwner !== 0n);
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
  const fields = new NodeFields();
  replaceNodes(store, (add) => {
    for (const node of body.nodes) {
      if (!isSessionEphemeral(node)) add(fields.of(node), body.acls[node[2]]!);
    }
  });
}

/**
 * Empties the store and adds the nodes `each` hands to `add` (parents first, each with its
 * ACL), then this tree's /zookeeper/config and sessions as they were. Nodes isLeftOut names
 * are skipped. The caller has checked the nodes (restoreBodyProblem, or restore-staging.ts).
 */
export function replaceNodes(store: NodeStore,
  each: (add: (fields: NodeFields, acl: readonly ACL[]) => void) => void): void {
  // Read before the store is emptied: the node's slot does not outlive it.
  const config = store.node(configPath);
  const kept = config === undefined ? undefined : store.storedNode(config.slot);
  const sessions = [...store.sessions];
  const restorer = new StoreRestorer(store);
  const aclIndexOf = new Map<readonly ACL[], number>();
  const aclIndex = (acl: readonly ACL[]): number => {
    let index = aclIndexOf.get(acl);
    if (index === undefined) {
      index = aclIndexOf.size;
      aclIndexOf.set(acl, index);
      restorer.addAcls([acl]);
    }
    return index;
  };
  each((fields, acl) => {
    if (isLeftOut(fields)) return;
    fields.aclIndex = aclIndex(acl);
    restorer.nodeFields(fields);
  });
  if (kept !== undefined) {
    restorer.nodeFields(new NodeFields().of([configPath, kept.data, aclIndex(kept.acl),
      kept.ephemeralOwner, kept.ownerIsSession, kept.czxid, kept.mzxid, kept.pzxid,
      kept.ctime, kept.mtime, kept.version, kept.cversion, kept.aversion]));
  }
  restorer.finish();
  for (const [sessionId, session] of sessions) store.sessions.set(sessionId, session);
}
