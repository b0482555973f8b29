// The observing role: following without a vote. OBSERVERINFO instead of FOLLOWERINFO, no ACKs
// after NEWLEADER, and INFORM (an already committed txn) is logged and applied at once.
import { and } from 'xstate';
import type { ReplicaSetup } from '../replica-setup.js';
import {
  learnerDiscoveryState,
  learnerLivenessState,
  learnerSynchronizationState,
} from './learner-states.js';

export function observingState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    type: 'parallel',
    entry: 'startLearning',
    on: {
      // A committed reconfig this learner cannot go on under sends it looking (learner.ts).
      'config.committed': [
        {
          guard: 'leavesObservingForNewConfig',
          target: '#replica.looking',
          actions: ['rememberDesignatedLeader', 'adoptConfig'],
        },
        { actions: 'adoptConfig' },
      ],
    },
    states: {
      phase: {
        initial: 'discovery',
        // The leader started over (another epoch's LEADERINFO after discovery): look again. On
        // the phase region, not the role: the liveness region handles every frame of the
        // leader, and a parallel state's own transitions are taken only when no region's is.
        on: { 'peer.leaderInfo': { guard: 'isLeaderStartingOver', target: '#replica.looking' } },
        states: {
          discovery: learnerDiscoveryState(machine, 'observing'),
          synchronization: learnerSynchronizationState(machine, 'observing'),
          // Zab 3 for an observer: INFORM → log and apply. With tree broadcast INFORM may come
          // through a relay of its site (relaying.ts); a gap in them means a resync.
          broadcast: {
            on: {
              'peer.inform': [
                { guard: and(['isFromLeader', 'isInformAfterGap']), target: '#replica.looking' },
                { guard: 'isFromLeader', actions: 'applyInform' },
              ],
              'peer.relayed': { guard: 'isFromRelay', actions: 'takeRelayedMessage' },
              'peer.relayPlan': { guard: 'isFromLeader', actions: 'acceptRelayPlan' },
              'peer.disconnected': { guard: 'isRelayDisconnected', actions: 'forgetRelay' },
              'peer.informAndActivate': {
                guard: 'isFromLeader',
                actions: ['recordDesignatedLeader', 'applyInform'],
              },
              'peer.ping': { guard: 'isFromLeader', actions: 'answerPing' },
              'peer.sync': [
                {
                  guard: and(['isFromLeader', 'isSyncAheadOfCommits']),
                  target: '#replica.looking',
                },
                { guard: 'isFromLeader', actions: 'answerSyncFromLeader' },
              ],
              'client.requests': { actions: 'forwardRequest' },
              'client.sync': { actions: 'forwardSync' },
              'client.revalidate': { actions: 'forwardRevalidation' },
              'peer.revalidateResult': { guard: 'isFromLeader', actions: 'acceptRevalidation' },
              'sessions.touched': { actions: 'recordSessionTouches' },
            },
          },
        },
      },
      liveness: learnerLivenessState(machine),
    },
  });
}
