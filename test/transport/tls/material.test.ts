// Key and trust stores in each format, loaded and then used for a real TLS handshake on
// loopback; wrong passwords and missing files name their key; the cipher table agrees with
// OpenSSL; a replaced certificate file is picked up by the watcher.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../protocol/config/values.js';
import { mappedCipherSuites, openSslCipherName } from '../../../transport/tls/cipher-suites.js';
import {
  certificateSubjectName,
  loadSecureContextOptions,
  loadTlsMaterial,
  readTlsSettings,
  storeType,
  TlsFileWatcher,
  type TlsSettings,
} from '../../../transport/tls/index.js';
import {
  makeIdentity,
  makeTestCertificates,
  opensslAvailable,
  storePassword,
  type TestCertificates,
} from '../../support/certificates.js';

const available = opensslAvailable();
const hasKeytool = spawnSync('keytool', ['-help']).status === 0;
let certificates: TestCertificates;

beforeAll(() => {
  if (available) certificates = makeTestCertificates();
});
afterAll(() => certificates?.remove());

function settings(properties: Record<string, string>): TlsSettings {
  return readTlsSettings(new Map(Object.entries(properties)), 'ssl.');
}

/** A TLS server with the material of `server`, a client with that of `client`: the subject
 * the server saw, or the handshake's error. */
async function handshake(server: TlsSettings, client: TlsSettings): Promise<string> {
  const listener = createServer({ ...loadSecureContextOptions(server), requestCert: true,
    rejectUnauthorized: true });
  const seen = new Promise<string>((resolve) => {
    listener.on('secureConnection', (socket: TLSSocket) => {
      resolve(certificateSubjectName(socket.getPeerCertificate().raw));
      socket.end();
    });
    listener.on('tlsClientError', (error) => resolve(`error: ${error.message}`));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const socket = connect({ ...loadSecureContextOptions(client), host: '127.0.0.1', port,
    servername: 'localhost' });
  socket.on('error', () => undefined);
  const subject = await seen;
  socket.destroy();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return subject;
}

describe.runIf(available)('TLS stores', () => {
  const password = { 'ssl.keyStore.password': storePassword,
    'ssl.trustStore.password': storePassword };

  it.each(['pem', 'p12'] as const)('serves a handshake from %s stores', async (format) => {
    const store = (identity: 'server' | 'alice') => format === 'pem'
      ? certificates[identity].pemStore : certificates[identity].p12Store;
    const trust = format === 'pem' ? certificates.caFile : certificates.caP12;
    const server = settings({ 'ssl.keyStore.location': store('server'),
      'ssl.trustStore.location': trust, ...password });
    const client = settings({ 'ssl.keyStore.location': store('alice'),
      'ssl.trustStore.location': trust, ...password });
    expect(server.keyStore?.type).toBe(format === 'pem' ? 'PEM' : 'PKCS12');
    const material = loadTlsMaterial(client);
    expect(material.key).toContain('PRIVATE KEY');
    expect(material.cert).toHaveLength(1);
    expect(material.ca).toHaveLength(1);
    expect(await handshake(server, client)).toBe('CN=alice,O=example');
  });

  it.runIf(hasKeytool)('serves a handshake from JKS stores keytool wrote', async () => {
    const dir = certificates.dir;
    const keytool = (args: string[]) => execFileSync('keytool', args, { cwd: dir, stdio: 'pipe' });
    keytool(['-importkeystore', '-srckeystore', certificates.alice.p12Store, '-srcstoretype',
      'PKCS12', '-srcstorepass', storePassword, '-destkeystore', 'alice.jks', '-deststoretype',
      'JKS', '-deststorepass', storePassword, '-noprompt']);
    keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', certificates.caFile,
      '-keystore', 'trust.jks', '-storetype', 'JKS', '-storepass', storePassword]);
    const client = settings({ 'ssl.keyStore.location': join(dir, 'alice.jks'),
      'ssl.trustStore.location': join(dir, 'trust.jks'), ...password });
    const server = settings({ 'ssl.keyStore.location': certificates.server.pemStore,
      'ssl.trustStore.location': certificates.caFile });
    expect(client.keyStore?.type).toBe('JKS');
    expect(loadTlsMaterial(client).ca).toHaveLength(1);
    expect(await handshake(server, client)).toBe('CN=alice,O=example');
  });

  it('decrypts an encrypted PKCS#8 key in a PEM store with the store password', () => {
    const dir = certificates.dir;
    execFileSync('openssl', ['pkcs8', '-topk8', '-in', certificates.bob.keyFile, '-out',
      'bob-encrypted.key', '-passout', `pass:${storePassword}`], { cwd: dir });
    const encrypted = join(dir, 'bob-encrypted-store.pem');
    execFileSync('sh', ['-c', `cat bob-encrypted.key bob.pem > ${encrypted}`], { cwd: dir });
    const material = loadTlsMaterial(settings({ 'ssl.keyStore.location': encrypted,
      ...password }));
    expect(material.key).toContain('BEGIN PRIVATE KEY');
  });

  it.each([
    ['a wrong PKCS12 password', { 'ssl.keyStore.location': 'alice.p12',
      'ssl.keyStore.password': 'wrong' }, 'ssl.keyStore.location'],
    ['a missing trust store', { 'ssl.trustStore.location': 'absent.pem' },
      'ssl.trustStore.location'],
    ['a key store without a key', { 'ssl.keyStore.location': 'ca.pem' },
      'ssl.keyStore.location'],
    ['a trust store without a certificate', { 'ssl.trustStore.location': 'alice.key' ,
      'ssl.trustStore.type': 'PEM' }, 'ssl.trustStore.location'],
  ])('refuses %s, naming the key', (_what, properties, key) => {
    const absolute = Object.fromEntries(Object.entries(properties).map(([name, value]) =>
      [name, name.endsWith('.location') ? join(certificates.dir, value) : value]));
    let error: unknown;
    try {
      loadTlsMaterial(settings(absolute));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
  });

  it('a rogue CA\'s certificate fails the handshake', async () => {
    const server = settings({ 'ssl.keyStore.location': certificates.server.pemStore,
      'ssl.trustStore.location': certificates.caFile });
    const rogue = settings({ 'ssl.keyStore.location': certificates.rogueAlice.pemStore,
      'ssl.trustStore.location': certificates.caFile });
    expect(await handshake(server, rogue)).toMatch(/^error: /);
  });

  it('reloads a key store replaced by rename, and keeps the old one while a file is torn',
    async () => {
      const live = join(certificates.dir, 'live-store.pem');
      copyFileSync(certificates.alice.pemStore, live);
      const watched = settings({ 'ssl.keyStore.location': live });
      const events: string[] = [];
      const watcher = new TlsFileWatcher(watched, {
        reloaded: (options) => {
          const der = Buffer.from(pemBody(String(options.cert)), 'base64');
          events.push(`reloaded ${certificateSubjectName(der)}`);
        },
        failed: (error) => events.push(`failed ${error.message.slice(0, 20)}`),
      });
      try {
        const next = join(certificates.dir, 'next-store.pem');
        writeFileSync(next, '-----BEGIN PRIVATE KEY-----\ntorn');
        renameSync(next, live);
        await waitFor(() => events.length >= 1);
        copyFileSync(certificates.bob.pemStore, next);
        renameSync(next, live);
        await waitFor(() => events.some((event) => event.startsWith('reloaded')));
      } finally {
        watcher.close();
      }
      expect(events[0]).toMatch(/^failed/);
      expect(events.at(-1)).toBe('reloaded CN=bob,O=example');
    });

  it('reads a PKCS12 store of a subject with three RDNs', async () => {
    const carol = makeIdentity(certificates.dir, 'ca', 'carol', '/O=example/OU=ops/CN=carol',
      'CN=carol,OU=ops,O=example');
    const server = settings({ 'ssl.keyStore.location': certificates.server.pemStore,
      'ssl.trustStore.location': certificates.caFile });
    const client = settings({ 'ssl.keyStore.location': carol.p12Store, ...password,
      'ssl.trustStore.location': certificates.caFile });
    expect(await handshake(server, client)).toBe(carol.subject);
  });
});

function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, '');
}

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('store types and cipher names', () => {
  it.each([
    [undefined, '/a/b.pem', 'PEM'],
    [undefined, '/a/b.P12', 'PKCS12'],
    [undefined, '/a/b.pfx', 'PKCS12'],
    [undefined, '/a/b.jks', 'JKS'],
    ['pkcs12', '/a/b.pem', 'PKCS12'],
    ['Pem', '/a/b', 'PEM'],
  ])('type %s with file %s is %s', (named, location, expected) => {
    expect(storeType(named, location, 'ssl.keyStore.type')).toBe(expected);
  });

  it.runIf(available)('maps every IANA name as `openssl ciphers -stdname` does', () => {
    const listing = execFileSync('openssl', ['ciphers', '-stdname', 'ALL'], { encoding: 'utf8' });
    const openssl = new Map(listing.trim().split('\n').map((line) => {
      const [iana, , name] = line.trim().split(/\s+/);
      return [iana!, name!] as const;
    }));
    for (const suite of mappedCipherSuites()) {
      expect([suite, openSslCipherName(suite)]).toEqual([suite, openssl.get(suite)]);
    }
  });
});
