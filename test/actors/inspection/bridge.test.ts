// The inspect bridge as a web page the operator visits would meet it (actors/inspection/
// inspect.ts), over real loopback HTTP and WebSocket connections: no token or a wrong one is
// refused (401), a foreign Origin or a DNS-rebinding Host too (403); with the token a browser on
// the bridge's own page gets the stream, and what it streams carries no password, no node data
// and no digest hash.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { assign, createActor, setup } from 'xstate';
import { digestId } from '../../../actors/server/auth/digest.js';
import { createInspection, type Inspection } from '../../../actors/inspection/inspect.js';

type Outcome = { opened: WebSocket } | { refused: number };

/** Opens a websocket, or reports the status the handshake was refused with. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: 5_000 });
    socket.once('open', () => resolve({ opened: socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode ?? 0 });
      response.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

function getPage(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const request = httpRequest(url, { headers, timeout: 5_000 }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      });
      request.on('timeout', () => request.destroy(new Error('page request timed out')));
      request.on('error', reject);
      request.end();
    });
}

const password = Buffer.from('pw-0123456789abc');
const nodeData = new TextEncoder().encode('launch-code-4711');
const digest = digestId('operator', 'secret');

/** A real actor whose context and events hold what a replica's do: a createSession txn's
 * password, a create's data, an ACL with a digest id, an auth packet's credentials. */
const holder = setup({
  types: {
    context: {} as { txns: unknown[]; acl: unknown[] },
    events: {} as { type: 'client.auth'; scheme: string; auth: Buffer },
  },
}).createMachine({
  id: 'holder',
  context: {
    txns: [
      { type: 'createSession', sessionId: 1n, timeoutMs: 30_000, password },
      { type: 'write', request: { kind: 'create', path: '/vault', data: nodeData } },
    ],
    acl: [{ perms: 31, id: { scheme: 'digest', id: digest } }],
  },
  on: { 'client.auth': { actions: assign({ acl: ({ context }) => [...context.acl] }) } },
});

describe('inspect bridge', () => {
  let inspection: Inspection;
  let pageUrl: string;
  let socketUrl: string;
  let origin: string;
  const lines: string[] = [];

  beforeAll(async () => {
    inspection = await createInspection({ enabled: true, port: 0,
      log: (line) => lines.push(line) });
    pageUrl = (await inspection.ready)!;
    socketUrl = pageUrl.replace(/^http/, 'ws');
    origin = new URL(pageUrl).origin;
  });
  afterAll(() => inspection.stop());

  it('prints its URL with a fresh random token', async () => {
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    expect(lines).toContain(`inspect: open ${pageUrl} to watch the machines`);
    const other = await createInspection({ enabled: true, port: 0, log: () => {} });
    const otherUrl = await other.ready;
    other.stop();
    expect(new URL(otherUrl!).searchParams.get('token'))
      .not.toBe(new URL(pageUrl).searchParams.get('token'));
  });

  it('refuses a websocket without the token, or with a wrong one (401)', async () => {
    const base = socketUrl.replace(/\?.*$/, '');
    expect(await connect(base, { Origin: origin })).toEqual({ refused: 401 });
    expect(await connect(`${base}?token=`, { Origin: origin })).toEqual({ refused: 401 });
    const wrong = `${base}?token=${'A'.repeat(32)}`;
    expect(await connect(wrong, { Origin: origin })).toEqual({ refused: 401 });
  });

  it('refuses a foreign Origin or Host even with the token (403)', async () => {
    const attempts: Array<Record<string, string>> = [
      { Origin: 'https://attacker.example' },
      { Origin: 'http://127.0.0.1:1' },
      { Origin: 'null' },
      { Host: `rebound.attacker.example:${new URL(pageUrl).port}` },
    ];
    for (const headers of attempts) {
      expect({ headers, outcome: await connect(socketUrl, headers) })
        .toEqual({ headers, outcome: { refused: 403 } });
    }
  });

  it('serves its page only with the token, and keeps the token out of Referer', async () => {
    expect((await getPage(pageUrl.replace(/\?.*$/, ''))).status).toBe(401);
    const foreign = await getPage(pageUrl, { Host: 'attacker.example' });
    expect(foreign.status).toBe(403);
    const page = await getPage(pageUrl);
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.text).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    expect(page.text).not.toContain(new URL(pageUrl).searchParams.get('token'));
  });

  it('streams to its own page with the token, with secrets redacted', async () => {
    const outcome = await connect(socketUrl, { Origin: origin });
    if (!('opened' in outcome)) throw new Error(`refused: ${outcome.refused}`);
    const browser = outcome.opened;
    const received: string[] = [];
    browser.on('message', (data: Buffer) => received.push(data.toString()));
    const actor = createActor(holder, { inspect: inspection.inspect });
    actor.start();
    actor.send({ type: 'client.auth', scheme: 'digest', auth: Buffer.from('operator:secret') });
    try {
      const sawEvent = () => received.some((text) => text.includes('"client.auth"'));
      await expect.poll(sawEvent, { timeout: 3_000 }).toBe(true);
      await expect.poll(() => received.some((text) => text.includes('"@xstate.snapshot"')),
        { timeout: 3_000 }).toBe(true);
    } finally {
      actor.stop();
      browser.close();
    }
    const stream = received.join('\n');
    const secrets = [password, Buffer.from(nodeData), Buffer.from('operator:secret')];
    for (const secret of secrets) {
      for (const form of [secret.toString('latin1'), secret.toString('base64'),
        secret.toString('hex'), [...secret].join(','), digest.slice(digest.indexOf(':') + 1)]) {
        expect(stream).not.toContain(form);
      }
    }
    // The values were there to leak: each shows as its length.
    expect(stream).toContain('"password":"<redacted 16 bytes>"');
    expect(stream).toContain('"data":"<redacted 16 bytes>"');
    expect(stream).toContain('"auth":"<redacted 15 bytes>"');
    expect(stream).toContain('"id":"operator:<redacted>"');
  });
});
