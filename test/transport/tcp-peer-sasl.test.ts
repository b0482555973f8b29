// Quorum SASL on the peer transport over real loopback sockets, with the DIGEST-MD5 ZooKeeper's
// quorum uses: replicas with the right secrets link (each end logs who authenticated); a wrong
// password is refused and logged under serverRequireSasl and only logged without it; a replica
// without SASL links to one that does not require it and is refused by one that does; under
// learnerRequireSasl a dialer drops an acceptor that skips SASL or answers with a forged
// rspauth; a verified dialer may send one SASL token of at most 4 KiB before its welcome, and its
// id stays taken (a copied hello is refused busy) until the exchange ends; inside quorum TLS the
// exchange runs the same.
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { digestMd5PeerAuthenticator } from '../../actors/replica/quorum-sasl.js';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import type { PeerAuthenticator } from '../../transport/tcp-peer-sasl.js';
import {
  decodeWireMessage,
  encodeWireMessage,
  saslTokenBytesMax,
} from '../../transport/tcp-peer-wire.js';
import type { PeerTlsOptions } from '../../transport/tcp-peer-tls.js';
import {
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from '../support/certificates.js';
import { Cluster, loopback, RawPeer, sleep, waitFor } from './tcp-peer-support.js';

let cluster: Cluster;
const closers: Array<() => void> = [];

afterEach(() => {
  cluster?.close();
  for (const close of closers.splice(0)) close();
});

const users = new Map([['replica', 'quorumsecret']]);

function sasl(
  password = 'quorumsecret',
  required: { server?: boolean; learner?: boolean } = {},
): PeerAuthenticator {
  return digestMd5PeerAuthenticator({
    users,
    learner: { username: 'replica', password },
    serverRequired: required.server ?? false,
    learnerRequired: required.learner ?? false,
  });
}

const strict = { server: true, learner: true };

function logOf(id: number): string {
  return (cluster.logs.get(id) ?? []).join('\n');
}

/** 1 sends to 2: 2 (the higher id) dials 1, so 1 is the SASL server and 2 the learner. */
async function linkOneAndTwo(
  one: PeerAuthenticator | undefined,
  two: PeerAuthenticator | undefined,
): Promise<void> {
  cluster = new Cluster();
  await cluster.start(1, one === undefined ? {} : { peerAuth: one });
  await cluster.start(2, two === undefined ? {} : { peerAuth: two });
  cluster.send(1, 2, 'hello over sasl');
}

describe('tcp peer transport with quorum SASL (DIGEST-MD5)', () => {
  it('links replicas with the right secrets, and each end logs the authentication', async () => {
    await linkOneAndTwo(sasl('quorumsecret', strict), sasl('quorumsecret', strict));
    await waitFor(() => cluster.has('2 frame 1 hello over sasl'), 'the frame');
    cluster.send(2, 1, 'and back');
    await waitFor(() => cluster.has('1 frame 2 and back'), 'the frame back');
    expect(logOf(1)).toContain('peer authenticated by quorum SASL {"peer":2,"user":"replica"}');
    expect(logOf(2)).toContain('quorum SASL: the peer proved its password {"peer":1}');
    expect(cluster.transport(1).statistics.handshakesRefused).toBe(0);
  });

  it('refuses a wrong password under serverRequireSasl, logs it, and never links', async () => {
    await linkOneAndTwo(sasl('quorumsecret', strict), sasl('guess', strict));
    await waitFor(() => cluster.transport(1).statistics.handshakesRefused >= 2, 'two refusals');
    expect(cluster.lines.filter((line) => line.includes('connected'))).toEqual([]);
    expect(logOf(1)).toMatch(
      /peer handshake refused \{"peer":2,[^}]*"refusal":"authFailed",[^}]*mismatched response/);
    expect(logOf(2)).toMatch(/peer refused us \{"peer":1,"detail":"refused: authFailed /);
  });

  it('keeps a wrong password when SASL is not required, and both ends say so', async () => {
    await linkOneAndTwo(sasl('quorumsecret'), sasl('guess'));
    await waitFor(() => cluster.has('2 frame 1 hello over sasl'), 'the frame');
    expect(logOf(1))
      .toMatch(/peer not authenticated by quorum SASL; kept[^\n]*mismatched response/);
    expect(logOf(2)).toMatch(/quorum SASL did not authenticate the peer; kept[^\n]*did not accept/);
  });

  it('links a replica without SASL to one not requiring it (a rolling switch)', async () => {
    await linkOneAndTwo(sasl('quorumsecret', { learner: true }), undefined);
    await waitFor(() => cluster.has('2 frame 1 hello over sasl'), 'the frame');
    expect(logOf(1)).toMatch(/peer not authenticated by quorum SASL; kept[^\n]*enableSasl=false/);
  });

  it('refuses a replica without SASL under serverRequireSasl', async () => {
    await linkOneAndTwo(sasl('quorumsecret', strict), undefined);
    await waitFor(() => cluster.transport(1).statistics.handshakesRefused >= 1, 'a refusal');
    await sleep(200);
    expect(cluster.lines.filter((line) => line.includes('connected'))).toEqual([]);
    expect(logOf(1))
      .toMatch(/"refusal":"authFailed","detail":"the peer does not speak quorum SASL/);
  });

  it('under learnerRequireSasl, drops an acceptor that does not ask for SASL', async () => {
    await linkOneAndTwo(undefined, sasl('quorumsecret', strict));
    await waitFor(() => logOf(2).includes('peer handshake abandoned'), 'the dialer to give up');
    await sleep(200);
    // The acceptor sent its welcome and believes the link until the dialer's goodbye arrives.
    expect(cluster.has('2 connected 1')).toBe(false);
    expect(cluster.count('1 disconnected 2 error')).toBeGreaterThan(0);
    expect(logOf(2))
      .toContain('quorum.auth.learnerRequireSasl): the peer did not ask for quorum SASL');
  });

  it('under learnerRequireSasl, drops an acceptor whose rspauth proves no password', async () => {
    // An impostor acceptor: it challenges, takes any answer and returns a made-up rspauth.
    const impostor: PeerAuthenticator = {
      ...sasl(),
      serverSession: () => ({
        challenge: () => sasl().serverSession().challenge(),
        verify: () => ({ token: Buffer.from(`rspauth=${'0'.repeat(32)}`), user: 'replica' }),
      }),
    };
    await linkOneAndTwo(impostor, sasl('quorumsecret', strict));
    await waitFor(() => logOf(2).includes('peer handshake abandoned'), 'the dialer to give up');
    await sleep(200);
    expect(cluster.has('2 connected 1')).toBe(false);
    expect(logOf(2)).toMatch(/learnerRequireSasl\): DIGEST-MD5: server not authenticated: rspauth/);
  });

  it('reads at most one 4 KiB SASL token from a verified dialer before its welcome', async () => {
    cluster = new Cluster();
    await cluster.start(1, { peerAuth: sasl('quorumsecret', strict) });
    // Replica 2's configured address vouches for any hello: a raw peer passes verification.
    const vouching = await startVouchingPeer();
    closers.push(() => vouching.close());
    cluster.peers.set(2, vouching.address);
    const raw = await RawPeer.dial(cluster.transport(1).address);
    closers.push(() => raw.socket.destroy());
    raw.hello(2, 1);
    await waitFor(() => raw.received.some((message) => message.kind === 'saslChallenge'),
      'the challenge');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(2 + saslTokenBytesMax);
    raw.socket.write(prefix);
    await waitFor(() => raw.closed, 'the oversized answer to close the connection');
    expect(logOf(1)).toMatch(/outside \[0, 4097\]/);
    expect(cluster.lines).toEqual([]);
  });

  it('holds the claimed id through SASL: a copied hello meanwhile is refused busy', async () => {
    cluster = new Cluster();
    await cluster.start(1, { peerAuth: sasl('quorumsecret', strict) });
    const vouching = await startVouchingPeer();
    closers.push(() => vouching.close());
    cluster.peers.set(2, vouching.address);
    const first = await RawPeer.dial(cluster.transport(1).address);
    closers.push(() => first.socket.destroy());
    first.hello(2, 1);
    await waitFor(() => first.received.some((message) => message.kind === 'saslChallenge'),
      'the challenge');
    const copy = await RawPeer.dial(cluster.transport(1).address);
    closers.push(() => copy.socket.destroy());
    copy.hello(2, 1);
    await waitFor(() => copy.closed, 'the copy to be refused');
    expect(copy.received).toEqual([expect.objectContaining({ kind: 'refuse', refusal: 'busy' })]);
    // The first never answers: the exchange times out, and the id is free again.
    await waitFor(() => first.closed, 'the silent dialer to time out', 3_000);
    expect(cluster.transport(1).statistics.handshakesRefused).toBe(2);
    const again = await RawPeer.dial(cluster.transport(1).address);
    closers.push(() => again.socket.destroy());
    again.hello(2, 1);
    await waitFor(() => again.received.some((message) => message.kind === 'saslChallenge'),
      'a challenge for the next hello');
  });
});

describe.runIf(opensslAvailable())('quorum SASL over quorum TLS', () => {
  let certificates: TestCertificates;
  beforeAll(() => {
    certificates = makeTestCertificates();
  });
  afterAll(() => certificates?.remove());

  function tls(): PeerTlsOptions {
    const { key, cert } = certificates.server;
    return { secureContext: { key, cert, ca: certificates.ca }, dialTls: true,
      portUnification: false, hostnameVerification: true, detectionTimeoutMs: 1_000 };
  }

  it('authenticates inside TLS, and still refuses a wrong password', async () => {
    cluster = new Cluster();
    await cluster.start(1, { tls: tls(), peerAuth: sasl('quorumsecret', strict) });
    await cluster.start(2, { tls: tls(), peerAuth: sasl('quorumsecret', strict) });
    await cluster.start(3, { tls: tls(), peerAuth: sasl('guess', strict) });
    cluster.send(1, 2, 'over tls and sasl');
    cluster.send(1, 3, 'never');
    await waitFor(() => cluster.has('2 frame 1 over tls and sasl'), 'the frame');
    await waitFor(() => cluster.transport(1).statistics.handshakesRefused >= 1, 'a refusal');
    expect(logOf(1)).toContain('peer authenticated by quorum SASL {"peer":2,"user":"replica"}');
    expect(logOf(1)).toMatch(/"peer":3,[^\n]*"refusal":"authFailed"/);
    expect(cluster.has('3 connected 1')).toBe(false);
  });
});

/** A server at a replica's address that answers every verify with "yes, that is my dial". */
async function startVouchingPeer(): Promise<{
  address: { host: string; port: number };
  close(): void;
}> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    const decoder = new FrameDecoder(64);
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) {
        const decoded = decodeWireMessage(body);
        if (decoded.ok && decoded.message.kind === 'verify') {
          socket.end(encodeWireMessage({ kind: 'verdict', vouched: true }));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { address: { host: loopback, port: address.port }, close: () => server.close() };
}
