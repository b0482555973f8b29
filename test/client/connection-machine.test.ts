// The client connection machine as a transcript: the host's effects are fakes that record what
// they were asked to do, connection attempts are settled by the test, and a SimulatedClock makes
// backoff and the close timeout exact. The paths to `expired` have their own file.

import { describe, expect, it } from 'vitest';
import {
  reconnectBackoffMs,
  sessionTimeoutRemainingMs,
  type ClientConnectionContext,
} from '../../machines/client-connection.js';
import {
  closeTimeoutMs,
  connectionLoss,
  established,
  servers,
  settle,
  startConnected,
  startConnection,
} from './connection-machine-harness.js';

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

  it.each([
    [4_000, 0, 4_000],
    [4_000, 2_666, 1_334],
    [4_000, 4_000, 0],
    [4_000, 9_000, 0],
  ])('leaves %i ms − %i ms silent = %i ms before local expiry (a pure rule)',
    (negotiatedTimeoutMs, silentMsAtLoss, remaining) => {
      const context = { negotiatedTimeoutMs, silentMsAtLoss } as ClientConnectionContext;
      expect(sessionTimeoutRemainingMs(context)).toBe(remaining);
    });

  it('suspends on loss, reconnects to the next server with session id and password', async () => {
    const { actor, effects, state, lastAttempt } = await startConnected();
    expect(lastAttempt().input.server.port).toBe(2181);
    actor.send({ type: 'connection.lost' });
    expect(state()).toEqual({ suspended: 'opening' });
    expect(lastAttempt().input).toMatchObject({
      server: { port: 2182 },
      sessionId: 0x42n,
      password: established.password,
    });
    lastAttempt().resolve(established);
    await settle();
    expect(effects).toEqual(['state suspended', 'restoreSession', 'state connected']);
  });

  it('closes through closeSession when connected, and at once otherwise', async () => {
    const connected = await startConnected();
    connected.actor.send({ type: 'client.close' });
    connected.closings[0]?.resolve();
    await settle();
    expect(connected.state()).toBe('closed');
    expect(connected.effects).toEqual(['closeSession', 'state closed']);
    const connecting = startConnection();
    connecting.actor.send({ type: 'client.close' });
    expect(connecting.state()).toBe('closed');
    expect(connecting.lastAttempt().signal.aborted).toBe(true);
    const suspended = await startConnected();
    suspended.actor.send({ type: 'connection.lost' });
    suspended.actor.send({ type: 'client.close' });
    expect(suspended.effects).toEqual(['state suspended', 'state closed']);
  });

  it('closes when the connection drops while closeSession is unanswered', async () => {
    const { actor, effects, state } = await startConnected();
    actor.send({ type: 'client.close' });
    actor.send({ type: 'connection.lost' });
    expect(state()).toBe('closed');
    expect(effects).toEqual(['closeSession', 'state closed']);
  });

  it('gives up on closeSession after closeTimeoutMs (a frozen server never answers)', async () => {
    const { actor, clock, closings, effects, state } = await startConnected();
    actor.send({ type: 'client.close' });
    expect(state()).toBe('closing');
    clock.increment(closeTimeoutMs - 1);
    expect(state()).toBe('closing');
    clock.increment(1);
    expect(state()).toBe('closed');
    expect(closings[0]?.signal.aborted).toBe(true);
    expect(effects).toEqual(['closeSession', 'state closed']);
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
    expect(state()).toEqual({ connected: { readOnly: 'waiting' } });
    expect(effects.at(-1)).toBe('state connectedReadOnly');
  });
});
