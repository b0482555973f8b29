// The simulator's invariants over a running cluster and its clients, on top of the commit
// ledger's (agreement, durability, convergence, one leader per epoch): no machine stopped by an
// assertion, Zab's integrity (every committed write is one a client sent), no acknowledged write
// missing from what was committed, and ephemeral nodes existing exactly while their session
// lives, on every replica.

import type { SimClient } from './client.js';
import type { Cluster } from './cluster.js';

export type Violation = string;

/** What must hold at any moment, as far as the ledger and the replicas' trees can tell. */
export function checkInvariantsNow(cluster: Cluster): Violation[] {
  const violations = [...cluster.checkInvariants()];
  for (const replica of cluster.reachable()) {
    // An assertion inside a machine (an event a state must never see, a spent counter) stops
    // its actor with an error: the one "unexpected state and event" the machine can report.
    const snapshot = replica.actor.getSnapshot();
    if (snapshot.status === 'error') {
      violations.push(`machine: replica ${replica.id} stopped: ${String(snapshot.error)}`);
    }
    for (const sessionId of replica.core.sessions.ids()) {
      const session = replica.core.sessions.get(sessionId)?.getSnapshot();
      if (session?.status === 'error') {
        violations.push(`machine: session 0x${sessionId.toString(16)} on replica ${replica.id} ` +
          `stopped: ${String(session.error)}`);
      }
    }
    const tree = replica.tree;
    for (const [owner, paths] of tree.ephemeralsBySession()) {
      if (!tree.hasSession(owner)) {
        violations.push(
          `ephemerals: replica ${replica.id} keeps ${paths.join(',')} of a session it closed`,
        );
      }
    }
  }
  return violations;
}

/**
 * After the run has healed and settled: every write a client saw acknowledged is committed,
 * every committed write was sent by a client, and each session's ephemeral node exists on every
 * replica exactly when the session does.
 */
export function checkEphemerals(cluster: Cluster, clients: readonly SimClient[]): Violation[] {
  const violations: Violation[] = [];
  const sent = new Set(clients.flatMap((client) => client.sentRequests));
  for (const txn of cluster.ledger.committedTxns()) {
    if (txn.body.type === 'write' && !sent.has(`${txn.sessionId}:${txn.cxid}`)) {
      violations.push(`integrity: committed 0x${txn.zxid.toString(16)} was never sent`);
    }
  }
  for (const client of clients) {
    for (const zxid of client.acknowledgedZxids) {
      if (!cluster.ledger.has(zxid)) {
        violations.push(`durability: client ${client.id} was told 0x${zxid.toString(16)}`);
      }
    }
  }
  for (const replica of cluster.reachable()) {
    if (!replica.isServing()) continue;
    for (const client of clients) {
      for (const [sessionId, path] of client.acknowledgedEphemerals) {
        const alive = replica.tree.hasSession(sessionId);
        if (alive !== replica.tree.hasNode(path)) {
          violations.push(
            `ephemerals: replica ${replica.id} has ${path} ${alive ? 'missing' : 'left'} ` +
              `while its session is ${alive ? 'alive' : 'gone'}`,
          );
        }
      }
    }
  }
  return violations;
}
