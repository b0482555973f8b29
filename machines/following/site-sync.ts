// Sync from the same site, the learners' side (leading/site-sync.ts is the leader's). A learner
// told SNAPFROM asks that follower of its site for its tree; the SNAP it gets is loaded as the
// leader's would be, and the learner says ACKEPOCH again with the snapshot's zxid, so the leader
// goes on with a DIFF from its log. Refused, cut off, overdue or rejected by the host's check
// (SNAPREFUSED), the learner says ACKEPOCH with its history unchanged and the leader sends the
// SNAP itself: one SNAPFROM per connection, so no loop. A follower serves its tree only while it
// is a synced follower in broadcast: what it has applied was committed, never a tail a TRUNC
// could take back.
import {
  expectEvent,
  learnerOf,
  send,
  type Check,
  type LearnerState,
  type ReplicaContext,
  type Step,
} from '../replica-context.js';

function withLearner(context: ReplicaContext, change: Partial<LearnerState>) {
  return { learner: { ...learnerOf(context), ...change } };
}

/** ACKEPOCH again: the leader plans this learner's sync anew from where its history ends. */
function ackEpochAgain(context: ReplicaContext, lastZxid: number) {
  const ackEpoch = { type: 'ackEpoch', currentEpoch: context.currentEpoch, lastZxid } as const;
  return send(learnerOf(context).leaderId, ackEpoch);
}

/** Ticks a fetch may take: it ends (one way or the other) before the leader is given up. */
export function snapshotFetchTicksMax(context: ReplicaContext): number {
  return Math.max(1, context.timing.initLimitTicks - 1);
}

export const siteSyncActions = {
  /** SNAPFROM: ask the follower; the phase's ticks count the fetch from now. */
  requestSiteSnapshot: ((context, event) => {
    const { peer } = expectEvent(event, 'peer.snapFrom').message;
    const epoch = learnerOf(context).newEpoch ?? 0;
    return {
      context: withLearner(context, { snapshotSource: peer, phaseTicks: 0 }),
      effects: [send(peer, { type: 'snapRequest', epoch })],
    };
  }) as Step,
  /** The follower's SNAP: loaded as a SNAP is; then ACKEPOCH with its zxid. */
  loadSiteSnapshot: ((context, event) => {
    const { zxid, snapshot } = expectEvent(event, 'peer.snap').message;
    return {
      context: {
        ...withLearner(context, { snapshotSource: null, phaseTicks: 0, syncCommittedZxid: zxid }),
        replacementsPending: context.replacementsPending + 1,
        lastZxid: zxid,
        durableZxid: 0,
        firstZxid: zxid,
        epochEnds: [zxid],
      },
      effects: [
        { type: 'loadSnapshot', params: { zxid, snapshot } },
        ackEpochAgain(context, zxid),
      ],
    };
  }) as Step,
  /** No snapshot from the follower: the leader sends its own (ACKEPOCH, history unchanged). */
  fallBackToLeader: ((context) => ({
    context: withLearner(context, { snapshotSource: null, phaseTicks: 0 }),
    effects: [ackEpochAgain(context, context.lastZxid)],
  })) as Step,
  /** A synced follower streams its tree, as of what it has applied, to the learner asking. */
  streamSnapshotToLearner: ((context, event) => {
    if (!('from' in event)) return {};
    const committedZxid = learnerOf(context).appliedCommitZxid;
    return { effects: [{ type: 'serveSnapshot', params: { to: event.from, committedZxid } }] };
  }) as Step,
  refuseSnapshot: ((_context, event) => {
    if (!('from' in event)) return {};
    return { effects: [send(event.from, { type: 'snapRefused' })] };
  }) as Step,
};

export const siteSyncGuards = {
  isFromSnapshotSource: ((context, event) =>
    'from' in event && event.from === context.learner?.snapshotSource) as Check,
  isSnapshotSourceDisconnected: ((context, event) =>
    event.type === 'peer.disconnected' && event.peer === context.learner?.snapshotSource) as Check,
  isSnapshotFetchOverdue: ((context) =>
    learnerOf(context).phaseTicks >= snapshotFetchTicksMax(context)) as Check,
  /**
   * Synced (UPTODATE) by the leader of the epoch the learner names, the one that sent it here:
   * this tree then holds only what that leader committed, so the learner's ACKEPOCH after it
   * is answered with a DIFF, never a TRUNC. (A follower already under a newer leader could hold
   * what the older one, still believing it leads, would truncate.)
   */
  canServeSnapshot: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.snapRequest');
    const learner = context.learner;
    return learner !== null && learner.upToDate && from !== learner.leaderId &&
      learner.newEpoch === message.epoch;
  }) as Check,
};
