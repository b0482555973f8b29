// The reference model for the compact tree's property test: corral's tree as it was before
// the compact store (a snapshot of tree/ at that commit, imports redirected). Not production code.
// Reads against the local tree with ZooKeeper's checks, as FinalRequestProcessor serves them:
// existence first (noNode), then the ACL (noAuth). Reads never change the tree; registering a
// watch is the WatchManager's business (see shouldRegisterWatch in watches.ts).

import { Perm } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { MultiOp } from '../../../protocol/requests.js';
import type { OpResult } from '../../../protocol/responses.js';
import { checkPermission, redactDigests } from '../../../tree/acl.js';
import type { NodeStore } from './store.js';
import type { AuthContext } from '../../../protocol/txn.js';
import type { ReadResult } from '../../../tree/types.js';
import type { Znode } from './znode.js';

const none = { kind: 'none' } as const;

function failed(err: number): ReadResult {
  return { err, body: none };
}

/** The node a read names. ZooKeeper's DataTree also indexes the root under "", so reads of ""
 * answer for "/" (observed: getData("") returns the root). */
function nodeAt(store: NodeStore, path: string): Znode | undefined {
  return store.nodes.get(path === '' ? '/' : path);
}

/** The node at `path` readable by `auth` (READ), or the error ZooKeeper gives. */
function readable(
  store: NodeStore,
  path: string,
  auth: AuthContext,
  schemes: ReadonlySet<string>,
): Znode | number {
  const node = nodeAt(store, path);
  if (node === undefined) return ErrorCode.noNode;
  if (!checkPermission(node.acl, Perm.read, auth, schemes)) return ErrorCode.noAuth;
  return node;
}

/** exists needs no permission in ZooKeeper; only a null character is refused. */
export function readExists(store: NodeStore, path: string): ReadResult {
  if (path.includes('\0')) return failed(ErrorCode.badArguments);
  const node = nodeAt(store, path);
  if (node === undefined) return failed(ErrorCode.noNode);
  return { err: 0, body: { kind: 'stat', stat: node.stat() } };
}

export function readData(
  store: NodeStore,
  path: string,
  auth: AuthContext,
  schemes: ReadonlySet<string>,
): ReadResult {
  const node = readable(store, path, auth, schemes);
  if (typeof node === 'number') return failed(node);
  return { err: 0, body: { kind: 'data', data: node.data, stat: node.stat() } };
}

/** Children in creation order (ZooKeeper returns its HashSet's order, i.e. no order). */
export function readChildren(
  store: NodeStore,
  path: string,
  auth: AuthContext,
  schemes: ReadonlySet<string>,
  withStat: boolean,
): ReadResult {
  const node = readable(store, path, auth, schemes);
  if (typeof node === 'number') return failed(node);
  const children = [...node.children.keys()];
  return withStat
    ? { err: 0, body: { kind: 'childrenStat', children, stat: node.stat() } }
    : { err: 0, body: { kind: 'children', children } };
}

/** getACL needs READ or ADMIN; without ADMIN digest hashes are hidden (ZooKeeper 3.6+). */
export function readAcl(
  store: NodeStore,
  path: string,
  auth: AuthContext,
  schemes: ReadonlySet<string>,
): ReadResult {
  const node = nodeAt(store, path);
  if (node === undefined) return failed(ErrorCode.noNode);
  if (!checkPermission(node.acl, Perm.read | Perm.admin, auth, schemes)) {
    return failed(ErrorCode.noAuth);
  }
  const isAdmin = checkPermission(node.acl, Perm.admin, auth, schemes);
  const acl = isAdmin ? [...node.acl] : redactDigests(node.acl);
  return { err: 0, body: { kind: 'acl', acl, stat: node.stat() } };
}

function countDescendants(node: Znode): number {
  let count = 0;
  const pending: Znode[] = [node];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    count += next.children.size;
    for (const child of next.children.values()) {
      if (child.children.size > 0) pending.push(child);
    }
  }
  return count;
}

/** Every descendant, at any depth; for "/" that includes the /zookeeper nodes, as in ZooKeeper. */
export function readAllChildrenNumber(
  store: NodeStore,
  path: string,
  auth: AuthContext,
  schemes: ReadonlySet<string>,
): ReadResult {
  const node = readable(store, path, auth, schemes);
  if (typeof node === 'number') return failed(node);
  // DataTree.getAllChildrenNumber: "/" is its node count less "" and "/"; any other path counts
  // the keys starting with path + "/", so "" counts every key but "": "/" itself included.
  const value = path === '/'
    ? store.nodes.size - 1
    : path === '' ? store.nodes.size : countDescendants(node);
  return { err: 0, body: { kind: 'number', value } };
}

/** The session's ephemerals under a plain string prefix; "", blanks or "/" mean all of them. */
export function readEphemerals(store: NodeStore, sessionId: bigint, prefix: string): ReadResult {
  const all = store.ephemerals.get(sessionId) ?? new Set<string>();
  const trimmed = prefix.trim();
  const everything = trimmed === '' || trimmed === '/';
  const paths = everything ? [...all] : [...all].filter((path) => path.startsWith(prefix));
  return { err: 0, body: { kind: 'paths', paths } };
}

/** multiRead: each op answered on its own; a failing op becomes an error result. */
export function readMulti(
  store: NodeStore,
  ops: readonly MultiOp[],
  auth: AuthContext,
  schemes: ReadonlySet<string>,
): ReadResult {
  const results: OpResult[] = [];
  for (const op of ops) {
    if (op.kind !== 'getData' && op.kind !== 'getChildren') {
      return failed(ErrorCode.marshallingError);
    }
    const node = readable(store, op.path, auth, schemes);
    if (typeof node === 'number') {
      results.push({ kind: 'error', err: node });
    } else if (op.kind === 'getData') {
      results.push({ kind: 'getData', data: node.data, stat: node.stat() });
    } else {
      results.push({ kind: 'getChildren', children: [...node.children.keys()] });
    }
  }
  return { err: 0, body: { kind: 'multi', results } };
}
