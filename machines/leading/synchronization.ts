// Leading, Zab phase 2 (synchronization): bring each learner's log to the leader's history with
// DIFF, TRUNC or SNAP (syncModeFor), then NEWLEADER; once a quorum ACKed NEWLEADER the initial
// history is committed and the leader is established: UPTODATE, and broadcast begins.
import type { ServerId } from '../../protocol/peer.js';
import {
  decisionInEpoch,
  expectEvent,
  leaderOf,
  send,
  type Check,
  type LeaderState,
  type ReplicaContext,
  type ReplicaEffect,
  type Step,
} from '../replica-context.js';
import type { ReplicaSetup } from '../replica-setup.js';
import { containsQuorum } from '../quorum.js';
import { makeZxid } from '../../protocol/zxid.js';
import { learnersAtLeast, withLearner, withLearnerAck } from './learners.js';
import { syncModeFor, type LeaderLog } from './rules.js';
import { delegateSnapshot, siteSnapshotSource } from './site-sync.js';

/** The leader's log as syncModeFor sees it; the initial history counts as committed. */
export function leaderLogOf(context: ReplicaContext, leader: LeaderState): LeaderLog {
  return {
    firstZxid: context.firstZxid,
    lastZxid: context.lastZxid,
    committedZxid: leader.established ? leader.committedZxid : leader.initialHistoryZxid,
    epochEnds: context.epochEnds,
  };
}

export function newLeaderZxidOf(leader: LeaderState): number {
  return makeZxid(leader.newEpoch ?? 0, 0);
}

/**
 * Zab 2.1 for one learner: the sync stream then NEWLEADER. Followers also get the proposals not
 * yet committed (they will ACK them); observers only committed txns, the rest come as INFORM.
 */
export function syncLearner(
  context: ReplicaContext,
  leader: LeaderState,
  id: ServerId,
): { leader: LeaderState; effects: ReplicaEffect[] } {
  const learner = leader.learners[id];
  if (learner === undefined) return { leader, effects: [] };
  const log = leaderLogOf(context, leader);
  const plan = syncModeFor(learner.lastZxid, log);
  // A SNAP across the WAN is the expensive part: a synced follower of the learner's site may
  // serve it instead (site-sync.ts).
  const source = plan.mode === 'snap' ? siteSnapshotSource(context, leader, id) : undefined;
  if (source !== undefined) return delegateSnapshot(leader, id, source);
  const throughZxid = learner.role === 'follower' ? log.lastZxid : log.committedZxid;
  const stream = { to: id, plan, committedZxid: log.committedZxid, throughZxid };
  return {
    leader: withLearner(leader, id, { phase: 'newLeaderSent', newLeaderCoversZxid: throughZxid }),
    effects: [
      { type: 'sendSyncStream', params: stream },
      send(id, { type: 'newLeader', zxid: newLeaderZxidOf(leader), config: context.config }),
    ],
  };
}

function upToDate(leader: LeaderState, id: ServerId) {
  // A learner synced (again) starts with no relay: it hears the leader directly until the next
  // relay plan names one (leading/relaying.ts).
  const { [id]: _path, ...relayPaths } = leader.relayPaths;
  return {
    leader: { ...withLearner(leader, id, { phase: 'upToDate' }), relayPaths },
    effects: [send(id, { type: 'upToDate' })],
  };
}

const synchronizationActions = {
  startSynchronization: ((context) => {
    let leader: LeaderState = { ...leaderOf(context), syncing: true };
    const effects: ReplicaEffect[] = [];
    for (const id of learnersAtLeast(leader, 'epochAcked')) {
      if (leader.learners[id]?.phase !== 'epochAcked') continue;
      const synced = syncLearner(context, leader, id);
      leader = synced.leader;
      effects.push(...synced.effects);
    }
    return { context: { leader }, effects };
  }) as Step,
  /**
   * ACK of NEWLEADER (the learner logged the whole stream) or, in broadcast, of a proposal (the
   * learner logged it and everything before). Observers' ACKs never count toward a quorum.
   */
  recordAck: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.ack');
    let leader = leaderOf(context);
    const learner = leader.learners[from];
    if (learner === undefined) return {};
    const isFollower = learner.role === 'follower';
    if (learner.phase === 'newLeaderSent' && message.zxid === newLeaderZxidOf(leader)) {
      leader = withLearner(leader, from, { phase: 'newLeaderAcked' });
      if (isFollower) leader = withLearnerAck(leader, from, learner.newLeaderCoversZxid);
      if (!leader.established) return { context: { leader } };
      const ready = upToDate(leader, from);
      return { context: { leader: ready.leader }, effects: ready.effects };
    }
    if (!isFollower || learner.phase === 'newLeaderSent') return {};
    return { context: { leader: withLearnerAck(leader, from, message.zxid) } };
  }) as Step,
  /** Zab 2.2: a quorum ACKed NEWLEADER, so the initial history is committed: apply it. */
  establishLeadership: ((context) => {
    let leader: LeaderState = {
      ...leaderOf(context),
      established: true,
      committedZxid: leaderOf(context).initialHistoryZxid,
    };
    const effects: ReplicaEffect[] = [
      { type: 'applyCommitted', params: { zxid: leader.committedZxid } },
    ];
    for (const id of learnersAtLeast(leader, 'newLeaderAcked')) {
      const ready = upToDate(leader, id);
      leader = ready.leader;
      effects.push(...ready.effects);
    }
    const announcement = {
      state: 'leading',
      leaderId: context.myId,
      epoch: context.currentEpoch,
      serving: true,
    } as const;
    effects.push({ type: 'announceRole', params: announcement });
    return { context: { leader, decision: decisionInEpoch(context) }, effects };
  }) as Step,
};


const synchronizationGuards = {
  /** The leader counts itself once its own initial history is durable. */
  hasNewLeaderQuorum: ((context) => {
    const leader = leaderOf(context);
    const self = context.durableZxid >= leader.initialHistoryZxid ? [context.myId] : [];
    // Every learner that acknowledged counts, observers too: the ACK promises the history is
    // durable whatever the role, and one that a seen reconfig makes a voter has not heard it
    // yet (ZooKeeper's SyncedLearnerTracker counts any acking server the configuration lists).
    // The rule ignores whoever is no voter of it.
    const acked = learnersAtLeast(leader, 'newLeaderAcked');
    return containsQuorum(context.quorum, [...self, ...acked]);
  }) as Check,
};

export { synchronizationActions, synchronizationGuards };

export function synchronizationState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    entry: 'startSynchronization',
    on: { 'peer.ack': { actions: 'recordAck' } },
    always: { guard: 'hasNewLeaderQuorum', target: 'broadcast', actions: 'establishLeadership' },
  });
}
