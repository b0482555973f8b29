// The client port's security keys in zoo.cfg: secure port, ssl.* settings (also under the
// zookeeper. prefix), the x509 super user and enforced authentication, with ZooKeeper's rules
// for combining them; every mistake stops startup naming its key.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';

const quiet = { info: () => undefined, warn: () => undefined };

function resolveLines(lines: string[]): ServerConfig {
  return resolveConfig(parseZooCfg(['dataDir=/tmp/corral-config', ...lines].join('\n'),
    'zoo.cfg').config, { log: quiet });
}

function configError(lines: string[]): ConfigError {
  try {
    resolveLines(lines);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${lines.join(' / ')}`);
}

const secure = ['secureClientPort=2281', 'ssl.keyStore.location=/etc/zk/server.pem'];

describe('client TLS keys', () => {
  it('serves with secureClientPort alone, with ZooKeeper defaults for the ssl settings', () => {
    const config = resolveLines(secure);
    expect(config.clientPort).toBeUndefined();
    expect(config.secureClientPort).toBe(2281);
    expect(config.secureClientPortAddress).toBe('0.0.0.0');
    expect(config.clientTls).toMatchObject({
      prefix: 'ssl.',
      keyStore: { location: '/etc/zk/server.pem', type: 'PEM', password: '' },
      trustStore: undefined,
      clientAuth: 'need',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      hostnameVerification: true,
    });
    expect(config.clientTls?.ciphers[0]).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
  });

  it('reads the same settings under the zookeeper. prefix, as system properties name them', () => {
    const config = resolveLines([
      'clientPort=2181', 'zookeeper.secureClientPort=2281',
      'zookeeper.ssl.keyStore.location=/etc/zk/server.p12', 'zookeeper.ssl.keyStore.password=pw',
      'zookeeper.ssl.trustStore.location=/etc/zk/trust.jks', 'zookeeper.ssl.clientAuth=WANT',
      'zookeeper.ssl.enabledProtocols=TLSv1.2,TLSv1.3',
      'zookeeper.ssl.ciphersuites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'zookeeper.client.portUnification=true',
      'zookeeper.X509AuthenticationProvider.superUser=CN=admin,O=example',
    ]);
    expect(config.clientPort).toBe(2181);
    expect(config.clientPortUnification).toBe(true);
    expect(config.x509SuperUser).toBe('CN=admin,O=example');
    expect(config.clientTls).toMatchObject({
      keyStore: { type: 'PKCS12', password: 'pw' },
      trustStore: { type: 'JKS' },
      clientAuth: 'want',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: ['TLS_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
    });
  });

  it('accepts client.secure (a client-side key) and the x509 provider', () => {
    const config = resolveLines([...secure, 'client.secure=true',
      'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider']);
    expect(config.authProviders).toContain(
      'org.apache.zookeeper.server.auth.X509AuthenticationProvider');
  });

  it.each([
    [['secureClientPort=2281'], 'ssl.keyStore.location'],
    [['clientPort=2181', 'client.portUnification=true'], 'ssl.keyStore.location'],
    [['clientPort=2181', 'secureClientPortAddress=127.0.0.1'], 'secureClientPortAddress'],
    [['ssl.keyStore.location=/etc/zk/server.pem'], 'clientPort'],
    [[...secure, 'ssl.clientAuth=sometimes'], 'ssl.clientAuth'],
    [[...secure, 'ssl.protocol=SSLv3'], 'ssl.protocol'],
    [[...secure, 'ssl.enabledProtocols=TLSv1.2,SSLv2'], 'ssl.enabledProtocols'],
    [[...secure, 'ssl.ciphersuites=TLS_FAKE_WITH_NOTHING'], 'ssl.ciphersuites'],
    [[...secure, 'ssl.trustStore.location=/etc/zk/trust.txt'], 'ssl.trustStore.type'],
    [[...secure, 'ssl.keyStore.type=BCFKS'], 'ssl.keyStore.type'],
    [[...secure, 'ssl.handshakeDetectionTimeoutMillis=0'], 'ssl.handshakeDetectionTimeoutMillis'],
    [[...secure, 'ssl.hostnameVerification=maybe'], 'ssl.hostnameVerification'],
    [[...secure, 'ssl.authProvider=sasl'], 'ssl.authProvider'],
    [[...secure, 'ssl.ocsp=true'], 'ssl.ocsp'],
    [[...secure, 'ssl.somethingNew=1'], 'ssl.somethingNew'],
    [[...secure, 'secureClientPort=70000'], 'secureClientPort'],
  ])('refuses %j naming %s', (lines, key) => {
    const error = configError(lines);
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });
});

describe('enforced authentication', () => {
  it('needs schemes, each with a provider: x509 comes with a secure port', () => {
    expect(configError(['clientPort=2181', 'enforce.auth.enabled=true']).key)
      .toBe('enforce.auth.schemes');
    expect(configError(['clientPort=2181', 'enforce.auth.enabled=true',
      'enforce.auth.schemes=x509']).key).toBe('enforce.auth.schemes');
    expect(configError(['clientPort=2181', 'enforce.auth.enabled=true',
      'enforce.auth.schemes=digest,sasl']).message).toContain('sasl');
    const config = resolveLines([...secure, 'enforce.auth.enabled=true',
      'enforce.auth.schemes=x509, digest']);
    expect(config.enforceAuthEnabled).toBe(true);
    expect(config.enforceAuthSchemes).toEqual(['x509', 'digest']);
  });

  it('takes sasl once its provider is named; sessionRequireClientSASLAuth means sasl only', () => {
    const sasl = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
    const config = resolveLines(['clientPort=2181', sasl, 'sessionRequireClientSASLAuth=true']);
    expect(config.enforceAuthEnabled).toBe(true);
    expect(config.enforceAuthSchemes).toEqual(['sasl']);
    expect(configError(['clientPort=2181', 'zookeeper.sessionRequireClientSASLAuth=true']).key)
      .toBe('enforce.auth.schemes');
  });

  it('is off by default, and a false switch asks for nothing', () => {
    const config = resolveLines(['clientPort=2181', 'enforce.auth.enabled=false']);
    expect(config.enforceAuthEnabled).toBe(false);
    expect(config.secureClientPort).toBeUndefined();
    expect(config.clientTls).toBeUndefined();
  });
});
