// A client with a site against a real 3-replica corral ensemble whose connect string tags one
// replica with the client's site and two with another: it connects at home, fails over to the
// other site when its replica is SIGKILLed (or frozen), and moves back when it returns — one
// session throughout (its ephemeral node lives on), and watches set before each move fire after.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  type Client,
  type ClientConnectionState,
  type WatchEvent,
} from '../../client/index.js';
import { TestEnsemble } from '../support/ensemble.js';
import { eventually } from './support.js';

const siteProbeIntervalMs = 400;
/** Slack over the probe interval for a 2-core machine shared with other suites. */
const moveBackSlackMs = 2_000;

describe('a client with a site (corral, R=3, sites a,b,b)', { timeout: 40_000 }, () => {
  let ensemble: TestEnsemble;
  let direct: Client;
  const clients: Client[] = [];

  beforeAll(async () => {
    ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs: 200 });
    ensemble.startAll();
    await ensemble.waitForLeader();
    // The test's own eyes: any server will do (it reconnects when one goes).
    direct = await connect(ensemble.connectString(), {
      sessionTimeoutMs: 4_000, reconnectBackoffMsBase: 20,
    });
    clients.push(direct);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await ensemble?.destroy();
  });

  it('fails over to the other site keeping its session and moves back when home returns',
    async () => {
      // Home is a follower, so losing it costs no election (the test is about the client).
      const [home, ...away] = [...(await ensemble.followers()), await ensemble.waitForLeader()];
      const port = (id: number) => ensemble.clientPort(id);
      const connectString = [
        `127.0.0.1:${port(home!)}@a`,
        ...away.map((id) => `127.0.0.1:${port(id)}@b`),
      ].join(',') + '/sites';
      await direct.create('/sites', '');
      for (const name of ['before-failover', 'before-both', 'while-away']) {
        await direct.create(`/sites/${name}`, 'v0');
      }

      const client = await connect(connectString, {
        site: 'a',
        siteProbeIntervalMs,
        sessionTimeoutMs: 4_000,
        reconnectBackoffMsBase: 20,
        reconnectBackoffMsMax: 200,
      });
      clients.push(client);
      const states: ClientConnectionState[] = [];
      client.on('state', (state) => states.push(state));
      expect(client.connectedServer).toEqual({
        host: '127.0.0.1', port: port(home!), site: 'a', isOwnSite: true,
      });
      const sessionId = client.sessionId;
      await client.create('/owned', '', { mode: 'ephemeral' });
      const fired: string[] = [];
      const record = (event: WatchEvent) => fired.push(`${event.type} ${event.path}`);
      await client.getData('/before-failover', { watch: record });
      await client.getData('/before-both', { watch: record });

      await ensemble.kill(home!);
      await eventually('failover to site b', () => client.connectedServer?.site === 'b', 10_000);
      expect(client.connectedServer?.isOwnSite).toBe(false);
      expect(away.map(port)).toContain(client.connectedServer?.port);
      expect(client.sessionId).toBe(sessionId);
      expect(await direct.exists('/sites/owned')).not.toBeNull();
      await direct.setData('/sites/before-failover', 'v1');
      await eventually('the watch set before failover', () => fired.length === 1);
      expect(fired).toEqual(['nodeDataChanged /before-failover']);
      await client.getData('/while-away', { watch: record });

      ensemble.start(home!);
      await eventually('home serving again',
        async () => (await ensemble.status(home!)).mode === 'follower', 20_000);
      const servingAtMs = Date.now();
      await eventually('the move back home', () => client.connectedServer?.site === 'a',
        siteProbeIntervalMs + moveBackSlackMs);
      const movedAfterMs = Date.now() - servingAtMs;
      expect(client.connectedServer?.port).toBe(port(home!));
      expect(client.sessionId).toBe(sessionId);
      // Two reconnects of one session: never expired, never a new session.
      expect(states).toEqual(['suspended', 'connected', 'suspended', 'connected']);
      expect(await direct.exists('/sites/owned')).not.toBeNull();
      await direct.setData('/sites/before-both', 'v1');
      await direct.setData('/sites/while-away', 'v1');
      await eventually('the watches set before the move back', () => fired.length === 3);
      expect(fired.sort()).toEqual([
        'nodeDataChanged /before-both',
        'nodeDataChanged /before-failover',
        'nodeDataChanged /while-away',
      ]);
      // Served at home, the client reads its own writes there.
      await client.setData('/owned', 'home');
      expect((await client.getData('/owned')).data?.toString()).toBe('home');
      console.log(`moved back ${movedAfterMs} ms after home served (probe every ` +
        `${siteProbeIntervalMs} ms)`);
    });

  it('fails over within its session timeout when its site freezes (SIGSTOP), then returns',
    async () => {
      const home = (await ensemble.followers(ensemble.ids))[0]!;
      const away = ensemble.ids.filter((id) => id !== home);
      const tags = ensemble.ids.map((id) =>
        `127.0.0.1:${ensemble.clientPort(id)}@${id === home ? 'a' : 'b'}`);
      const sessionTimeoutMs = 4_000;
      const client = await connect(tags.join(','), {
        site: 'a', siteProbeIntervalMs, sessionTimeoutMs, reconnectBackoffMsBase: 20,
      });
      clients.push(client);
      const states: ClientConnectionState[] = [];
      client.on('state', (state) => states.push(state));
      expect(client.connectedServer?.port).toBe(ensemble.clientPort(home));
      await client.create('/frozen-owner', '', { mode: 'ephemeral' });
      const sessionId = client.sessionId;

      // A frozen server keeps its socket open: only the read timeout (2/3 of the session
      // timeout) tells, and the frozen home (tried last) must not spend the rest.
      ensemble.pause(home);
      const frozenAtMs = Date.now();
      try {
        // The session's survival is the server's verdict; the wait allows for a loaded machine.
        await eventually('failover from the frozen site', () =>
          client.connectedServer?.site === 'b', sessionTimeoutMs + 1_000);
      } finally {
        ensemble.resume(home);
      }
      const failoverMs = Date.now() - frozenAtMs;
      expect(states).toEqual(['suspended', 'connected']);
      expect(away.map((id) => ensemble.clientPort(id))).toContain(client.connectedServer?.port);
      expect(client.sessionId).toBe(sessionId);
      expect(await direct.exists('/frozen-owner')).not.toBeNull();
      await eventually('home serving again',
        async () => (await ensemble.status(home)).mode === 'follower', 20_000);
      await eventually('the move back home', () => client.connectedServer?.site === 'a',
        siteProbeIntervalMs + moveBackSlackMs);
      expect(states).toEqual(['suspended', 'connected', 'suspended', 'connected']);
      expect(client.sessionId).toBe(sessionId);
      expect(await direct.exists('/frozen-owner')).not.toBeNull();
      console.log(`failover from a frozen site took ${failoverMs} ms (session timeout ` +
        `${sessionTimeoutMs} ms)`);
    });
});
