// Leading, Zab phase 3 (broadcast): order each request as a txn with the next zxid, PROPOSAL to
// followers and the leader's own log; COMMIT (INFORM to observers) and apply, in zxid order, once
// a quorum has the proposal durable. PING every tick; a quorum silent for syncLimit → looking.
import type { ServerId } from '../../protocol/peer.js';
import {
  expectEvent,
  leaderOf,
  send,
  type Check,
  type LeaderState,
  type PendingSync,
  type ReplicaContext,
  type ReplicaEffect,
  type Step,
  type StepResult,
  type Txn,
  withEpochEnd,
} from '../replica-context.js';
import type { ReplicaSetup } from '../replica-setup.js';
import { committedZxid, isQuorum, makeZxid, nextProposalZxid } from '../zab-rules.js';
import { learnersAtLeast, sendToAll, withoutLearner } from './learners.js';

/** The zxid the next proposal gets: the counter restarts at 1 in every new epoch. */
function nextZxidOf(context: ReplicaContext, leader: LeaderState) {
  return nextProposalZxid(Math.max(context.lastZxid, makeZxid(leader.newEpoch ?? 0, 0)));
}

/** Every voter's highest durable zxid: followers by ACK, the leader by its own log. */
function quorumCommittedZxid(context: ReplicaContext, leader: LeaderState) {
  const acked = new Map(Object.entries(leader.ackedZxidByServer).map(([id, zxid]) => [+id, zxid]));
  acked.set(context.myId, context.durableZxid);
  return committedZxid(acked, context.voters);
}

/** The answer to a sync: SYNC to the learner holding the session, or the leader's own. */
function syncAnswer(context: ReplicaContext, sync: PendingSync, zxid: number): ReplicaEffect {
  const { sessionId, cxid } = sync;
  return sync.from === context.myId
    ? { type: 'answerSync', params: { sessionId, cxid, zxid } }
    : send(sync.from, { type: 'sync', sessionId, cxid, zxid });
}

/**
 * ZooKeeper's Leader.processSync: with nothing outstanding the sync is answered at once,
 * otherwise once every proposal made before it has committed.
 */
function acceptSyncFrom(
  context: ReplicaContext,
  from: ServerId,
  sessionId: bigint,
  cxid: number,
): StepResult {
  const leader = leaderOf(context);
  const sync: PendingSync = { from, sessionId, cxid, afterZxid: context.lastZxid };
  if (leader.outstanding.length === 0) {
    return { effects: [syncAnswer(context, sync, leader.committedZxid)] };
  }
  return { context: { leader: { ...leader, pendingSyncs: [...leader.pendingSyncs, sync] } } };
}

const broadcastActions = {
  /** Zab 3.1: a new proposal, logged by the leader too (its durability is its own ACK). */
  proposeTxn: ((context, event) => {
    const request = expectEvent(event, 'client.request');
    const leader = leaderOf(context);
    const zxid = nextZxidOf(context, leader);
    if (zxid === 'newEpochRequired') throw new Error('replica machine: counter spent');
    const { sessionId, cxid, time, body } = request;
    const txn: Txn = { zxid, time, sessionId, cxid, body };
    const followers = learnersAtLeast(leader, 'newLeaderSent', 'follower');
    return {
      context: {
        leader: { ...leader, outstanding: [...leader.outstanding, txn] },
        lastZxid: zxid,
        firstZxid: context.firstZxid === 0 ? zxid : context.firstZxid,
        epochEnds: withEpochEnd(context.epochEnds, zxid),
      },
      effects: [
        { type: 'appendProposal', params: { txn } },
        ...sendToAll(followers, { type: 'proposal', txn }),
      ],
    };
  }) as Step,
  /** Zab 3.2: commit, in zxid order, every outstanding proposal a quorum has durable. */
  commitProposals: ((context) => {
    const leader = leaderOf(context);
    const committed = quorumCommittedZxid(context, leader);
    const ready = leader.outstanding.filter((txn) => txn.zxid <= committed);
    const followers = learnersAtLeast(leader, 'newLeaderSent', 'follower');
    const observers = learnersAtLeast(leader, 'newLeaderSent', 'observer');
    const last = ready[ready.length - 1]?.zxid ?? leader.committedZxid;
    // One COMMIT covers every proposal up to it: a follower has logged them all, in order, and
    // applies them all (what ZooKeeper sends as one COMMIT per proposal, coalesced).
    const effects: ReplicaEffect[] = [
      ...(ready.length === 0 ? [] : sendToAll(followers, { type: 'commit', zxid: last })),
      ...ready.flatMap((txn) => sendToAll(observers, { type: 'inform', txn })),
      { type: 'applyCommitted', params: { zxid: last } },
    ];
    const outstanding = leader.outstanding.slice(ready.length);
    const released = leader.pendingSyncs.filter((sync) => sync.afterZxid <= last);
    const pendingSyncs = leader.pendingSyncs.filter((sync) => sync.afterZxid > last);
    effects.push(...released.map((sync) => syncAnswer(context, sync, last)));
    return {
      context: { leader: { ...leader, outstanding, committedZxid: last, pendingSyncs } },
      effects,
    };
  }) as Step,
  acceptLocalSync: ((context, event) => {
    const { sessionId, cxid } = expectEvent(event, 'client.sync');
    return acceptSyncFrom(context, context.myId, sessionId, cxid);
  }) as Step,
  acceptForwardedSync: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.request');
    return acceptSyncFrom(context, from, message.sessionId, message.cxid);
  }) as Step,
  /** A learner's PING reply lists the sessions its clients used: they stay alive here. */
  touchLearnerSessions: ((_context, event) => {
    const { touches } = expectEvent(event, 'peer.ping').message;
    return touches.length === 0 ? {} : { effects: [{ type: 'touchSessions', params: { touches } }] };
  }) as Step,
  /** A learner's REQUEST goes through the runtime's leader pipeline (it stamps the time). */
  acceptRequest: ((_context, event) => {
    const { from, message } = expectEvent(event, 'peer.request');
    return { effects: [{ type: 'acceptForwardedRequest', params: { from, request: message } }] };
  }) as Step,
  /** Each tick: age every learner's silence and, once established, PING the synced ones. */
  countLeaderTick: ((context) => {
    const leader = leaderOf(context);
    const learners = Object.fromEntries(
      Object.entries(leader.learners).map(([id, learner]) => [
        id,
        { ...learner, silentTicks: learner.silentTicks + 1 },
      ]),
    );
    const pinged = leader.established ? learnersAtLeast(leader, 'newLeaderSent') : [];
    return {
      context: { leader: { ...leader, learners, phaseTicks: leader.phaseTicks + 1 } },
      effects: sendToAll(pinged, { type: 'ping', touches: [] }),
    };
  }) as Step,
  dropLearner: ((context, event) => {
    const { peer } = expectEvent(event, 'peer.disconnected');
    return { context: { leader: withoutLearner(leaderOf(context), peer) } };
  }) as Step,
};

const broadcastGuards = {
  isSyncRequest: ((_context, event) =>
    event.type === 'peer.request' && event.message.body.type === 'sync') as Check,
  hasCommittableProposal: ((context) => {
    const leader = leaderOf(context);
    const first = leader.outstanding[0];
    return first !== undefined && quorumCommittedZxid(context, leader) >= first.zxid;
  }) as Check,
  /** ZooKeeper's XidRolloverException: the counter is spent, a new epoch must start. */
  isZxidCounterSpent: ((context) =>
    nextZxidOf(context, leaderOf(context)) === 'newEpochRequired') as Check,
  /**
   * Before establishment discovery plus synchronization get initLimit ticks; after it the
   * leader needs a quorum of synced followers heard from within syncLimit ticks.
   */
  isLeaderTimedOut: ((context) => {
    const leader = leaderOf(context);
    const { initLimitTicks, syncLimitTicks } = context.timing;
    if (!leader.established) return leader.phaseTicks >= initLimitTicks;
    const alive = learnersAtLeast(leader, 'newLeaderAcked', 'follower').filter(
      (id) => (leader.learners[id]?.silentTicks ?? Infinity) < syncLimitTicks,
    );
    return !isQuorum([context.myId, ...alive], context.voters);
  }) as Check,
};

export { broadcastActions, broadcastGuards };

export function broadcastState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    on: {
      'client.request': [
        { guard: 'isZxidCounterSpent', target: '#replica.looking' },
        { actions: 'proposeTxn' },
      ],
      'client.sync': { actions: 'acceptLocalSync' },
      'peer.ack': { actions: 'recordAck' },
      'peer.request': [
        { guard: 'isSyncRequest', actions: 'acceptForwardedSync' },
        { actions: 'acceptRequest' },
      ],
    },
    always: { guard: 'hasCommittableProposal', actions: 'commitProposals' },
  });
}
