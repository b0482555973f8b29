// The connection machine hosted over real TCP: a relay we control cuts the client's connection
// (the session lives on), so suspension, reconnection with watch re-registration, in-flight
// failure, waiting requests, expiry and auth failure are observed as an application sees them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthFailedError,
  ConnectionLossError,
  RequestTimeoutError,
  SessionExpiredError,
  connect,
  type Client,
  type ClientConnectionState,
  type WatchEvent,
} from '../../client/index.js';
import { WireConnection } from '../../client/wire.js';
import { startRelay, type Relay } from '../interop/proxy.js';
import { eventually, serverKinds, startServer, type TestServer } from './support.js';

function recordStates(client: Client): ClientConnectionState[] {
  const states: ClientConnectionState[] = [];
  client.on('state', (state) => states.push(state));
  return states;
}

describe.each(serverKinds)('client reconnection against %s', (kind) => {
  let server: TestServer;
  let direct: Client;
  const opened: Client[] = [];
  const relays: Relay[] = [];

  beforeAll(async () => {
    server = await startServer(kind, 200);
    direct = await connect(server.connectString);
    opened.push(direct);
  });
  afterAll(async () => {
    for (const relay of relays) await relay.cut();
    for (const client of opened) await client.close();
    await server?.stop();
  });

  async function relayedClient(sessionTimeoutMs = 3_000) {
    const relay = await startRelay(server.port);
    relays.push(relay);
    const client = await connect(`127.0.0.1:${relay.port}`, {
      sessionTimeoutMs,
      reconnectBackoffMsBase: 20,
      reconnectBackoffMsMax: 100,
    });
    opened.push(client);
    return { relay, client, states: recordStates(client) };
  }

  it('suspends on loss, fails in-flight requests, reconnects to the same session', async () => {
    const { relay, client, states } = await relayedClient();
    await client.create(`/${kind}-suspend`, '', { mode: 'ephemeral' });
    const sessionId = client.sessionId;
    const inFlight = client.getData(`/${kind}-suspend`);
    await relay.cut();
    await expect(inFlight).rejects.toBeInstanceOf(ConnectionLossError);
    expect(client.state).toBe('suspended');
    // Sent while suspended: waits for the connection; one with a timeout gives up.
    const waiting = client.exists(`/${kind}-suspend`);
    await expect(client.exists('/', { timeoutMs: 50 })).rejects.toBeInstanceOf(RequestTimeoutError);
    await relay.resume();
    expect(await waiting).not.toBeNull();
    expect(client.sessionId).toBe(sessionId);
    expect(states).toEqual(['suspended', 'connected']);
    expect(await direct.exists(`/${kind}-suspend`)).not.toBeNull();
  });

  it('re-registers watches after a reconnect and delivers the events it missed', async () => {
    const { relay, client } = await relayedClient();
    const base = `/${kind}-watch`;
    await direct.create(base, 'v0');
    await direct.create(`${base}/sub`, '');
    const events: string[] = [];
    const record = (event: WatchEvent) => events.push(`${event.type} ${event.path}`);
    await client.getData(base, { watch: record });
    await client.getChildren(base, { watch: record });
    expect(await client.exists(`${base}/later`, { watch: record })).toBeNull();
    const iterator = client.watch(`${base}/sub`, { recursive: true });
    const first = iterator.next();
    await eventually('the recursive watch', async () => {
      await client.sync(base);
      return true;
    });
    await relay.cut();
    await direct.setData(base, 'v1');
    await direct.create(`${base}/later`, '');
    await direct.setData(`${base}/sub`, 'changed');
    await relay.resume();
    await client.whenConnected();
    await eventually('missed events', () => events.length >= 3);
    expect(events.sort()).toEqual([
      `nodeChildrenChanged ${base}`,
      `nodeCreated ${base}/later`,
      `nodeDataChanged ${base}`,
    ]);
    // Persistent watches are re-registered (ZooKeeper does not replay what they missed).
    await direct.create(`${base}/sub/child`, '');
    const next = await first;
    expect(next.value).toMatchObject({ type: 'nodeCreated', path: `${base}/sub/child` });
    await iterator.return?.();
  });

  it('reports expiry when disconnected past the session timeout', async () => {
    const { relay, client, states } = await relayedClient(800);
    await client.create(`/${kind}-expire`, '', { mode: 'ephemeral' });
    const iterator = client.watch(`/${kind}-expire`);
    const ended = iterator.next().catch((error: unknown) => error);
    await client.sync('/'); // the addWatch before it is answered by now
    await relay.cut();
    await eventually('expired', () => client.state === 'expired', 5_000);
    expect(states).toEqual(['suspended', 'expired']);
    expect(await ended).toBeInstanceOf(SessionExpiredError);
    await expect(client.exists('/')).rejects.toBeInstanceOf(SessionExpiredError);
    const gone = async () => (await direct.exists(`/${kind}-expire`)) === null;
    await eventually('ephemeral removed', gone);
  });

  it('learns of expiry from the server on reconnect', async () => {
    const { relay, client, states } = await relayedClient(3_000);
    await relay.cut();
    // Another connection takes the session over and closes it, as a server-side expiry would.
    const takeover = await WireConnection.open({
      host: '127.0.0.1',
      port: server.port,
      timeoutMs: 3_000,
      sessionId: client.sessionId,
      password: client.sessionPassword as Buffer,
    });
    await takeover.close();
    await relay.resume();
    await eventually('expired', () => client.state === 'expired');
    expect(states).toEqual(['suspended', 'expired']);
  });

  it('ends in authFailed when the server rejects credentials', async () => {
    const client = await connect(server.connectString);
    opened.push(client);
    await expect(client.addAuth('no-such-scheme', 'x')).rejects.toBeInstanceOf(AuthFailedError);
    expect(client.state).toBe('authFailed');
    await expect(client.exists('/')).rejects.toBeInstanceOf(AuthFailedError);
  });
});
