// The replica machine's setup(): the effects every world must provide (defaults throw), the role
// steps turned into named actions, the guards, the tick delay and the invoked election. Role files
// build their state charts against this setup (createStateConfig); replica.ts assembles them.
import { enqueueActions, sendParent, sendTo, setup } from 'xstate';
import type { Notification, ServerId } from '../protocol/peer.js';
import { electionMachine, settledNotification } from './election.js';
import { learnerAckActions, learnerActions } from './following/learner.js';
import { learnerGuards } from './following/learner-guards.js';
import { siteSyncActions, siteSyncGuards } from './following/site-sync.js';
import {
  followerRelayingActions,
  followerRelayingGuards,
  takeRelayedMessage,
} from './following/relaying.js';
import { relayingActions } from './leading/relaying.js';
import { broadcastActions, broadcastGuards } from './leading/broadcast.js';
import { discoveryActions, discoveryGuards } from './leading/discovery.js';
import {
  synchronizationActions,
  synchronizationGuards,
} from './leading/synchronization.js';
import {
  expectEvent,
  send,
  type Check,
  type ReplicaContext,
  type ReplicaEffect,
  type ReplicaEvent,
  type ReplicaInput,
  type Step,
} from './replica-context.js';
import { notProvided } from './effects.js';
import { configurationView, forgetSeenAfter, learnerTypeIn } from './configuration.js';
import {
  memberIdsOf,
  membershipText,
  type VersionedMembership,
} from '../protocol/membership.js';
import { readOnlyGraceMs, readOnlySteps } from './read-only.js';

/** The replica's host effects, typed by what each ReplicaEffect carries. */
function notProvidedEffect<Type extends ReplicaEffect['type']>(name: Type) {
  return notProvided<EffectParams<Type>>('replica', name);
}

type EffectParams<Type extends ReplicaEffect['type']> = Extract<
  ReplicaEffect,
  { type: Type }
>['params'];

type MachineArguments = { context: ReplicaContext; event: ReplicaEvent };
type NamedAction = (arguments_: MachineArguments) => void;

/** A pure step as an action: its context patch first, then its effects in order. */
function toAction(step: Step): NamedAction {
  return enqueueActions(({ context, event, enqueue }) => {
    const result = step(context as ReplicaContext, event as ReplicaEvent);
    if (result.context !== undefined) enqueue.assign(result.context);
    for (const effect of result.effects ?? []) enqueue(effect);
  }) as unknown as NamedAction;
}

function toActions<Name extends string>(steps: Record<Name, Step>): Record<Name, NamedAction> {
  const entries = Object.entries(steps) as Array<[Name, Step]>;
  return Object.fromEntries(entries.map(([name, step]) => [name, toAction(step)])) as Record<
    Name,
    NamedAction
  >;
}

function toGuards<Name extends string>(checks: Record<Name, Check>) {
  const entries = Object.entries(checks) as Array<[Name, Check]>;
  const guards = entries.map(([name, check]) => [
    name,
    ({ context, event }: MachineArguments) => check(context, event),
  ]);
  return Object.fromEntries(guards) as Record<Name, (arguments_: MachineArguments) => boolean>;
}

/**
 * A TRUNC or SNAP is durable (storage completes requests in order): the log now ends at `zxid`,
 * and once none is pending it is what this replica logged (durable through that point).
 */
function replacementDone(context: ReplicaContext, zxid: number): Partial<ReplicaContext> {
  return {
    durableZxid: Math.min(zxid, context.lastZxid),
    replacementsPending: Math.max(0, context.replacementsPending - 1),
  };
}

/** Steps of the replica itself: looking, durability bookkeeping, answering lookers. */
const replicaSteps = {
  /**
   * A committed configuration newer than the active one becomes active: who votes and how they
   * count follow it (the leader activated its own at commit; its host's report is older news).
   */
  adoptConfig: ((context, event) => {
    const { membership } = expectEvent(event, 'config.committed');
    if (membership.version <= context.config.version) return {};
    return {
      context: {
        ...configurationView(membership, context.lastSeenConfig),
        learnerType: learnerTypeIn(membership, context.myId, context.learnerType),
      },
    };
  }) as Step,
  enterLooking: ((context) => ({
    context: { leader: null, learner: null, heldLearnerInfos: {} },
    effects: [
      {
        type: 'announceRole',
        params: { state: 'looking', leaderId: null, epoch: context.currentEpoch, serving: false },
      },
    ],
  })) as Step,
  relayNotification: ((context, event) => {
    const { to, notification } = expectEvent(event, 'election.sendNotification');
    return { effects: [send(to, withConfig(context, notification))] };
  }) as Step,
  relayBroadcast: ((context, event) => {
    const { notification } = expectEvent(event, 'election.broadcastNotification');
    const peers = context.voters.filter((voter) => voter !== context.myId);
    const sent = withConfig(context, notification);
    return { effects: peers.map((peer) => send(peer, sent)) };
  }) as Step,
  /** ZooKeeper's WorkerReceiver: a settled replica tells a looking one whom it follows. */
  answerLookingPeer: ((context, event) => {
    const { from } = expectEvent(event, 'peer.notification');
    if (context.decision === null) return {};
    return { effects: [send(from, withConfig(context, settledNotification(context.decision)))] };
  }) as Step,
  /**
   * A looking replica hears of a newer configuration, active at a member of its own: it missed
   * the reconfig (down or cut off when it committed). It adopts it and looks again under it, as
   * ZooKeeper's FastLeaderElection does with the configuration a notification carries.
   */
  adoptNotifiedConfig: ((context, event) => {
    const { message } = expectEvent(event, 'peer.notification');
    const membership = message.config;
    if (membership === undefined) return {};
    return {
      context: {
        ...configurationView(membership, context.lastSeenConfig),
        learnerType: learnerTypeIn(membership, context.myId, context.learnerType),
      },
      effects: [{ type: 'activateConfig', params: { membership } }],
    };
  }) as Step,
  recordAppended: ((context, event) => {
    const { zxid } = expectEvent(event, 'storage.appended');
    // An append queued before a TRUNC or SNAP may report after it: it is gone, ignore it.
    if (zxid > context.lastZxid || zxid <= context.durableZxid) return {};
    return { context: { durableZxid: zxid } };
  }) as Step,
  recordEpochPersisted: ((context, event) => {
    const { kind, epoch } = expectEvent(event, 'storage.epochPersisted');
    if (kind === 'accepted') {
      return { context: { acceptedEpoch: Math.max(context.acceptedEpoch, epoch) } };
    }
    return { context: { currentEpoch: Math.max(context.currentEpoch, epoch) } };
  }) as Step,
  recordTruncated: ((context, event) => {
    const { zxid } = expectEvent(event, 'storage.truncated');
    return { context: { ...replacementDone(context, zxid), ...forgetSeenAfter(context, zxid) } };
  }) as Step,
  holdLearnerInfo: ((context, event) => {
    if (event.type !== 'peer.followerInfo' && event.type !== 'peer.observerInfo') return {};
    return { context: { heldLearnerInfos: { ...context.heldLearnerInfos, [event.from]: event } } };
  }) as Step,
  recordPurged: ((_context, event) => ({
    context: { firstZxid: expectEvent(event, 'storage.purged').firstZxid },
  })) as Step,
  recordSnapshotLoaded: ((context, event) => {
    const { zxid } = expectEvent(event, 'storage.snapshotLoaded');
    return { context: { ...replacementDone(context, zxid), ...forgetSeenAfter(context, zxid) } };
  }) as Step,
};

/**
 * A notification carries the sender's active configuration once a reconfig made one, or while
 * it has seen one (then every peer speaks the reconfig protocol): a replica joining with its own
 * starting view (the members plus itself) learns the ensemble's (see isJoinerView).
 */
function withConfig(context: ReplicaContext, notification: Notification): Notification {
  return context.config.version > 0 || context.lastSeenConfig !== null
    ? { ...notification, config: context.config }
    : notification;
}

/**
 * A starting configuration (version 0) from a member, other than this replica's own in that it
 * does not list this replica while its own does: this replica is a joiner that started with the
 * members plus itself, and the ensemble's view is the members'. It takes that view, as it does
 * from its leader's NEWLEADER (a restart brings back its own, which zoo.cfg keeps), so that it
 * does not hold out as a candidate nobody else can back: with a reconfig adding it seen by the
 * others and their leader gone, their quorum needs its vote (simulator seed 7632 with reconfig).
 */
function isJoinerView(context: ReplicaContext, from: number, config: VersionedMembership): boolean {
  if (config.version !== 0 || context.config.version !== 0) return false;
  const listed = (membership: VersionedMembership) =>
    membership.servers.some((server) => server.id === context.myId);
  return memberIdsOf(context.config).includes(from) && listed(context.config) &&
    !listed(config) && membershipText(config) !== membershipText(context.config);
}

const replicaGuards = {
  /** A committed configuration newer than the active one (adoptConfig will take it). */
  isNewerCommittedConfig: ((context, event) =>
    event.type === 'config.committed' &&
    event.membership.version > context.config.version) as Check,
  /**
   * A newer configuration in a notification from a member of this replica's active one or of
   * the one it has seen (ZooKeeper's getCurrentAndNextConfigVoters): a voter that only the seen
   * reconfig adds may be the one that has it active, when the rest of the replicas that did
   * are gone (simulator seed 1078 with reconfig, its leader's log corrupt).
   */
  carriesNewerConfig: ((context, event) => {
    if (event.type !== 'peer.notification' || event.message.config === undefined) return false;
    const config = event.message.config;
    if (isJoinerView(context, event.from, config)) return true;
    return config.version > context.config.version &&
      (memberIdsOf(context.config).includes(event.from) ||
        (context.lastSeenConfig !== null &&
          memberIdsOf(context.lastSeenConfig).includes(event.from)));
  }) as Check,
  /** Only voters answer: an observer's vote counts for nobody, and a voter that is looking
   * answers every observer notification, so two answering each other would never stop. */
  isFromLookingPeer: ((context, event) =>
    context.voters.includes(context.myId) &&
    event.type === 'peer.notification' &&
    event.message.state === 'looking' &&
    context.decision !== null) as Check,
  isLeadingDecision: ((context) => context.decision?.role === 'leading') as Check,
  /** Observing: the election made it a non-voter, and no configuration made it a participant. */
  isObservingDecision: ((context) =>
    context.decision?.role === 'observing' && context.learnerType !== 'participant') as Check,
  isReadOnlyModeEnabled: ((context) => context.readOnlyModeEnabled) as Check,
};

/** The election's effects come back to the replica as events; it performs them. */
export const electionActor = electionMachine.provide({
  actions: {
    sendNotification: sendParent(
      (_arguments, params: { to: ServerId; notification: Notification }) => ({
        type: 'election.sendNotification',
        ...params,
      }),
    ) as never,
    broadcastNotification: sendParent((_arguments, params: { notification: Notification }) => ({
      type: 'election.broadcastNotification',
      ...params,
    })) as never,
    // The decision reaches the replica as the election's output (onDone).
    decide: () => undefined,
  },
});

export const replicaSetup = setup({
  types: {} as { context: ReplicaContext; events: ReplicaEvent; input: ReplicaInput },
  actors: { election: electionActor },
  actions: {
    /** Send one peer message (the host encodes it and queues it on the connection). */
    sendPeerMessage: notProvidedEffect('sendPeerMessage'),
    /** Open (or reuse) the quorum connection to the elected leader. */
    connectToLeader: notProvidedEffect('connectToLeader'),
    /** Make acceptedEpoch durable; completes with `storage.epochPersisted` 'accepted'. */
    persistAcceptedEpoch: notProvidedEffect('persistAcceptedEpoch'),
    /** Make currentEpoch durable; completes with `storage.epochPersisted` 'current'. */
    persistCurrentEpoch: notProvidedEffect('persistCurrentEpoch'),
    /** Queue txns on the log, in zxid order; completes with `storage.appended`. */
    appendProposals: notProvidedEffect('appendProposals'),
    /** Drop logged txns after zxid (and undo them in the tree); completes `storage.truncated`. */
    truncateLog: notProvidedEffect('truncateLog'),
    /** Replace tree and log with the leader's snapshot; completes `storage.snapshotLoaded`. */
    loadSnapshot: notProvidedEffect('loadSnapshot'),
    /** Apply every logged txn up to zxid not yet applied, in zxid order. */
    applyCommitted: notProvidedEffect('applyCommitted'),
    /** Leader: DIFF/TRUNC/SNAP and the log after it to one learner (see SyncStreamParams). */
    sendSyncStream: notProvidedEffect('sendSyncStream'),
    /** Follower: stream its tree to a learner of its site (sync from the same site). */
    serveSnapshot: notProvidedEffect('serveSnapshot'),
    /** Leader: a learner's REQUEST into the leader pipeline, back as `client.requests`. */
    acceptForwardedRequests: notProvidedEffect('acceptForwardedRequests'),
    /** What this replica now is, for srvr/stat and request routing. */
    announceRole: notProvidedEffect('announceRole'),
    /** Leader: restart the expiry timers of sessions a learner's clients are using. */
    touchSessions: notProvidedEffect('touchSessions'),
    /** Answer a client's sync on this replica (everything through zxid is applied here). */
    answerSync: notProvidedEffect('answerSync'),
    /** Leader: check a learner's reconnecting session; the host answers `sessions.revalidated`. */
    revalidateSession: notProvidedEffect('revalidateSession'),
    /** Learner: complete a reconnecting client's handshake with the leader's verdict. */
    sessionRevalidated: notProvidedEffect('sessionRevalidated'),
    /** A configuration the machine adopted outside a txn (a notification's): the host's too. */
    activateConfig: notProvidedEffect('activateConfig'),
    forwardNotification: sendTo('election', ({ event }) => {
      const { from, message } = expectEvent(event, 'peer.notification');
      return { type: 'peer.notification', from, notification: message };
    }),
    forwardConnected: sendTo('election', ({ event }) => event),
    /** Tree broadcast: the leader's message a RELAY or RELAYED carries, handled next. */
    takeRelayedMessage: takeRelayedMessage as never,
    /** Relay: deliver `relay.flush` after this turn (its batch of ACKs goes then). */
    scheduleRelayFlush: notProvidedEffect('scheduleRelayFlush'),
    ...toActions(replicaSteps),
    ...toActions(readOnlySteps),
    ...toActions(discoveryActions),
    ...toActions(synchronizationActions),
    ...toActions(broadcastActions),
    ...toActions(learnerActions),
    ...toActions(learnerAckActions),
    ...toActions(siteSyncActions),
    ...toActions(relayingActions),
    ...toActions(followerRelayingActions),
  },
  guards: {
    ...toGuards(replicaGuards),
    ...toGuards(discoveryGuards),
    ...toGuards(synchronizationGuards),
    ...toGuards(broadcastGuards),
    ...toGuards(learnerGuards),
    ...toGuards(siteSyncGuards),
    ...toGuards(followerRelayingGuards),
  },
  delays: {
    tick: ({ context }) => context.timing.tickMs,
    readOnlyGrace: ({ context }) => readOnlyGraceMs(context.timing.tickMs),
  },
});

export type ReplicaSetup = typeof replicaSetup;
