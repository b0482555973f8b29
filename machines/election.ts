// Fast leader election — what a replica does while `looking` — as a pure machine, following
// ZooKeeper's FastLeaderElection.lookForLeader: propose yourself, adopt better votes, and decide
// once a quorum has agreed and stayed unchallenged for finalizeWait. The host sends and receives
// notifications and acts on the decision; see machines/README.md for the roles that follow it.
import { assertEvent, assign, setup, type SnapshotFrom } from 'xstate';
import type { Notification, ServerId, Vote } from '../protocol/peer.js';
import {
  hasQuorumOfVotesFor,
  isBetterVote,
  isLeaderConfirmed,
  type CastVote,
} from './zab-rules.js';
import { notProvided } from './effects.js';
import { isVoterOf, quorumRuleOf, weightOf } from './quorum.js';
import {
  electionTimingDefaults,
  type ElectedRole,
  type ElectionContext,
  type ElectionDecision,
  type ElectionEvent,
  type ElectionInput,
} from './election-types.js';

export {
  electionTimingDefaults,
  type ElectedRole,
  type ElectionContext,
  type ElectionDecision,
  type ElectionEvent,
  type ElectionInput,
  type ElectionTiming,
} from './election-types.js';


type NotificationEvent = Extract<ElectionEvent, { type: 'peer.notification' }>;

type GuardArguments = { context: ElectionContext; event: NotificationEvent };
type MachineArguments = { context: ElectionContext; event: ElectionEvent };

/** Guards and actions below read a notification; XState types them with every event. */
function withNotification<Result>(body: (arguments_: GuardArguments) => Result) {
  return ({ context, event }: MachineArguments): Result => {
    assertEvent(event, 'peer.notification');
    return body({ context, event });
  };
}

const isVoter = (context: ElectionContext, id: ServerId) => isVoterOf(context.quorum, id);

/** The notification this replica sends while looking: its current proposal in its round. */
export function lookingNotification(context: ElectionContext): Notification {
  return { type: 'notification', vote: context.proposal, round: context.round, state: 'looking' };
}

/**
 * What a replica that has decided answers a looking peer with (ZooKeeper's WorkerReceiver does
 * this outside lookForLeader): the vote it settled on and its role. The replica machine sends
 * it whenever a notification with state 'looking' arrives while following, leading or observing.
 */
export function settledNotification(decision: ElectionDecision): Notification {
  const vote = { leaderId: decision.leaderId, zxid: decision.zxid, peerEpoch: decision.epoch };
  return { type: 'notification', vote, round: decision.round, state: decision.role };
}

export function decisionOf(context: ElectionContext): ElectionDecision {
  if (context.decided === null) throw new Error('election machine: no decision yet');
  const { vote, round } = context.decided;
  const role: ElectedRole =
    vote.leaderId === context.myId
      ? 'leading'
      : isVoter(context, context.myId)
        ? 'following'
        : 'observing';
  return { role, leaderId: vote.leaderId, epoch: vote.peerEpoch, zxid: vote.zxid, round };
}

function initialContext(input: ElectionInput): ElectionContext {
  const timing = { ...electionTimingDefaults, ...input.timing };
  const ownVote = { leaderId: input.myId, zxid: input.lastZxid, peerEpoch: input.currentEpoch };
  const isVoting = input.voters.includes(input.myId);
  const quorum = quorumRuleOf(input.voters, input.quorum);
  const initial = input.initialVote;
  const candidates = input.candidates ?? quorum;
  const proposal = initial !== undefined && weightOf(candidates, initial.leaderId) > 0
    ? initial
    : ownVote;
  return {
    myId: input.myId,
    quorum,
    candidates,
    ownVote,
    round: input.lastRound + 1,
    proposal,
    votesInRound: isVoting ? { [input.myId]: { vote: proposal, state: 'looking' } } : {},
    votesOutOfElection: {},
    answeredNonVoters: {},
    timing,
    notificationTimeoutMs: timing.finalizeWaitMs,
    decided: null,
  };
}

/** A voter's own vote counts toward its quorum (ZooKeeper delivers its notification to itself). */
type Votes = Record<ServerId, CastVote>;
function withOwnVote(context: ElectionContext, votes: Votes, proposal: Vote): Votes {
  if (!isVoter(context, context.myId)) return votes;
  return { ...votes, [context.myId]: { vote: proposal, state: 'looking' } };
}

function withSender(votes: Record<ServerId, CastVote>, { from, notification }: NotificationEvent) {
  return { ...votes, [from]: { vote: notification.vote, state: notification.state } };
}

const isLooking = ({ event }: GuardArguments) => event.notification.state === 'looking';

/** Would recording this settled peer's vote make a trusted quorum (FLE's in-round branch)? */
function confirmsLeaderInRound({ context, event }: GuardArguments): boolean {
  const { notification } = event;
  if (notification.round !== context.round) return false;
  const votes = withSender(context.votesInRound, event);
  return (
    hasQuorumOfVotesFor(votes, notification.vote, context.quorum, 'exact') &&
    isLeaderConfirmed(votes, notification.vote.leaderId, context.myId, true)
  );
}

/** Do following/leading peers, whatever their round, agree on a leader that says it leads? */
function confirmsLeaderOutOfElection({ context, event }: GuardArguments): boolean {
  const { notification } = event;
  const votes = withSender(context.votesOutOfElection, event);
  const roundsMatch = notification.round === context.round;
  return (
    // A leader that is established already holds everything any configuration committed: a
    // quorum of the active configuration behind it is enough to follow it (a reconfig seen here
    // and never committed would otherwise keep this replica looking for ever; found by the
    // simulator with reconfig: seed 317). Rounds of looking peers count both
    // (confirmsLeaderInRound).
    hasQuorumOfVotesFor(votes, notification.vote, context.candidates, 'sameLeader') &&
    isLeaderConfirmed(votes, notification.vote.leaderId, context.myId, roundsMatch)
  );
}

/** Where the notification's round stands against ours: -1 earlier, 0 ours, 1 later. */
function roundOrder({ context, event }: GuardArguments): number {
  return Math.sign(event.notification.round - context.round);
}

/** The guards of `peer.notification`, in the order its transitions try them (FLE's branches). */
const notificationGuards = wrapNotificationGuards({
  /**
   * Voters answer a looking non-voter (an observer, or a replica outside this one's
   * configuration) with their vote, and otherwise ignore non-voters. A settled one needs no
   * answer: answering it would have it answer back, for ever, when each counts the other out
   * (two configurations; found by the simulator with reconfig: seed 32).
   */
  shouldAnswerNonVoter: ({ context, event }) =>
    !isVoter(context, event.from) && isVoter(context, context.myId) &&
    event.notification.state === 'looking' &&
    context.answeredNonVoters[event.from] !== answerKey(context),
  isFromNonVoter: ({ context, event }) => !isVoter(context, event.from),
  isVoteForNonVoter: ({ context, event }) => !isVoter(context, event.notification.vote.leaderId),
  isFromObservingPeer: ({ event }) => event.notification.state === 'observing',
  isLookingInLaterRound: (guard) => isLooking(guard) && roundOrder(guard) > 0,
  /** A lagging looker is sent our vote so it catches up; observers need not bother. */
  shouldAnswerEarlierRound: (guard) =>
    isLooking(guard) && roundOrder(guard) < 0 && isVoter(guard.context, guard.context.myId),
  isLookingInEarlierRound: (guard) => isLooking(guard) && roundOrder(guard) < 0,
  isBetterLookingVote: ({ context, event }) =>
    event.notification.state === 'looking' &&
    isBetterVote(event.notification.vote, context.proposal, context.candidates),
  isLooking,
  confirmsLeaderInRound,
  confirmsLeaderOutOfElection,
});

type NotificationGuard = (guard: GuardArguments) => boolean;

function wrapNotificationGuards<Name extends string>(
  guards: Record<Name, NotificationGuard>,
): Record<Name, (guard: MachineArguments) => boolean> {
  const entries = Object.entries(guards) as Array<[Name, NotificationGuard]>;
  const wrapped = entries.map(([name, guard]) => [name, withNotification(guard)] as const);
  return Object.fromEntries(wrapped) as Record<Name, (guard: MachineArguments) => boolean>;
}

const broadcastProposal = {
  type: 'broadcastNotification',
  params: ({ context }: { context: ElectionContext }) => ({
    notification: lookingNotification(context),
  }),
} as const;

const replyWithProposal = {
  type: 'sendNotification',
  params: withNotification(({ context, event }) => ({
    to: event.from,
    notification: lookingNotification(context),
  })),
} as const;

/** What an answer to a non-voter says: this replica's round and proposal. */
function answerKey(context: ElectionContext): string {
  const { leaderId, zxid, peerEpoch } = context.proposal;
  return `${context.round}:${leaderId}:${zxid}:${peerEpoch}`;
}


const sendProposalToConnectedPeer = {
  type: 'sendNotification',
  params: ({ context, event }: MachineArguments) => {
    assertEvent(event, 'peer.connected');
    return { to: event.peer, notification: lookingNotification(context) };
  },
} as const;

const decide = {
  type: 'decide',
  params: ({ context }: { context: ElectionContext }) => decisionOf(context),
} as const;

export const electionMachine = setup({
  types: {} as {
    context: ElectionContext;
    events: ElectionEvent;
    input: ElectionInput;
    output: ElectionDecision;
  },
  actions: {
    /** Send one notification to one replica (a reply). */
    sendNotification: notProvided<{ to: ServerId; notification: Notification }>(
      'election',
      'sendNotification',
    ),
    /** Send a notification to every voter but this replica. */
    broadcastNotification: notProvided<{ notification: Notification }>(
      'election',
      'broadcastNotification',
    ),
    /** Leave looking: lead, follow or observe `leaderId`. */
    decide: notProvided<ElectionDecision>('election', 'decide'),
    /** FLE: a higher round restarts the tally; keep the better of its vote and our own. */
    joinLaterRound: assign(withNotification(({ context, event }) => {
      const { notification } = event;
      const proposal = isBetterVote(notification.vote, context.ownVote, context.candidates)
        ? notification.vote
        : context.ownVote;
      const votes = withOwnVote(context, {}, proposal);
      return { round: notification.round, proposal, votesInRound: withSender(votes, event) };
    })),
    adoptNotifiedVote: assign(withNotification(({ context, event }) => ({
      proposal: event.notification.vote,
      votesInRound: withOwnVote(context, context.votesInRound, event.notification.vote),
    }))),
    /** A non-voter answered with this proposal is not answered with it again. */
    rememberAnswer: assign(withNotification(({ context, event }) => ({
      answeredNonVoters: { ...context.answeredNonVoters, [event.from]: answerKey(context) },
    }))),
    forgetAnswer: assign(({ context, event }) => {
      assertEvent(event, 'peer.connected');
      if (!(event.peer in context.answeredNonVoters)) return {};
      const { [event.peer]: _forgotten, ...answeredNonVoters } = context.answeredNonVoters;
      return { answeredNonVoters };
    }),
    recordNotifiedVote: assign(withNotification(({ context, event }) => ({
      votesInRound: withSender(context.votesInRound, event),
    }))),
    /** A following/leading peer's vote counts in this round (if it is ours) and out of it. */
    recordSettledVote: assign(withNotification(({ context, event }) => ({
      votesInRound:
        event.notification.round === context.round
          ? withSender(context.votesInRound, event)
          : context.votesInRound,
      votesOutOfElection: withSender(context.votesOutOfElection, event),
    }))),
    adoptSettledLeader: assign(withNotification(({ event }) => ({
      round: event.notification.round,
      decided: { vote: event.notification.vote, round: event.notification.round },
    }))),
    adoptProposal: assign(({ context }) => ({
      decided: { vote: context.proposal, round: context.round },
    })),
    backOffNotificationTimeout: assign({
      notificationTimeoutMs: ({ context }) =>
        Math.min(2 * context.notificationTimeoutMs, context.timing.notificationTimeoutMsMax),
    }),
  },
  guards: {
    ...notificationGuards,
    isElectedLeader: ({ context }) => decisionOf(context).role === 'leading',
    isObserver: ({ context }) => !isVoter(context, context.myId),
    hasQuorumForProposal: ({ context }) =>
      hasQuorumOfVotesFor(context.votesInRound, context.proposal, context.quorum, 'exact'),
  },
  delays: {
    finalizeWait: ({ context }) => context.timing.finalizeWaitMs,
    notificationTimeout: ({ context }) => context.notificationTimeoutMs,
  },
}).createMachine({
  id: 'election',
  context: ({ input }) => initialContext(input),
  initial: 'looking',
  output: ({ context }) => decisionOf(context),
  states: {
    looking: {
      entry: broadcastProposal,
      initial: 'tallying',
      on: {
        'peer.connected': { actions: ['forgetAnswer', sendProposalToConnectedPeer] },
        'peer.notification': [
          { guard: 'shouldAnswerNonVoter', actions: ['rememberAnswer', replyWithProposal] },
          { guard: 'isFromNonVoter' },
          { guard: 'isVoteForNonVoter' },
          { guard: 'isFromObservingPeer' },
          {
            guard: 'isLookingInLaterRound',
            target: '.tallying',
            actions: ['joinLaterRound', broadcastProposal],
          },
          { guard: 'shouldAnswerEarlierRound', actions: replyWithProposal },
          { guard: 'isLookingInEarlierRound' },
          {
            guard: 'isBetterLookingVote',
            target: '.tallying',
            actions: ['adoptNotifiedVote', 'recordNotifiedVote', broadcastProposal],
          },
          { guard: 'isLooking', target: '.tallying', actions: 'recordNotifiedVote' },
          // From here the sender is following or leading: it may already have a leader.
          {
            guard: 'confirmsLeaderInRound',
            target: 'deciding',
            actions: ['recordSettledVote', 'adoptSettledLeader'],
          },
          {
            guard: 'confirmsLeaderOutOfElection',
            target: 'deciding',
            actions: ['recordSettledVote', 'adoptSettledLeader'],
          },
          { actions: 'recordSettledVote' },
        ],
      },
      states: {
        // Where every vote change lands: a quorum for our proposal starts finalizing.
        tallying: {
          always: [
            { guard: 'hasQuorumForProposal', target: 'finalizing' },
            { target: 'collecting' },
          ],
        },
        // No quorum yet. Silence means lost notifications or peers not yet up: send again, less
        // often each time (FLE's notTimeout backoff).
        collecting: {
          after: {
            notificationTimeout: {
              target: 'collecting',
              reenter: true,
              actions: [broadcastProposal, 'backOffNotificationTimeout'],
            },
          },
        },
        // A quorum agrees; a better vote may still be in flight, so wait finalizeWait for it.
        finalizing: {
          after: { finalizeWait: { target: '#election.deciding', actions: 'adoptProposal' } },
        },
      },
    },
    deciding: {
      always: [
        { guard: 'isElectedLeader', target: 'leading' },
        { guard: 'isObserver', target: 'observing' },
        { target: 'following' },
      ],
    },
    leading: { type: 'final', entry: decide },
    following: { type: 'final', entry: decide },
    observing: { type: 'final', entry: decide },
  },
});

export type ElectionSnapshot = SnapshotFrom<typeof electionMachine>;

/** The catalogue entry machines/index.ts lists. */
export const electionCatalogEntry = {
  name: 'election',
  description:
    'Fast leader election (the looking state): votes by (epoch, zxid, id) across rounds until a ' +
    'quorum agrees for finalizeWait, or settled peers name their leader; then lead/follow/observe.',
  machine: electionMachine,
};
