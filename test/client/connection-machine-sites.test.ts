// The client connection machine with a site (fakes for sockets and probes, a SimulatedClock): it
// tries its own site's servers first, falls back to another site, asks its own site's servers
// each siteProbeIntervalMs while served elsewhere, and moves its session back to one that serves.

import { describe, expect, it } from 'vitest';
import {
  connectionLoss,
  established,
  settle,
  startConnection,
  type Connection,
} from './connection-machine-harness.js';

const siteServers = [
  { host: 'a1', port: 1, site: 'a' },
  { host: 'a2', port: 2, site: 'a' },
  { host: 'b1', port: 3, site: 'b' },
];
const siteProbeIntervalMs = 1_000;

const serverOf = (connection: Connection) => connection.lastAttempt().input.server.host;

function startWithSite(siteServerCount = 2): Connection {
  return startConnection(new Set(), {
    servers: siteServers,
    siteServerCount,
    siteProbeIntervalMs,
    canBeReadOnly: false,
  });
}

/** Own site refuses (a1, a2), the other site accepts: connected away from the site. */
async function connectAway(connection: Connection): Promise<void> {
  for (const expected of ['a1', 'a2']) {
    expect(serverOf(connection)).toBe(expected);
    connection.lastAttempt().reject(connectionLoss);
    await settle();
    connection.clock.increment(100); // the backoff's base: one pass is not yet over
    await settle();
  }
  expect(serverOf(connection)).toBe('b1');
  connection.lastAttempt().resolve(established);
  await settle();
  expect(connection.state()).toEqual({ connected: { awayFromSite: 'waiting' } });
  expect(connection.effects).toContain('state connected');
  connection.effects.length = 0;
}

describe('client connection machine with a site', () => {
  it('falls back to another site only after every own-site server failed', async () => {
    const connection = startWithSite();
    await connectAway(connection);
    expect(connection.siteProbes).toEqual([]);
  });

  it('asks own-site servers each interval and stays while none serves read-write', async () => {
    const connection = startWithSite();
    await connectAway(connection);
    connection.clock.increment(siteProbeIntervalMs - 1);
    await settle();
    expect(connection.siteProbes).toHaveLength(0);
    connection.clock.increment(1);
    await settle();
    expect(connection.siteProbes.map((probe) => probe.server)).toEqual(['a1:1']);
    connection.siteProbes[0]!.reject(new Error('refused'));
    await settle();
    // The round goes on to the next own-site server at once; a read-only one is no home.
    expect(connection.siteProbes.map((probe) => probe.server)).toEqual(['a1:1', 'a2:2']);
    connection.siteProbes[1]!.resolve('ro');
    await settle();
    expect(connection.state()).toEqual({ connected: { awayFromSite: 'waiting' } });
    connection.clock.increment(siteProbeIntervalMs);
    await settle();
    expect(connection.siteProbes.map((probe) => probe.server)).toEqual(['a1:1', 'a2:2', 'a1:1']);
    expect(connection.effects).toEqual([]);
  });

  it('moves the session to the first own-site server that answers rw', async () => {
    const connection = startWithSite();
    await connectAway(connection);
    connection.clock.increment(siteProbeIntervalMs);
    await settle();
    connection.siteProbes[0]!.reject(new Error('refused'));
    await settle();
    connection.siteProbes[1]!.resolve('rw');
    await settle();
    expect(connection.effects).toEqual(['dropConnection', 'state suspended']);
    // A reconnect carrying the session: same id and password, to the server that answered.
    expect(connection.lastAttempt().input).toMatchObject({
      server: { host: 'a2', port: 2 },
      sessionId: established.sessionId,
      password: established.password,
    });
    connection.lastAttempt().resolve(established);
    await settle();
    expect(connection.state()).toEqual({ connected: 'readWrite' });
    expect(connection.effects).toEqual([
      'dropConnection', 'state suspended', 'restoreSession', 'state connected',
    ]);
    // At home: no more probes.
    connection.clock.increment(5 * siteProbeIntervalMs);
    await settle();
    expect(connection.siteProbes).toHaveLength(2);
  });

  it('after a move that fails, tries the rest of its site, then the other site', async () => {
    const connection = startWithSite();
    await connectAway(connection);
    connection.clock.increment(siteProbeIntervalMs);
    await settle();
    connection.siteProbes[0]!.resolve('rw');
    await settle();
    expect(serverOf(connection)).toBe('a1');
    connection.lastAttempt().reject(connectionLoss);
    await settle();
    connection.clock.increment(100);
    await settle();
    expect(serverOf(connection)).toBe('a2');
    connection.lastAttempt().reject(connectionLoss);
    await settle();
    connection.clock.increment(200);
    await settle();
    expect(serverOf(connection)).toBe('b1');
    expect(connection.lastAttempt().input.sessionId).toBe(established.sessionId);
  });

  it('after losing an own-site server, tries the site\'s others, elsewhere, then it',
    async () => {
      const connection = startWithSite();
      connection.lastAttempt().resolve(established);
      await settle();
      expect(connection.state()).toEqual({ connected: 'readWrite' });
      connection.actor.send({ type: 'connection.lost' });
      await settle();
      const tried: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        tried.push(serverOf(connection));
        connection.lastAttempt().reject(connectionLoss);
        await settle();
        connection.clock.increment(200);
        await settle();
      }
      expect(tried).toEqual(['a2', 'b1', 'a1']);
    });

  it('losing the other site\'s server starts over with its own site', async () => {
    const connection = startWithSite();
    await connectAway(connection);
    connection.clock.increment(siteProbeIntervalMs);
    await settle();
    // Lost while a probe is out: the probe is abandoned and the reconnect starts at home.
    connection.actor.send({ type: 'connection.lost' });
    await settle();
    expect(connection.state()).toEqual({ suspended: 'opening' });
    expect(serverOf(connection)).toBe('a1');
  });

  it('without own-site servers behaves as a client without a site', async () => {
    const connection = startWithSite(0);
    connection.lastAttempt().reject(connectionLoss);
    await settle();
    connection.clock.increment(100);
    await settle();
    connection.lastAttempt().resolve(established);
    await settle();
    expect(connection.state()).toEqual({ connected: 'readWrite' });
    connection.actor.send({ type: 'connection.lost' });
    await settle();
    expect(serverOf(connection)).toBe('b1'); // the next server, as ZooKeeper's client
    connection.clock.increment(10 * siteProbeIntervalMs);
    await settle();
    expect(connection.siteProbes).toEqual([]);
  });
});
