// What following and observing share (ZooKeeper's Learner): discovery (FOLLOWERINFO or
// OBSERVERINFO, LEADERINFO → persist acceptedEpoch → ACKEPOCH), synchronization (DIFF, TRUNC or
// SNAP and the stream after it; NEWLEADER → persist currentEpoch → ACK once all of it is
// durable; UPTODATE → apply and serve) and the broadcast messages both roles handle.
import {
  peerProtocolVersion,
  type ForwardedRequestEntry,
  type PeerMessageOf,
} from '../../protocol/peer.js';
import { sameMembers, type VersionedMembership } from '../../protocol/membership.js';
import { configurationView, isParticipant, learnerTypeIn, seenIn } from '../configuration.js';
import {
  decisionInEpoch,
  expectEvent,
  learnerOf,
  send,
  withEpochEnd,
  type LearnerState,
  type ReplicaContext,
  type ReplicaEffect,
  type ReplicaEvent,
  type Step,
} from '../replica-context.js';
import { epochOfZxid } from '../../protocol/zxid.js';
import { ackTarget } from './relaying.js';

function freshLearnerState(leaderId: number): LearnerState {
  return {
    leaderId,
    newEpoch: null,
    phaseTicks: 0,
    silentTicks: 0,
    syncCommittedZxid: 0,
    newLeaderZxid: null,
    newLeaderCoversZxid: 0,
    newLeaderAcked: false,
    upToDate: false,
    ackedZxid: 0,
    touches: [],
    designatedLeader: null,
    leaderConfig: null,
    relayId: null,
    acksDirect: false,
    relayAcks: [],
    relayFlushScheduled: false,
    pathChanged: false,
    appliedCommitZxid: 0,
    snapshotSource: null,
  };
}

/** COMMIT, or COMMITANDACTIVATE (a COMMIT that also activates the reconfig at its zxid). */
function committed(event: ReplicaEvent): { zxid: number } {
  if (event.type === 'peer.commitAndActivate') return event.message;
  return expectEvent(event, 'peer.commit').message;
}

/** INFORM, or INFORMANDACTIVATE (its reconfig txn also activates). */
function informed(event: ReplicaEvent): { txn: PeerMessageOf<'inform'>['txn'] } {
  if (event.type === 'peer.informAndActivate') return event.message;
  return expectEvent(event, 'peer.inform').message;
}


/**
 * The leader's configuration, when this learner should take it on UPTODATE: it is newer, or of
 * the same version and another view (only a starting configuration, version 0, can differ at one
 * version: a replica joining starts with the members plus itself). ZooKeeper's learner takes
 * NEWLEADER's configuration so.
 */
function leaderViewOf(
  context: ReplicaContext,
  config: VersionedMembership | null,
): VersionedMembership | null {
  if (config === null || config.version < context.config.version) return null;
  // A view of the same version is taken only when it differs in who is a member and in what
  // role (a spare that started from another list). One that differs only in addresses is not:
  // this replica's own addresses for its peers are how it reaches them (through a proxy, say).
  if (config.version === context.config.version && sameMembers(config, context.config)) {
    return null;
  }
  return config;
}

/**
 * The decision this learner answers lookers with, in the role it serves: the election may have
 * named it an observer while its learner type made it follow (or the reverse), and a looker
 * counts only a FOLLOWING answer toward the leader's quorum, as ZooKeeper's notifications carry
 * the peer's actual state. Answering "observing" while following kept a voter from ever joining
 * (simulator seed 304 with reconfig).
 */
function servingDecision(
  context: ReplicaContext,
  role: 'following' | 'observing',
): ReplicaContext['decision'] {
  const decision = decisionInEpoch(context);
  return decision === null ? null : { ...decision, role };
}

function withLearner(context: ReplicaContext, change: Partial<LearnerState>) {
  return { learner: { ...learnerOf(context), ...change } };
}

/** FOLLOWERINFO for a voter, OBSERVERINFO for an observer: the first packet to the leader. */
function learnerInfo(context: ReplicaContext, leaderId: number): ReplicaEffect {
  const type: 'followerInfo' | 'observerInfo' = isParticipant(context)
    ? 'followerInfo'
    : 'observerInfo';
  const protocolVersion = Math.min(context.protocolVersion, peerProtocolVersion);
  const info = { type, acceptedEpoch: context.acceptedEpoch, protocolVersion };
  return send(leaderId, info);
}

export const learnerActions = {
  startLearning: ((context) => {
    const leaderId = context.decision?.leaderId ?? 0;
    return {
      context: { leader: null, learner: freshLearnerState(leaderId), heldLearnerInfos: {} },
      effects: [
        { type: 'connectToLeader', params: { leaderId } },
        learnerInfo(context, leaderId),
      ],
    };
  }) as Step,
  /** A tick: count it; while LEADERINFO is outstanding, say FOLLOWERINFO again (the leader may
   * still have been looking when the first one arrived). */
  countLearnerTick: ((context) => {
    const learner = learnerOf(context);
    const phaseTicks = learner.phaseTicks + 1;
    const silentTicks = learner.silentTicks + 1;
    const resend = learner.newEpoch === null ? [learnerInfo(context, learner.leaderId)] : [];
    return { context: withLearner(context, { phaseTicks, silentTicks }), effects: resend };
  }) as Step,
  recordLeaderHeard: ((context) => ({ context: withLearner(context, { silentTicks: 0 }) })) as Step,
  /** Zab 1.2: a newer epoch is persisted as acceptedEpoch before it is acknowledged. */
  acceptLeaderInfo: ((context, event) => {
    const { newEpoch } = expectEvent(event, 'peer.leaderInfo').message;
    const effects: ReplicaEffect[] =
      newEpoch > context.acceptedEpoch
        ? [{ type: 'persistAcceptedEpoch', params: { epoch: newEpoch } }]
        : [];
    return { context: withLearner(context, { newEpoch }), effects };
  }) as Step,
  sendAckEpoch: ((context) => {
    const { currentEpoch, lastZxid } = context;
    const ackEpoch = { type: 'ackEpoch', currentEpoch, lastZxid } as const;
    return { effects: [send(learnerOf(context).leaderId, ackEpoch)] };
  }) as Step,
  /** DIFF: the stream that follows extends this log; it is committed up to `zxid`. */
  startDiff: ((context, event) => {
    const { zxid } = expectEvent(event, 'peer.diff').message;
    return { context: withLearner(context, { syncCommittedZxid: zxid }) };
  }) as Step,
  /** TRUNC: drop the tail the leader's history lacks; the point itself is on that history. */
  startTrunc: ((context, event) => {
    const { zxid } = expectEvent(event, 'peer.trunc').message;
    return {
      context: {
        ...withLearner(context, { syncCommittedZxid: zxid }),
        replacementsPending: context.replacementsPending + 1,
        lastZxid: zxid,
        firstZxid: zxid < context.firstZxid ? 0 : context.firstZxid,
        durableZxid: Math.min(context.durableZxid, zxid),
        epochEnds: context.epochEnds.filter((end) => end < zxid).concat(zxid > 0 ? [zxid] : []),
      },
      effects: [{ type: 'truncateLog', params: { zxid } }],
    };
  }) as Step,
  /** SNAP: the leader's tree replaces this one; the log restarts after `zxid`. */
  startSnap: ((context, event) => {
    const { zxid, snapshot } = expectEvent(event, 'peer.snap').message;
    return {
      context: {
        ...withLearner(context, { syncCommittedZxid: zxid }),
        replacementsPending: context.replacementsPending + 1,
        lastZxid: zxid,
        durableZxid: 0,
        firstZxid: zxid,
        epochEnds: [zxid],
      },
      effects: [{ type: 'loadSnapshot', params: { zxid, snapshot } }],
    };
  }) as Step,
  /** Proposals (sync stream or broadcast) are handed to the log; the ACK waits for durability. */
  logProposal: ((context, event) => {
    const { txns } = expectEvent(event, 'peer.proposal').message;
    const fresh = txns.filter((txn) => txn.zxid > context.lastZxid);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return {};
    return {
      context: {
        // A reconfig logged is seen: quorums count both configurations until it settles.
        ...seenIn(context, fresh),
        lastZxid: last.zxid,
        firstZxid: context.firstZxid === 0 ? fresh[0]!.zxid : context.firstZxid,
        epochEnds: withEpochEnd(context.epochEnds, last.zxid),
      },
      effects: [{ type: 'appendProposals', params: { txns: fresh } }],
    };
  }) as Step,
  /** An INFORM before UPTODATE (observers): logged now, applied with the stream on UPTODATE. */
  logSyncInform: ((context, event) => {
    const { txn } = informed(event);
    if (txn.zxid <= context.lastZxid) return {};
    const syncCommittedZxid = Math.max(learnerOf(context).syncCommittedZxid, txn.zxid);
    return {
      context: {
        ...withLearner(context, { syncCommittedZxid }),
        lastZxid: txn.zxid,
        firstZxid: context.firstZxid === 0 ? txn.zxid : context.firstZxid,
        epochEnds: withEpochEnd(context.epochEnds, txn.zxid),
      },
      effects: [{ type: 'appendProposals', params: { txns: [txn] } }],
    };
  }) as Step,
  /** A COMMIT inside the sync stream: applied on UPTODATE, when the leader is established. */
  recordSyncCommit: ((context, event) => {
    const { zxid } = committed(event);
    const syncCommittedZxid = Math.max(learnerOf(context).syncCommittedZxid, zxid);
    return { context: withLearner(context, { syncCommittedZxid }) };
  }) as Step,
  /**
   * COMMITANDACTIVATE / INFORMANDACTIVATE: the reconfig txn commits; who leads the new
   * configuration is kept for when the host reports it applied (`config.committed`).
   */
  recordDesignatedLeader: ((context, event) => {
    if (event.type !== 'peer.commitAndActivate' && event.type !== 'peer.informAndActivate') {
      return {};
    }
    return { context: withLearner(context, { designatedLeader: event.message.designatedLeader }) };
  }) as Step,
  /** Zab 2.1: NEWLEADER: persist currentEpoch = newEpoch; the ACK waits for it (and the log). */
  acceptNewLeader: ((context, event) => {
    const { zxid, config } = expectEvent(event, 'peer.newLeader').message;
    const epoch = epochOfZxid(zxid);
    const effects: ReplicaEffect[] =
      epoch > context.currentEpoch ? [{ type: 'persistCurrentEpoch', params: { epoch } }] : [];
    const change = {
      newLeaderZxid: zxid,
      newLeaderCoversZxid: context.lastZxid,
      leaderConfig: config ?? null,
    };
    return { context: withLearner(context, change), effects };
  }) as Step,
  sendNewLeaderAck: ((context) => {
    const learner = learnerOf(context);
    const ack = { type: 'ack', zxid: learner.newLeaderZxid ?? 0 } as const;
    const change = { newLeaderAcked: true, ackedZxid: learner.newLeaderCoversZxid };
    return { context: withLearner(context, change), effects: [send(learner.leaderId, ack)] };
  }) as Step,
  /** Zab 2.3: UPTODATE: everything the stream committed is applied, then this replica serves. */
  startServing: ((context) => {
    const learner = learnerOf(context);
    const state = isParticipant(context) ? 'following' : 'observing';
    const announcement = { state, leaderId: learner.leaderId, epoch: context.currentEpoch };
    const adopted = leaderViewOf(context, learner.leaderConfig);
    return {
      context: {
        ...withLearner(context, {
          upToDate: true,
          silentTicks: 0,
          appliedCommitZxid: learner.syncCommittedZxid,
        }),
        decision: servingDecision(context, state),
        ...(adopted === null
          ? {}
          : {
              ...configurationView(adopted, context.lastSeenConfig),
              learnerType: learnerTypeIn(adopted, context.myId, context.learnerType),
            }),
      },
      effects: [
        { type: 'applyCommitted', params: { zxid: learner.syncCommittedZxid } },
        { type: 'announceRole', params: { ...announcement, serving: true } },
        ...(adopted === null
          ? []
          : [{ type: 'activateConfig', params: { membership: adopted } } as const]),
      ],
    };
  }) as Step,
  /** The PING reply carries the sessions this replica's clients used (LearnerSessionTracker). */
  answerPing: ((context) => {
    const learner = learnerOf(context);
    return {
      context: withLearner(context, { touches: [] }),
      effects: [send(learner.leaderId, { type: 'ping', touches: learner.touches })],
    };
  }) as Step,
  recordSessionTouches: ((context, event) => {
    const { touches } = expectEvent(event, 'sessions.touched');
    const merged = new Map(learnerOf(context).touches.map((touch) => [touch.sessionId, touch]));
    for (const touch of touches) merged.set(touch.sessionId, touch);
    return { context: withLearner(context, { touches: [...merged.values()] }) };
  }) as Step,
  /** A sync goes to the leader, which answers once what it proposed before it is committed. */
  forwardSync: ((context, event) => {
    const { sessionId, cxid, path } = expectEvent(event, 'client.sync');
    const entry = { sessionId, cxid, body: { type: 'sync', path } } as const;
    return { effects: [send(learnerOf(context).leaderId, { type: 'request', requests: [entry] })] };
  }) as Step,
  /** A reconnecting client's session goes to the leader for its verdict (REVALIDATE). */
  forwardRevalidation: ((context, event) => {
    const { sessionId, timeoutMs } = expectEvent(event, 'client.revalidate');
    const message = { type: 'revalidate', sessionId, timeoutMs } as const;
    return { effects: [send(learnerOf(context).leaderId, message)] };
  }) as Step,
  acceptRevalidation: ((_context, event) => {
    const { sessionId, valid } = expectEvent(event, 'peer.revalidateResult').message;
    return { effects: [{ type: 'sessionRevalidated', params: { sessionId, valid } }] };
  }) as Step,
  /** The leader's SYNC: COMMITs travel before it on the same link, so all of it is applied. */
  answerSyncFromLeader: ((_context, event) => {
    const { sessionId, cxid, zxid } = expectEvent(event, 'peer.sync').message;
    return { effects: [{ type: 'answerSync', params: { sessionId, cxid, zxid } }] };
  }) as Step,
  /**
   * Writes, session lifecycle and rejected requests (error txns) go to the leader, which alone
   * orders txns (REQUEST). Only the leader's housekeeping (deleteContainer) and an operator's
   * restore, which the admin server runs on the leader alone, stay behind.
   */
  forwardRequest: ((context, event) => {
    const { requests } = expectEvent(event, 'client.requests');
    const forwarded: ForwardedRequestEntry[] = [];
    for (const { sessionId, cxid, body } of requests) {
      if (body.type !== 'deleteContainer' && body.type !== 'reconfig' &&
        body.type !== 'restore' && body.type !== 'restoreBegin' &&
        body.type !== 'restoreChunk' && body.type !== 'restoreEnd') {
        forwarded.push({ sessionId, cxid, body });
      }
    }
    if (forwarded.length === 0) return {};
    const leaderId = learnerOf(context).leaderId;
    return { effects: [send(leaderId, { type: 'request', requests: forwarded })] };
  }) as Step,
};

export const learnerAckActions = {
  /** Zab 3: the ACK, to the leader or (tree broadcast) to the relay the leader named. */
  ackDurableProposals: ((context) => {
    const zxid = context.durableZxid;
    return {
      context: withLearner(context, { ackedZxid: zxid }),
      effects: [send(ackTarget(context), { type: 'ack', zxid })],
    };
  }) as Step,
  /** Leaving for a new configuration: the next election starts with the designated leader. */
  rememberDesignatedLeader: ((context) => {
    const designated = learnerOf(context).designatedLeader;
    return designated === null || designated === context.myId
      ? {}
      : { context: { designatedLeader: designated } };
  }) as Step,
  applyCommit: ((context, event) => {
    const { zxid } = committed(event);
    const appliedCommitZxid = Math.max(learnerOf(context).appliedCommitZxid, zxid);
    return {
      context: withLearner(context, { appliedCommitZxid }),
      effects: [{ type: 'applyCommitted', params: { zxid } }],
    };
  }) as Step,
  /** INFORM (observers): a committed txn, logged and applied at once. */
  applyInform: ((context, event) => {
    const { txn } = informed(event);
    if (txn.zxid <= context.lastZxid) return {};
    return {
      context: {
        ...withLearner(context, { appliedCommitZxid: txn.zxid }),
        lastZxid: txn.zxid,
        firstZxid: context.firstZxid === 0 ? txn.zxid : context.firstZxid,
        epochEnds: withEpochEnd(context.epochEnds, txn.zxid),
      },
      effects: [
        { type: 'appendProposals', params: { txns: [txn] } },
        { type: 'applyCommitted', params: { zxid: txn.zxid } },
      ],
    };
  }) as Step,
};
