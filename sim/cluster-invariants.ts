// The cluster's own safety checks, on top of the commit ledger's agreement: durability (a
// serving leader's log holds every txn committed up to its epoch) and convergence (serving
// replicas at one zxid hold identical trees), with tree digests computed only when trees change.
import { createHash } from 'node:crypto';
import type { ServerId } from '../protocol/peer.js';
import { lastZxidOfEpoch } from '../protocol/zxid.js';
import type { DataTree } from '../tree/data-tree.js';
import type { CommitLedger } from './invariants.js';
import type { SimReplica } from './replica-host.js';

/** Tree digests, computed again only once a tree applied more (trees change only so). */
export class TreeDigests {
  private readonly known = new WeakMap<DataTree, { zxid: number; digest: string }>();

  of(tree: DataTree): string {
    const known = this.known.get(tree);
    if (known?.zxid === tree.lastZxid) return known.digest;
    const digest = tree.digest();
    this.known.set(tree, { zxid: tree.lastZxid, digest });
    return digest;
  }

  /**
   * ZooKeeper's own tree digest (every node but the /zookeeper/ subtree, stats included) and
   * the session table: what replicas must agree on when /zookeeper/config may differ.
   */
  outsideConfig(tree: DataTree): string {
    const hash = createHash('sha256').update(`${tree.treeDigest}\n`);
    const sessions = [...tree.sessions].sort(([first], [second]) =>
      first < second ? -1 : first > second ? 1 : 0);
    for (const [sessionId, session] of sessions) {
      hash.update(`session ${sessionId} ${session.timeoutMs}\0`).update(session.password);
    }
    return hash.digest('hex');
  }
}

/** A running replica's applied zxid and tree digest. */
export interface TreeState {
  zxid: number;
  digest: string;
}

/**
 * Each running replica's applied zxid and tree digest. `outsideConfig` (with reconfig) leaves
 * /zookeeper/config out, as ZooKeeper's digest does: each replica writes it with its own clock
 * as it starts (initConfigInZKDatabase), and a spare not yet added keeps its own configuration
 * there; the config ledger compares configurations (sim/config-ledger.ts).
 */
export function treeStatesOf(
  replicas: ReadonlyMap<ServerId, SimReplica>,
  treeDigests: TreeDigests,
  outsideConfig: boolean,
): Map<ServerId, TreeState> {
  const result = new Map<ServerId, TreeState>();
  for (const [id, replica] of replicas) {
    const tree = replica.tree;
    const digest = outsideConfig ? treeDigests.outsideConfig(tree) : treeDigests.of(tree);
    result.set(id, { zxid: tree.lastZxid, digest });
  }
  return result;
}

/** Records into `ledger` what the running replicas break of durability and convergence. */
export function checkDurabilityAndConvergence(
  replicas: ReadonlyMap<ServerId, SimReplica>,
  digests: ReadonlyMap<ServerId, TreeState>,
  ledger: CommitLedger,
): void {
  // Zab's durability: a leader of epoch e holds every txn committed in epochs up to e. (A leader
  // paused through a later election still believes it leads its older epoch.)
  for (const replica of replicas.values()) {
    if (replica.role.state !== 'leading' || !replica.role.serving) continue;
    const { fromZxid, txns } = replica.loggedHistory();
    ledger.checkHistory(replica.id, fromZxid, txns, lastZxidOfEpoch(replica.role.epoch));
  }
  const byZxid = new Map<number, { id: ServerId; digest: string }>();
  for (const [id, { zxid, digest }] of digests) {
    if (replicas.get(id)?.role.serving !== true) continue;
    const other = byZxid.get(zxid);
    if (other === undefined) byZxid.set(zxid, { id, digest });
    else if (other.digest !== digest) {
      ledger.violate(`convergence: ${other.id} and ${id} differ at 0x${zxid.toString(16)}`);
    }
  }
}
