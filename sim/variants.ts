// Deliberately broken replicas: each breaks one thing Zab relies on, so the simulator can show
// that it notices ("the simulator must be able to fail"). The machine variants are the real
// machine with one action or guard replaced through `.provide()`, as a host would provide it;
// the host variants (sim/host-variants.ts) break the host layer's order rule or its outbox.
import { assign, enqueueActions } from 'xstate';
import type { ElectionContext } from '../machines/election.js';
import { isVoterOf, majorityRule, type QuorumRule } from '../machines/quorum.js';
import { broadcastActions, broadcastGuards } from '../machines/leading/broadcast.js';
import { committedZxid, isBetterVote } from '../machines/zab-rules.js';
import { learnersAtLeast, sendToAll } from '../machines/leading/learners.js';
import type { ReplicaTiming } from '../machines/replica.js';
import type { ReconfigFaultMix } from './reconfig-faults.js';
import type { ReplicaContext, ReplicaEffect, ReplicaEvent } from '../machines/replica-context.js';
import { electionActor } from '../machines/replica-setup.js';
import { replicaMachine } from '../machines/replica.js';
import type { PeerState, Vote } from '../protocol/peer.js';
import { ackBeforeFsyncHost, streamAfterGiveUpHost } from './host-variants.js';
import type { HostVariantOptions, ReplicaMachine } from './replica-host.js';
import type { QuorumShape } from './quorum-shapes.js';

/** A follower that logs a proposal and ACKs it at once, before it is durable. */
export const eagerAckMachine = replicaMachine.provide({
  actions: {
    logProposal: enqueueActions(({ context, event, enqueue }) => {
      const replica = context as ReplicaContext;
      const received = event as ReplicaEvent;
      if (received.type !== 'peer.proposal' || replica.learner === null) return;
      const txns = received.message.txns.filter((txn) => txn.zxid > replica.lastZxid);
      const last = txns[txns.length - 1];
      if (last === undefined) return;
      enqueue.assign({ lastZxid: last.zxid });
      enqueue({ type: 'appendProposals', params: { txns } });
      const ack = { type: 'ack', zxid: last.zxid } as const;
      enqueue({ type: 'sendPeerMessage', params: { to: replica.learner.leaderId, message: ack } });
    }) as never,
  },
});

/** A leader that commits what its own log holds, without waiting for a quorum of ACKs. */
export const commitWithoutQuorumMachine = replicaMachine.provide({
  guards: {
    hasCommittableProposal: (({ context }: { context: ReplicaContext }) => {
      const first = context.leader?.outstanding[0];
      return first !== undefined && context.durableZxid >= first.zxid;
    }) as never,
  },
  actions: {
    commitProposals: enqueueActions(({ context, enqueue }) => {
      const replica = context as ReplicaContext;
      const leader = replica.leader;
      if (leader === null) return;
      const ready = leader.outstanding.filter((txn) => txn.zxid <= replica.durableZxid);
      const last = ready[ready.length - 1];
      if (last === undefined) return;
      const followers = learnersAtLeast(leader, 'newLeaderSent', 'follower');
      const outstanding = leader.outstanding.slice(ready.length);
      enqueue.assign({ leader: { ...leader, outstanding, committedZxid: last.zxid } });
      const effects: ReplicaEffect[] = [
        ...sendToAll(followers, { type: 'commit', zxid: last.zxid }),
        { type: 'applyCommitted', params: { zxid: last.zxid } },
      ];
      for (const effect of effects) enqueue(effect);
    }) as never,
  },
});

/**
 * Fast leader election that compares votes by epoch and server id only, not by zxid, with the
 * leader trusting the outcome (it skips discovery's check that no follower is ahead of it,
 * which on its own would send a lagging leader back to looking, as ZooKeeper's does).
 */
function isBetterIgnoringZxid(candidate: Vote, current: Vote, quorum: QuorumRule) {
  return isBetterVote({ ...candidate, zxid: 0 }, { ...current, zxid: 0 }, quorum);
}

type ElectionArguments = {
  context: ElectionContext;
  event: { from: number; notification: { state: PeerState; vote: Vote; round: number } };
};

export const electionIgnoresZxidMachine = replicaMachine.provide({
  guards: { isLearnerAheadOfLeader: (() => false) as never },
  actors: {
    election: electionActor.provide({
      actions: {
        // FLE's move to a later round, keeping the better vote — by epoch and id alone.
        joinLaterRound: assign((args) => {
          const { context, event } = args as unknown as ElectionArguments;
          const { notification, from } = event;
          const better = isBetterIgnoringZxid(notification.vote, context.ownVote, context.quorum);
          const proposal = better ? notification.vote : context.ownVote;
          const votesInRound = {
            ...(isVoterOf(context.quorum, context.myId)
              ? { [context.myId]: { vote: proposal, state: 'looking' as const } }
              : {}),
            [from]: { vote: notification.vote, state: notification.state },
          };
          return { round: notification.round, proposal, votesInRound };
        }) as never,
      },
      guards: {
        isBetterLookingVote: (({ context, event }: {
          context: { proposal: Vote; quorum: QuorumRule };
          event: { notification: { state: string; vote: Vote } };
        }) =>
          event.notification.state === 'looking' &&
          isBetterIgnoringZxid(event.notification.vote, context.proposal, context.quorum)
        ) as never,
      },
    }),
  },
});

/** The leader's view with its configured groups and weights replaced by a plain majority. */
function counting(context: ReplicaContext, event: ReplicaEvent): [ReplicaContext, ReplicaEvent] {
  return [{ ...context, quorum: majorityRule(context.voters) }, event];
}

/**
 * A leader that commits once a majority of the voters ACKed, whatever zoo.cfg's weight.N and
 * group.N say (run with weights: with only a majority it may commit without the heavy voter).
 */
export const weightsIgnoredMachine = replicaMachine.provide({
  guards: {
    hasCommittableProposal: ((arguments_: { context: ReplicaContext; event: ReplicaEvent }) =>
      broadcastGuards.hasCommittableProposal(...counting(arguments_.context, arguments_.event))
    ) as never,
  },
  actions: {
    commitProposals: enqueueActions(({ context, event, enqueue }) => {
      const result = broadcastActions.commitProposals(
        ...counting(context as ReplicaContext, event as ReplicaEvent),
      );
      if (result.context !== undefined) enqueue.assign(result.context);
      for (const effect of result.effects ?? []) enqueue(effect);
    }) as never,
  },
});

/**
 * The leader's view with the old configuration's quorum swapped for the new one's once every
 * proposal before a pending reconfig has the old quorum: the reconfig, and what follows it,
 * then commit once the NEW configuration alone has a quorum of ACKs.
 */
function newQuorumOnly(context: ReplicaContext, event: ReplicaEvent): [
  ReplicaContext,
  ReplicaEvent,
] {
  const leader = context.leader;
  const reconfig = leader?.reconfig;
  if (leader === null || leader === undefined || reconfig === null || reconfig === undefined) {
    return [context, event];
  }
  const acked = new Map(Object.entries(leader.ackedZxidByServer).map(([id, zxid]) => [+id, zxid]));
  acked.set(context.myId, context.durableZxid);
  if (committedZxid(acked, reconfig.oldQuorum) < reconfig.zxid - 1) return [context, event];
  const swapped = { ...reconfig, oldQuorum: reconfig.newQuorum };
  return [{ ...context, leader: { ...leader, reconfig: swapped } }, event];
}

/**
 * A leader that activates a configuration without the old quorum's acknowledgement (run with
 * reconfig: adding two voters to three, the new quorum may be the leader and the two joiners,
 * and the old voters left behind may elect a leader of their own under the old configuration).
 */
export const activateWithoutOldQuorumMachine = replicaMachine.provide({
  guards: {
    hasCommittableProposal: ((arguments_: { context: ReplicaContext; event: ReplicaEvent }) =>
      broadcastGuards.hasCommittableProposal(...newQuorumOnly(arguments_.context, arguments_.event))
    ) as never,
  },
  actions: {
    commitProposals: enqueueActions(({ context, event, enqueue }) => {
      const result = broadcastActions.commitProposals(
        ...newQuorumOnly(context as ReplicaContext, event as ReplicaEvent),
      );
      if (result.context !== undefined) enqueue.assign(result.context);
      for (const effect of result.effects ?? []) enqueue(effect);
    }) as never,
  },
});

/** What a broken variant replaces: the replica machine, or parts of the replica host. */
export interface BrokenParts {
  /** The quorum configuration the variant needs to show (a weighted one for weightsIgnored). */
  quorum?: QuorumShape;
  machine?: ReplicaMachine;
  hostVariant?: HostVariantOptions;
  /** A transport that believes a hello's claimed id (sim/stranger.ts). */
  strangerPassesAsMember?: boolean;
  /** The variant needs reconfigs among the faults (sim/reconfig-faults.ts). */
  reconfig?: boolean;
  /** The reconfig faults' mix the variant needs (voters cut off, a leader crash after). */
  reconfigFaults?: ReconfigFaultMix;
  /** Replica timing the variant needs (a wider window for what it does wrong). */
  timing?: Partial<ReplicaTiming>;
}

/** Every deliberately broken variant `npm run sim -- --variant NAME` can run. */
export const brokenVariants = {
  eagerAck: { machine: eagerAckMachine },
  commitWithoutQuorum: { machine: commitWithoutQuorumMachine },
  electionIgnoresZxid: { machine: electionIgnoresZxidMachine },
  weightsIgnored: { machine: weightsIgnoredMachine, quorum: 'weighted' },
  ackBeforeFsync: { hostVariant: ackBeforeFsyncHost },
  streamAfterGiveUp: { hostVariant: streamAfterGiveUpHost },
  identityHole: { strangerPassesAsMember: true },
  // A syncLimit of 2 s (the harness's is 500 ms): a leader whose old voters are slow or silent
  // goes on longer, so the joiners' ACKs alone activate more often. Every reconfig goes with
  // voters cut off, and most are followed by a leader crash mid-reconfig: the old voters come
  // back while the leader is down and elect without what it activated.
  activateWithoutOldQuorum: {
    machine: activateWithoutOldQuorumMachine,
    reconfig: true,
    timing: { syncLimitTicks: 20 },
    reconfigFaults: { cutChance: 1, pauseChance: 1, leaderCrashChance: 0.8 },
  },
} as const satisfies Record<string, BrokenParts>;

export type BrokenVariant = keyof typeof brokenVariants;

/**
 * initLimit and syncLimit twice the harness's (2 s and 1 s at its 100 ms tick), as operators
 * raise them across data centres: a round trip between two sites costs up to 200 ms here.
 */
const wanTiming: Partial<ReplicaTiming> = { initLimitTicks: 20, syncLimitTicks: 10 };

/**
 * The configurations across data centres seeds run (sim/wan-layouts.ts): replicas split over
 * three sites, each pair of sites with its own latency, jitter and bandwidth drawn from the seed.
 * They are not broken: every invariant must hold over them, with site partitions, site power
 * losses and relay failures among the faults (sim/wan-faults.ts).
 */
export const wanVariants = {
  /** One replica per site: every message of the protocol crosses the WAN. */
  sites111: { voters: 3, sites: 3, timing: wanTiming },
  /** 2+2+1: a quorum needs two sites, and a site may hold a relay and its follower. */
  sites221: { voters: 5, sites: 3, timing: wanTiming },
  /** 3+3+3: the shape; a site's power loss leaves two sites, still a quorum. */
  sites333: { voters: 9, sites: 3, timing: wanTiming },
} as const satisfies Record<string, { voters: number; sites: number; timing: object }>;

export type WanVariant = keyof typeof wanVariants;
export const wanVariantNames = Object.keys(wanVariants) as WanVariant[];

/**
 * `--wan mixed`, what `npm run sim` runs by default: one seed in four (the multiples of four)
 * runs across sites, 1+1+1 and 2+2+1 in turn and 3+3+3 every fourth time (its nine replicas
 * being the slowest); the others run on one site as ever.
 */
export function wanVariantOfSeed(seed: number): WanVariant | undefined {
  if (seed % 4 !== 0) return undefined;
  const turn = (seed / 4) % 4;
  return turn === 0 ? 'sites333' : turn === 2 ? 'sites221' : 'sites111';
}
