// `corral server` with the inspect bridge on a port from zoo.cfg (inspect.port), as an ensemble
// of one so the replica machine's proposals (createSession with its password, a create with its
// data) pass through the inspector: the printed URL's token opens the stream, none opens it
// without, and neither the session's password nor the node's data appears in what it streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RawClient } from '../server/raw-client.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { freePort } from '../support/ports.js';

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function statusOf(url: string): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 5_000 });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

describe('corral server --inspect over a real process', () => {
  let server: CorralServer;
  let inspectPort: number;

  beforeAll(async () => {
    const [quorumPort, electionPort] = [await freePort(), await freePort()];
    inspectPort = await freePort();
    server = await startCorral({
      zooCfg: [
        'standaloneEnabled=false',
        `server.1=127.0.0.1:${quorumPort}:${electionPort}`,
        `inspect.port=${inspectPort}`,
      ],
      args: ['--myid', '1'],
    });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('streams with the printed token only, without the password or the data', async () => {
    const match = /inspect: open (http:\/\/127\.0\.0\.1:(\d+)\/\?token=[\w-]+) /.exec(
      server.output());
    expect(match?.[2]).toBe(String(inspectPort));
    const socketUrl = match![1]!.replace(/^http/, 'ws');
    expect(await statusOf(`ws://127.0.0.1:${inspectPort}/`)).toBe(401);
    expect(await statusOf(socketUrl.replace(/token=.*/, 'token=guess'))).toBe(401);

    const received: string[] = [];
    const browser = new WebSocket(socketUrl, { origin: `http://127.0.0.1:${inspectPort}` });
    browser.on('message', (data: Buffer) => received.push(data.toString()));
    await new Promise<void>((resolve, reject) => {
      browser.once('open', () => resolve());
      browser.once('error', reject);
    });
    const data = Buffer.from('launch-code-4711-e2e');
    const client = await RawClient.open(server.port);
    let password: Buffer;
    try {
      const connected = await client.handshake();
      if (connected === 'closed') throw new Error('no session');
      password = connected.password;
      const create = { kind: 'create', opcode: 1, path: '/vault', data, acl: openAcl,
        flags: 0, ttl: -1 } as const;
      expect((await client.call(1, create)).header.err).toBe(0);
      // Both txns went through the replica machine as proposals: their bytes were there to leak.
      const redactedBoth = () => received.some((text) => text.includes(
        `"data":"<redacted ${data.length} bytes>"`)) &&
        received.some((text) => text.includes('"password":"<redacted 16 bytes>"'));
      await expect.poll(redactedBoth, { timeout: 5_000 }).toBe(true);
    } finally {
      client.destroy();
      browser.close();
    }
    const stream = received.join('\n');
    for (const secret of [password, data]) {
      for (const form of [secret.toString('latin1'), secret.toString('base64'),
        secret.toString('hex'), [...secret].join(',')]) {
        expect(stream).not.toContain(form);
      }
    }
  });
});
