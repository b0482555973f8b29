// The session machine as a transcript: events in, state and effects out, under a SimulatedClock so
// expiry is exact and instant. The fakes only record what the host was asked to do.
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, transition } from 'xstate';
import {
  isSessionEnded,
  sessionMachine,
  type SessionEvent,
  type SessionInput,
} from '../../machines/session.js';

const timeoutMs = 6_000;
const firstConnection = 1;
const secondConnection = 2;

const input: SessionInput = {
  sessionId: 0x100000000n,
  requestedTimeoutMs: timeoutMs,
  limits: { tickTimeMs: 2_000 },
  connectionId: firstConnection,
};

/** A session actor whose host effects are recorded as lines like `closeConnection 1`. */
function startSession(sessionInput: SessionInput = input) {
  const clock = new SimulatedClock();
  const effects: string[] = [];
  const machine = sessionMachine.provide({
    actions: {
      requestSessionClose: (_, params) => effects.push(`requestSessionClose ${params.reason}`),
      closeConnection: (_, params) => effects.push(`closeConnection ${params.connectionId}`),
      notifyExpired: () => effects.push('notifyExpired'),
      notifyClosed: () => effects.push('notifyClosed'),
    },
  });
  const actor = createActor(machine, { input: sessionInput, clock });
  actor.start();
  const send = (...events: SessionEvent[]) => events.forEach((event) => actor.send(event));
  const state = () => actor.getSnapshot().value;
  return { actor, clock, effects, send, state };
}

/** A session whose handshake on the first connection has completed. */
function startActiveSession() {
  const session = startSession();
  session.send({ type: 'client.connected', connectionId: firstConnection });
  expect(session.state()).toEqual({ live: 'active' });
  return session;
}

describe('session machine', () => {
  it('negotiates the timeout into context (requested 1 s, tickTime 2 s → 4 s)', () => {
    const { actor } = startSession({ ...input, requestedTimeoutMs: 1_000 });
    expect(actor.getSnapshot().context).toMatchObject({ timeoutMs: 4_000, connectionId: 1 });
    expect(actor.getSnapshot().value).toBe('handshake');
  });

  it('stays alive past its timeout while touched (touch every 5 s, timeout 6 s)', () => {
    const { clock, effects, send, state } = startActiveSession();
    for (let touch = 0; touch < 10; touch++) {
      clock.increment(5_000);
      send({ type: 'client.touch', connectionId: firstConnection });
    }
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ live: 'active' });
    expect(effects).toEqual([]);
  });

  it('expires while connected: closeSession first, connection closed once it is applied', () => {
    const { actor, clock, effects, send, state } = startActiveSession();
    clock.increment(timeoutMs);
    expect(state()).toBe('expiring');
    expect(effects).toEqual(['requestSessionClose expired']);
    expect(isSessionEnded(actor.getSnapshot())).toBe(true);

    send({ type: 'client.touch', connectionId: firstConnection });
    expect(state()).toBe('expiring');
    send({ type: 'tree.sessionClosed' });
    expect(state()).toBe('expired');
    expect(actor.getSnapshot().status).toBe('done');
    expect(effects).toEqual(['requestSessionClose expired', 'closeConnection 1', 'notifyExpired']);
  });

  it('expires while disconnected, counting from the last packet, not the disconnect', () => {
    const { clock, effects, send, state } = startActiveSession();
    clock.increment(4_000);
    send({ type: 'client.disconnected', connectionId: firstConnection });
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(timeoutMs - 4_000);
    expect(state()).toBe('expiring');
    send({ type: 'tree.sessionClosed' });
    expect(state()).toBe('expired');
    expect(effects).toEqual(['requestSessionClose expired', 'notifyExpired']);
  });

  it('outlives a client that leaves during the handshake, then expires unattended', () => {
    const { clock, effects, send, state } = startSession();
    send({ type: 'client.disconnected', connectionId: firstConnection });
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(timeoutMs);
    expect(state()).toBe('expiring');
    send({ type: 'tree.sessionClosed' });
    expect(effects).toEqual(['requestSessionClose expired', 'notifyExpired']);
  });

  it('expires in handshake when the createSession txn is never applied', () => {
    const { clock, effects, state } = startSession();
    clock.increment(timeoutMs);
    expect(state()).toBe('expiring');
    expect(effects).toEqual(['requestSessionClose expired']);
  });

  it('starts a recovered session (no connection) disconnected, open to a reconnect', () => {
    const { clock, effects, send, state } = startSession({ ...input, connectionId: null });
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(timeoutMs - 1);
    send({ type: 'client.connected', connectionId: secondConnection });
    expect(state()).toEqual({ live: 'active' });
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ live: 'active' });
    expect(effects).toEqual([]);
  });

  it('closes on request: closeSession txn, then the connection after it is applied', () => {
    const { actor, clock, effects, send, state } = startActiveSession();
    send({ type: 'client.close', connectionId: firstConnection });
    expect(state()).toBe('closing');
    expect(effects).toEqual(['requestSessionClose closeRequested']);
    clock.increment(timeoutMs * 3);
    expect(state()).toBe('closing');
    send({ type: 'tree.sessionClosed' });
    expect(state()).toBe('closed');
    expect(actor.getSnapshot().status).toBe('done');
    expect(effects).toEqual([
      'requestSessionClose closeRequested',
      'closeConnection 1',
      'notifyClosed',
    ]);
  });

  it('survives a reconnect before expiry, and the reconnect restarts the timer', () => {
    const { clock, effects, send, state } = startActiveSession();
    send({ type: 'client.disconnected', connectionId: firstConnection });
    clock.increment(timeoutMs - 1);
    send({ type: 'client.connected', connectionId: secondConnection });
    expect(state()).toEqual({ live: 'active' });
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ live: 'active' });
    clock.increment(1);
    expect(state()).toBe('expiring');
    send({ type: 'tree.sessionClosed' });
    expect(effects).toEqual(['requestSessionClose expired', 'closeConnection 2', 'notifyExpired']);
  });

  it('moves to a new connection while the old looks open, and ignores the old one after', () => {
    const { actor, effects, send, state } = startActiveSession();
    send({ type: 'client.connected', connectionId: secondConnection });
    expect(effects).toEqual(['closeConnection 1']);
    expect(actor.getSnapshot().context.connectionId).toBe(secondConnection);
    send(
      { type: 'client.disconnected', connectionId: firstConnection },
      { type: 'client.close', connectionId: firstConnection },
    );
    expect(state()).toEqual({ live: 'active' });
  });

  it('does not let a stale connection keep the session alive (touch from old socket)', () => {
    const { clock, send, state } = startActiveSession();
    send({ type: 'client.connected', connectionId: secondConnection });
    clock.increment(timeoutMs - 1);
    send({ type: 'client.touch', connectionId: firstConnection });
    clock.increment(1);
    expect(state()).toBe('expiring');
  });

  it('reports an ended session to a reconnecting client (answer with timeout 0)', () => {
    const { actor, clock, send, state } = startActiveSession();
    expect(isSessionEnded(actor.getSnapshot())).toBe(false);
    send({ type: 'client.disconnected', connectionId: firstConnection });
    clock.increment(timeoutMs);
    send({ type: 'client.connected', connectionId: secondConnection });
    expect(state()).toBe('expiring');
    expect(isSessionEnded(actor.getSnapshot())).toBe(true);
  });

  it('expires when another replica applies closeSession first (no local request)', () => {
    const { effects, send, state } = startActiveSession();
    send({ type: 'tree.sessionClosed' });
    expect(state()).toBe('expired');
    expect(effects).toEqual(['closeConnection 1', 'notifyExpired']);
  });

  // A done actor drops events with a warning, so the pure `transition()` shows it precisely: no
  // change of state and no effect for any event, stale or fresh.
  it.each(['expired', 'closed'] as const)('ignores every event once %s', (finalState) => {
    const { actor, clock, send, state } = startActiveSession();
    if (finalState === 'closed') send({ type: 'client.close', connectionId: firstConnection });
    else clock.increment(timeoutMs);
    send({ type: 'tree.sessionClosed' });
    expect(state()).toBe(finalState);
    const finalSnapshot = actor.getSnapshot();
    const events: SessionEvent[] = [
      { type: 'client.connected', connectionId: secondConnection },
      { type: 'client.touch', connectionId: firstConnection },
      { type: 'client.disconnected', connectionId: firstConnection },
      { type: 'client.close', connectionId: secondConnection },
      { type: 'tree.sessionClosed' },
    ];
    for (const event of events) {
      const [next, actions] = transition(sessionMachine, finalSnapshot, event);
      expect(next.value).toBe(finalState);
      expect(actions).toEqual([]);
    }
    expect(isSessionEnded(finalSnapshot)).toBe(true);
  });

  it('fails loudly when the host forgot to provide an effect', () => {
    const clock = new SimulatedClock();
    const errors: unknown[] = [];
    const actor = createActor(sessionMachine, { input, clock });
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    actor.send({ type: 'client.connected', connectionId: firstConnection });
    actor.send({ type: 'client.close', connectionId: firstConnection });
    expect(String(errors[0])).toContain("'requestSessionClose' was not provided");
  });
});

describe('session machine on a replica that does not own expiry (follower, observer)', () => {
  const learnerInput: SessionInput = { ...input, connectionId: null, expiresHere: false };

  it('outlives its timeout: only the leader expires sessions (timeout 6 s, 60 s silent)', () => {
    const { clock, effects, state } = startSession(learnerInput);
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(10 * timeoutMs);
    expect(state()).toEqual({ live: 'disconnected' });
    expect(effects).toEqual([]);
  });

  it('gets a full timeout from the moment it becomes the expiry owner (new leader)', () => {
    const { clock, effects, send, state } = startSession(learnerInput);
    clock.increment(10 * timeoutMs);
    send({ type: 'replica.expiryOwner', expiresHere: true });
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(1);
    expect(state()).toBe('expiring');
    expect(effects).toEqual(['requestSessionClose expired']);
  });

  it('is kept alive on the leader by touches a learner reports (peer.touch every 5 s)', () => {
    const { clock, effects, send, state } = startSession({ ...input, connectionId: null });
    for (let touch = 0; touch < 10; touch++) {
      clock.increment(5_000);
      send({ type: 'peer.touch' });
    }
    expect(state()).toEqual({ live: 'disconnected' });
    clock.increment(timeoutMs);
    expect(state()).toBe('expiring');
    expect(effects).toEqual(['requestSessionClose expired']);
  });

  it('keeps its attached connection across a remote touch (connected here, touched there)', () => {
    const { actor, send, state } = startActiveSession();
    send({ type: 'peer.touch' });
    expect(state()).toEqual({ live: 'active' });
    expect(actor.getSnapshot().context.connectionId).toBe(firstConnection);
  });
});
