// Sync from the same site, the leader's side: when a learner needs a SNAP and its site (not the
// leader's) has a synced follower, the learner is told to take its snapshot from that follower
// (SNAPFROM) rather than have the whole tree cross the WAN from the leader. The learner then says
// ACKEPOCH again with the snapshot's zxid and is synced as any learner is, by a DIFF from this
// leader's log. Only SNAP is delegated: DIFF and TRUNC are bounded by the log and TRUNC is the
// leader's decision about its own history. A follower's tree holds only committed txns, so the
// snapshot it serves is a committed prefix of the history every later leader holds.
import { siteProtocolVersion, type ServerId } from '../../protocol/peer.js';
import { send, type LeaderState, type ReplicaContext, type ReplicaEffect } from
  '../replica-context.js';
import { learnersAtLeast, withLearner } from './learners.js';
import { lagTicksMax } from './relay-plan.js';

/**
 * The follower `id` may take its snapshot from, or undefined: the leader is established, the
 * learner was not already sent elsewhere on this connection (so a failed fetch is followed by a
 * direct SNAP, never by another SNAPFROM), it is in a named site other than the leader's, and a
 * follower of that site is synced, neither lagging nor silent. The lowest id serves, so the
 * choice is the same every time the view is.
 */
export function siteSnapshotSource(
  context: ReplicaContext,
  leader: LeaderState,
  id: ServerId,
): ServerId | undefined {
  const learner = leader.learners[id];
  const sites = context.config.sites;
  if (!context.siteSync || !leader.established || learner === undefined) return undefined;
  if (learner.siteSnapFrom !== undefined || sites === undefined) return undefined;
  // Either side of an older corral (rolling upgrade) does not know SNAPFROM / SNAPREQUEST.
  const knows = (peer: ServerId) =>
    (leader.learners[peer]?.protocolVersion ?? 0) >= siteProtocolVersion;
  if (!knows(id)) return undefined;
  const site = sites[id];
  if (site === undefined || site === sites[context.myId]) return undefined;
  const limit = lagTicksMax(context.timing.syncLimitTicks);
  return learnersAtLeast(leader, 'upToDate', 'follower').find((candidate) =>
    candidate !== id && sites[candidate] === site && knows(candidate) &&
    (leader.lagTicks[candidate] ?? 0) < limit &&
    (leader.learners[candidate]?.silentTicks ?? limit) < limit);
}

/**
 * SNAPFROM to the learner: it is back at LEADERINFO sent as far as this leader is concerned, so
 * the ACKEPOCH it says next (after the fetch, or after giving up on it) is taken as any is.
 */
export function delegateSnapshot(
  leader: LeaderState,
  id: ServerId,
  source: ServerId,
): { leader: LeaderState; effects: ReplicaEffect[] } {
  return {
    leader: withLearner(leader, id, { phase: 'leaderInfoSent', siteSnapFrom: source }),
    effects: [send(id, { type: 'snapFrom', peer: source })],
  };
}
