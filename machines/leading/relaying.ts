// Tree broadcast, the leader's side: its relay plan (which synced followers of a remote site get
// PROPOSAL, COMMIT and SYNC through a relay of their site, leading/relay-plan.ts), kept each tick
// and whenever a learner leaves, and the sends that follow it: one RELAY per site instead of one
// frame per follower. A follower whose path changes is told (RELAYPLAN) and, when frames may have
// been lost on the old path, is sent again what is still outstanding.
import {
  directAckProtocolVersion,
  siteProtocolVersion,
  type PeerMessage,
  type RelayedMessage,
  type ServerId,
} from '../../protocol/peer.js';
import {
  expectEvent,
  leaderOf,
  send,
  type LeaderState,
  type RelayPath,
  type ReplicaContext,
  type ReplicaEffect,
  type Step,
} from '../replica-context.js';
import { heardFrom, learnersAtLeast, withLearnerAck } from './learners.js';
import { lagTicksMax, relayPlanOf } from './relay-plan.js';

/** Is `id` sent to through a relay now: it listens to one, and that relay is in broadcast? */
function relayOf(leader: LeaderState, id: ServerId): ServerId | undefined {
  const path = leader.relayPaths[id];
  if (path === undefined || !path.confirmed) return undefined;
  if (leader.learners[id]?.phase !== 'upToDate') return undefined;
  return leader.learners[path.relayId]?.phase === 'upToDate' ? path.relayId : undefined;
}

/**
 * `message` to each of `ids` (ascending), along its path: directly, or once per relay for all
 * the followers it serves (the relay's own copy rides along when it is one of `ids`). Each
 * follower's frames keep their order: a path changes only through replanRelays.
 */
export function sendAlongPaths(
  leader: LeaderState,
  ids: readonly ServerId[],
  message: RelayedMessage,
): ReplicaEffect[] {
  const served = new Map<ServerId, ServerId[]>();
  for (const id of ids) {
    const relay = relayOf(leader, id);
    if (relay !== undefined) served.set(relay, [...(served.get(relay) ?? []), id]);
  }
  const effects: ReplicaEffect[] = [];
  for (const id of ids) {
    if (served.has(id)) {
      effects.push(send(id, { type: 'relay', message, to: served.get(id)!, own: true }));
      served.delete(id);
    } else if (relayOf(leader, id) === undefined) {
      effects.push(send(id, message));
    }
  }
  for (const [relay, to] of served) {
    effects.push(send(relay, { type: 'relay', message, to, own: false }));
  }
  return effects;
}

/**
 * What `id` may have missed on a path it leaves: the proposals still outstanding after its last
 * ACK, and the COMMIT of everything committed. A follower that misses more than that (committed
 * proposals it never logged) sees a gap in what arrives and syncs again.
 */
function resendTo(leader: LeaderState, id: ServerId): ReplicaEffect[] {
  const acked = leader.ackedZxidByServer[id] ?? 0;
  const txns = leader.outstanding.filter((txn) => txn.zxid > acked);
  const effects: ReplicaEffect[] = [];
  if (txns.length > 0) effects.push(send(id, { type: 'proposal', txns }));
  if (leader.committedZxid > 0) {
    effects.push(send(id, { type: 'commit', zxid: leader.committedZxid }));
  }
  return effects;
}

/** Synced learners that lag or went silent: they neither relay nor are relayed to. */
function unfitLearners(context: ReplicaContext, leader: LeaderState): Set<ServerId> {
  const limit = lagTicksMax(context.timing.syncLimitTicks);
  // A learner of an older corral (rolling upgrade) cannot read the relay's frames: direct only.
  return new Set(learnersAtLeast(leader, 'upToDate').filter((id) =>
    (leader.lagTicks[id] ?? 0) >= limit || (leader.learners[id]?.silentTicks ?? 0) >= limit ||
    (leader.learners[id]?.protocolVersion ?? 0) < siteProtocolVersion));
}

/**
 * RELAYPLAN for `id`: with directAcks (zoo.cfg treeBroadcastDirectAcks) its ACKs skip the relay,
 * so a commit waits for the WAN and the follower's disk, not for its relay's turns as well. Only a
 * learner that announced peer protocol 5 reads the field; an older one batches through its relay.
 */
function relayPlanFor(
  context: ReplicaContext,
  leader: LeaderState,
  id: ServerId,
  relayId: ServerId | undefined,
): PeerMessage {
  const direct = relayId !== undefined && context.treeBroadcastDirectAcks &&
    context.protocolVersion >= directAckProtocolVersion &&
    (leader.learners[id]?.protocolVersion ?? 0) >= directAckProtocolVersion;
  return direct
    ? { type: 'relayPlan', relayId, directAcks: true }
    : { type: 'relayPlan', relayId: relayId ?? 0 };
}

/**
 * Brings every follower's path to the plan: RELAYPLAN to each whose path changes (before any
 * frame on the new path), and what it may have lost on a relay it leaves. No relay while a
 * reconfig is in flight: its COMMITANDACTIVATE must reach every follower as it was sent.
 */
export function replanRelays(
  context: ReplicaContext,
  leader: LeaderState,
): { leader: LeaderState; effects: ReplicaEffect[] } {
  const followers = learnersAtLeast(leader, 'upToDate', 'follower');
  const observers = learnersAtLeast(leader, 'upToDate', 'observer');
  const synced = [...followers, ...observers];
  const plan = context.treeBroadcast && leader.reconfig === null
    ? relayPlanOf({
        leaderId: context.myId,
        sites: context.config.sites,
        synced: followers,
        observers,
        unfit: unfitLearners(context, leader),
      })
    : new Map<ServerId, ServerId>();
  const paths: Record<ServerId, RelayPath> = { ...leader.relayPaths };
  const effects: ReplicaEffect[] = [];
  const ids = new Set([...synced, ...Object.keys(leader.relayPaths).map(Number)]);
  for (const id of [...ids].sort((first, second) => first - second)) {
    const current = leader.relayPaths[id];
    const wanted = plan.get(id);
    if (current?.relayId === wanted) continue;
    if (wanted === undefined) delete paths[id];
    else paths[id] = { relayId: wanted, confirmed: false };
    if (!synced.includes(id)) continue;
    effects.push(send(id, relayPlanFor(context, leader, id, wanted)));
    // An observer's INFORMs lost with a relay cannot be sent again (the leader keeps only what
    // is outstanding): the observer sees the gap and syncs again.
    const isFollower = leader.learners[id]?.role === 'follower';
    if (current?.confirmed === true && isFollower) effects.push(...resendTo(leader, id));
  }
  return { leader: { ...leader, relayPaths: paths }, effects };
}

/** Each tick: how far behind each follower is (see LeaderState.lagTicks). */
export function withLagCounted(context: ReplicaContext, leader: LeaderState): LeaderState {
  const limit = lagTicksMax(context.timing.syncLimitTicks);
  const lagTicks: Record<ServerId, number> = {};
  for (const id of learnersAtLeast(leader, 'upToDate', 'follower')) {
    const acked = leader.ackedZxidByServer[id] ?? 0;
    // Marks only grow, so the ones not ACKed are the newest ones: their count is how many ticks
    // ago the oldest of them was taken.
    lagTicks[id] = leader.lagMarks.filter((mark) => acked < mark).length;
  }
  const lagMarks = [...leader.lagMarks, context.lastZxid].slice(-limit);
  return { ...leader, lagTicks, lagMarks };
}

export const relayingActions = {
  /**
   * RELAYACKS: each follower's own ACK, counted as if it had come directly, when it came through
   * the relay the leader named for that follower; the first one confirms the path. An observer's
   * (sent once, on RELAYPLAN) only confirms its path: observers never count.
   */
  acceptRelayedAcks: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.relayAcks');
    let leader = leaderOf(context);
    for (const { id, zxid } of message.acks) {
      const path = leader.relayPaths[id];
      const learner = leader.learners[id];
      if (path?.relayId !== from || learner?.phase !== 'upToDate') continue;
      if (learner.role === 'follower') leader = withLearnerAck(leader, id, zxid);
      leader = heardFrom(leader, id);
      if (!path.confirmed) {
        const relayPaths = { ...leader.relayPaths, [id]: { ...path, confirmed: true } };
        leader = { ...leader, relayPaths };
      }
    }
    return { context: { leader } };
  }) as Step,
};
