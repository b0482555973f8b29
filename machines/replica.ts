// A corral replica as one machine whose top states are Zab's server states: looking (fast leader
// election), leading, following and observing, each role in its own file. Any failure — timeout,
// lost quorum or leader, refused epoch, zxid rollover — returns to looking. See machines/README.md.
import { assign, type SnapshotFrom } from 'xstate';
import type { ElectionInput } from './election.js';
import { followingState } from './following/following.js';
import { observingState } from './following/observing.js';
import { leadingState } from './leading/leading.js';
import { lookingServiceStates } from './read-only.js';
import {
  replicaTimingDefaults,
  type ReplicaContext,
  type ReplicaInput,
} from './replica-context.js';
import { replicaSetup } from './replica-setup.js';
import { quorumRuleOf, votersOf } from './quorum.js';
import { activeRuleOf, configurationView, learnerTypeIn } from './configuration.js';
import { membershipOfIds, participantsOf } from '../protocol/membership.js';
import { peerProtocolVersion } from '../protocol/peer.js';

export function initialReplicaContext(input: ReplicaInput): ReplicaContext {
  const epochEnds = input.epochEnds ?? (input.lastZxid > 0 ? [input.lastZxid] : []);
  const quorum = quorumRuleOf(input.voters, input.quorum);
  const config = input.membership ?? { ...membershipOfIds(votersOf(quorum)), version: 0 };
  if (input.membership !== undefined) {
    // One source of who votes: the membership must name the voters the rule counts.
    const named = participantsOf(input.membership).join(',');
    if (named !== votersOf(quorum).join(',')) {
      throw new Error(`replica machine: membership voters ${named} differ from the rule's`);
    }
  }
  return {
    myId: input.myId,
    ...configurationView(config, input.lastSeenMembership ?? null, quorum),
    learnerType: learnerTypeIn(config, input.myId,
      votersOf(quorum).includes(input.myId) ? 'participant' : 'observer'),
    standaloneEnabled: input.standaloneEnabled ?? true,
    protocolVersion: input.protocolVersion ?? peerProtocolVersion,
    designatedLeader: null,
    timing: { ...replicaTimingDefaults, ...input.timing },
    electionTiming: input.electionTiming ?? {},
    readOnlyModeEnabled: input.readOnlyModeEnabled ?? false,
    treeBroadcast: input.treeBroadcast ?? true,
    treeBroadcastDirectAcks: input.treeBroadcastDirectAcks ?? true,
    siteSync: input.siteSync ?? true,
    acceptedEpoch: input.acceptedEpoch,
    currentEpoch: input.currentEpoch,
    lastZxid: input.lastZxid,
    durableZxid: input.lastZxid,
    replacementsPending: 0,
    firstZxid: input.firstZxid,
    epochEnds: [...epochEnds],
    lastRound: 0,
    epochFloor: 0,
    decision: null,
    leader: null,
    learner: null,
    heldLearnerInfos: {},
  };
}

function electionInputOf(context: ReplicaContext): ElectionInput {
  const designated = context.designatedLeader;
  return {
    // A committed reconfig named the successor: vote for it first (see designatedLeader).
    ...(designated === null
      ? {}
      : {
          initialVote: {
            leaderId: designated,
            zxid: Math.max(context.lastZxid, context.config.version),
            peerEpoch: context.currentEpoch,
          },
        }),
    myId: context.myId,
    voters: context.voters,
    quorum: context.quorum,
    candidates: activeRuleOf(context),
    lastZxid: context.lastZxid,
    currentEpoch: context.currentEpoch,
    lastRound: context.lastRound,
    timing: context.electionTiming,
  };
}

export const replicaMachine = replicaSetup.createMachine({
  id: 'replica',
  context: ({ input }) => initialReplicaContext(input),
  initial: 'looking',
  // Durability arrives in every state (an append queued while following may finish later).
  on: {
    'peer.notification': { guard: 'isFromLookingPeer', actions: 'answerLookingPeer' },
    'storage.appended': { actions: 'recordAppended' },
    'storage.epochPersisted': { actions: 'recordEpochPersisted' },
    'storage.truncated': { actions: 'recordTruncated' },
    'storage.snapshotLoaded': { actions: 'recordSnapshotLoaded' },
    'storage.purged': { actions: 'recordPurged' },
    'config.committed': { actions: 'adoptConfig' },
  },
  states: {
    looking: {
      entry: 'enterLooking',
      invoke: {
        id: 'election',
        src: 'election',
        input: ({ context }) => electionInputOf(context),
        onDone: {
          target: 'deciding',
          // The designated leader was the election's first vote; it is spent now.
          actions: assign(({ event }) => ({
            decision: event.output,
            lastRound: event.output.round,
            designatedLeader: null,
          })),
        },
      },
      on: {
        // A learner that decided first may say FOLLOWERINFO before this replica knows it leads.
        'peer.followerInfo': { actions: 'holdLearnerInfo' },
        'peer.observerInfo': { actions: 'holdLearnerInfo' },
        // The host applied a reconfig this replica committed as leader or learner, and reports
        // it after the role was left: the election restarts under it, as ZooKeeper's does on a
        // reconfig that changes the voters. Going on under the old one weighed candidates by
        // voters that no longer were the voters, and a replica could hold out for ever for a
        // candidate the others could not back (simulator seed 7287 with reconfig).
        'config.committed': {
          guard: 'isNewerCommittedConfig',
          target: 'looking',
          reenter: true,
          actions: 'adoptConfig',
        },
        'peer.notification': [
          // A newer configuration: look again under it (the election restarts with its voters).
          {
            guard: 'carriesNewerConfig',
            target: 'looking',
            reenter: true,
            actions: 'adoptNotifiedConfig',
          },
          { actions: 'forwardNotification' },
        ],
        'peer.connected': { actions: 'forwardConnected' },
        'election.sendNotification': { actions: 'relayNotification' },
        'election.broadcastNotification': { actions: 'relayBroadcast' },
      },
      ...lookingServiceStates(replicaSetup),
    },
    deciding: {
      always: [
        { guard: 'isLeadingDecision', target: 'leading' },
        { guard: 'isObservingDecision', target: 'observing' },
        { target: 'following' },
      ],
    },
    leading: leadingState(replicaSetup),
    following: followingState(replicaSetup),
    observing: observingState(replicaSetup),
  },
});

export type ReplicaSnapshot = SnapshotFrom<typeof replicaMachine>;

/** The catalogue entry machines/index.ts lists. */
export const replicaCatalogEntry = {
  name: 'replica',
  description:
    'A Zab replica: looking (invokes election) → leading | following | observing, each as ' +
    'discovery → synchronization → broadcast beside a liveness region; any failure → looking.',
  machine: replicaMachine,
};

export { peerEventOf, replicaTimingDefaults } from './replica-context.js';
export type {
  ReplicaContext,
  ReplicaEffect,
  ReplicaEvent,
  ReplicaInput,
  ReplicaTiming,
  RoleAnnouncement,
  SyncStreamParams,
} from './replica-context.js';
