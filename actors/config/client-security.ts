// The client port's security keys: the secure client port, its TLS settings (`ssl.*`, also
// accepted as `zookeeper.ssl.*`, the form of ZooKeeper's system properties), the x509 super user
// and enforced authentication (ZooKeeper 3.7+'s AuthenticationHelper), with ZooKeeper's rules
// for combining them. Quorum TLS keys (`ssl.quorum.*`) are not read here.

import { ConfigError, ValueProblem, valueParsers, type ValueParser } from
  '../../protocol/config/values.js';
import { readTlsSettings, tlsKeySuffixes, type TlsSettings } from '../../transport/tls/index.js';

export interface ClientSecurityConfig {
  /** secureClientPort: a second client listener speaking TLS (none when undefined). */
  secureClientPort: number | undefined;
  /** secureClientPortAddress (every interface by default, as in ZooKeeper). */
  secureClientPortAddress: string;
  /** The client port's TLS (`ssl.*`): read when a port speaks TLS, undefined otherwise. */
  clientTls: TlsSettings | undefined;
  /** client.portUnification: the plain client port also accepts TLS connections. */
  clientPortUnification: boolean;
  /** client.certReload: reload the stores when their files change (corral: on by default). */
  clientCertReload: boolean;
  /** X509AuthenticationProvider.superUser: the x509 subject that is the super user. */
  x509SuperUser: string | undefined;
  /** enforce.auth.enabled / enforce.auth.schemes (or sessionRequireClientSASLAuth=true). */
  enforceAuthEnabled: boolean;
  enforceAuthSchemes: readonly string[];
}

export const clientSecurityDefaults = {
  secureClientPort: undefined,
  secureClientPortAddress: '0.0.0.0',
  clientTls: undefined,
  clientPortUnification: false,
  clientCertReload: true,
  x509SuperUser: undefined,
  enforceAuthEnabled: false,
  enforceAuthSchemes: [],
} as const satisfies ClientSecurityConfig;

const schemeList: ValueParser = (value) => {
  const schemes = value.split(',').map((scheme) => scheme.trim()).filter((scheme) => scheme);
  if (schemes.length === 0) throw new ValueProblem('expected a comma-separated list of schemes');
  return schemes;
};

/** Keys with a field of their own (zoo.cfg name → field and parser). */
export const clientSecurityKeys: Readonly<Record<string, {
  field: keyof ClientSecurityConfig | undefined;
  parse: ValueParser;
}>> = {
  secureClientPort: { field: 'secureClientPort', parse: valueParsers.port },
  secureClientPortAddress: { field: 'secureClientPortAddress', parse: valueParsers.text },
  'client.portUnification': { field: 'clientPortUnification', parse: valueParsers.boolean },
  'client.certReload': { field: 'clientCertReload', parse: valueParsers.boolean },
  // The client side's switch (ZKClientConfig): a server reads and ignores it, as ZooKeeper does.
  'client.secure': { field: undefined, parse: valueParsers.boolean },
  'X509AuthenticationProvider.superUser': { field: 'x509SuperUser', parse: valueParsers.text },
  'enforce.auth.enabled': { field: 'enforceAuthEnabled', parse: valueParsers.boolean },
  'enforce.auth.schemes': { field: 'enforceAuthSchemes', parse: schemeList },
  'ssl.authProvider': { field: undefined, parse: (value) => {
    // NettyServerCnxnFactory authenticates TLS clients with the provider of this scheme.
    if (value !== 'x509') throw new ValueProblem('corral authenticates TLS clients with x509 only');
    return value;
  } },
};

const clientTlsKeys = new Set<string>(tlsKeySuffixes.map((suffix) => `ssl.${suffix}`));

/** Reads the client security keys of one zoo.cfg into `config`: `ssl.*` together (TLS settings
 * need all of them at once), the others one by one. */
export function readClientSecurityKeys(
  entries: readonly { name: string; value: string; where: string }[],
  config: Partial<ClientSecurityConfig>,
  parse: (parser: ValueParser, key: string, value: string, where: string) => unknown,
): void {
  const tlsProperties = new Map<string, string>();
  for (const { name, value, where } of entries) {
    if (clientTlsKeys.has(name)) {
      tlsProperties.set(name, value);
    } else if (name === 'sessionRequireClientSASLAuth') {
      // AuthenticationHelper: this older switch means enforce.auth with the sasl scheme only.
      if (parse(valueParsers.boolean, name, value, where) === true) {
        config.enforceAuthEnabled = true;
        config.enforceAuthSchemes = ['sasl'];
      }
    } else {
      const rule = clientSecurityKeys[name]!;
      const parsed = parse(rule.parse, name, value, where);
      if (rule.field !== undefined) (config as Record<string, unknown>)[rule.field] = parsed;
    }
  }
  if (tlsProperties.size > 0) config.clientTls = readTlsSettings(tlsProperties, 'ssl.');
}

/**
 * The name corral reads a zoo.cfg key under: `zookeeper.X` for the keys ZooKeeper reads as
 * system properties is X. Other keys come back unchanged.
 */
export function clientSecurityKeyName(key: string): string {
  const bare = key.startsWith('zookeeper.') ? key.slice('zookeeper.'.length) : key;
  return isClientSecurityKey(bare) ? bare : key;
}

/** True for every key readClientSecurityKeys reads (after clientSecurityKeyName). */
export function isClientSecurityKey(name: string): boolean {
  return clientTlsKeys.has(name) || Object.hasOwn(clientSecurityKeys, name) ||
    name === 'sessionRequireClientSASLAuth';
}

const saslProvider = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
export const x509Provider = 'org.apache.zookeeper.server.auth.X509AuthenticationProvider';

/**
 * ZooKeeper's rules once every key is read: a secure port (or port unification) needs TLS
 * settings with a key store and registers the x509 provider (QuorumPeerConfig.configureSSLAuth);
 * enforced authentication needs schemes, each with a provider (AuthenticationHelper).
 */
export function resolveClientSecurity(
  partial: Partial<ClientSecurityConfig>,
  authProviders: readonly string[],
): ClientSecurityConfig {
  const config: ClientSecurityConfig = { ...clientSecurityDefaults, ...withoutUndefined(partial) };
  if (partial.secureClientPortAddress !== undefined && partial.secureClientPort === undefined) {
    throw new ConfigError('secureClientPortAddress is set but secureClientPort is not set',
      'secureClientPortAddress');
  }
  const speaksTls = config.secureClientPort !== undefined || config.clientPortUnification;
  if (speaksTls && config.clientTls === undefined) {
    config.clientTls = readTlsSettings(new Map(), 'ssl.');
  }
  if (speaksTls && config.clientTls?.keyStore === undefined) {
    throw new ConfigError('ssl.keyStore.location is not set: a secure client port needs a key ' +
      'store', 'ssl.keyStore.location');
  }
  if (config.enforceAuthEnabled) {
    const key = 'enforce.auth.schemes';
    if (config.enforceAuthSchemes.length === 0) {
      throw new ConfigError('enforce.auth.enabled is true but enforce.auth.schemes is not set',
        'enforce.auth.schemes');
    }
    const available = new Set(['ip', 'digest']);
    if (authProviders.includes(saslProvider)) available.add('sasl');
    if (authProviders.includes(x509Provider) || speaksTls) available.add('x509');
    const missing = config.enforceAuthSchemes.find((scheme) => !available.has(scheme));
    if (missing !== undefined) {
      throw new ConfigError(`${key}: authentication scheme ${missing} is not available ` +
        `(available: ${[...available].join(', ')})`, key);
    }
  }
  return config;
}

function withoutUndefined<T extends object>(partial: T): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as
    Partial<T>;
}
