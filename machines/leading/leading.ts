// The leading role: Zab's discovery → synchronization → broadcast as the `phase` region, beside a
// `liveness` region that counts ticks, pings, notices silent learners and answers lookers.
import type { ReplicaSetup } from '../replica-setup.js';
import { broadcastState } from './broadcast.js';
import { discoveryState } from './discovery.js';
import { synchronizationState } from './synchronization.js';

const learnerInfoTransitions = [
  { guard: 'isLearnerEpochAhead', target: '#replica.looking', actions: 'raiseEpochFloor' },
  { actions: 'recordLearnerInfo' },
] as const;

export function leadingState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    type: 'parallel',
    entry: 'startLeading',
    on: {
      'config.committed': [
        {
          guard: 'leavesLeadership',
          target: '#replica.looking',
          actions: ['adoptConfig', 'designateSuccessor'],
        },
        { actions: 'adoptConfig' },
      ],
    },
    states: {
      phase: {
        initial: 'discovery',
        // Learners may (re)connect in every phase: ZooKeeper's LearnerCnxAcceptor never stops.
        on: {
          // A learner that can never join this epoch: lead again in one it can join.
          'peer.followerInfo': learnerInfoTransitions,
          'peer.observerInfo': learnerInfoTransitions,
          'peer.ackEpoch': [
            { guard: 'isLearnerAheadOfLeader', target: '#replica.looking' },
            { actions: 'recordAckEpoch' },
          ],
        },
        states: {
          discovery: discoveryState(machine),
          synchronization: synchronizationState(machine),
          broadcast: broadcastState(machine),
        },
      },
      liveness: {
        initial: 'ticking',
        on: {
          'peer.notification': { guard: 'isFromLookingPeer', actions: 'answerLookingPeer' },
          'peer.disconnected': { actions: 'dropLearner' },
          'peer.ping': { actions: ['recordLearnerHeard', 'touchLearnerSessions'] },
          'peer.*': { actions: 'recordLearnerHeard' },
        },
        states: {
          ticking: {
            after: { tick: { target: 'ticking', reenter: true, actions: 'countLeaderTick' } },
            always: { guard: 'isLeaderTimedOut', target: '#replica.looking' },
          },
        },
      },
    },
  });
}
