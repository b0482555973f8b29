// The client when its only server is frozen (SIGSTOP: the socket stays open, nothing answers):
// a request with a timeout fails in about that time, close() ends promptly instead of waiting for
// a closeSession reply that never comes, and the silence is noticed and reported as expiry a
// session timeout after the server's last frame. Regressions for a close() that hung forever.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionLossError,
  RequestTimeoutError,
  connect,
  createClient,
  type ClientConnectionState,
} from '../../client/index.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { eventually } from './support.js';

const requestTimeoutMs = 300;
/** The default closeTimeoutMs (1 s) and some room for a loaded machine. */
const closeMsMax = 1_600;

describe('client against a frozen server (corral, SIGSTOP)', () => {
  let server: CorralServer;
  let connectString: string;

  beforeAll(async () => {
    server = await startCorral({ tickTimeMs: 200 });
    connectString = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    server?.process.kill('SIGCONT');
    await server?.stop();
  });

  /** Runs `body` with the server stopped, always continuing it afterwards. */
  async function whileFrozen(body: () => Promise<void>): Promise<void> {
    server.process.kill('SIGSTOP');
    try {
      await body();
    } finally {
      server.process.kill('SIGCONT');
    }
  }

  it('times a request out, then closes within closeTimeoutMs though nothing answers', async () => {
    const client = await connect(connectString, { sessionTimeoutMs: 6_000 });
    await whileFrozen(async () => {
      const startedAtMs = performance.now();
      await expect(client.getData('/', { timeoutMs: requestTimeoutMs }))
        .rejects.toBeInstanceOf(RequestTimeoutError);
      const elapsedMs = performance.now() - startedAtMs;
      expect(elapsedMs).toBeGreaterThanOrEqual(requestTimeoutMs - 5);
      expect(elapsedMs).toBeLessThan(requestTimeoutMs + 500);
      const closingAtMs = performance.now();
      await client.close();
      expect(performance.now() - closingAtMs).toBeLessThan(closeMsMax);
      expect(client.state).toBe('closed');
      await expect(client.exists('/')).rejects.toBeInstanceOf(ConnectionLossError);
    });
  });

  it('times out a request that waits for a first connection, and closes at once', async () => {
    await whileFrozen(async () => {
      const client = createClient(connectString, { sessionTimeoutMs: 6_000 });
      const startedAtMs = performance.now();
      await expect(client.exists('/', { timeoutMs: requestTimeoutMs }))
        .rejects.toBeInstanceOf(RequestTimeoutError);
      expect(performance.now() - startedAtMs).toBeLessThan(requestTimeoutMs + 500);
      expect(client.state).toBe('connecting');
      const closingAtMs = performance.now();
      await client.close();
      expect(performance.now() - closingAtMs).toBeLessThan(100);
      const connecting = connect(connectString, { connectTimeoutMs: requestTimeoutMs });
      await expect(connecting).rejects.toBeInstanceOf(ConnectionLossError);
    });
  });

  it('suspends on silence and expires a session timeout after the last frame', async () => {
    const sessionTimeoutMs = 1_500;
    const client = await connect(connectString, { sessionTimeoutMs });
    const states: { state: ClientConnectionState; atMs: number }[] = [];
    client.on('state', (state) => states.push({ state, atMs: performance.now() }));
    await whileFrozen(async () => {
      const frozenAtMs = performance.now();
      await eventually('expired', () => client.state === 'expired', 3 * sessionTimeoutMs);
      expect(states.map(({ state }) => state)).toEqual(['suspended', 'expired']);
      const [suspended, expired] = states as [(typeof states)[0], (typeof states)[0]];
      // Read timeout: two thirds of the timeout without a frame (pings come every third).
      expect(suspended.atMs - frozenAtMs).toBeLessThan(sessionTimeoutMs);
      // Counted from the last frame, not from the suspension (that would be ≥ 2 s after it).
      expect(expired.atMs - frozenAtMs).toBeLessThan(sessionTimeoutMs + 400);
    });
    await client.close();
  });
});
