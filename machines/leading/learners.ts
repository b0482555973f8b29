// The leader's bookkeeping of its learners (ZooKeeper keeps it in one LearnerHandler per
// connection; here it is one record per learner in the leader's context), and the quorum
// questions discovery, synchronization and broadcast ask of it.
import type { PeerMessage, ServerId } from '../../protocol/peer.js';
import {
  learnerPhaseOrder,
  send,
  type LeaderState,
  type LearnerPhase,
  type LearnerProgress,
  type ReplicaContext,
  type ReplicaEffect,
} from '../replica-context.js';
import { activeRuleOf } from '../configuration.js';
import { containsQuorum } from '../quorum.js';

export function freshLeaderState(): LeaderState {
  return {
    newEpoch: null,
    learners: {},
    initialHistoryZxid: 0,
    syncing: false,
    established: false,
    phaseTicks: 0,
    committedZxid: 0,
    outstanding: [],
    ackedZxidByServer: {},
    pendingSyncs: [],
    reconfig: null,
    relayPaths: {},
    lagTicks: {},
    lagMarks: [],
  };
}

export function isAtLeast(phase: LearnerPhase, least: LearnerPhase): boolean {
  return learnerPhaseOrder.indexOf(phase) >= learnerPhaseOrder.indexOf(least);
}

/** Learner ids (ascending) whose phase is at least `least`, optionally of one role. */
export function learnersAtLeast(
  leader: LeaderState,
  least: LearnerPhase,
  role?: LearnerProgress['role'],
): ServerId[] {
  return Object.entries(leader.learners)
    .filter(([, learner]) => isAtLeast(learner.phase, least))
    .filter(([, learner]) => role === undefined || learner.role === role)
    .map(([id]) => Number(id))
    .sort((first, second) => first - second);
}

/**
 * Does the leader plus the followers at `least` make a quorum of the active configuration?
 * Discovery (FOLLOWERINFO, ACKEPOCH) counts the active configuration only, as ZooKeeper's
 * getEpochToPropose and waitForEpochAck do, even while a reconfig is seen: a voter that only
 * the seen configuration adds may not know it yet (it connects as an observer, or not at
 * all), and counting it here left a leader waiting for ever (simulator seeds 625 and 650 with
 * reconfig). Both configurations are counted where the history is made durable: the NEWLEADER
 * quorum (synchronization.ts) and every commit.
 */
export function hasQuorumAtLeast(
  context: ReplicaContext,
  leader: LeaderState,
  least: LearnerPhase,
): boolean {
  const followers = learnersAtLeast(leader, least, 'follower');
  return containsQuorum(activeRuleOf(context), [context.myId, ...followers]);
}

export function withLearner(
  leader: LeaderState,
  id: ServerId,
  change: Partial<LearnerProgress>,
): LeaderState {
  const learner = leader.learners[id];
  if (learner === undefined) return leader;
  return { ...leader, learners: { ...leader.learners, [id]: { ...learner, ...change } } };
}

export function withoutLearner(leader: LeaderState, id: ServerId): LeaderState {
  const { [id]: _removed, ...learners } = leader.learners;
  const { [id]: _acked, ...ackedZxidByServer } = leader.ackedZxidByServer;
  const { [id]: _path, ...relayPaths } = leader.relayPaths;
  return { ...leader, learners, ackedZxidByServer, relayPaths };
}

/** A follower's ACK: everything up to `zxid` is durable there (ACKs only ever move forward). */
export function withLearnerAck(leader: LeaderState, id: ServerId, zxid: number): LeaderState {
  const acked = Math.max(leader.ackedZxidByServer[id] ?? 0, zxid);
  return { ...leader, ackedZxidByServer: { ...leader.ackedZxidByServer, [id]: acked } };
}

/** Anything from a learner shows it is alive (ZooKeeper's LearnerHandler read deadline). */
export function heardFrom(leader: LeaderState, id: ServerId): LeaderState {
  return leader.learners[id] === undefined ? leader : withLearner(leader, id, { silentTicks: 0 });
}

export function sendToAll(ids: readonly ServerId[], message: PeerMessage): ReplicaEffect[] {
  return ids.map((id) => send(id, message));
}
