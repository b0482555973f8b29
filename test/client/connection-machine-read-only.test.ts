// The client connection machine connected to a read-only server, as ZooKeeper's ClientCnxn
// behaves there: it probes the other servers with `isro` (first after 100 ms, then doubling up to
// a minute), moves to the first that answers `rw`, and carries a read-only server's local session
// nowhere (a reconnect asks for a new session until a read-write server has been seen).

import { describe, expect, it } from 'vitest';
import {
  nextProbeIndex,
  readWriteProbeMsMax,
  readWriteProbeMsMin,
} from '../../machines/client-connection.js';
import {
  connectionLoss,
  established,
  settle,
  startConnected,
  startConnection,
  type Connection,
} from './connection-machine-harness.js';

const readOnly = { ...established, sessionId: 0x51n, readOnly: true };

/** Connected read-only (to the first server, h1:2181), effects cleared. */
async function startReadOnly(): Promise<Connection> {
  const connection = startConnection();
  connection.lastAttempt().resolve(readOnly);
  await settle();
  expect(connection.state()).toEqual({ connected: { readOnly: 'waiting' } });
  connection.effects.length = 0;
  return connection;
}

describe('client connection machine: read-only', () => {
  it.each<[number, number, number, number]>([
    // probed index, index connected to, servers, next probe (never the one connected to)
    [0, 0, 3, 1],
    [1, 0, 3, 2],
    [2, 0, 3, 1],
    [0, 1, 3, 2],
    [2, 1, 3, 0],
    [0, 0, 1, 0],
    [0, 1, 2, 0],
  ])('after probing %s (connected to %s of %s) probes %s', (index, serverIndex, count, next) => {
    expect(nextProbeIndex(index, serverIndex, count)).toBe(next);
  });

  it('probes the other servers with waits doubling from 100 ms to a minute, never its own',
    async () => {
      const { clock, probes, state } = await startReadOnly();
      for (let probe = 0; probe < 12; probe++) {
        const waitMs = Math.min(readWriteProbeMsMin * 2 ** probe, readWriteProbeMsMax);
        clock.increment(waitMs - 1);
        expect(probes, `probe ${probe} not before ${waitMs} ms`).toHaveLength(probe);
        clock.increment(1);
        expect(probes, `probe ${probe} after ${waitMs} ms`).toHaveLength(probe + 1);
        expect(state()).toEqual({ connected: { readOnly: 'probing' } });
        probes.at(-1)!.resolve('ro');
        await settle();
      }
      expect(probes.map((probe) => probe.server).slice(0, 4)).toEqual([
        'h2:2182', 'h3:2183', 'h2:2182', 'h3:2183',
      ]);
      expect(state()).toEqual({ connected: { readOnly: 'waiting' } });
    });

  it('goes on probing after a probe fails (the server is down)', async () => {
    const { clock, probes, state } = await startReadOnly();
    clock.increment(100);
    probes[0]!.reject(connectionLoss);
    await settle();
    expect(state()).toEqual({ connected: { readOnly: 'waiting' } });
    clock.increment(200);
    expect(probes.map((probe) => probe.server)).toEqual(['h2:2182', 'h3:2183']);
  });

  it('moves to a server answering rw, asking it for a new session', async () => {
    const { clock, probes, attempts, effects, state, lastAttempt } = await startReadOnly();
    clock.increment(100);
    probes[0]!.resolve('ro');
    await settle();
    clock.increment(200);
    probes[1]!.resolve('rw');
    await settle();
    expect(effects).toEqual(['dropConnection', 'state suspended']);
    expect(attempts).toHaveLength(2);
    // ClientCnxn: no read-write server seen yet, so the local session is not carried over.
    expect(lastAttempt().input).toMatchObject({
      server: { host: 'h3', port: 2183 }, sessionId: 0n, password: null,
    });
    lastAttempt().resolve({ ...established, sessionId: 0x77n });
    await settle();
    expect(state()).toEqual({ connected: 'readWrite' });
    expect(effects.slice(2)).toEqual(['restoreSession', 'state connected']);
  });

  it('keeps a session a read-write server created across a read-only connection', async () => {
    const { actor, probes, clock, lastAttempt, state } = await startConnected();
    actor.send({ type: 'connection.lost' });
    lastAttempt().resolve({ ...established, readOnly: true });
    await settle();
    expect(state()).toEqual({ connected: { readOnly: 'waiting' } });
    clock.increment(100);
    probes[0]!.resolve('rw');
    await settle();
    expect(lastAttempt().input).toMatchObject({
      sessionId: established.sessionId, password: established.password,
    });
  });

  it('never expires a read-only session locally: it reconnects for a new one', async () => {
    const { actor, clock, attempts, state, lastAttempt } = await startReadOnly();
    actor.send({ type: 'connection.lost' });
    for (let failure = 0; failure < 20; failure++) {
      lastAttempt().reject(connectionLoss);
      await settle();
      clock.increment(1_000);
    }
    expect(clock.now()).toBeGreaterThan(4 * established.negotiatedTimeoutMs);
    expect(state()).toEqual({ suspended: 'opening' });
    expect(attempts.at(-1)!.input.sessionId).toBe(0n);
  });
});
