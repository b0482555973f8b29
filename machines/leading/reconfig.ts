// The leader's half of ZooKeeper's dynamic reconfiguration, as pure rules its broadcast steps call:
// resolving a client's reconfig into a txn (or the error ZooKeeper's PrepRequestProcessor gives),
// the commit rule while a change is in flight (old AND new quorum), and the successor a leader
// that leaves the voters designates when the change activates (Leader.getDesignatedLeader).
import { ErrorCode } from '../../protocol/errors.js';
import { reconfigProtocolVersion, type ServerId } from '../../protocol/peer.js';
import { resolveReconfig } from '../../protocol/membership.js';
import type { Zxid } from '../../protocol/zxid.js';
import { containsQuorum, membershipRule, weightOf, type QuorumRule } from '../quorum.js';
import type {
  LeaderState,
  ReconfigInFlight,
  ReconfigRequest,
  ReplicaContext,
  TxnBody,
} from '../replica-context.js';
import { committedZxid } from '../zab-rules.js';
import { activeRuleOf } from '../configuration.js';

/** The leader's view of who has what durable: followers by ACK, itself by its own log. */
function ackedZxids(context: ReplicaContext, leader: LeaderState): Map<ServerId, Zxid> {
  const acked = new Map(Object.entries(leader.ackedZxidByServer).map(([id, zxid]) => [+id, zxid]));
  acked.set(context.myId, context.durableZxid);
  return acked;
}

/**
 * The highest zxid the leader may commit. With no reconfig in flight, what a quorum of the
 * active configuration has durable. While one is pending, proposals before it need the old
 * quorum and the reconfig and everything after it both quorums; once it is active, proposals up
 * to `throughZxid` still need both, later ones the new quorum only (ZooKeeper's Proposal keeps a
 * quorum verifier per configuration it was proposed under, and commits when all are satisfied).
 */
export function quorumCommittedZxid(context: ReplicaContext, leader: LeaderState): Zxid {
  const acked = ackedZxids(context, leader);
  const reconfig = leader.reconfig;
  if (reconfig === null) return committedZxid(acked, context.quorum);
  const underOld = committedZxid(acked, reconfig.oldQuorum);
  const underNew = committedZxid(acked, reconfig.newQuorum);
  const underBoth = Math.min(underOld, underNew);
  if (reconfig.throughZxid === null) {
    return underOld < reconfig.zxid ? underOld : Math.max(reconfig.zxid - 1, underBoth);
  }
  return underBoth >= reconfig.throughZxid ? underNew : underBoth;
}

/**
 * Leader.isQuorumSynced: the leader (if it votes in `rule`) and the followers it brought up to
 * date that vote in `rule` make a quorum of it.
 */
function isQuorumSynced(context: ReplicaContext, leader: LeaderState, rule: QuorumRule): boolean {
  const synced = Object.entries(leader.learners)
    .filter(([, learner]) => learner.role === 'follower' && learner.phase === 'upToDate')
    .map(([id]) => Number(id));
  return containsQuorum(rule, [context.myId, ...synced]);
}

/** A learner on a peer protocol older than reconfig could not read the reconfig txn. */
function hasLearnerWithoutReconfig(leader: LeaderState): boolean {
  return Object.values(leader.learners).some(
    (learner) => learner.protocolVersion < reconfigProtocolVersion,
  );
}

export interface ResolvedReconfig {
  body: TxnBody;
  /** Set when the request became a reconfig txn: the leader's new in-flight record. */
  reconfig?: ReconfigInFlight;
}

/**
 * PrepRequestProcessor's reconfig checks, in its order: a change already in flight
 * (ReconfigInProgress), a stale fromConfig (BadVersion), a malformed or too small membership
 * (BadArguments), no connected and synced quorum of the new configuration (NewConfigNoQuorum),
 * then WRITE on /zookeeper/config (NoAuth; the leader's host stamped `authorized`).
 */
export function resolveReconfigRequest(
  context: ReplicaContext,
  leader: LeaderState,
  request: ReconfigRequest,
  zxid: Zxid,
): ResolvedReconfig {
  const refuse = (err: number): ResolvedReconfig => ({ body: { type: 'error', err } });
  if (context.protocolVersion < reconfigProtocolVersion) return refuse(ErrorCode.unimplemented);
  // A change in flight, or one a previous leader logged that is not settled yet.
  if (leader.reconfig !== null || context.lastSeenConfig !== null) {
    return refuse(ErrorCode.reconfigInProgress);
  }
  if (request.fromConfig !== -1 && request.fromConfig !== context.config.version) {
    return refuse(ErrorCode.badVersion);
  }
  const resolved = resolveReconfig(context.config, request, context.standaloneEnabled);
  if (!resolved.ok) return refuse(resolved.err);
  let newQuorum: QuorumRule;
  try {
    newQuorum = membershipRule(resolved.membership);
  } catch {
    return refuse(ErrorCode.badArguments);
  }
  if (!isQuorumSynced(context, leader, newQuorum) || hasLearnerWithoutReconfig(leader)) {
    return refuse(ErrorCode.newConfigNoQuorum);
  }
  if (request.authorized !== true) return refuse(ErrorCode.noAuth);
  return {
    body: { type: 'reconfig', membership: resolved.membership },
    reconfig: {
      zxid,
      membership: resolved.membership,
      oldQuorum: activeRuleOf(context),
      newQuorum,
      throughZxid: null,
    },
  };
}

/**
 * Leader.getDesignatedLeader: this leader, when it votes (with weight) in the new configuration;
 * otherwise the new voter of weight above 0 that acknowledged the most (it holds the longest
 * history, so the fewest proposals are dropped), ties to the lower id.
 */
export function designatedLeaderOf(
  context: ReplicaContext,
  leader: LeaderState,
  reconfig: ReconfigInFlight,
): ServerId {
  if (weightOf(reconfig.newQuorum, context.myId) > 0) return context.myId;
  let best: { id: ServerId; zxid: Zxid } | undefined;
  for (const [id, zxid] of ackedZxids(context, leader)) {
    if (id === context.myId || zxid < reconfig.zxid || weightOf(reconfig.newQuorum, id) === 0) {
      continue;
    }
    if (best === undefined || zxid > best.zxid || (zxid === best.zxid && id < best.id)) {
      best = { id, zxid };
    }
  }
  // A quorum of the new voters acknowledged the reconfig, so some other voter did.
  if (best === undefined) {
    throw new Error('replica machine: no new voter acknowledged the reconfig');
  }
  return best.id;
}
