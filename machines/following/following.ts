// The following role: a voter that logs the leader's proposals, ACKs each once durable, and
// applies on COMMIT (Zab's follower). Discovery and synchronization are the learner's.
import { and } from 'xstate';
import type { ReplicaSetup } from '../replica-setup.js';
import {
  learnerDiscoveryState,
  learnerLivenessState,
  learnerSynchronizationState,
} from './learner-states.js';

export function followingState(machine: ReplicaSetup) {
  return machine.createStateConfig({
    type: 'parallel',
    entry: 'startLearning',
    on: {
      // A committed reconfig this learner cannot go on under sends it looking (learner.ts).
      'config.committed': [
        {
          guard: 'leavesFollowingForNewConfig',
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
        on: {
          'peer.leaderInfo': { guard: 'isLeaderStartingOver', target: '#replica.looking' },
          // Sync from the same site: a learner asks for this follower's tree; it is served only
          // in broadcast (below), refused while this follower itself syncs.
          'peer.snapRequest': { actions: 'refuseSnapshot' },
        },
        states: {
          discovery: learnerDiscoveryState(machine, 'following'),
          synchronization: learnerSynchronizationState(machine, 'following'),
          // Zab 3: PROPOSAL → log → ACK once durable; COMMIT → apply; PING → answer. With tree
          // broadcast the same frames may come through a relay of this site (relaying.ts), and
          // this follower may be one: it passes RELAY on and batches its site's ACKs.
          broadcast: {
            on: {
              'peer.proposal': [
                { guard: and(['isFromLeader', 'isProposalAfterGap']), target: '#replica.looking' },
                { guard: 'isFromLeader', actions: 'logProposal' },
              ],
              'peer.commit': [
                { guard: and(['isFromLeader', 'isCommitBeyondLog']), target: '#replica.looking' },
                { guard: 'isFromLeader', actions: 'applyCommit' },
              ],
              'peer.relay': [
                {
                  guard: and(['isFromLeader', 'isOwnRelayedMessage']),
                  actions: ['forwardRelay', 'takeRelayedMessage'],
                },
                { guard: 'isFromLeader', actions: 'forwardRelay' },
              ],
              'peer.relayed': { guard: 'isFromRelay', actions: 'takeRelayedMessage' },
              'peer.relayPlan': { guard: 'isFromLeader', actions: 'acceptRelayPlan' },
              'peer.ack': { actions: 'gatherRelayAck' },
              'relay.flush': { actions: 'flushRelayAcks' },
              'peer.disconnected': { guard: 'isRelayDisconnected', actions: 'forgetRelay' },
              'peer.commitAndActivate': {
                guard: 'isFromLeader',
                actions: ['recordDesignatedLeader', 'applyCommit'],
              },
              'peer.ping': { guard: 'isFromLeader', actions: 'answerPing' },
              'peer.snapRequest': { guard: 'canServeSnapshot', actions: 'streamSnapshotToLearner' },
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
            always: { guard: 'hasUnackedDurableProposal', actions: 'ackDurableProposals' },
          },
        },
      },
      liveness: learnerLivenessState(machine),
    },
  });
}
