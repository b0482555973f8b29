// The connection host's read timeout against a scripted server: silence from a server drops the
// connection, but a stall of the client's own event loop (GC, CPU starvation, a long synchronous
// task) does not, since the server may have answered while the client was not reading.

import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client, type ClientConnectionState } from '../../client/index.js';
import { FakeServer, type Answer } from './fake-server.js';
import { eventually, sleep } from './support.js';

const negotiatedTimeoutMs = 1_500;
const readTimeoutMs = (negotiatedTimeoutMs * 2) / 3;

const servers: FakeServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await server.stop();
});

async function connectedClient(answer: Answer) {
  const server = new FakeServer(answer, negotiatedTimeoutMs);
  servers.push(server);
  const port = await server.listen();
  const client = createClient(`127.0.0.1:${port}`, {
    sessionTimeoutMs: negotiatedTimeoutMs,
    closeTimeoutMs: 100,
  });
  clients.push(client);
  await client.whenConnected(AbortSignal.timeout(5_000));
  const states: ClientConnectionState[] = [];
  client.on('state', (state) => states.push(state));
  return { server, client, states };
}

/** Keeps this process's event loop busy, as a long synchronous task would. */
function blockEventLoop(durationMs: number): void {
  const untilMs = performance.now() + durationMs;
  for (let spin = 0; spin < 1e10 && performance.now() < untilMs; spin++) {
    // busy: no timer, no socket is serviced meanwhile
  }
}

describe('connection host read timeout', () => {
  it('keeps a live connection through a stall of its own event loop', async () => {
    const pingsOnly: Answer = ({ xid, request }, send) => {
      if (request.kind === 'ping') send({ xid, zxid: 0, err: 0 });
    };
    const { client, states } = await connectedClient(pingsOnly);
    blockEventLoop(readTimeoutMs + 200);
    await sleep(readTimeoutMs);
    expect(states).toEqual([]);
    expect(client.state).toBe('connected');
  });

  it('drops a connection whose server stops answering, after the read timeout', async () => {
    let answering = true;
    const { states } = await connectedClient(({ xid, request }, send) => {
      if (answering && request.kind === 'ping') send({ xid, zxid: 0, err: 0 });
    });
    await sleep(100);
    answering = false;
    const silentFromMs = performance.now();
    await eventually('suspended', () => states.includes('suspended'), 2 * negotiatedTimeoutMs);
    const elapsedMs = performance.now() - silentFromMs;
    // The last answered ping was at most one ping interval (a third) before answering stopped.
    expect(elapsedMs).toBeGreaterThan(readTimeoutMs - negotiatedTimeoutMs / 3 - 50);
    expect(elapsedMs).toBeLessThan(readTimeoutMs + readTimeoutMs / 4 + 200);
  });
});
