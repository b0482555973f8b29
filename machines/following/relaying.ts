// Tree broadcast, the follower's side. As a relay: each RELAY from the leader is passed on as
// RELAYED to the followers it names, in arrival order, and taken itself when it is its own; the
// ACKs those followers send it go back to the leader batched, one RELAYACKS per turn of its host.
// As a relayed follower: RELAYPLAN names the relay, whose RELAYED frames then count as the
// leader's and to which its ACKs go. What arrives out of order on a changed path (a gap in the
// proposals, a COMMIT or SYNC beyond them) sends the follower looking, to sync again.
import { raise } from 'xstate';
import type { RelayedAck } from '../../protocol/peer.js';
import { counterOfZxid, epochOfZxid } from '../../protocol/zxid.js';
import {
  expectEvent,
  learnerOf,
  peerEventOf,
  send,
  type Check,
  type ReplicaContext,
  type ReplicaEvent,
  type Step,
} from '../replica-context.js';

function withLearner(context: ReplicaContext, change: Partial<ReturnType<typeof learnerOf>>) {
  return { learner: { ...learnerOf(context), ...change } };
}

/**
 * The follower's ACKs go to its relay when it has one, to the leader otherwise; straight to the
 * leader too when RELAYPLAN said so (directAcks): then an ACK waits for no relay, and the leader
 * counts it as soon as the WAN delivers it, as in a star.
 */
export function ackTarget(context: ReplicaContext): number {
  const learner = learnerOf(context);
  return learner.acksDirect ? learner.leaderId : learner.relayId ?? learner.leaderId;
}

export const followerRelayingActions = {
  /** RELAY: the leader's message on to each follower it names, unchanged and in order. */
  forwardRelay: ((context, event) => {
    const { message } = expectEvent(event, 'peer.relay');
    const leaderId = learnerOf(context).leaderId;
    const relayed = { type: 'relayed', leaderId, message: message.message } as const;
    return { effects: message.to.map((id) => send(id, relayed)) };
  }) as Step,
  /**
   * RELAYPLAN: from now on the named relay (or the leader itself) carries this follower's
   * broadcast. An ACK of what it has already ACKed goes the new way at once: through a relay, it
   * tells the leader this follower listens there (the leader confirms the path on it), even when
   * later ACKs go to the leader directly.
   */
  acceptRelayPlan: ((context, event) => {
    const { relayId, directAcks } = expectEvent(event, 'peer.relayPlan').message;
    const learner = learnerOf(context);
    const next = relayId === 0 ? null : relayId;
    const ack = { type: 'ack', zxid: learner.ackedZxid } as const;
    const acksDirect = next !== null && directAcks === true;
    return {
      context: withLearner(context, { relayId: next, acksDirect, pathChanged: true }),
      effects: [send(next ?? learner.leaderId, ack)],
    };
  }) as Step,
  /** The relay's link broke: ACKs go to the leader, which sends directly once it notices. */
  forgetRelay: ((context) =>
    ({ context: withLearner(context, { relayId: null, acksDirect: false }) })) as Step,
  /** A follower's ACK at its relay: kept (the highest per follower) for the next batch. */
  gatherRelayAck: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.ack');
    const learner = learnerOf(context);
    const acks: RelayedAck[] = learner.relayAcks.filter((ack) => ack.id !== from);
    const earlier = learner.relayAcks.find((ack) => ack.id === from)?.zxid ?? 0;
    acks.push({ id: from, zxid: Math.max(earlier, message.zxid) });
    if (learner.relayFlushScheduled) return { context: withLearner(context, { relayAcks: acks }) };
    return {
      context: withLearner(context, { relayAcks: acks, relayFlushScheduled: true }),
      effects: [{ type: 'scheduleRelayFlush', params: {} }],
    };
  }) as Step,
  /** The turn is over: the ACKs gathered go to the leader as one RELAYACKS. */
  flushRelayAcks: ((context) => {
    const learner = learnerOf(context);
    const change = { relayAcks: [], relayFlushScheduled: false };
    if (learner.relayAcks.length === 0) return { context: withLearner(context, change) };
    return {
      context: withLearner(context, change),
      effects: [send(learner.leaderId, { type: 'relayAcks', acks: learner.relayAcks })],
    };
  }) as Step,
} satisfies Record<string, Step>;

/** The leader's message a RELAY (own copy) or RELAYED carries, as the event it would have been. */
function carriedEvent(context: ReplicaContext, event: ReplicaEvent): ReplicaEvent {
  const leaderId = learnerOf(context).leaderId;
  if (event.type === 'peer.relay') return peerEventOf(leaderId, event.message.message);
  return peerEventOf(leaderId, expectEvent(event, 'peer.relayed').message.message);
}

/** Taking a relayed message: the machine handles it next, as if the leader had sent it. */
export const takeRelayedMessage = raise(({ context, event }: {
  context: ReplicaContext;
  event: ReplicaEvent;
}) => carriedEvent(context, event));

export const followerRelayingGuards = {
  isOwnRelayedMessage: ((_context, event) =>
    expectEvent(event, 'peer.relay').message.own) as Check,
  /** RELAYED from the relay the leader named, carrying that leader's message. */
  isFromRelay: ((context, event) => {
    const { from, message } = expectEvent(event, 'peer.relayed');
    const learner = learnerOf(context);
    return learner.relayId === from && message.leaderId === learner.leaderId;
  }) as Check,
  isRelayDisconnected: ((context, event) =>
    event.type === 'peer.disconnected' && event.peer === context.learner?.relayId) as Check,
  /**
   * A PROPOSAL that does not continue the log: within an epoch zxids are consecutive, and an
   * epoch's first proposal is its counter 1. Only a changed path (frames lost with a relay, or
   * overtaken) makes one; logging it would ACK across the hole.
   */
  isProposalAfterGap: ((context, event) => {
    const { txns } = expectEvent(event, 'peer.proposal').message;
    if (!learnerOf(context).pathChanged) return false;
    const first = txns.find((txn) => txn.zxid > context.lastZxid);
    if (first === undefined) return false;
    if (epochOfZxid(first.zxid) === epochOfZxid(context.lastZxid)) {
      return first.zxid !== context.lastZxid + 1;
    }
    return counterOfZxid(first.zxid) !== 1;
  }) as Check,
  /** An observer's INFORM that does not continue its log (see isProposalAfterGap). */
  isInformAfterGap: ((context, event) => {
    const { txn } = expectEvent(event, 'peer.inform').message;
    if (!learnerOf(context).pathChanged || txn.zxid <= context.lastZxid) return false;
    if (epochOfZxid(txn.zxid) === epochOfZxid(context.lastZxid)) {
      return txn.zxid !== context.lastZxid + 1;
    }
    return counterOfZxid(txn.zxid) !== 1;
  }) as Check,
  /** A COMMIT of a proposal this follower never logged (it came before the proposal did). */
  isCommitBeyondLog: ((context, event) => learnerOf(context).pathChanged &&
    expectEvent(event, 'peer.commit').message.zxid > context.lastZxid) as Check,
  /** A SYNC ahead of the COMMITs this follower has applied: answering it would read stale. */
  isSyncAheadOfCommits: ((context, event) => learnerOf(context).pathChanged &&
    expectEvent(event, 'peer.sync').message.zxid > learnerOf(context).appliedCommitZxid) as Check,
} satisfies Record<string, Check>;
