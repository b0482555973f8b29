// Quorum SASL on real processes (R=3): with quorum.auth.enableSasl, learnerRequireSasl and
// serverRequireSasl and a JAAS file holding only the QuorumServer / QuorumLearner sections, the
// replicas authenticate every peer link with DIGEST-MD5, elect a leader and serve writes; a
// replica whose QuorumLearner password is wrong cannot join — the others refuse it (authFailed,
// logged) — while the two with the right password keep serving.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';

let ensemble: TestEnsemble | undefined;
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

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

function jaas(password: string): string {
  return [
    'QuorumServer {',
    '  org.apache.zookeeper.server.auth.DigestLoginModule required',
    '  user_replica="quorumsecret";',
    '};',
    'QuorumLearner {',
    '  org.apache.zookeeper.server.auth.DigestLoginModule required',
    '  username="replica"',
    `  password="${password}";`,
    '};',
    '',
  ].join('\n');
}

const quorumSasl = [
  'quorum.auth.enableSasl=true',
  'quorum.auth.learnerRequireSasl=true',
  'quorum.auth.serverRequireSasl=true',
];

describe('quorum SASL (real processes, R=3)', { timeout: 90_000 }, () => {
  it('elects and serves with SASL required, and keeps a wrong-password replica out', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: quorumSasl });
    const good = join(ensemble.dir, 'jaas.conf');
    const wrong = join(ensemble.dir, 'jaas-wrong.conf');
    writeFileSync(good, jaas('quorumsecret'));
    writeFileSync(wrong, jaas('guess'));
    for (const id of [1, 2]) {
      appendFileSync(join(ensemble.dir, `zoo-${id}.cfg`), `jaasLoginConfig=${good}\n`);
    }
    appendFileSync(join(ensemble.dir, 'zoo-3.cfg'), `jaasLoginConfig=${wrong}\n`);
    ensemble.startAll();
    const leader = await ensemble.waitForLeader([1, 2]);
    expect([1, 2]).toContain(leader);
    for (const id of [1, 2]) expect(await createOn(ensemble.clientPort(id), `/via-${id}`)).toBe(0);
    await ensemble.waitForSameZxid([1, 2]);
    expect((await ensemble.status(3)).mode).toBeUndefined();
    // Replica 3 dials both (the higher id dials); each refuses it for its password and says so.
    // Refusals a stranger can provoke are logged at most once a second, so an earlier warning
    // may hold the first one back: replica 3 redials, and the next is logged.
    const refused = new RegExp('"peer":3,[^\\n]*"refusal":"authFailed",' +
      '"detail":"DIGEST-MD5: [^"]*mismatched response');
    for (const id of [1, 2]) {
      for (let waited = 0; !refused.test(ensemble.output(id)) && waited < 15_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ensemble.output(id)).toMatch(refused);
    }
    expect(ensemble.output(3))
      .toMatch(/"detail":"refused: authFailed [^\n]*"msg":"peer refused us"/);
    // The link 1–2: 2 dials and authenticates to 1, and 1's rspauth proves its password to 2.
    expect(ensemble.output(1)).toMatch(/"peer":2,"user":"replica","msg":"peer authenticated by/);
    expect(ensemble.output(2))
      .toMatch(/"peer":1,"msg":"quorum SASL: the peer proved its password"/);
  });
});
