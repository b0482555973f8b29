// Quorum TLS on the peer transport over real loopback sockets, with certificates openssl makes
// for the test: peers whose certificates the CA issued link and carry frames; a peer with a
// certificate from a rogue CA is refused (and the refusal logged) until it is given one from
// the CA (a reloaded secure context); a plaintext hello to a TLS-only port gets nowhere; with
// port unification a plaintext dialer and a TLS dialer both link to the same port.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PeerTlsOptions } from '../../transport/tcp-peer-tls.js';
import {
  makeIdentity,
  makeTestCertificates,
  opensslAvailable,
  type Identity,
  type TestCertificates,
} from '../support/certificates.js';
import { Cluster, RawPeer, sleep, waitFor } from './tcp-peer-support.js';

let certificates: TestCertificates;
let rogue: Identity;
let cluster: Cluster;
const rawPeers: RawPeer[] = [];

beforeAll(() => {
  certificates = makeTestCertificates();
  rogue = makeIdentity(certificates.dir, 'rogue', 'rogue-server', '/O=example/CN=localhost',
    'CN=localhost,O=example', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' +
      'extendedKeyUsage=serverAuth,clientAuth');
});
afterAll(() => certificates?.remove());
afterEach(() => {
  cluster?.close();
  for (const raw of rawPeers.splice(0)) raw.socket.destroy();
});

function tls(identity: Identity, overrides: Partial<PeerTlsOptions> = {}): PeerTlsOptions {
  return {
    secureContext: { key: identity.key, cert: identity.cert, ca: certificates.ca },
    dialTls: true,
    portUnification: false,
    hostnameVerification: true,
    detectionTimeoutMs: 1_000,
    ...overrides,
  };
}

describe.runIf(opensslAvailable())('tcp peer transport over TLS (sslQuorum)', () => {
  it('links peers whose certificates the CA issued, and carries frames both ways', async () => {
    cluster = new Cluster();
    await cluster.start(1, { tls: tls(certificates.server) });
    await cluster.start(2, { tls: tls(certificates.server) });
    cluster.send(1, 2, 'over tls');
    cluster.send(2, 1, 'and back');
    await waitFor(() => cluster.has('2 frame 1 over tls') && cluster.has('1 frame 2 and back'),
      'frames over TLS');
  });

  it('refuses a peer whose certificate a rogue CA issued, and logs it; reloaded, it links',
  async () => {
    cluster = new Cluster();
    await cluster.start(1, { tls: tls(certificates.server) });
    const intruder = await cluster.start(2, { tls: tls(rogue) });
    cluster.send(2, 1, 'let me in');
    await sleep(600);
    expect(cluster.has('1 frame 2 let me in')).toBe(false);
    expect(cluster.lines.filter((line) => line.includes('connected'))).toEqual([]);
    const warnings = cluster.logs.get(1)?.filter((line) => line.startsWith('warn')) ?? [];
    // The reason, not the bare "socket hang up" Node reports for a refused client certificate.
    expect(warnings.join('\n')).toMatch(
      /peer refused \{"detail":"TLS: certificate not trusted \([A-Z_]+\)"\}/);
    // The operator installs a certificate from the CA: the next dial uses it.
    const server = certificates.server;
    intruder.setSecureContext({ key: server.key, cert: server.cert, ca: certificates.ca });
    // A dial already under way keeps the old certificate and fails, losing what waited for it.
    await cluster.sendUntilReceived(2, 1, 'with a good certificate', 15_000);
  });

  it('logs a dialed peer whose certificate a rogue CA issued, but not a peer that is down',
    async () => {
      cluster = new Cluster();
      await cluster.start(1, { tls: tls(certificates.server) });
      const intruder = await cluster.start(2, { tls: tls(rogue) });
      const intruderPort = intruder.address.port;
      // 1 dials the higher id itself (to ask for a call back) and refuses its certificate.
      cluster.send(1, 2, 'to the intruder');
      const refusal = new RegExp('^warn peer refused ' +
        `\\{"remote":"127\\.0\\.0\\.1:${intruderPort}",` +
        '"detail":"TLS: unable to verify the first certificate ' +
        '\\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)"');
      const warnings = () => cluster.logs.get(1)?.filter((line) => line.startsWith('warn')) ?? [];
      await waitFor(() => warnings().some((line) => refusal.test(line)), 'the refusal');
      expect(cluster.lines.filter((line) => line.includes('connected'))).toEqual([]);
      // A peer that is not listening is only redialed: nothing to warn of. (Redials go on past
      // the warnings' one-second rate limit, so a warning for one would show.)
      intruder.close();
      cluster.send(1, 2, 'to nobody');
      await sleep(1_100);
      const dials = cluster.transport(1).statistics.dialAttempts;
      await waitFor(() => cluster.transport(1).statistics.dialAttempts > dials, 'a redial');
      expect(cluster.logs.get(1)?.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
      expect(warnings().filter((line) => line.includes('ECONNREFUSED'))).toEqual([]);
    });

  it('gives a plaintext hello to a TLS-only quorum port nothing', async () => {
    cluster = new Cluster();
    await cluster.start(1, { tls: tls(certificates.server) });
    const raw = await RawPeer.dial(cluster.transport(1).address);
    rawPeers.push(raw);
    raw.hello(2, 1);
    await waitFor(() => raw.closed, 'the plaintext socket to close');
    expect(raw.received).toEqual([]);
  });

  it('with port unification, takes a plaintext dialer and a TLS dialer on one port', async () => {
    cluster = new Cluster();
    // The rolling switch: 1 still dials in plaintext, 2 already dials TLS; both accept both.
    await cluster.start(1,
      { tls: tls(certificates.server, { dialTls: false, portUnification: true }) });
    await cluster.start(2, { tls: tls(certificates.server, { portUnification: true }) });
    await cluster.start(3,
      { tls: tls(certificates.server, { dialTls: false, portUnification: true }) });
    cluster.send(2, 1, 'tls into a unified port');
    cluster.send(3, 1, 'plaintext into a unified port');
    cluster.send(3, 2, 'plaintext to the TLS dialer');
    await waitFor(() => cluster.has('1 frame 2 tls into a unified port') &&
      cluster.has('1 frame 3 plaintext into a unified port') &&
      cluster.has('2 frame 3 plaintext to the TLS dialer'), 'frames');
  });
});
