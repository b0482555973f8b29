// Client TLS against corral and Apache ZooKeeper 3.8 configured alike (secureClientPort,
// ssl.clientAuth=need, the x509 provider, PEM stores): corral's client, kazoo and zkCli.sh with
// the Netty socket, each with a certificate from the CA, are served and named by their subject;
// an x509 ACL is closed to another certificate; a plaintext client, a client without a
// certificate and one whose certificate a rogue CA issued are refused. Enforced authentication
// closes an unauthenticated connection the same way on both.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { WireConnection } from '../../client/wire.js';
import { ErrorCode, NoAuthError } from '../../protocol/errors.js';
import { RawClient } from '../server/raw-client.js';
import { fourLetterWord } from '../support/four-letter.js';
import { makeTestCertificates, opensslAvailable, type Identity, type TestCertificates } from
  '../support/certificates.js';
import { nettyClassPath, startTlsServer, type TlsServerKind, type TlsTestServer } from
  '../support/tls-servers.js';
import { classPath, zkCliScript, zookeeperAvailable } from '../support/zookeeper.js';

const kinds: TlsServerKind[] = zookeeperAvailable() ? ['corral', 'zookeeper'] : ['corral'];
const hasKazoo = spawnSync('/usr/bin/python3', ['-c', 'import kazoo']).status === 0;
const aliceAcl = [{ perms: 31, id: { scheme: 'x509', id: 'CN=alice,O=example' } }];

let certificates: TestCertificates;
beforeAll(() => {
  certificates = makeTestCertificates();
});
afterAll(() => certificates?.remove());

function tlsClient(server: TlsTestServer, identity: Identity | undefined): Promise<Client> {
  return connect(`127.0.0.1:${server.securePort}`, {
    connectTimeoutMs: 5_000,
    tls: {
      ca: certificates.ca,
      ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }),
    },
  });
}

/** Whether a handshake on the secure port gets a session (false: refused or dropped). */
async function getsSession(options: Parameters<typeof WireConnection.open>[0]):
  Promise<boolean> {
  try {
    const wire = await WireConnection.open({ ...options, handshakeTimeoutMs: 3_000 });
    await wire.request({ kind: 'exists', path: '/', watch: false });
    wire.destroy();
    return true;
  } catch {
    return false;
  }
}

/** kazoo over TLS: prints OK and the data, or the exception's class name. */
function kazooGet(server: TlsTestServer, identity: Identity, path: string): Promise<string> {
  const script = `
import sys
from kazoo.client import KazooClient
client = KazooClient(hosts='127.0.0.1:${server.securePort}', use_ssl=True, verify_certs=True,
                     ca=sys.argv[1], certfile=sys.argv[2], keyfile=sys.argv[3], timeout=5)
client.start(timeout=10)
try:
    data, _ = client.get(sys.argv[4])
    print('OK ' + data.decode())
except Exception as error:
    print(type(error).__name__)
client.stop()
`;
  return run('/usr/bin/python3', ['-c', script, certificates.caFile, identity.certFile,
    identity.keyFile, path], {});
}

/** zkCli.sh through the Netty client socket with a PEM key store (ZooKeeper's TLS client). */
function zkCliGet(server: TlsTestServer, identity: Identity, path: string): Promise<string> {
  const flags = [
    `-cp ${classPath}:${nettyClassPath}`,
    '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    '-Dzookeeper.client.secure=true',
    `-Dzookeeper.ssl.keyStore.location=${identity.pemStore}`,
    `-Dzookeeper.ssl.trustStore.location=${certificates.caFile}`,
  ].join(' ');
  return run('/bin/sh', ['-c',
    `exec "${zkCliScript}" -server 127.0.0.1:${server.securePort} get ${path} 2>&1`],
  { CLIENT_JVMFLAGS: flags });
}

/** mntr's failed-handshake counters and plaintext connections (read on the plaintext port). */
async function handshakeCounters(server: TlsTestServer):
  Promise<{ unsuccessful: number; authFailed: number; plaintextLocal: number }> {
  const values = new Map((await fourLetterWord(server.port, 'mntr')).trim().split('\n')
    .map((line) => line.split('\t') as [string, string]));
  return {
    unsuccessful: Number(values.get('zk_unsuccessful_handshake')),
    authFailed: Number(values.get('zk_auth_failed_count')),
    plaintextLocal: Number(values.get('zk_non_mtls_local_conn_count')),
  };
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

describe.runIf(opensslAvailable()).each(kinds)('client TLS on %s', (kind) => {
  let server: TlsTestServer;
  beforeAll(async () => {
    server = await startTlsServer(kind, certificates);
  }, 60_000);
  afterAll(() => server?.stop());

  it('serves alice\'s certificate and names her by its subject; her x509 ACL keeps bob out',
    async () => {
      const alice = await tlsClient(server, certificates.alice);
      try {
        expect(await alice.whoAmI()).toEqual([
          { authScheme: 'ip', user: '127.0.0.1' },
          { authScheme: 'x509', user: 'CN=alice,O=example' },
        ]);
        await alice.create('/tls-alice', 'for alice', { acl: aliceAcl });
        expect((await alice.getACL('/tls-alice')).acl).toEqual(aliceAcl);
        expect((await alice.getData('/tls-alice')).data?.toString()).toBe('for alice');
      } finally {
        await alice.close();
      }
      const bob = await tlsClient(server, certificates.bob);
      try {
        await expect(bob.getData('/tls-alice')).rejects.toBeInstanceOf(NoAuthError);
        // The ACL is checked before the permission, as ZooKeeper's PrepRequestProcessor does.
        await expect(bob.setACL('/tls-alice', [{ perms: 31,
          id: { scheme: 'x509', id: 'not a name' } }])).rejects.toMatchObject({
          code: ErrorCode.invalidACL });
        await expect(bob.setACL('/tls-alice', [{ perms: 31,
          id: { scheme: 'x509', id: 'CN=bob,O=example' } }])).rejects.toBeInstanceOf(NoAuthError);
      } finally {
        await bob.close();
      }
    }, 20_000);

  it('refuses a plaintext client, a client without a certificate, and a rogue CA\'s alice, '
    + 'and counts each failed handshake', async () => {
    const before = await handshakeCounters(server);
    const target = { host: '127.0.0.1', port: server.securePort, timeoutMs: 5_000 };
    expect(await getsSession(target)).toBe(false);
    expect(await getsSession({ ...target, tls: { ca: certificates.ca } })).toBe(false);
    const rogue = certificates.rogueAlice;
    expect(await getsSession({ ...target,
      tls: { ca: certificates.ca, cert: rogue.cert, key: rogue.key } })).toBe(false);
    expect(await getsSession({ ...target, tls: { ca: certificates.ca,
      cert: certificates.bob.cert, key: certificates.bob.key } })).toBe(true);
    // The server may still be closing the last refused handshake when bob is served.
    let after = await handshakeCounters(server);
    let reads = 1;
    for (let wait = 0; wait < 20 && after.unsuccessful - before.unsuccessful < 3; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await handshakeCounters(server);
      reads++;
    }
    expect(after.unsuccessful - before.unsuccessful).toBe(3);
    expect(after.authFailed - before.authFailed).toBe(3);
    // The Netty layer counts each plaintext connection: here each mntr's own, and none of the
    // secure port's (the plaintext client there was refused by the TLS layer).
    expect(after.plaintextLocal - before.plaintextLocal).toBe(reads);
  }, 20_000);

  it('dumps no connections (the Netty layer keeps no expiry queue for them)', async () => {
    const dump = await fourLetterWord(server.port, 'dump');
    expect(dump).toContain('SessionTracker dump:');
    expect(dump.endsWith('Connections dump:\n')).toBe(true);
  });

  it('counts a client that closes its connection as a drop, and one that resets it not',
    async () => {
      const drops = async () => Number((await fourLetterWord(server.port, 'mntr')).split('\n')
        .find((line) => line.startsWith('zk_connection_drop_count\t'))?.split('\t')[1]);
      const before = await drops();
      const reset = await RawClient.session(server.port);
      reset.socket.resetAndDestroy();
      const closed = await RawClient.session(server.port);
      closed.destroy();
      let after = await drops();
      for (let wait = 0; wait < 20 && after === before; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await drops();
      }
      // Anything late would show up within a little while.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await drops() - before).toBe(1);
    });

  it.runIf(hasKazoo)('serves kazoo with use_ssl and a client certificate', async () => {
    const alice = await tlsClient(server, certificates.alice);
    await alice.create('/tls-kazoo', 'kazoo data', { acl: aliceAcl }).catch(() => undefined);
    await alice.close();
    expect((await kazooGet(server, certificates.alice, '/tls-kazoo')).trim()).toBe(
      'OK kazoo data');
    expect((await kazooGet(server, certificates.bob, '/tls-kazoo')).trim()).toBe(
      'NoAuthError');
  }, 30_000);

  it('serves zkCli.sh over the Netty socket with a PEM key store', async () => {
    const alice = await tlsClient(server, certificates.alice);
    await alice.create('/tls-zkcli', 'zkcli data', { acl: aliceAcl }).catch(() => undefined);
    await alice.close();
    // One JVM per run: bob's refusal is shown by the other clients.
    expect(await zkCliGet(server, certificates.alice, '/tls-zkcli')).toContain('zkcli data');
  }, 40_000);
});

describe.runIf(opensslAvailable()).each(kinds)('enforced authentication on %s', (kind) => {
  let server: TlsTestServer;
  beforeAll(async () => {
    server = await startTlsServer(kind, certificates, ['enforce.auth.enabled=true',
      'enforce.auth.schemes=x509', 'X509AuthenticationProvider.superUser=CN=bob,O=example']);
  }, 60_000);
  afterAll(() => server?.stop());

  it('answers SessionClosedRequireSaslAuth to an unauthenticated request, then closes',
    async () => {
      const wire = await WireConnection.open({ host: '127.0.0.1', port: server.port,
        timeoutMs: 5_000 });
      const closed = new Promise<void>((resolve) => wire.onClose(() => resolve()));
      const { header } = await wire.request({ kind: 'exists', path: '/', watch: false });
      expect([header.err, header.zxid]).toEqual([ErrorCode.sessionClosedRequireSaslAuth, 0]);
      await closed;
    }, 20_000);

  it('serves a certificate holder; the x509 super user reads what is closed to others',
    async () => {
      const alice = await tlsClient(server, certificates.alice);
      await alice.create('/enforced', 'secret', { acl: aliceAcl });
      await alice.close();
      const bob = await tlsClient(server, certificates.bob);
      try {
        expect((await bob.getData('/enforced')).data?.toString()).toBe('secret');
        // ZooKeeper's order (its id set's), and '' for super, which has no provider.
        expect(await bob.whoAmI()).toEqual([
          { authScheme: 'ip', user: '127.0.0.1' },
          { authScheme: 'x509', user: 'CN=bob,O=example' },
          { authScheme: 'super', user: '' },
        ]);
      } finally {
        await bob.close();
      }
    }, 20_000);
});
