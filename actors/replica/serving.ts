// What the replica host (actors/replica/host.ts) does with its server core, in every world:
// apply committed txns and answer the requests they settle, follow the replica machine's role
// announcements (drop clients on leaving service, give the leader the sessions' expiry), and
// report the leader's figures.

import type { LeaderState, RoleAnnouncement } from '../../machines/replica-context.js';
import type { ServerId } from '../../protocol/peer.js';
import type { RequestBody, Txn } from '../../protocol/txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { LeaderStatistics } from '../operations/four-letter-words.js';
import type { ReplicatedPipeline } from './pipeline.js';
import type { ServerCore, ServerRole } from '../server/server-core.js';
import { makeZxid } from '../../protocol/zxid.js';
import { isPassedAsLocal, serverIdOfSession } from '../server/local-sessions.js';

const roleNames = { leading: 'leader', following: 'follower', observing: 'observer' } as const;

/** Applies committed txns in zxid order (skipping any the tree already holds). */
export function applyCommittedTxns(
  core: ServerCore,
  pipeline: ReplicatedPipeline,
  txns: Iterable<Txn>,
): void {
  for (const txn of txns) {
    if (txn.zxid <= core.tree.lastZxid) continue;
    const outcome = core.applyTxn(txn);
    pipeline.applied(txn, outcome);
  }
}

/**
 * The session table follows the tree (which a TRUNC or SNAP may have rebuilt): every session
 * the tree holds is tracked, expired here only if this replica leads; beside them only this
 * replica's local sessions are.
 */
export function reconcileSessions(core: ServerCore, leading: boolean): void {
  const live = new Map(core.tree.sessionTimeouts());
  for (const sessionId of [...core.sessions.ids()]) {
    // A local session is in no tree; this replica alone tracks it (local-sessions.ts).
    if (!live.has(sessionId) && !core.localSessions.has(sessionId)) core.sessions.drop(sessionId);
  }
  for (const [sessionId, timeoutMs] of live) {
    if (core.sessions.has(sessionId)) core.sessions.setExpiryOwner(sessionId, leading);
    else core.sessions.restore(sessionId, timeoutMs, leading);
  }
}

export interface ReplicaIdentity {
  myId: ServerId;
  voters: readonly ServerId[];
  isObserver: boolean;
  /** zoo.cfg leaderServes: false keeps clients off this replica while it leads. */
  leaderServes: boolean;
  leaderStatistics: () => LeaderStatistics | undefined;
}

/** The core's view of the replica's role, for srvr/stat/mntr and request routing. */
export function coreRoleOf(announced: RoleAnnouncement, identity: ReplicaIdentity): ServerRole {
  const state = announced.state;
  const looking = identity.isObserver ? 'observer' : 'follower';
  const readOnly = announced.readOnly === true;
  return {
    role: state === 'looking' ? looking : roleNames[state],
    // A read-only replica takes clients (read-only ones) though the ensemble is not served.
    serving: announced.serving || readOnly,
    servesClients:
      readOnly || (announced.serving && (state !== 'leading' || identity.leaderServes)),
    readOnly,
    serverId: identity.myId,
    leaderId: announced.leaderId ?? undefined,
    quorumSize: identity.voters.length,
    zabPhase: announced.serving ? 'broadcast' : state === 'looking' ? 'election' : 'discovery',
    leaderStatistics: identity.leaderStatistics,
  };
}

/**
 * A role announcement reaches the core. Leaving service (read-only service too) fails every
 * request in flight and drops the clients (they reconnect elsewhere, as ZooKeeper's do), and
 * forgets the read-only sessions; starting to serve hands the sessions' expiry to the leader and
 * reports makeZxid(epoch, 0) as ZooKeeper does. Returns true when the ensemble is served now
 * (read-only service is not: nothing it does is replicated).
 */
export function announceToCore(
  core: ServerCore,
  pipeline: ReplicatedPipeline,
  role: RoleAnnouncement,
  identity: ReplicaIdentity,
): boolean {
  const wasServing = core.role.serving;
  const wasReadOnly = core.role.readOnly === true;
  core.role = coreRoleOf(role, identity);
  if (role.readOnly === true) {
    core.logger.warn({ epoch: role.epoch }, 'no quorum: serving read-only clients');
    return false;
  }
  if (!role.serving) {
    if (wasServing) {
      pipeline.failAll(`the replica is ${role.state}`);
      core.closeAllConnections();
      for (const sessionId of core.localSessions.takeAll()) core.sessions.drop(sessionId);
    }
    if (wasReadOnly) core.logger.info('read-only service stopped: dropped its clients');
    return false;
  }
  reconcileSessions(core, role.state === 'leading');
  core.tree.advanceTo(makeZxid(role.epoch, 0));
  return true;
}

/** The leader's figures for mntr, from the replica machine's leader state; `leadingSinceMs` is
 * when it began to serve as leader. */
export function leaderStatisticsOf(leader: LeaderState | null | undefined, leadingSinceMs: number) {
  if (leader === null || leader === undefined) return undefined;
  const learners = Object.values(leader.learners);
  const synced = learners.filter((learner) => learner.phase === 'upToDate');
  return {
    learnerCount: learners.length,
    syncedFollowerCount: synced.filter((learner) => learner.role === 'follower').length,
    syncedNonVotingFollowerCount: 0,
    syncedObserverCount: synced.filter((learner) => learner.role === 'observer').length,
    pendingSyncCount: leader.pendingSyncs.length,
    leadingSinceMs,
    proposalSizes: { lastBytes: -1, minBytes: -1, maxBytes: -1 },
    proposalCount: leader.outstanding.length,
  } satisfies LeaderStatistics;
}

/**
 * Work an effect asks of the host that reaches outside the replica machine (the server core,
 * session actors, requests back into the machine): it runs once the machine's transition is
 * over — as etcd-raft's hosts apply what a step produced after the step — when the host's own
 * send returns, or at the latest on the next microtask (a transition a timer started).
 */
export class DeferredHostWork {
  private readonly queue: Array<() => void> = [];
  private scheduled = false;

  defer(work: () => void): void {
    this.queue.push(work);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.run());
  }

  run(): void {
    this.scheduled = false;
    for (let work = this.queue.shift(); work !== undefined; work = this.queue.shift()) work();
  }
}

/**
 * The leader's answer to REVALIDATE: alive if its table holds the session live (the reconnect
 * counts as the session's traffic, as ZooKeeper's touch on revalidation does).
 */
export function revalidation(
  core: ServerCore,
  { from, sessionId }: { from: ServerId; sessionId: bigint },
): { type: 'sessions.revalidated'; to: ServerId; sessionId: bigint; valid: boolean } {
  const valid = core.sessions.isLive(sessionId);
  if (valid) {
    core.sessions.touchRemote(sessionId);
    core.sessions.setOwner(sessionId, from);
  }
  return { type: 'sessions.revalidated', to: from, sessionId, valid };
}

/**
 * The leader's check of a request's session owner (ZooKeeper's PrepRequestProcessor): a write
 * sent through a replica the session has since moved away from becomes an error txn with
 * SessionMoved, so the stale connection's write changes nothing and is answered in order. A
 * createSession names its replica as the owner. Other requests pass unchanged.
 */
export function checkedForOwner(
  core: ServerCore,
  owner: ServerId,
  sessionId: bigint,
  body: RequestBody,
): RequestBody {
  if (body.type === 'createSession') core.sessions.setOwner(body.sessionId, owner);
  const owned = body.type === 'write' || body.type === 'reconfigRequest';
  if (!owned || core.sessions.claimOwner(sessionId, owner)) return body;
  return { type: 'error', err: ErrorCode.sessionMoved };
}

/** The leader's session check for a write it orders (local-sessions.ts): true when the writer
 * passes as a local session, so its txn carries the localSession stamp. */
export function passesAsLocalSession(core: ServerCore, sessionId: bigint, leaderId: number) {
  return isPassedAsLocal({
    localSessionsEnabled: core.settings.localSessionsEnabled,
    global: core.tree.sessionPassword(sessionId) !== undefined,
    localHere: core.localSessions.has(sessionId),
    sessionServerId: serverIdOfSession(sessionId),
    leaderId,
  });
}
