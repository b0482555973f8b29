// The admin server as a browser-borne attacker and an operator meet it, over real HTTP against a
// real corral process: the commands that change state (set_trace_mask, stat_reset,
// connection_stat_reset) are refused, and do not run, for a foreign Host (DNS rebinding), a
// foreign Origin or a cross-site fetch (403), and without ZooKeeper 3.9-style credentials (401);
// once the root's ACL names the operator, only their password or the super user runs them.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestId } from '../../actors/server/auth/digest.js';
import { Perm } from '../../protocol/constants.js';
import { RawClient } from '../server/raw-client.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { freePort } from '../support/ports.js';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** node:http, not fetch: fetch will not send a Host header of our choosing. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers, timeout: 5_000 },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          const isJson = response.headers['content-type'] === 'application/json';
          resolve({ status: response.statusCode ?? 0, body: isJson ? JSON.parse(text) : {} });
        });
      });
    request.on('timeout', () => request.destroy(new Error('admin request timed out')));
    request.on('error', reject);
    request.end();
  });
}

const operator = { Authorization: 'digest operator:secret' };

describe('admin server: state-changing commands need this origin and credentials', () => {
  let server: CorralServer;
  let adminPort: number;
  const traceMask = async () =>
    (await get(adminPort, '/commands/gtmk')).body.tracemask as number;

  beforeAll(async () => {
    adminPort = await freePort();
    server = await startCorral({
      zooCfg: [
        'admin.enableServer=true',
        'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${adminPort}`,
        `DigestAuthenticationProvider.superDigest=${digestId('super', 'boss')}`,
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a foreign Host, Origin or cross-site fetch with 403, and the command does not run',
    async () => {
      const before = await traceMask();
      const attempts: Array<Record<string, string>> = [
        { Host: `rebound.attacker.example:${adminPort}` },
        { Origin: 'http://attacker.example' },
        { Origin: `http://127.0.0.1:${adminPort + 1}` },
        { Origin: 'null' },
        { 'Sec-Fetch-Site': 'cross-site' },
      ];
      for (const headers of attempts) {
        const answer = await get(adminPort, '/commands/set_trace_mask?traceMask=99', {
          ...operator, ...headers,
        });
        expect({ headers, answer }).toMatchObject({
          headers, answer: { status: 403, body: { command: 'set_trace_mask',
            error: expect.stringMatching(/^Forbidden: /) } },
        });
      }
      for (const name of ['srst', 'crst']) {
        const answer = await get(adminPort, `/commands/${name}`, { Origin: 'http://evil.test' });
        expect(answer.status).toBe(403);
      }
      expect(await traceMask()).toBe(before);
    });

  it('answers read-only commands under any Host, as ZooKeeper does', async () => {
    const answer = await get(adminPort, '/commands/srvr', { Host: 'zk.internal.example' });
    expect(answer).toMatchObject({ status: 200, body: { command: 'server_stats', error: null } });
  });

  it('runs them for a loopback request with credentials the open root ACL accepts', async () => {
    for (const host of [`127.0.0.1:${adminPort}`, `localhost:${adminPort}`]) {
      const answer = await get(adminPort, '/commands/stmk?traceMask=7', {
        ...operator, Host: host, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin',
      });
      expect(answer).toMatchObject({ status: 200, body: { tracemask: 7, error: null } });
    }
    expect(await traceMask()).toBe(7);
    const reset = await get(adminPort, '/commands/srst', { Authorization: 'ip' });
    expect(reset).toEqual({ status: 200, body: { command: 'stat_reset', error: null } });
  });

  it('refuses missing or unusable credentials with 401, as ZooKeeper 3.9 does', async () => {
    const missing = await get(adminPort, '/commands/crst');
    expect(missing).toEqual({ status: 401, body: { command: 'crst',
      error: 'Auth info is missing for the command' } });
    for (const authorization of ['digest', 'Basic b3A6c2VjcmV0', 'sasl operator:secret']) {
      const answer = await get(adminPort, '/commands/crst', { Authorization: authorization });
      expect(answer).toEqual({ status: 401, body: { command: 'crst',
        error: 'Not authenticated' } });
    }
  });

  it('checks the credentials against the root ACL once it names the operator', async () => {
    const client = await RawClient.open(server.port);
    try {
      expect(await client.handshake()).not.toBe('closed');
      const acl = [
        { perms: Perm.all, id: { scheme: 'digest', id: digestId('operator', 'secret') } },
        { perms: Perm.read, id: { scheme: 'world', id: 'anyone' } },
      ];
      const reply = await client.call(1, { kind: 'setACL', path: '/', acl, version: -1 });
      expect(reply.header.err).toBe(0);
    } finally {
      client.destroy();
    }
    const wrong = await get(adminPort, '/commands/stmk?traceMask=8',
      { Authorization: 'digest operator:guess' });
    expect(wrong).toEqual({ status: 403, body: { command: 'stmk', error: 'Not authorized' } });
    expect((await get(adminPort, '/commands/stmk?traceMask=8', { Authorization: 'ip' })).status)
      .toBe(403);
    expect(await traceMask()).toBe(7);
    expect((await get(adminPort, '/commands/stmk?traceMask=8', operator)).status).toBe(200);
    expect(await traceMask()).toBe(8);
    const boss = await get(adminPort, '/commands/stmk?traceMask=9',
      { Authorization: 'digest super:boss' });
    expect(boss.status).toBe(200);
    expect(await traceMask()).toBe(9);
  });
});
