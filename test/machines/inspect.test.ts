// Live inspection of machines (actors/inspection/inspect.ts): a session actor's events reach a
// browser connected to the loopback bridge, and a bridge that cannot start is logged, never fatal.
// Kept beside the machine tests because it watches them; it opens real loopback sockets.
import { createServer, type Server } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createInspection, type Inspection } from '../../actors/inspection/inspect.js';
import { sessionMachine, type SessionInput } from '../../machines/session.js';

interface BrowserSocket {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
interface BridgeServer {
  on(event: 'connection', listener: (socket: BrowserSocket) => void): void;
  on(event: 'listening', listener: () => void): void;
  close(): void;
}
const { WebSocket, WebSocketServer } = createRequire(import.meta.url)('ws') as {
  WebSocket: new (url: string) => BrowserSocket;
  WebSocketServer: new (options: { host: string; port: number }) => BridgeServer;
};

const sessionInput: SessionInput = {
  sessionId: 1n,
  requestedTimeoutMs: 6_000,
  limits: { tickTimeMs: 2_000 },
  connectionId: 1,
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** An inspection whose log lines are collected; resolves once the bridge has answered. */
async function startInspection(port: number, settledWhen: RegExp) {
  const lines: string[] = [];
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const inspection = await createInspection({
    enabled: true,
    port,
    log: (line) => {
      lines.push(line);
      if (settledWhen.test(line)) settle();
    },
  });
  return { inspection, lines, settled };
}

describe('createInspection', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  it('is inert when disabled', async () => {
    const inspection: Inspection = await createInspection({ enabled: false });
    expect(inspection.inspect).toBeUndefined();
    inspection.stop();
  });

  it('streams a session actor to a browser on the loopback bridge, bigints included', async () => {
    const port = await freePort();
    const { inspection, settled } = await startInspection(port, /open http/);
    cleanups.push(() => inspection.stop());
    await settled;
    const pageUrl = await inspection.ready;
    expect(pageUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[\\w-]{32}$`));

    const received: string[] = [];
    const browser = new WebSocket(pageUrl!.replace(/^http/, 'ws'));
    cleanups.push(() => browser.close());
    browser.on('message', (data) => received.push(data.toString()));
    await new Promise<void>((resolve) => browser.on('open', resolve));

    const actor = createActor(
      sessionMachine.provide({ actions: { closeConnection: () => {}, notifyClosed: () => {} } }),
      {
        input: { ...sessionInput, sessionId: 7n },
        inspect: inspection.inspect,
      },
    );
    actor.start();
    actor.send({ type: 'client.connected', connectionId: 1 });
    cleanups.push(() => actor.stop());

    const sawLive = () => received.some((text) => text.includes('"live"'));
    await expect.poll(sawLive, { timeout: 3_000 }).toBe(true);
    const snapshot = received.map((text) => JSON.parse(text)).find(
      (event) => event.type === '@xstate.snapshot' && event.snapshot.value?.live === 'active',
    );
    expect(snapshot.snapshot.context.sessionId).toBe('7');
  });

  it('logs and carries on when the port is taken', async () => {
    const port = await freePort();
    const occupier: Server = createServer();
    await new Promise<void>((resolve) => occupier.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => occupier.close());

    const { inspection, lines, settled } = await startInspection(port, /failed/);
    cleanups.push(() => inspection.stop());
    await settled;
    expect(lines.join('\n')).toMatch(/continuing without inspection/);
    const actor = createActor(sessionMachine, {
      input: sessionInput,
      inspect: inspection.inspect,
    });
    actor.start();
    actor.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('forwards to a bridge already running when given its url', async () => {
    const port = await freePort();
    const bridge = new WebSocketServer({ host: '127.0.0.1', port });
    cleanups.push(() => bridge.close());
    const received: string[] = [];
    bridge.on('connection', (socket) => {
      socket.on('message', (data) => received.push(String(data)));
    });
    await new Promise<void>((resolve) => bridge.on('listening', resolve));

    const inspection = await createInspection({ enabled: true, url: `ws://127.0.0.1:${port}` });
    cleanups.push(() => inspection.stop());
    expect(await inspection.ready).toBeUndefined();
    const actor = createActor(sessionMachine, { input: sessionInput, inspect: inspection.inspect });
    actor.start();
    cleanups.push(() => actor.stop());
    const sawActor = () => received.some((text) => text.includes('"@xstate.actor"'));
    await expect.poll(sawActor, { timeout: 3_000 }).toBe(true);
  });

  it('stops cleanly while its bridge url is unreachable', async () => {
    const lines: string[] = [];
    const port = await freePort();
    const inspection = await createInspection({
      enabled: true,
      url: `ws://127.0.0.1:${port}`,
      log: (line) => lines.push(line),
    });
    await expect.poll(() => lines.length, { timeout: 3_000 }).toBe(1);
    expect(lines[0]).toMatch(/cannot reach/);
    inspection.stop();
    inspection.stop();
  });
});
