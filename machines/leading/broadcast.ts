// Leading, Zab phase 3 (broadcast): order each request as a txn with the next zxid, PROPOSAL to
// followers and the leader's own log; COMMIT (INFORM to observers) and apply, in zxid order, once
// a quorum has the proposal durable. PING every tick; a quorum silent for syncLimit → looking.
import type { PeerMessage, ServerId } from '../../protocol/peer.js';
import {
  expectEvent,
  leaderOf,
  send,
  type Check,
  type ForwardedTxnRequest,
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
import { containsQuorum, membershipRule, weightOf } from '../quorum.js';
import { configurationView, learnerTypeIn, seenIn } from '../configuration.js';
import { nextProposalZxid } from '../zab-rules.js';
import { designatedLeaderOf, quorumCommittedZxid, resolveReconfigRequest } from './reconfig.js';
import { counterOfZxid, makeZxid, zxidCounterMax } from '../../protocol/zxid.js';
import { learnersAtLeast, sendToAll, withoutLearner } from './learners.js';
import { replanRelays, sendAlongPaths, withLagCounted } from './relaying.js';

/** The zxid the proposal after `lastZxid` gets: the counter restarts at 1 in every new epoch. */
function nextZxidOf(lastZxid: number, leader: LeaderState) {
  return nextProposalZxid(Math.max(lastZxid, makeZxid(leader.newEpoch ?? 0, 0)));
}


/**
 * The answer to a sync: SYNC to the learner holding the session (along the path its COMMITs
 * take, so it arrives after them), or the leader's own.
 */
function syncAnswer(
  context: ReplicaContext,
  leader: LeaderState,
  sync: PendingSync,
  zxid: number,
): ReplicaEffect[] {
  const { sessionId, cxid } = sync;
  return sync.from === context.myId
    ? [{ type: 'answerSync', params: { sessionId, cxid, zxid } }]
    : sendAlongPaths(leader, [sync.from], { type: 'sync', sessionId, cxid, zxid });
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
    return { effects: syncAnswer(context, leader, sync, leader.committedZxid) };
  }
  return { context: { leader: { ...leader, pendingSyncs: [...leader.pendingSyncs, sync] } } };
}

const broadcastActions = {
  /**
   * Zab 3.1: new proposals, one per request in arrival order, logged by the leader too (its
   * durability is its own ACK) and sent to every follower as one PROPOSAL batch.
   */
  proposeTxns: ((context, event) => {
    const { requests, digest } = expectEvent(event, 'client.requests');
    let leader = leaderOf(context);
    const txns: Txn[] = [];
    let lastZxid = context.lastZxid;
    for (const { sessionId, cxid, time, body: asked } of requests) {
      const zxid = nextZxidOf(lastZxid, leader);
      if (zxid === 'newEpochRequired') throw new Error('replica machine: counter spent');
      let body: Txn['body'];
      if (asked.type === 'reconfigRequest') {
        // Resolved here, against the leader's own view: who is synced, what is in flight.
        const resolved = resolveReconfigRequest(context, leader, asked, zxid);
        body = resolved.body;
        if (resolved.reconfig !== undefined) leader = { ...leader, reconfig: resolved.reconfig };
      } else {
        body = asked;
      }
      // ZooKeeper stamps a TxnDigest into every txn; followers compare it as they apply.
      txns.push(digest === undefined
        ? { zxid, time, sessionId, cxid, body }
        : { zxid, time, sessionId, cxid, body, digest });
      lastZxid = zxid;
    }
    if (txns.length === 0) return {};
    const followers = learnersAtLeast(leader, 'newLeaderSent', 'follower');
    // A reconfig goes to every follower directly, as does all that follows until it settles.
    const replanned = leader.reconfig !== null && Object.keys(leader.relayPaths).length > 0
      ? replanRelays(context, leader)
      : { leader, effects: [] };
    leader = replanned.leader;
    const reconfig = leader.reconfig;
    // A reconfig just proposed is seen: the leader counts both configurations from now on.
    const seen = reconfig !== null && reconfig.throughZxid === null
      ? seenIn(context, txns.filter((txn) => txn.zxid === reconfig.zxid))
      : null;
    return {
      context: {
        ...seen,
        leader: { ...leader, outstanding: leader.outstanding.concat(txns) },
        lastZxid,
        firstZxid: context.firstZxid === 0 ? txns[0]!.zxid : context.firstZxid,
        epochEnds: withEpochEnd(context.epochEnds, lastZxid),
      },
      effects: [
        ...replanned.effects,
        { type: 'appendProposals', params: { txns } },
        ...sendAlongPaths(leader, followers, { type: 'proposal', txns }),
      ],
    };
  }) as Step,
  /**
   * Zab 3.2: commit, in zxid order, every outstanding proposal a quorum has durable. A pending
   * reconfig ends the batch: it commits alone as COMMITANDACTIVATE (INFORMANDACTIVATE to
   * observers), and the new configuration is active from then on (ZooKeeper's tryToCommit).
   */
  commitProposals: ((context) => {
    const leader = leaderOf(context);
    const committed = quorumCommittedZxid(context, leader);
    const pending = leader.reconfig?.throughZxid === null ? leader.reconfig : null;
    const ready = leader.outstanding.filter((txn) =>
      txn.zxid <= committed && (pending === null || txn.zxid <= pending.zxid));
    const followers = learnersAtLeast(leader, 'newLeaderSent', 'follower');
    const observers = learnersAtLeast(leader, 'newLeaderSent', 'observer');
    const last = ready[ready.length - 1]?.zxid ?? leader.committedZxid;
    const activating = pending !== null && last === pending.zxid ? pending : null;
    const designatedLeader = activating === null
      ? null
      : designatedLeaderOf(context, leader, activating);
    // One COMMIT covers every proposal up to it: a follower has logged them all, in order, and
    // applies them all (what ZooKeeper sends as one COMMIT per proposal, coalesced).
    const commit: PeerMessage = designatedLeader === null
      ? { type: 'commit', zxid: last }
      : { type: 'commitAndActivate', zxid: last, designatedLeader };
    const commitEffects = commit.type === 'commit'
      ? sendAlongPaths(leader, followers, commit)
      : sendToAll(followers, commit);
    const effects: ReplicaEffect[] = [
      ...(ready.length === 0 ? [] : commitEffects),
      ...ready.flatMap((txn) => designatedLeader !== null && txn.zxid === last
        ? sendToAll(observers, { type: 'informAndActivate', txn, designatedLeader })
        : sendAlongPaths(leader, observers, { type: 'inform', txn })),
      { type: 'applyCommitted', params: { zxid: last } },
    ];
    const outstanding = leader.outstanding.slice(ready.length);
    const released = leader.pendingSyncs.filter((sync) => sync.afterZxid <= last);
    const pendingSyncs = leader.pendingSyncs.filter((sync) => sync.afterZxid > last);
    effects.push(...released.flatMap((sync) => syncAnswer(context, leader, sync, last)));
    let reconfig = leader.reconfig;
    if (activating !== null) reconfig = { ...activating, throughZxid: context.lastZxid };
    if (reconfig?.throughZxid != null && last >= reconfig.throughZxid) reconfig = null;
    const settled = { ...leader, outstanding, committedZxid: last, pendingSyncs, reconfig };
    if (activating === null || designatedLeader === null) {
      return { context: { leader: settled }, effects };
    }
    return {
      context: {
        leader: settled,
        ...configurationView({ ...activating.membership, version: activating.zxid }, null,
          activating.newQuorum),
        learnerType: learnerTypeIn({ ...activating.membership, version: activating.zxid },
          context.myId, context.learnerType),
        designatedLeader: designatedLeader === context.myId ? null : designatedLeader,
      },
      effects,
    };
  }) as Step,
  acceptLocalSync: ((context, event) => {
    const { sessionId, cxid } = expectEvent(event, 'client.sync');
    return acceptSyncFrom(context, context.myId, sessionId, cxid);
  }) as Step,
  /**
   * A learner's REQUEST: its writes and session requests go through the runtime's leader
   * pipeline (which stamps the time) as one batch; a sync waits for what was proposed before it.
   */
  acceptRequests: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.request');
    const requests: ForwardedTxnRequest[] = [];
    let current = context;
    const effects: ReplicaEffect[] = [];
    for (const entry of message.requests) {
      if (entry.body.type !== 'sync') {
        requests.push(entry as ForwardedTxnRequest);
        continue;
      }
      const synced = acceptSyncFrom(current, from, entry.sessionId, entry.cxid);
      current = { ...current, ...synced.context };
      effects.push(...(synced.effects ?? []));
    }
    if (requests.length > 0) {
      effects.unshift({ type: 'acceptForwardedRequests', params: { from, requests } });
    }
    return { context: { leader: current.leader }, effects };
  }) as Step,
  /** ZooKeeper's REVALIDATE: the leader's session table decides (the host looks it up). */
  checkRevalidation: ((_context, event) => {
    const { from, message } = expectEvent(event, 'peer.revalidate');
    const { sessionId, timeoutMs } = message;
    return { effects: [{ type: 'revalidateSession', params: { from, sessionId, timeoutMs } }] };
  }) as Step,
  answerRevalidation: ((_context, event) => {
    const { to, sessionId, valid } = expectEvent(event, 'sessions.revalidated');
    return { effects: [send(to, { type: 'revalidateResult', sessionId, valid })] };
  }) as Step,
  /** A learner's PING reply lists the sessions its clients used: they stay alive here. */
  touchLearnerSessions: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.ping');
    const { touches } = message;
    if (touches.length === 0 || !isSyncedLearner(leaderOf(context), from)) return {};
    return { effects: [{ type: 'touchSessions', params: { touches } }] };
  }) as Step,
  /**
   * Each tick: age every learner's silence and, once established, PING the synced ones (always
   * directly: it is how each learner and the leader know the other is there). In broadcast the
   * relay plan is kept: who lags, which relays to use (leading/relaying.ts).
   */
  countLeaderTick: ((context) => {
    const leader = leaderOf(context);
    const learners = Object.fromEntries(
      Object.entries(leader.learners).map(([id, learner]) => [
        id,
        { ...learner, silentTicks: learner.silentTicks + 1 },
      ]),
    );
    const pinged = leader.established ? learnersAtLeast(leader, 'newLeaderSent') : [];
    const aged = { ...leader, learners, phaseTicks: leader.phaseTicks + 1 };
    const planned = leader.established
      ? replanRelays(context, withLagCounted(context, aged))
      : { leader: aged, effects: [] };
    return {
      context: { leader: planned.leader },
      effects: [...sendToAll(pinged, { type: 'ping', touches: [] }), ...planned.effects],
    };
  }) as Step,
  /**
   * The configuration this leader's own history committed (a reconfig a previous leader logged)
   * leaves it without a vote: it names the new voter that acknowledged the most as successor.
   */
  designateSuccessor: ((context) => {
    const leader = leaderOf(context);
    let best: { id: ServerId; zxid: number } | undefined;
    for (const [key, zxid] of Object.entries(leader.ackedZxidByServer)) {
      const id = Number(key);
      if (weightOf(context.quorum, id) === 0) continue;
      if (best === undefined || zxid > best.zxid || (zxid === best.zxid && id < best.id)) {
        best = { id, zxid };
      }
    }
    return best === undefined ? {} : { context: { designatedLeader: best.id } };
  }) as Step,
  /** A learner's link broke: it is forgotten, and the followers it relayed to are sent to
   * directly (or through another relay of their site) from now on. */
  dropLearner: ((context, event) => {
    const { peer } = expectEvent(event, 'peer.disconnected');
    const leader = withoutLearner(leaderOf(context), peer);
    if (!leader.established) return { context: { leader } };
    const planned = replanRelays(context, leader);
    return { context: { leader: planned.leader }, effects: planned.effects };
  }) as Step,
};

/** True when `from` is a learner this leader synced (UPTODATE sent) in its current epoch. */
function isSyncedLearner(leader: LeaderState, from: ServerId): boolean {
  return leader.learners[from]?.phase === 'upToDate';
}

const broadcastGuards = {
  /** A newer committed configuration in which this leader has no vote (see designateSuccessor). */
  leavesLeadership: ((context, event) => {
    const { membership } = expectEvent(event, 'config.committed');
    return membership.version > context.config.version &&
      weightOf(membershipRule(membership), context.myId) === 0;
  }) as Check,
  /**
   * The configuration just activated moved leadership elsewhere: this leader commits nothing
   * more (ZooKeeper's allowedToCommit = false) and looks, voting for the successor it named.
   */
  isHandingOver: ((context) => context.designatedLeader !== null) as Check,
  isFromSyncedLearner: ((context, event) =>
    'from' in event && isSyncedLearner(leaderOf(context), event.from)) as Check,
  hasCommittableProposal: ((context) => {
    const leader = leaderOf(context);
    const first = leader.outstanding[0];
    return first !== undefined && quorumCommittedZxid(context, leader) >= first.zxid;
  }) as Check,
  /**
   * ZooKeeper's XidRolloverException: the counter cannot number every request of the batch, so
   * a new epoch must start (the batch's clients see ConnectionLoss, as with ZooKeeper).
   */
  isZxidCounterSpent: ((context, event) => {
    const { requests } = expectEvent(event, 'client.requests');
    const leader = leaderOf(context);
    const first = nextZxidOf(context.lastZxid, leader);
    if (first === 'newEpochRequired') return true;
    return counterOfZxid(first) + requests.length - 1 > zxidCounterMax;
  }) as Check,
  /**
   * Before establishment discovery plus synchronization get initLimit ticks; after it the
   * leader needs a quorum of synced learners heard from within syncLimit ticks. Observers
   * count where the configuration makes them voters (ZooKeeper's leader counts every synced
   * learner handler the configuration lists): one that a reconfig committed with this
   * leadership's history turned into a voter is on its way back as a follower, and leaving
   * leadership for it put the ensemble through an election it could not win (seed 625).
   */
  isLeaderTimedOut: ((context) => {
    const leader = leaderOf(context);
    const { initLimitTicks, syncLimitTicks } = context.timing;
    if (!leader.established) return leader.phaseTicks >= initLimitTicks;
    const alive = learnersAtLeast(leader, 'newLeaderAcked').filter(
      (id) => (leader.learners[id]?.silentTicks ?? Infinity) < syncLimitTicks,
    );
    return !containsQuorum(context.quorum, [context.myId, ...alive]);
  }) as Check,
};

export { broadcastActions, broadcastGuards };

export function broadcastState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    on: {
      'client.requests': [
        { guard: 'isZxidCounterSpent', target: '#replica.looking' },
        { actions: 'proposeTxns' },
      ],
      'client.sync': { actions: 'acceptLocalSync' },
      'peer.ack': { actions: 'recordAck' },
      // Tree broadcast: a relay's batch of its site's ACKs (leading/relaying.ts).
      'peer.relayAcks': { actions: 'acceptRelayedAcks' },
      // Only from learners this leader brought up to date in its epoch: a replica that still
      // follows an earlier epoch of this leader (paused through the election) must not have a
      // sync answered from this epoch's history, which it lacks (found by the simulator: seed
      // 104891, a stale read after sync), and a peer nobody synced may not write.
      'peer.request': { guard: 'isFromSyncedLearner', actions: 'acceptRequests' },
      'peer.revalidate': { guard: 'isFromSyncedLearner', actions: 'checkRevalidation' },
      'sessions.revalidated': { actions: 'answerRevalidation' },
    },
    always: [
      { guard: 'isHandingOver', target: '#replica.looking' },
      { guard: 'hasCommittableProposal', actions: 'commitProposals' },
    ],
  });
}
