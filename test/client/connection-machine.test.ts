// The client connection machine as a transcript: the host's effects are fakes that record what
// they were asked to do, connection attempts are settled by the test, and a SimulatedClock makes
// backoff and the local expiry timer exact. Every path to `expired` is walked here.

import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import {
  clientConnectionMachine,
  reconnectBackoffMs,
  type ClientConnectionContext,
  type OpenConnectionInput,
  type SessionEstablished,
} from '../../machines/client-connection.js';

interface Attempt {
  input: OpenConnectionInput;
  resolve: (established: SessionEstablished) => void;
  reject: (error: unknown) => void;
}

const servers = [1, 2, 3].map((index) => ({ host: `h${index}`, port: 2180 + index }));
const established: SessionEstablished = {
  sessionId: 0x42n,
  password: Buffer.alloc(16, 1),
  negotiatedTimeoutMs: 4_000,
  readOnly: false,
};
const connectionLoss = Object.assign(new Error('refused'), { code: -4 });
const sessionExpired = Object.assign(new Error('expired'), { code: -112 });

/** Promise settlements run in microtasks: let them land before looking at the state. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function startConnection() {
  const clock = new SimulatedClock();
  const attempts: Attempt[] = [];
  const effects: string[] = [];
  const machine = clientConnectionMachine.provide({
    actors: {
      openConnection: fromPromise<SessionEstablished, OpenConnectionInput>(
        ({ input }) => new Promise((resolve, reject) => attempts.push({ input, resolve, reject })),
      ),
      closeSession: fromPromise<void, void>(async () => {
        effects.push('closeSession');
      }),
    },
    actions: {
      reportState: (_, params) => effects.push(`state ${params.state}`),
      restoreSession: () => effects.push('restoreSession'),
      dropConnection: () => effects.push('dropConnection'),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      servers,
      requestedTimeoutMs: 5_000,
      canBeReadOnly: true,
      reconnectBackoffMsBase: 100,
      reconnectBackoffMsMax: 1_000,
    },
  });
  actor.start();
  const state = () => actor.getSnapshot().value;
  const lastAttempt = () => attempts.at(-1) as Attempt;
  return { actor, clock, attempts, effects, state, lastAttempt };
}

async function startConnected() {
  const connection = startConnection();
  connection.lastAttempt().resolve(established);
  await settle();
  expect(connection.state()).toEqual({ connected: 'readWrite' });
  connection.effects.length = 0;
  return connection;
}

describe('client connection machine', () => {
  it('tries the servers in order with backoff until one answers', async () => {
    const { clock, attempts, effects, state, lastAttempt } = startConnection();
    expect(effects).toEqual(['state connecting']);
    for (let failure = 0; failure < 4; failure++) {
      lastAttempt().reject(connectionLoss);
      await settle();
      expect(state()).toEqual({ connecting: 'waiting' });
      clock.increment(failure < 2 ? 99 : 199); // one pass at 100 ms, then 200 ms
      expect(attempts).toHaveLength(failure + 1);
      clock.increment(1);
    }
    const ports = attempts.map((attempt) => attempt.input.server.port);
    expect(ports).toEqual([2181, 2182, 2183, 2181, 2182]);
    expect(lastAttempt().input.sessionId).toBe(0n);
    lastAttempt().resolve(established);
    await settle();
    expect(state()).toEqual({ connected: 'readWrite' });
    expect(effects.slice(1)).toEqual(['restoreSession', 'state connected']);
  });

  it('caps the backoff (a pure rule)', () => {
    const context = { servers, reconnectBackoffMsBase: 100, reconnectBackoffMsMax: 1_000 };
    const backoff = (failedAttempts: number) =>
      reconnectBackoffMs({ ...context, failedAttempts } as ClientConnectionContext);
    expect([0, 2, 3, 6, 9, 12, 300].map(backoff)).toEqual([100, 100, 200, 400, 800, 1_000, 1_000]);
  });

  it('suspends on loss, reconnects with session id and password, restores', async () => {
    const { actor, effects, state, lastAttempt } = await startConnected();
    actor.send({ type: 'connection.lost' });
    expect(state()).toEqual({ suspended: 'opening' });
    expect(lastAttempt().input).toMatchObject({ sessionId: 0x42n, password: established.password });
    lastAttempt().resolve(established);
    await settle();
    expect(effects).toEqual(['state suspended', 'restoreSession', 'state connected']);
  });

  it('expires when suspended for the whole negotiated timeout', async () => {
    const { actor, clock, effects, state } = await startConnected();
    actor.send({ type: 'connection.lost' });
    clock.increment(established.negotiatedTimeoutMs - 1);
    expect(state()).not.toBe('expired');
    clock.increment(1);
    expect(state()).toBe('expired');
    expect(actor.getSnapshot().status).toBe('done');
    expect(effects).toEqual(['state suspended', 'state expired']);
  });

  it('expires when a reconnect is answered "session expired"', async () => {
    const { actor, effects, state, lastAttempt } = await startConnected();
    actor.send({ type: 'connection.lost' });
    lastAttempt().reject(sessionExpired);
    await settle();
    expect(state()).toBe('expired');
    expect(effects).toEqual(['state suspended', 'state expired']);
  });

  it('expires when the server says so while connected, dropping the socket', async () => {
    const { actor, effects, state } = await startConnected();
    actor.send({ type: 'session.expired' });
    expect(state()).toBe('expired');
    expect(effects).toEqual(['dropConnection', 'state expired']);
  });

  it('closes through closeSession when connected, and at once otherwise', async () => {
    const connected = await startConnected();
    connected.actor.send({ type: 'client.close' });
    await settle();
    expect(connected.state()).toBe('closed');
    expect(connected.effects).toEqual(['closeSession', 'state closed']);
    const connecting = startConnection();
    connecting.actor.send({ type: 'client.close' });
    expect(connecting.state()).toBe('closed');
    const suspended = await startConnected();
    suspended.actor.send({ type: 'connection.lost' });
    suspended.actor.send({ type: 'client.close' });
    expect(suspended.effects).toEqual(['state suspended', 'state closed']);
  });

  it('ends in authFailed when credentials are rejected', async () => {
    const { actor, effects, state } = await startConnected();
    actor.send({ type: 'authentication.failed' });
    expect(state()).toBe('authFailed');
    expect(effects).toEqual(['dropConnection', 'state authFailed']);
  });

  it('reports a read-only connection', async () => {
    const { state, effects, lastAttempt } = startConnection();
    lastAttempt().resolve({ ...established, readOnly: true });
    await settle();
    expect(state()).toEqual({ connected: 'readOnly' });
    expect(effects.at(-1)).toBe('state connectedReadOnly');
  });
});
