// Leading, Zab phase 1 (discovery): collect FOLLOWERINFO from a quorum, choose the new epoch
// (max acceptedEpoch + 1), persist it as acceptedEpoch, send LEADERINFO, collect a quorum of
// ACKEPOCH (refusing to lead a quorum whose history is ahead), then persist currentEpoch.
import { peerProtocolVersion } from '../../protocol/peer.js';
import {
  expectEvent,
  leaderOf,
  send,
  type Check,
  type LeaderState,
  type ReplicaContext,
  type ReplicaEffect,
  type ReplicaEvent,
  type Step,
} from '../replica-context.js';
import type { ReplicaSetup } from '../replica-setup.js';
import {
  freshLeaderState,
  hasQuorumAtLeast,
  heardFrom,
  withLearner,
} from './learners.js';
import { isEpochBehindLearner, isLearnerAhead, newEpochFor } from './rules.js';
import { syncLearner } from './synchronization.js';
import { weightOf } from '../quorum.js';
import { memberIdsOf } from '../../protocol/membership.js';

/** LEADERINFO to one learner, once the new epoch is durable as this leader's acceptedEpoch. */
function offerEpoch(context: ReplicaContext, leader: LeaderState, id: number) {
  const newEpoch = leader.newEpoch;
  if (newEpoch === null || context.acceptedEpoch < newEpoch) return { leader, effects: [] };
  const protocolVersion = Math.min(context.protocolVersion, peerProtocolVersion);
  const message = { type: 'leaderInfo', newEpoch, protocolVersion } as const;
  const offered = withLearner(leader, id, { phase: 'leaderInfoSent' });
  return { leader: offered, effects: [send(id, message)] };
}

/** A member of the active configuration, or of a reconfig seen in the log. */
function isMemberOf(context: ReplicaContext, id: number): boolean {
  return memberIdsOf(context.config).includes(id) ||
    (context.lastSeenConfig !== null && memberIdsOf(context.lastSeenConfig).includes(id));
}

/** FOLLOWERINFO / OBSERVERINFO: a learner connected (again); its handling starts over. */
const recordLearnerInfo: Step = (context, event) => {
  const info = event.type === 'peer.observerInfo'
    ? expectEvent(event, 'peer.observerInfo')
    : expectEvent(event, 'peer.followerInfo');
  // Whatever the learner's role says of the configuration, it is synced as it asks: a follower
  // this leader does not count as a voter is one joining (its configuration names it, this one
  // not yet: ZooKeeper's leader syncs it, and its ACKs count once a reconfig adds it) or one a
  // reconfig removed; an observer this leader counts as a voter has not yet heard the reconfig
  // that made it one, and learns it by being synced. Only ACKs of voters ever count.
  const role = info.type === 'peer.followerInfo' ? 'follower' : 'observer';
  const learner = {
    role,
    acceptedEpoch: info.message.acceptedEpoch,
    phase: 'info',
    currentEpoch: 0,
    lastZxid: 0,
    newLeaderCoversZxid: 0,
    silentTicks: 0,
    protocolVersion: info.message.protocolVersion,
  } as const;
  const current = leaderOf(context);
  const recorded = { ...current, learners: { ...current.learners, [info.from]: learner } };
  const offered = offerEpoch(context, recorded, info.from);
  return { context: { leader: offered.leader }, effects: offered.effects };
};

const discoveryActions = {
  /** Discovery begins with the learners that already said FOLLOWERINFO while this looked. */
  startLeading: ((context) => {
    let started: ReplicaContext = { ...context, learner: null, leader: freshLeaderState() };
    for (const held of Object.values(context.heldLearnerInfos)) {
      started = { ...started, ...recordLearnerInfo(started, held).context };
    }
    return { context: { learner: null, leader: started.leader, heldLearnerInfos: {} } };
  }) as Step,
  recordLearnerInfo,
  /** newEpoch = max(acceptedEpoch of every learner so far and this leader) + 1, persisted. */
  chooseNewEpoch: ((context) => {
    const leader = leaderOf(context);
    const accepted = Object.values(leader.learners).map((learner) => learner.acceptedEpoch);
    const newEpoch = newEpochFor([context.acceptedEpoch, ...accepted], context.epochFloor);
    return {
      context: { leader: { ...leader, newEpoch } },
      effects: [{ type: 'persistAcceptedEpoch', params: { epoch: newEpoch } }],
    };
  }) as Step,
  sendLeaderInfo: ((context) => {
    let leader = leaderOf(context);
    const effects: ReplicaEffect[] = [];
    for (const id of Object.keys(leader.learners).map(Number)) {
      if (leader.learners[id]?.phase !== 'info') continue;
      const offered = offerEpoch(context, leader, id);
      leader = offered.leader;
      effects.push(...offered.effects);
    }
    return { context: { leader }, effects };
  }) as Step,
  /** ACKEPOCH: record the learner's history; once synchronizing, sync it at once. */
  recordAckEpoch: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.ackEpoch');
    const leader = leaderOf(context);
    if (leader.learners[from]?.phase !== 'leaderInfoSent') return {};
    const { currentEpoch, lastZxid } = message;
    const acked = withLearner(leader, from, { phase: 'epochAcked', currentEpoch, lastZxid });
    if (!acked.syncing) return { context: { leader: acked } };
    const synced = syncLearner(context, acked, from);
    return { context: { leader: synced.leader }, effects: synced.effects };
  }) as Step,
  /** Zab: after the ACKEPOCH quorum the leader's currentEpoch becomes the new epoch. */
  persistNewCurrentEpoch: ((context) => {
    const leader = leaderOf(context);
    const epoch = leader.newEpoch ?? 0;
    return {
      context: { leader: { ...leader, initialHistoryZxid: context.lastZxid } },
      effects: [{ type: 'persistCurrentEpoch', params: { epoch } }],
    };
  }) as Step,
  /**
   * A learner cannot join this epoch (see isEpochBehindLearner): the next epoch this replica
   * proposes must reach its acceptedEpoch. Leadership is given up for it (next transition).
   */
  raiseEpochFloor: ((context, event) => {
    if (event.type !== 'peer.followerInfo' && event.type !== 'peer.observerInfo') return {};
    return {
      context: { epochFloor: Math.max(context.epochFloor, event.message.acceptedEpoch) },
    };
  }) as Step,
  recordLearnerHeard: ((context, event) => {
    if (!('from' in event)) return {};
    return { context: { leader: heardFrom(leaderOf(context), event.from) } };
  }) as Step,
};

const discoveryGuards = {
  /** A learner's acceptedEpoch passed this leader's epoch: it would refuse it for ever. */
  isLearnerEpochAhead: ((context, event) => {
    if (event.type !== 'peer.followerInfo' && event.type !== 'peer.observerInfo') return false;
    // Only a member is waited for: a learner outside the configuration (one joining, or anyone
    // with reconfigEnabled) must not make the leader start over, epoch after epoch, at will.
    if (!isMemberOf(context, event.from)) return false;
    return isEpochBehindLearner(leaderOf(context).newEpoch, event.message.acceptedEpoch);
  }) as Check,
  hasFollowerInfoQuorum: ((context) =>
    hasQuorumAtLeast(context, leaderOf(context), 'info')) as Check,
  isNewEpochAccepted: ((context) =>
    context.acceptedEpoch >= (leaderOf(context).newEpoch ?? Infinity)) as Check,
  isNewEpochCurrent: ((context) =>
    context.currentEpoch >= (leaderOf(context).newEpoch ?? Infinity)) as Check,
  hasAckEpochQuorum: ((context) =>
    hasQuorumAtLeast(context, leaderOf(context), 'epochAcked')) as Check,
  /**
   * Only while the ACKEPOCH quorum is still being gathered (ZooKeeper's waitForEpochAck): once
   * a quorum no more recent than the leader has acked, a later learner that is ahead holds only
   * what no quorum logged, and synchronization cuts it back (TRUNC). Leaving leadership then
   * instead, after this leader already made the new epoch its currentEpoch, let two replicas
   * outrank each other's epochs forever (found by the simulator: seed 3213 with an observer).
   * A learner of weight 0 is never a reason either: no election can make it leader, so leaving
   * would only repeat (seed 893 with `--quorum mixed`); what it holds beyond this leader no
   * quorum logged, and synchronization cuts it back, as ZooKeeper drops such a learner's
   * handler and truncates it when it rejoins the established leader.
   */
  isLearnerAheadOfLeader: ((context: ReplicaContext, event: ReplicaEvent) => {
    const { from, message } = expectEvent(event, 'peer.ackEpoch');
    const leader = leaderOf(context);
    if (leader.established || leader.learners[from]?.phase !== 'leaderInfoSent') return false;
    if (weightOf(context.quorum, from) === 0) return false;
    if (hasQuorumAtLeast(context, leader, 'epochAcked')) return false;
    const self = { currentEpoch: context.currentEpoch, lastZxid: context.lastZxid };
    return isLearnerAhead(message, self);
  }) as Check,
};

export { discoveryActions, discoveryGuards };

export function discoveryState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    initial: 'collectingFollowerInfo',
    states: {
      // Zab 1.1: wait for FOLLOWERINFO from a quorum (this leader counts itself).
      collectingFollowerInfo: {
        always: {
          guard: 'hasFollowerInfoQuorum',
          target: 'persistingAcceptedEpoch',
          actions: 'chooseNewEpoch',
        },
      },
      // Zab 1.1: the new epoch must be durable as acceptedEpoch before anyone hears of it.
      persistingAcceptedEpoch: {
        always: {
          guard: 'isNewEpochAccepted',
          target: 'collectingAckEpoch',
          actions: 'sendLeaderInfo',
        },
      },
      // Zab 1.2: a quorum of ACKEPOCH.
      collectingAckEpoch: {
        always: {
          guard: 'hasAckEpochQuorum',
          target: 'persistingCurrentEpoch',
          actions: 'persistNewCurrentEpoch',
        },
      },
      persistingCurrentEpoch: {
        always: { guard: 'isNewEpochCurrent', target: '#replica.leading.phase.synchronization' },
      },
    },
  });
}
