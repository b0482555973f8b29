// Fail closed: a zoo.cfg key that asks for a security property corral does not provide stops
// startup, naming the key. An operator who writes `sslQuorum=true` believes peer traffic is
// encrypted; running in plaintext with a warning would betray that belief. A key that asks for
// nothing (`sslQuorum=false`) is accepted. Each entry leaves this table when its feature lands.

/** Why a key cannot be honoured, or undefined when corral honours it (or it asks for nothing). */
export function unhonouredSecurityKey(key: string, value: string): string | undefined {
  const name = key.startsWith('zookeeper.') ? key.slice('zookeeper.'.length) : key;
  const enabled = value.trim().toLowerCase() === 'true';
  // ZooKeeper reads quorum.auth.* only unprefixed: it would ignore this line, and so would we.
  if (name !== key && name.startsWith('quorum.auth.') && value.trim().toLowerCase() !== 'false') {
    return `ZooKeeper reads this key only as ${name} (it would ignore this spelling)`;
  }
  for (const rule of securityRules) {
    const matches = typeof rule.key === 'string' ? rule.key === name : rule.key.test(name);
    if (!matches) continue;
    if (rule.when === 'true' && !enabled) return undefined;
    return rule.reason;
  }
  if (/^authProvider\./.test(key) && value.trim() !== '' &&
    !builtInAuthProviders.has(value.trim())) {
    return `authentication provider ${value.trim()} is not one corral provides ` +
      `(it provides ${[...builtInAuthProviders].join(', ')})`;
  }
  return undefined;
}

interface SecurityRule {
  key: string | RegExp;
  /** 'true': only the value true asks for the property; 'any': every value does. */
  when: 'true' | 'any';
  reason: string;
}

/** The quorum port's `ssl.quorum.*` keys corral reads (actors/config/quorum-security.ts). */
const quorumTlsKeys = new RegExp('^ssl\\.quorum\\.(?!((keyStore|trustStore)\\.' +
  '(location|password|passwordPath|type)|protocol|enabledProtocols|ciphersuites|clientAuth|' +
  'hostnameVerification|handshakeDetectionTimeoutMillis)$)');

/** The `quorum.auth.*` keys corral reads (actors/config/quorum-sasl.ts). */
const quorumSaslKeys = new RegExp('^quorum\\.auth\\.(?!(enableSasl|learnerRequireSasl|' +
  'serverRequireSasl|learner\\.saslLoginContext|server\\.saslLoginContext)$)');

/** The client port's `ssl.*` keys corral reads (actors/config/client-security.ts). */
const clientTlsKeys = new RegExp('^ssl\\.(?!quorum\\.)(?!((keyStore|trustStore)\\.' +
  '(location|password|passwordPath|type)|protocol|enabledProtocols|ciphersuites|clientAuth|' +
  'hostnameVerification|handshakeDetectionTimeoutMillis|authProvider)$)');

const securityRules: readonly SecurityRule[] = [
  { key: quorumTlsKeys, when: 'any', reason: 'not a quorum TLS key corral knows' },
  { key: 'ssl.crl', when: 'true', reason: 'certificate revocation lists are not checked yet' },
  { key: 'ssl.ocsp', when: 'true', reason: 'OCSP is not checked yet' },
  { key: clientTlsKeys, when: 'any', reason: 'not a TLS key corral knows' },
  // Quorum SASL is DIGEST-MD5 (actors/config/quorum-sasl.ts); GSSAPI needs a Kerberos KDC.
  { key: 'quorum.auth.kerberos.servicePrincipal', when: 'any',
    reason: 'quorum Kerberos (GSSAPI) is not provided; quorum SASL is DIGEST-MD5 only' },
  { key: quorumSaslKeys, when: 'any', reason: 'not a quorum SASL key corral knows' },
];

/** authProvider.N values corral implements (digest and ip are always on, as in ZooKeeper). */
const builtInAuthProviders = new Set([
  'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
  'org.apache.zookeeper.server.auth.DigestAuthenticationProvider',
  'org.apache.zookeeper.server.auth.IPAuthenticationProvider',
  'org.apache.zookeeper.server.auth.X509AuthenticationProvider',
]);
