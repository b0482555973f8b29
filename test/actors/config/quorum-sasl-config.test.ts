// The quorum SASL keys: parsed with ZooKeeper's defaults, refused in the combinations ZooKeeper's
// QuorumPeerConfig refuses (each error naming the key), and their JAAS sections read as
// ZooKeeper reads them — QuorumServer's users, QuorumLearner's username and password, custom
// section names, DigestLoginModule only — from a file that may hold the quorum sections alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServerConfig } from '../../../cli/server-options.js';
import {
  ConfigError,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';
import { quorumSaslCredentialsFromJaas } from '../../../actors/config/quorum-sasl.js';

const directory = mkdtempSync(join(tmpdir(), 'corral-quorum-sasl-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const quiet = { info() {}, warn() {} };
const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';
const jaasFile = '/etc/corral/jaas.conf';

function resolve(text: string): ServerConfig {
  return resolveConfig(parseZooCfg(`${minimal}${text}`, 'zoo.cfg').config, { log: quiet });
}

function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

const quorumJaas = `
QuorumServer {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  user_zk1="secret1"
  user_zk2="secret2";
};
QuorumLearner {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  username="zk1"
  password="secret1";
};
`;

const contexts = { quorumServerLoginContext: 'QuorumServer',
  quorumLearnerLoginContext: 'QuorumLearner' };

describe('quorum SASL keys', () => {
  it('defaults to off, with ZooKeeper\'s login context names', () => {
    expect(resolve('')).toMatchObject({
      quorumSaslEnabled: false, quorumServerRequireSasl: false, quorumLearnerRequireSasl: false,
      quorumServerLoginContext: 'QuorumServer', quorumLearnerLoginContext: 'QuorumLearner',
      quorumSaslCredentials: undefined,
    });
  });

  it('reads every key', () => {
    expect(resolve([
      'quorum.auth.enableSasl=true', 'quorum.auth.learnerRequireSasl=true',
      'quorum.auth.serverRequireSasl=true', 'quorum.auth.server.saslLoginContext=PeerServer',
      'quorum.auth.learner.saslLoginContext=PeerLearner', `jaasLoginConfig=${jaasFile}`,
    ].join('\n'))).toMatchObject({
      quorumSaslEnabled: true, quorumServerRequireSasl: true, quorumLearnerRequireSasl: true,
      quorumServerLoginContext: 'PeerServer', quorumLearnerLoginContext: 'PeerLearner',
    });
  });

  it.each([
    ['quorum.auth.serverRequireSasl=true\nquorum.auth.learnerRequireSasl=true',
      'quorum.auth.serverRequireSasl', 'quorum.auth.enableSasl is disabled'],
    ['quorum.auth.learnerRequireSasl=true', 'quorum.auth.learnerRequireSasl',
      'quorum.auth.enableSasl is disabled'],
    [`quorum.auth.enableSasl=true\nquorum.auth.serverRequireSasl=true\njaasLoginConfig=${jaasFile}`,
      'quorum.auth.serverRequireSasl', 'quorum.auth.learnerRequireSasl is disabled'],
    ['quorum.auth.enableSasl=true', 'jaasLoginConfig', 'needs a JAAS file'],
    ['quorum.auth.enableSasl=maybe', 'quorum.auth.enableSasl', 'maybe'],
  ])('refuses %j as ZooKeeper does, naming %s', (text, key, message) => {
    const error = errorOf(() => resolve(text));
    expect(error.key).toBe(key);
    expect(error.message).toContain(message);
  });
});

describe('quorum SASL JAAS sections', () => {
  it('reads QuorumServer\'s users and QuorumLearner\'s credentials', () => {
    expect(quorumSaslCredentialsFromJaas(quorumJaas, 'jaas.conf', contexts)).toEqual({
      users: new Map([['zk1', 'secret1'], ['zk2', 'secret2']]),
      learner: { username: 'zk1', password: 'secret1' },
    });
  });

  it('reads the sections the login context keys name', () => {
    const renamed = quorumJaas.replace('QuorumServer', 'PeerServer');
    const credentials = quorumSaslCredentialsFromJaas(renamed, 'jaas.conf',
      { ...contexts, quorumServerLoginContext: 'PeerServer' });
    expect([...credentials.users.keys()]).toEqual(['zk1', 'zk2']);
  });

  it.each([
    ['no QuorumServer section', quorumJaas.replace('QuorumServer', 'Other'),
      'quorum.auth.server.saslLoginContext', 'no "QuorumServer" section'],
    ['no QuorumLearner section', quorumJaas.replace('QuorumLearner', 'Other'),
      'quorum.auth.learner.saslLoginContext', 'no "QuorumLearner" section'],
    ['a learner without a password', quorumJaas.replace('password="secret1"', ''),
      'quorum.auth.learner.saslLoginContext', 'needs username'],
    ['a Kerberos login module', quorumJaas.replace(
      'org.apache.zookeeper.server.auth.DigestLoginModule required\n  username',
      'com.sun.security.auth.module.Krb5LoginModule required\n  username'),
    'quorum.auth.learner.saslLoginContext', 'Kerberos (GSSAPI) is not provided'],
  ])('refuses a file with %s, naming the key', (_situation, text, key, message) => {
    const error = errorOf(() => quorumSaslCredentialsFromJaas(text, 'jaas.conf', contexts));
    expect(error.key).toBe(key);
    expect(error.message).toContain(message);
  });

  it('starts from a zoo.cfg and a JAAS file that holds only the quorum sections', () => {
    const jaas = join(directory, 'quorum-only.conf');
    writeFileSync(jaas, quorumJaas);
    const zooCfg = join(directory, 'zoo.cfg');
    writeFileSync(zooCfg, `${minimal}quorum.auth.enableSasl=true\n` +
      'quorum.auth.learnerRequireSasl=true\nquorum.auth.serverRequireSasl=true\n' +
      `jaasLoginConfig=${jaas}\n`);
    const config = buildServerConfig({ config: zooCfg }, quiet);
    expect(config.quorumSaslCredentials?.learner).toEqual({ username: 'zk1', password: 'secret1' });
    expect(config.digestUsers.size).toBe(0);
  });

  it('still reads the client port\'s Server section from the same file', () => {
    const jaas = join(directory, 'both.conf');
    writeFileSync(jaas, `${quorumJaas}\nServer {\n  ` +
      'org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="b";\n};\n');
    const config = buildServerConfig({ clientPort: '2181', dataDir: '/d', jaas }, quiet);
    expect([...config.digestUsers.keys()]).toEqual(['bob']);
    expect(config.quorumSaslCredentials).toBeUndefined();
  });
});
