// Fail closed: a zoo.cfg key that asks for a security property corral does not provide stops
// startup, naming the key. An operator who writes `sslQuorum=true` believes peer traffic is
// encrypted; running in plaintext with a warning would betray that belief. A key that asks for
// nothing (`sslQuorum=false`) is accepted. Each entry leaves this table when its feature lands.

/** Why a key cannot be honoured, or undefined when corral honours it (or it asks for nothing). */
export function unhonouredSecurityKey(key: string, value: string): string | undefined {
  const name = key.startsWith('zookeeper.') ? key.slice('zookeeper.'.length) : key;
  const enabled = value.trim().toLowerCase() === 'true';
  for (const rule of securityRules) {
    const matches = typeof rule.key === 'string' ? rule.key === name : rule.key.test(name);
    if (!matches) continue;
    if (rule.when === 'true' && !enabled) return undefined;
    return rule.reason;
  }
  if (/^authProvider\./.test(key) && value.trim() !== '' && !builtInAuthProviders.has(value.trim())) {
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

const clientTls = 'client TLS is not provided yet';
const quorumTls = 'quorum TLS is not provided yet';
const quorumSasl = 'quorum SASL is not provided yet';

const securityRules: readonly SecurityRule[] = [
  { key: 'secureClientPort', when: 'any', reason: clientTls },
  { key: 'secureClientPortAddress', when: 'any', reason: clientTls },
  { key: 'client.secure', when: 'true', reason: clientTls },
  { key: 'client.portUnification', when: 'true', reason: clientTls },
  { key: 'sslQuorum', when: 'true', reason: quorumTls },
  { key: 'portUnification', when: 'true', reason: quorumTls },
  { key: 'sslQuorumReloadCertFiles', when: 'true', reason: quorumTls },
  { key: /^ssl\.quorum\./, when: 'any', reason: quorumTls },
  { key: /^ssl\./, when: 'any', reason: 'TLS key and trust stores are not used yet' },
  { key: /^quorum\.auth\.(enableSasl|learnerRequireSasl|serverRequireSasl)$/, when: 'true',
    reason: quorumSasl },
  { key: /^quorum\.auth\.(?!enableSasl$|learnerRequireSasl$|serverRequireSasl$)/, when: 'any',
    reason: quorumSasl },
  { key: 'enforce.auth.enabled', when: 'true', reason: 'enforced client authentication is not ' +
    'provided yet' },
  { key: 'enforce.auth.schemes', when: 'any', reason: 'enforced client authentication is not ' +
    'provided yet' },
  { key: 'X509AuthenticationProvider.superUser', when: 'any',
    reason: 'the x509 authentication provider is not provided yet' },
  { key: 'admin.forceHttps', when: 'true', reason: 'the admin server does not serve HTTPS yet' },
  { key: 'admin.needClientAuth', when: 'true',
    reason: 'the admin server does not check client certificates yet' },
  { key: 'admin.portUnification', when: 'true', reason: 'the admin server does not serve HTTPS yet' },
];

/** authProvider.N values corral implements (digest and ip are always on, as in ZooKeeper). */
const builtInAuthProviders = new Set([
  'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
  'org.apache.zookeeper.server.auth.DigestAuthenticationProvider',
  'org.apache.zookeeper.server.auth.IPAuthenticationProvider',
]);
