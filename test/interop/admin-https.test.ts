// The admin server over HTTPS, as ZooKeeper's JettyAdminServer serves it, against a real corral
// process with the quorum's stores: admin.forceHttps answers HTTPS only; admin.needClientAuth
// refuses a client without a certificate from the CA, and makes the certificate's subject the
// `x509` scheme's id for the commands that need credentials (the root's ACL names alice, so
// bob's certificate is refused); admin.portUnification answers HTTP and HTTPS on one port.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Perm } from '../../protocol/constants.js';
import { RawClient } from '../server/raw-client.js';
import {
  makeTestCertificates,
  opensslAvailable,
  type Identity,
  type TestCertificates,
} from '../support/certificates.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { freePort } from '../support/ports.js';

let certificates: TestCertificates;

function get(
  port: number,
  path: string,
  options: { tls?: boolean; identity?: Identity; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port, path, headers: options.headers, timeout: 5_000 };
    const onResponse = (response: import('node:http').IncomingMessage) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    };
    const request = options.tls === true
      ? httpsRequest({
        ...common,
        ca: certificates.ca,
        ...(options.identity === undefined
          ? {}
          : { key: options.identity.key, cert: options.identity.cert }),
      }, onResponse)
      : httpRequest(common, onResponse);
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

function adminConfig(port: number, extra: string[]): string[] {
  return [
    'admin.enableServer=true',
    'admin.serverAddress=127.0.0.1',
    `admin.serverPort=${port}`,
    `ssl.quorum.keyStore.location=${certificates.server.pemStore}`,
    `ssl.quorum.trustStore.location=${certificates.caFile}`,
    ...extra,
  ];
}

beforeAll(() => {
  if (opensslAvailable()) certificates = makeTestCertificates();
});
afterAll(() => certificates?.remove());

describe.runIf(opensslAvailable())('admin server over HTTPS', () => {
  // Every server a test starts, stopped after all of them: a test that fails part way must not
  // leave its server running (a later test's would otherwise take its place in one variable).
  const servers: CorralServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });
  async function start(zooCfg: string[]): Promise<CorralServer> {
    const server = await startCorral({ zooCfg });
    servers.push(server);
    return server;
  }

  it('forceHttps with needClientAuth: HTTPS with a CA certificate only; x509 credentials',
  async () => {
    const port = await freePort();
    const server = await start(adminConfig(port,
      ['admin.forceHttps=true', 'admin.needClientAuth=true']));
    const alice = { tls: true, identity: certificates.alice };
    expect((await get(port, '/commands/ruok', alice)).status).toBe(200);
    await expect(get(port, '/commands/ruok')).rejects.toThrow();
    await expect(get(port, '/commands/ruok', { tls: true })).rejects.toThrow();
    const rogue = { tls: true, identity: certificates.rogueAlice };
    await expect(get(port, '/commands/ruok', rogue)).rejects.toThrow();

    // The root's ACL names alice's certificate: her x509 credentials pass, bob's do not.
    const client = await RawClient.open(server.port);
    try {
      expect(await client.handshake()).not.toBe('closed');
      const acl = [
        { perms: Perm.all, id: { scheme: 'x509', id: certificates.alice.subject } },
        { perms: Perm.read, id: { scheme: 'world', id: 'anyone' } },
      ];
      expect((await client.call(1, { kind: 'setACL', path: '/', acl, version: -1 })).header.err)
        .toBe(0);
    } finally {
      client.destroy();
    }
    const x509 = { Authorization: 'x509' };
    expect((await get(port, '/commands/srst', { ...alice, headers: x509 })).status).toBe(200);
    const bob = { tls: true, identity: certificates.bob, headers: x509 };
    expect((await get(port, '/commands/srst', bob)).status).toBe(403);
  });

  it('portUnification answers HTTP and HTTPS on one port', async () => {
    const port = await freePort();
    await start(adminConfig(port, ['admin.portUnification=true']));
    expect((await get(port, '/commands/ruok')).status).toBe(200);
    expect((await get(port, '/commands/ruok', { tls: true })).status).toBe(200);
  });
});
