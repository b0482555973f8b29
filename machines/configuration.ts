// The replica's view of its configuration as pure rules: the active membership, and a reconfig
// seen in the log but not yet active (ZooKeeper's lastSeenQuorumVerifier). While one is seen,
// every quorum — votes, FOLLOWERINFO, ACKEPOCH, NEWLEADER's ACKs, the leader's liveness — is a
// quorum of both (machines/quorum.ts jointRule): a leader elected or established meanwhile then
// holds whatever either configuration may have committed.
import type { VersionedMembership } from '../protocol/membership.js';
import type { Zxid } from '../protocol/zxid.js';
import { jointRule, membershipRule, votersOf, type QuorumRule } from './quorum.js';
import type { ReplicaContext, Txn } from './replica-context.js';

type ConfigurationView = Pick<ReplicaContext, 'config' | 'lastSeenConfig' | 'quorum' | 'voters'>;

/**
 * The context fields a pair of memberships makes. `activeRule` overrides the active one's rule
 * (a hand-built input names voters without addresses); a seen membership no newer than the
 * active one is dropped.
 */
export function configurationView(
  active: VersionedMembership,
  lastSeen: VersionedMembership | null,
  activeRule: QuorumRule = membershipRule(active),
): ConfigurationView {
  const seen = lastSeen !== null && lastSeen.version > active.version ? lastSeen : null;
  const quorum = seen === null ? activeRule : jointRule(activeRule, membershipRule(seen));
  return { config: active, lastSeenConfig: seen, quorum, voters: votersOf(quorum) };
}

/** The learner type `membership` gives replica `myId`, or `previous` when it does not list it. */
export function learnerTypeIn(
  membership: VersionedMembership,
  myId: number,
  previous: 'participant' | 'observer',
): 'participant' | 'observer' {
  return membership.servers.find((server) => server.id === myId)?.peerType ?? previous;
}

/** Does this replica take part as a participant (it follows rather than observes)? */
export function isParticipant(context: ReplicaContext): boolean {
  return context.voters.includes(context.myId) || context.learnerType === 'participant';
}

/** The context's rule for its active membership alone (the joint rule's first half). */
export function activeRuleOf(context: ReplicaContext): QuorumRule {
  return context.quorum.kind === 'joint' ? context.quorum.rules[0] : context.quorum;
}

/** A reconfig txn among `txns` newer than anything seen: it becomes the seen membership. */
export function seenIn(context: ReplicaContext, txns: readonly Txn[]): ConfigurationView | null {
  let seen = context.lastSeenConfig;
  for (const txn of txns) {
    if (txn.body.type !== 'reconfig') continue;
    if (txn.zxid <= Math.max(context.config.version, seen?.version ?? 0)) continue;
    seen = { ...txn.body.membership, version: txn.zxid };
  }
  if (seen === context.lastSeenConfig) return null;
  return configurationView(context.config, seen, activeRuleOf(context));
}

/** A TRUNC or SNAP replaced the log from `zxid` on: a reconfig seen beyond it is gone. */
export function forgetSeenAfter(context: ReplicaContext, zxid: Zxid): ConfigurationView | null {
  const seen = context.lastSeenConfig;
  if (seen === null || seen.version <= zxid) return null;
  return configurationView(context.config, null, activeRuleOf(context));
}
