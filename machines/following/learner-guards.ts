// The learner's guards (following and observing alike): which leader frames to take, when its
// history is durable enough to ACK, when the leader is lost, and when a committed configuration
// sends the learner looking again. Its actions are in learner.ts.
import { membershipRule, weightOf } from '../quorum.js';
import {
  expectEvent,
  learnerOf,
  type Check,
  type ReplicaContext,
  type ReplicaEvent,
} from '../replica-context.js';
import { epochOfZxid } from '../../protocol/zxid.js';

function leavesForNewConfig(
  context: ReplicaContext,
  event: ReplicaEvent,
  otherRole: 'participant' | 'observer',
): boolean {
  const { membership } = expectEvent(event, 'config.committed');
  if (membership.version <= context.config.version) return false;
  const learner = learnerOf(context);
  const listed = membership.servers.find((server) => server.id === context.myId);
  return (
    (learner.designatedLeader !== null && learner.designatedLeader !== learner.leaderId) ||
    weightOf(membershipRule(membership), learner.leaderId) === 0 ||
    listed?.peerType === otherRole
  );
}

export const learnerGuards = {
  /**
   * A newer configuration arrived (`config.committed`) that this follower cannot go on under: it
   * moved leadership (the designated leader is another), left the leader without a vote, or
   * lists this replica as an observer now. ZooKeeper's Follower leaves on COMMITANDACTIVATE in
   * these cases, and looks again under the new one. One that does not list this replica (it is
   * joining, or was removed) changes nothing for it: it follows on without a vote, as
   * ZooKeeper's learner type stays what it was.
   */
  leavesFollowingForNewConfig: ((context, event) =>
    leavesForNewConfig(context, event, 'observer')) as Check,
  /** As leavesFollowingForNewConfig, for an observer the configuration lists as a participant. */
  leavesObservingForNewConfig: ((context, event) =>
    leavesForNewConfig(context, event, 'participant')) as Check,
  /**
   * LEADERINFO of another epoch after discovery: the leader started over on the same link (its
   * machine went back to looking and was elected again). The learner looks again too, before it
   * takes any of the new leadership's stream into a sync of the old one (found by the simulator
   * with reconfig: seed 387, a SNAP of one leadership then a DIFF of the next left a gap).
   */
  isLeaderStartingOver: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.leaderInfo');
    const learner = learnerOf(context);
    return from === learner.leaderId && learner.newEpoch !== null &&
      message.newEpoch !== learner.newEpoch;
  }) as Check,
  isNewLeaderOfAnotherEpoch: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.newLeader');
    const learner = learnerOf(context);
    return from === learner.leaderId && learner.newEpoch !== null &&
      epochOfZxid(message.zxid) !== learner.newEpoch;
  }) as Check,
  isFromLeader: ((context, event) =>
    'from' in event && event.from === context.learner?.leaderId) as Check,
  isLeaderDisconnected: ((context, event) =>
    event.type === 'peer.disconnected' && event.peer === context.learner?.leaderId) as Check,
  /** ZooKeeper's Learner.registerWithLeader: an epoch below our acceptedEpoch is refused. */
  isEpochRefused: ((context, event) =>
    expectEvent(event, 'peer.leaderInfo').message.newEpoch < context.acceptedEpoch) as Check,
  isLeaderEpochAccepted: ((context) =>
    context.acceptedEpoch >= (learnerOf(context).newEpoch ?? Infinity)) as Check,
  /** Everything received before NEWLEADER is durable, and so is currentEpoch. */
  isNewLeaderDurable: ((context) => {
    const learner = learnerOf(context);
    if (learner.newLeaderZxid === null) return false;
    return (
      context.currentEpoch >= epochOfZxid(learner.newLeaderZxid) &&
      context.replacementsPending === 0 &&
      context.durableZxid >= learner.newLeaderCoversZxid
    );
  }) as Check,
  /** Durability is an event: a proposal is ACKed only once storage said it is durable. */
  hasUnackedDurableProposal: ((context) => {
    const learner = learnerOf(context);
    if (!learner.newLeaderAcked || learner.newLeaderZxid === null) return false;
    const durable = context.durableZxid;
    return (
      durable > learner.ackedZxid &&
      durable <= context.lastZxid &&
      epochOfZxid(durable) === epochOfZxid(learner.newLeaderZxid)
    );
  }) as Check,
  isLeaderLost: ((context) => {
    const learner = learnerOf(context);
    const { initLimitTicks, syncLimitTicks } = context.timing;
    return learner.upToDate
      ? learner.silentTicks >= syncLimitTicks
      : learner.phaseTicks >= initLimitTicks;
  }) as Check,
};
