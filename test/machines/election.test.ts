// One election actor as a transcript: notifications in, the notifications it sends and its
// decision out, under a SimulatedClock so finalizeWait and the resend backoff are exact.
// Replica 2 of voters 1, 2, 3 (4 is an observer) unless a test says otherwise.
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  electionMachine,
  settledNotification,
  type ElectionInput,
} from '../../machines/election.js';
import type { Notification, PeerState, Vote } from '../../protocol/peer.js';

const input: ElectionInput = {
  myId: 2,
  voters: [1, 2, 3],
  lastZxid: 100,
  currentEpoch: 1,
  lastRound: 0,
};

const vote = (leaderId: number, zxid = 100, peerEpoch = 1): Vote => ({ leaderId, zxid, peerEpoch });

function notification(leaderId: number, round = 1, state: PeerState = 'looking', zxid = 100) {
  return { type: 'notification', vote: vote(leaderId, zxid), round, state } as Notification;
}

/** Effects as lines: `broadcast 3@1`, `send 1 2@1`, `decide following 3 epoch 1 round 1`. */
function startElection(electionInput: ElectionInput = input) {
  const clock = new SimulatedClock();
  const effects: string[] = [];
  const describeNotification = (sent: Notification) =>
    `${sent.vote.leaderId}@${sent.round}${sent.state === 'looking' ? '' : ` ${sent.state}`}`;
  const machine = electionMachine.provide({
    actions: {
      sendNotification: (_, { to, notification: sent }) =>
        effects.push(`send ${to} ${describeNotification(sent)}`),
      broadcastNotification: (_, { notification: sent }) =>
        effects.push(`broadcast ${describeNotification(sent)}`),
      decide: (_, { role, leaderId, epoch, round }) =>
        effects.push(`decide ${role} ${leaderId} epoch ${epoch} round ${round}`),
    },
  });
  const actor = createActor(machine, { input: electionInput, clock });
  actor.start();
  const receive = (from: number, sent: Notification) =>
    actor.send({ type: 'peer.notification', from, notification: sent });
  const take = () => effects.splice(0);
  const state = () => actor.getSnapshot().value;
  return { actor, clock, receive, take, state };
}

describe('election machine', () => {
  it('starts a new round proposing itself', () => {
    const { actor, take, state } = startElection({ ...input, lastRound: 6 });
    expect(take()).toEqual(['broadcast 2@7']);
    expect(state()).toEqual({ looking: 'collecting' });
    expect(actor.getSnapshot().context.round).toBe(7);
  });

  it('adopts a better vote, rebroadcasts it and finalizes on a quorum', () => {
    const { receive, take, state } = startElection();
    take();
    receive(3, notification(3));
    expect(take()).toEqual(['broadcast 3@1']);
    expect(state()).toEqual({ looking: 'finalizing' });
  });

  it('records a worse vote without answering it', () => {
    const { actor, receive, take, state } = startElection();
    take();
    receive(1, notification(1));
    expect(take()).toEqual([]);
    expect(state()).toEqual({ looking: 'collecting' });
    expect(actor.getSnapshot().context.votesInRound[1]?.vote).toEqual(vote(1));
  });

  it('decides exactly finalizeWait (200 ms) after the quorum formed', () => {
    const { actor, clock, receive, take } = startElection();
    receive(3, notification(3));
    take();
    clock.increment(199);
    expect(take()).toEqual([]);
    clock.increment(1);
    expect(take()).toEqual(['decide following 3 epoch 1 round 1']);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toMatchObject({ role: 'following', leaderId: 3 });
  });

  it('decides to lead when a quorum votes for it', () => {
    const { clock, receive, take, state } = startElection();
    receive(1, notification(2));
    expect(state()).toEqual({ looking: 'finalizing' });
    clock.increment(200);
    expect(take()).toEqual(['broadcast 2@1', 'decide leading 2 epoch 1 round 1']);
  });

  it('leaves finalizing when a better vote arrives within finalizeWait (R=5)', () => {
    const { clock, receive, take, state } = startElection({
      ...input,
      myId: 1,
      voters: [1, 2, 3, 4, 5],
    });
    receive(2, notification(2));
    receive(3, notification(2));
    expect(state()).toEqual({ looking: 'finalizing' });
    clock.increment(150);
    receive(5, notification(5));
    expect(take()).toEqual(['broadcast 1@1', 'broadcast 2@1', 'broadcast 5@1']);
    expect(state()).toEqual({ looking: 'collecting' });
    receive(4, notification(5));
    clock.increment(199);
    expect(take()).toEqual([]);
    clock.increment(1);
    expect(take()).toEqual(['decide following 5 epoch 1 round 1']);
  });

  it('joins a later round: the tally restarts with only that sender and itself', () => {
    const { actor, receive, take } = startElection();
    receive(1, notification(1));
    take();
    receive(1, notification(1, 4));
    expect(take()).toEqual(['broadcast 2@4']);
    const { round, votesInRound, proposal } = actor.getSnapshot().context;
    expect(round).toBe(4);
    expect(proposal).toEqual(vote(2));
    expect(Object.keys(votesInRound).sort()).toEqual(['1', '2']);
  });

  it('joining a later round keeps the better of its vote and its own', () => {
    const { actor, receive, take, state } = startElection();
    take();
    receive(3, notification(3, 5));
    expect(take()).toEqual(['broadcast 3@5']);
    expect(actor.getSnapshot().context.proposal).toEqual(vote(3));
    expect(state()).toEqual({ looking: 'finalizing' });
  });

  it('answers a looker from an earlier round with its current vote, without tallying it', () => {
    const { actor, receive, take } = startElection({ ...input, lastRound: 3 });
    take();
    receive(3, notification(3, 2));
    expect(take()).toEqual(['send 3 2@4']);
    expect(actor.getSnapshot().context.votesInRound[3]).toBeUndefined();
  });

  it('answers an observer with its vote and never counts it', () => {
    const { actor, receive, take } = startElection();
    take();
    receive(4, notification(2));
    expect(take()).toEqual(['send 4 2@1']);
    expect(actor.getSnapshot().context.votesInRound[4]).toBeUndefined();
  });

  it('ignores votes for non-voters and notifications from observing peers', () => {
    const { actor, receive, take } = startElection();
    take();
    receive(1, notification(4, 1, 'looking', 999));
    receive(3, notification(3, 1, 'observing'));
    expect(take()).toEqual([]);
    expect(Object.keys(actor.getSnapshot().context.votesInRound)).toEqual(['2']);
  });

  it('resends after silence, backing off 200, 400, 800 ms up to the maximum', () => {
    const timing = { notificationTimeoutMsMax: 1_000 };
    const { clock, take } = startElection({ ...input, timing });
    take();
    const resendTimes: number[] = [];
    for (let elapsedMs = 0; elapsedMs < 5_000; elapsedMs += 100) {
      clock.increment(100);
      if (take().length > 0) resendTimes.push(clock.now());
    }
    expect(resendTimes).toEqual([200, 600, 1_400, 2_400, 3_400, 4_400]);
  });

  it('resends its vote to a peer whose connection just formed', () => {
    const { actor, take } = startElection();
    take();
    actor.send({ type: 'peer.connected', peer: 3 });
    expect(take()).toEqual(['send 3 2@1']);
  });

  it('learns a settled leader from a quorum of following/leading peers in any round', () => {
    const { actor, receive, take } = startElection();
    take();
    receive(1, notification(3, 9, 'following', 50));
    expect(take()).toEqual([]);
    receive(3, notification(3, 9, 'leading', 50));
    expect(take()).toEqual(['decide following 3 epoch 1 round 9']);
    expect(actor.getSnapshot().context.round).toBe(9);
  });

  it('does not trust followers of a leader that has not said it leads', () => {
    const { receive, take, state } = startElection({ ...input, voters: [1, 2, 3, 4, 5] });
    take();
    receive(1, notification(5, 9, 'following'));
    receive(3, notification(5, 9, 'following'));
    receive(4, notification(5, 9, 'following'));
    expect(take()).toEqual([]);
    expect(state()).toEqual({ looking: 'collecting' });
    receive(5, notification(5, 9, 'leading'));
    expect(take()).toEqual(['decide following 5 epoch 1 round 9']);
  });

  it('counts a settled peer of its own round toward that round (FLE in-round branch)', () => {
    const { receive, take } = startElection();
    take();
    receive(3, notification(3));
    receive(1, notification(3, 1, 'leading'));
    expect(take()).toEqual(['broadcast 3@1']);
    receive(3, notification(3, 1, 'leading'));
    expect(take()).toEqual(['decide following 3 epoch 1 round 1']);
  });

  it('is told it leads by settled peers of its own round', () => {
    const { receive, take } = startElection();
    take();
    receive(1, notification(2, 1, 'following'));
    expect(take()).toEqual(['decide leading 2 epoch 1 round 1']);
  });

  it('an observer adopts a voter vote and decides to observe', () => {
    const { clock, receive, take } = startElection({ ...input, myId: 4, lastZxid: 999 });
    expect(take()).toEqual(['broadcast 4@1']);
    receive(1, notification(3));
    receive(3, notification(3));
    clock.increment(200);
    expect(take()).toEqual(['broadcast 3@1', 'decide observing 3 epoch 1 round 1']);
  });

  it('an observer ignores earlier rounds and other observers', () => {
    const { receive, take } = startElection({ ...input, myId: 4, lastRound: 5 });
    take();
    receive(1, notification(1, 2));
    receive(5, notification(5));
    expect(take()).toEqual([]);
  });

  it('an ensemble of one leads after finalizeWait', () => {
    const { clock, take, state } = startElection({ ...input, myId: 1, voters: [1] });
    expect(state()).toEqual({ looking: 'finalizing' });
    clock.increment(200);
    expect(take()).toEqual(['broadcast 1@1', 'decide leading 1 epoch 1 round 1']);
  });

  it('builds the notification a settled replica answers lookers with', () => {
    expect(
      settledNotification({ role: 'following', leaderId: 3, epoch: 4, zxid: 7, round: 2 }),
    ).toEqual({
      type: 'notification',
      vote: { leaderId: 3, zxid: 7, peerEpoch: 4 },
      round: 2,
      state: 'following',
    });
  });

  it('throws when the host did not provide its effects', () => {
    const actor = createActor(electionMachine, { input, clock: new SimulatedClock() });
    const errors: unknown[] = [];
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    expect(String(errors[0])).toMatch(/'broadcastNotification' was not provided/);
  });
});
