// Quorum TLS on real processes (R=3): with sslQuorum=true and ssl.quorum.* stores (a PEM key
// store, the CA as trust store) the replicas elect a leader over mutual TLS and serve writes
// through every replica; a replica whose certificate a rogue CA issued cannot join (the others
// log the refusal) while the two with CA-issued certificates keep serving.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import {
  makeIdentity,
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from '../support/certificates.js';
import { TestEnsemble } from '../support/ensemble.js';

let certificates: TestCertificates;
let ensemble: TestEnsemble | undefined;
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

beforeAll(() => {
  if (opensslAvailable()) certificates = makeTestCertificates();
});
afterAll(() => certificates?.remove());
afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

async function createOn(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    const request: ClientRequest = {
      kind: 'create', opcode: 1, path, data: Buffer.from(path), acl: openAcl, flags: 0, ttl: -1,
    };
    return (await client.call(1, request)).header.err;
  } finally {
    client.destroy();
  }
}

function quorumTls(keyStore: string): string[] {
  return [
    'sslQuorum=true',
    `ssl.quorum.keyStore.location=${keyStore}`,
    `ssl.quorum.trustStore.location=${certificates.caFile}`,
    'sslQuorumReloadCertFiles=true',
  ];
}

describe.runIf(opensslAvailable())('quorum TLS (real processes, R=3)', { timeout: 90_000 }, () => {
  it('elects and serves over mutual TLS, and keeps a rogue-CA replica out', async () => {
    const rogue = makeIdentity(certificates.dir, 'rogue', 'rogue-replica',
      '/O=example/CN=localhost', 'CN=localhost,O=example',
      'subjectAltName=DNS:localhost,IP:127.0.0.1\n' +
        'extendedKeyUsage=serverAuth,clientAuth');
    ensemble = await TestEnsemble.create({ voters: 3,
      extraConfig: quorumTls(certificates.server.pemStore) });
    // Replica 3 holds a certificate from another CA (a later key wins, as in Properties.load).
    appendFileSync(join(ensemble.dir, 'zoo-3.cfg'),
      `ssl.quorum.keyStore.location=${rogue.pemStore}\n`);
    ensemble.startAll();
    const leader = await ensemble.waitForLeader([1, 2]);
    for (const id of [1, 2]) expect(await createOn(ensemble.clientPort(id), `/via-${id}`)).toBe(0);
    await ensemble.waitForSameZxid([1, 2]);
    expect((await ensemble.status(3)).mode).toBeUndefined();
    const refusals = [1, 2].map((id) => ensemble!.output(id)).join('\n');
    expect(refusals).toMatch(/"detail":"TLS: [^"]*","msg":"peer refused"/);
    expect(leader === 1 || leader === 2).toBe(true);
  });

  it('serves through all three when every certificate is from the CA', async () => {
    ensemble = await TestEnsemble.create({ voters: 3,
      extraConfig: quorumTls(certificates.server.p12Store)
        .concat(['ssl.quorum.keyStore.password=changeit']) });
    ensemble.startAll();
    await ensemble.waitForLeader();
    for (const id of ensemble.ids) {
      expect(await createOn(ensemble.clientPort(id), `/tls-${id}`)).toBe(0);
    }
    await ensemble.waitForSameZxid();
  });
});
