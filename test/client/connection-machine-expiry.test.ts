// Every path of the client connection machine into `expired`, walked with a SimulatedClock: the
// server's verdict (while connected, read-write or read-only), a reconnect answered "expired"
// (first connect or resume), and the local timer, which counts the session timeout from the
// server's last frame. The last test proves each transition into `expired` was taken here.

import { describe, expect, it } from 'vitest';
import { reconnectBackoffMs } from '../../machines/client-connection.js';
import {
  connectionLoss,
  established,
  sessionExpired,
  settle,
  startConnected,
  startConnection,
  transitionsInto,
} from './connection-machine-harness.js';

const taken = new Set<string>();
const timeoutMs = established.negotiatedTimeoutMs;

describe('client connection machine: paths to expired', () => {
  it('expires on the server verdict while connected read-write, dropping the socket', async () => {
    const { actor, effects, state } = await startConnected(taken);
    actor.send({ type: 'session.expired' });
    expect(state()).toBe('expired');
    expect(actor.getSnapshot().status).toBe('done');
    expect(effects).toEqual(['dropConnection', 'state expired']);
  });

  it('expires on the server verdict while connected read-only', async () => {
    const { actor, effects, state, lastAttempt } = startConnection(taken);
    lastAttempt().resolve({ ...established, readOnly: true });
    await settle();
    actor.send({ type: 'session.expired' });
    expect(state()).toBe('expired');
    expect(effects.slice(-2)).toEqual(['dropConnection', 'state expired']);
  });

  it('expires when a resuming handshake is answered "session expired"', async () => {
    const { actor, effects, state, lastAttempt } = await startConnected(taken);
    actor.send({ type: 'connection.lost' });
    lastAttempt().reject(sessionExpired);
    await settle();
    expect(state()).toBe('expired');
    expect(effects).toEqual(['state suspended', 'state expired']);
  });

  it('expires when a resuming handshake is refused "expired" after other failures', async () => {
    const { actor, clock, attempts, state, lastAttempt } = await startConnected(taken);
    actor.send({ type: 'connection.lost' });
    lastAttempt().reject(connectionLoss);
    await settle();
    clock.increment(150); // the jitter-free backoff of 100 ms
    expect(attempts).toHaveLength(3);
    lastAttempt().reject(sessionExpired);
    await settle();
    expect(state()).toBe('expired');
  });

  it('expires when a first handshake is answered "session expired"', async () => {
    const { effects, state, lastAttempt } = startConnection(taken);
    lastAttempt().reject(sessionExpired);
    await settle();
    expect(state()).toBe('expired');
    expect(effects).toEqual(['state connecting', 'state expired']);
  });

  it('expires after the negotiated timeout while a reconnect attempt hangs', async () => {
    const { actor, clock, effects, state, lastAttempt } = await startConnected(taken);
    actor.send({ type: 'connection.lost' });
    const hanging = lastAttempt();
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ suspended: 'opening' });
    clock.increment(1);
    expect(state()).toBe('expired');
    expect(hanging.signal.aborted).toBe(true);
    // A handshake that completes too late does not bring the session back.
    hanging.resolve(established);
    await settle();
    expect(state()).toBe('expired');
    expect(effects).toEqual(['state suspended', 'state expired']);
  });

  it('expires after the negotiated timeout while backing off, and tries no more', async () => {
    const { actor, clock, attempts, state, lastAttempt } = await startConnected(taken);
    actor.send({ type: 'connection.lost' });
    for (let failure = 0; failure < 50; failure++) {
      lastAttempt().reject(connectionLoss);
      await settle();
      expect(state()).toEqual({ suspended: 'waiting' });
      const backoff = reconnectBackoffMs(actor.getSnapshot().context);
      const remaining = timeoutMs - clock.now();
      if (backoff > remaining) {
        clock.increment(remaining); // the timer fires in the middle of a backoff
        break;
      }
      clock.increment(backoff);
    }
    expect(state()).toBe('expired');
    expect(clock.now()).toBe(timeoutMs);
    const count = attempts.length;
    clock.increment(60_000);
    expect(attempts).toHaveLength(count);
  });

  it('counts the timeout from the server\'s last frame, not from the loss', async () => {
    const { actor, clock, state } = await startConnected(taken);
    // A frozen server: the host's read timeout noticed after two thirds of the timeout.
    actor.send({ type: 'connection.lost', silentMs: 2_666 });
    clock.increment(timeoutMs - 2_666 - 1);
    expect(state()).toEqual({ suspended: 'opening' });
    clock.increment(1);
    expect(state()).toBe('expired');
  });

  it('expires at once when the server was silent for the whole timeout', async () => {
    const { actor, clock, effects, state } = await startConnected(taken);
    actor.send({ type: 'connection.lost', silentMs: timeoutMs + 500 });
    clock.increment(0);
    expect(state()).toBe('expired');
    expect(effects).toEqual(['state suspended', 'state expired']);
  });

  it('restarts the timer at each suspension', async () => {
    const { actor, clock, state, lastAttempt } = await startConnected(taken);
    actor.send({ type: 'connection.lost' });
    clock.increment(timeoutMs - 100);
    lastAttempt().resolve(established);
    await settle();
    expect(state()).toEqual({ connected: 'readWrite' });
    actor.send({ type: 'connection.lost' });
    clock.increment(timeoutMs - 1);
    expect(state()).toEqual({ suspended: 'opening' });
    clock.increment(1);
    expect(state()).toBe('expired');
  });

  it('never expires while connecting: there is no session to lose yet', async () => {
    const { clock, state, lastAttempt } = startConnection(taken);
    for (let failure = 0; failure < 30; failure++) {
      lastAttempt().reject(connectionLoss);
      await settle();
      clock.increment(1_000);
    }
    expect(clock.now()).toBeGreaterThan(5 * timeoutMs);
    expect(state()).toEqual({ connecting: 'opening' });
  });

  it('has taken every transition into expired', () => {
    const into = transitionsInto('expired');
    expect(into).toEqual([
      'connected session.expired',
      'connecting.opening xstate.error.actor.openConnection',
      'suspended xstate.after.sessionTimeout.clientConnection.suspended',
      'suspended.opening xstate.error.actor.openConnection',
    ]);
    expect(into.filter((name) => !taken.has(name))).toEqual([]);
  });
});
