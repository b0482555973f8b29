// One TLS scenario on 3-replica ensembles of corral and of Apache ZooKeeper 3.8, configured the
// same way (issue 11): a secure client port only, ssl.clientAuth=need, the x509 provider, PEM key
// and trust stores, and sslQuorum=true with PEM ssl.quorum.* stores, where replica 3 holds a
// quorum certificate that a rogue CA issued. On both, replicas 1 and 2 form the quorum over
// mutual TLS and serve while 3 stays out (its refusal logged by the others); alice, with a
// certificate from the CA, writes an x509-protected node through a follower and reads it through
// the leader; bob's certificate is refused on it; a plaintext client gets no session.
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { WireConnection } from '../../client/wire.js';
import { NoAuthError } from '../../protocol/errors.js';
import type { ACL } from '../../protocol/records.js';
import {
  makeIdentity,
  makeTestCertificates,
  opensslAvailable,
  type Identity,
  type TestCertificates,
} from '../support/certificates.js';
import { TestEnsemble, type ReplicaStatus } from '../support/ensemble.js';
import { fourLetterWord, type FourLetterTls } from '../support/four-letter.js';
import { nettyClassPath } from '../support/tls-servers.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import { classPath, zookeeperAvailable } from '../support/zookeeper.js';

type Kind = 'corral' | 'zookeeper';
const kinds: Kind[] = zookeeperAvailable() ? ['corral', 'zookeeper'] : ['corral'];
const aliceAcl: ACL[] = [{ perms: 31, id: { scheme: 'x509', id: 'CN=alice,O=example' } }];
const rogueId = 3;
const trusted = [1, 2];

/** What the scenario needs of either ensemble. */
interface SecureEnsemble {
  clientPort(id: number): number;
  status(id: number): Promise<ReplicaStatus>;
  output(id: number): string;
  /** Waits until `ids` serve with one leader among them; returns its id. */
  waitForLeader(ids: number[]): Promise<number>;
  destroy(): Promise<void>;
}

/** The zoo.cfg lines every replica of both ensembles gets (the same keys for both servers). */
function secureZooCfg(certificates: TestCertificates): string[] {
  const { server, caFile } = certificates;
  return [
    // ZooKeeper's only TLS connection factory; corral accepts the key and serves TLS itself.
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider',
    'ssl.clientAuth=need',
    `ssl.keyStore.location=${server.pemStore}`,
    'ssl.keyStore.type=PEM',
    `ssl.trustStore.location=${caFile}`,
    'ssl.trustStore.type=PEM',
    'sslQuorum=true',
    `ssl.quorum.keyStore.location=${server.pemStore}`,
    'ssl.quorum.keyStore.type=PEM',
    `ssl.quorum.trustStore.location=${caFile}`,
    'ssl.quorum.trustStore.type=PEM',
  ];
}

/** `srvr` over TLS needs a client certificate (clientAuth=need): alice's serves. */
function statusTls(certificates: TestCertificates): FourLetterTls {
  return { ca: certificates.ca, cert: certificates.alice.cert, key: certificates.alice.key };
}

async function startEnsemble(kind: Kind, certificates: TestCertificates, rogue: Identity):
  Promise<SecureEnsemble> {
  const extraConfig = secureZooCfg(certificates);
  // Replica 3's quorum certificate comes from the rogue CA (a later key wins, as in
  // Properties.load); its client port keeps the CA's, so only the peer links tell it apart.
  const rogueLine = `ssl.quorum.keyStore.location=${rogue.pemStore}\n`;
  if (kind === 'corral') {
    const ensemble = await TestEnsemble.create({ voters: 3, extraConfig,
      secureClientsOnly: statusTls(certificates) });
    appendFileSync(ensemble.configFile(rogueId), rogueLine);
    ensemble.startAll();
    return {
      clientPort: (id) => ensemble.clientPort(id),
      status: (id) => ensemble.status(id),
      output: (id) => ensemble.output(id),
      waitForLeader: (ids) => ensemble.waitForLeader(ids, 20_000),
      destroy: () => ensemble.destroy(),
    };
  }
  const ensemble = await ZooKeeperEnsemble.create({ voters: 3, extraConfig,
    secureClientsOnly: statusTls(certificates), jvmFlags: [`-cp ${classPath}:${nettyClassPath}`] });
  appendFileSync(ensemble.configFile(rogueId), rogueLine);
  ensemble.startAll();
  return {
    clientPort: (id) => ensemble.clientPort(id),
    status: (id) => ensemble.status(id),
    output: (id) => ensemble.output(id),
    waitForLeader: (ids) => ensemble.waitForLeader(40_000, ids),
    destroy: () => ensemble.destroy(),
  };
}

/** What replicas 1 and 2 log when replica 3's certificate fails the quorum handshake. */
const peerRefusal: Record<Kind, RegExp> = {
  // Either side of a link: the acceptor's "certificate not trusted (CODE)" or the dialer's
  // "unable to verify the first certificate (CODE)", one a second at most.
  corral: /"detail":"TLS: [^"]*certificate \([A-Z_]+\)"(,"skipped":\d+)?,"msg":"peer refused"/,
  // QuorumCnxManager dials the higher id (an election connection from a lower one is dropped
  // and dialed back), and its trust manager's refusal is the one that names the reason; the
  // accepting side logs only "Exception reading or writing challenge: Socket is closed".
  zookeeper: new RegExp(`Cannot open channel to ${rogueId} at election address [^\n]*\n` +
    'javax\.net\.ssl\.SSLHandshakeException: PKIX path building failed'),
};

describe.runIf(opensslAvailable()).each(kinds)('TLS on a 3-replica %s ensemble', (kind) => {
  let certificates: TestCertificates;
  let ensemble: SecureEnsemble | undefined;
  let leader: number;
  let follower: number;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    const rogue = makeIdentity(certificates.dir, 'rogue', 'rogue-replica',
      '/O=example/CN=localhost', 'CN=localhost,O=example',
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth');
    ensemble = await startEnsemble(kind, certificates, rogue);
    leader = await ensemble.waitForLeader(trusted);
    follower = trusted.find((id) => id !== leader)!;
  }, 60_000);
  afterAll(async () => {
    await ensemble?.destroy();
    certificates?.remove();
  });

  function tlsClient(id: number, identity: Identity): Promise<Client> {
    return connect(`127.0.0.1:${ensemble!.clientPort(id)}`, {
      connectTimeoutMs: 10_000,
      tls: { ca: certificates.ca, cert: identity.cert, key: identity.key },
    });
  }

  it('serves alice through a follower: her x509 ACL is written and read back', async () => {
    expect((await ensemble!.status(follower)).mode).toBe('follower');
    const alice = await tlsClient(follower, certificates.alice);
    try {
      expect(await alice.whoAmI()).toEqual([
        { authScheme: 'ip', user: '127.0.0.1' },
        { authScheme: 'x509', user: 'CN=alice,O=example' },
      ]);
      await alice.create('/secret', 'for alice', { acl: aliceAcl });
      expect((await alice.getACL('/secret')).acl).toEqual(aliceAcl);
      expect((await alice.getData('/secret')).data?.toString()).toBe('for alice');
    } finally {
      await alice.close();
    }
  }, 20_000);

  it('refuses bob on /secret on either serving replica while alice reads it', async () => {
    for (const id of trusted) {
      const bob = await tlsClient(id, certificates.bob);
      const alice = await tlsClient(id, certificates.alice);
      try {
        // alice's session syncs first, so the write made through the follower has reached id.
        await alice.sync('/secret');
        await expect(bob.getData('/secret')).rejects.toBeInstanceOf(NoAuthError);
        await expect(bob.setData('/secret', 'bob was here')).rejects.toBeInstanceOf(NoAuthError);
        expect((await alice.getData('/secret')).data?.toString()).toBe('for alice');
      } finally {
        await Promise.all([bob.close(), alice.close()]);
      }
    }
  }, 20_000);

  it('gives a plaintext client on the secure port no session', async () => {
    for (const id of trusted) {
      const opened = WireConnection.open({ host: '127.0.0.1', port: ensemble!.clientPort(id),
        timeoutMs: 5_000, handshakeTimeoutMs: 3_000 });
      await expect(opened).rejects.toThrow();
    }
  }, 20_000);

  it('keeps the rogue-CA replica out of the quorum and logs its refusal', async () => {
    // 1 and 2 elected a leader and serve over sslQuorum: their handshakes with each other
    // completed. Replica 3 is up (its secure client port answers) but never joins them.
    const srvr = await fourLetterWord(ensemble!.clientPort(rogueId), 'srvr', 5_000, '127.0.0.1',
      statusTls(certificates));
    expect(srvr).toContain('This ZooKeeper instance is not currently serving requests');
    const refusal = peerRefusal[kind];
    const logged = (): boolean =>
      trusted.some((id) => refusal.test(ensemble!.output(id)));
    for (let waited = 0; !logged() && waited < 10_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(trusted.map((id) => ensemble!.output(id)).join('\n')).toMatch(refusal);
    expect((await ensemble!.status(rogueId)).mode).toBeUndefined();
  }, 20_000);
});
