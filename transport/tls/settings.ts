// TLS settings as ZooKeeper's X509Util reads them, under a prefix: `ssl.` for the client port
// (and the admin server), `ssl.quorum.` for peer links. Pure parsing of zoo.cfg values: files are
// read later (material.ts), so a configuration can be checked without touching the disk.

import { ConfigError } from '../../protocol/config/values.js';
import { openSslCipherName } from './cipher-suites.js';

/** Key and trust store formats: ZooKeeper's KeyStoreFileType, without BCFKS. */
export type StoreType = 'PEM' | 'PKCS12' | 'JKS';

/** X509Util.ClientAuth: whether the server asks for, and insists on, a client certificate. */
export type ClientAuth = 'need' | 'want' | 'none';

/** `ssl.` for the client port, `ssl.quorum.` for peer links (ZooKeeper's two X509Utils). */
export type TlsPrefix = 'ssl.' | 'ssl.quorum.';

export interface StoreSettings {
  location: string;
  /** The store password (`….password`, or the first line of `….passwordPath`); '' for none. */
  password: string;
  /** `….passwordPath`: a file holding the password, read when the store is loaded. */
  passwordPath: string | undefined;
  type: StoreType;
}

export interface TlsSettings {
  prefix: TlsPrefix;
  keyStore: StoreSettings | undefined;
  trustStore: StoreSettings | undefined;
  /** `ssl.protocol` (TLSv1.2 by default) and the versions `ssl.enabledProtocols` allows. */
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL names of `ssl.ciphersuites` (ZooKeeper's default list when unset). */
  ciphers: string[];
  clientAuth: ClientAuth;
  /** `ssl.hostnameVerification` (default true): a client checks the server's name. */
  hostnameVerification: boolean;
  /** `ssl.handshakeDetectionTimeoutMillis` (5 000): how long a unified port waits for a byte. */
  handshakeDetectionTimeoutMs: number;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** The setting names after the prefix that corral reads (ZooKeeper's X509Util properties). */
export const tlsKeySuffixes = [
  'keyStore.location',
  'keyStore.password',
  'keyStore.passwordPath',
  'keyStore.type',
  'trustStore.location',
  'trustStore.password',
  'trustStore.passwordPath',
  'trustStore.type',
  'protocol',
  'enabledProtocols',
  'ciphersuites',
  'clientAuth',
  'hostnameVerification',
  'handshakeDetectionTimeoutMillis',
] as const;

const versionOrder: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** X509Util's default cipher list on Java 9 and later: GCM first, then CBC. */
const zookeeperDefaultCipherSuites = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
];

/**
 * Reads the TLS settings under `prefix` from zoo.cfg properties (keys without the `zookeeper.`
 * prefix). Every problem is a ConfigError naming the full key.
 */
export function readTlsSettings(
  properties: ReadonlyMap<string, string>,
  prefix: TlsPrefix,
): TlsSettings {
  const get = (suffix: (typeof tlsKeySuffixes)[number]): string | undefined => {
    const value = properties.get(prefix + suffix)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const protocol = get('protocol') ?? 'TLSv1.2';
  const protocols = get('enabledProtocols')?.split(',').map((name) => name.trim()) ?? [protocol];
  const protocolKey = get('enabledProtocols') === undefined ? 'protocol' : 'enabledProtocols';
  const versions = protocols.flatMap((name) => versionsOf(name, prefix + protocolKey));
  const indexes = versions.map((version) => versionOrder.indexOf(version));
  const suites = get('ciphersuites')?.split(',').map((name) => name.trim())
    .filter((name) => name !== '') ?? zookeeperDefaultCipherSuites;
  return {
    prefix,
    keyStore: readStore(get, prefix, 'keyStore'),
    trustStore: readStore(get, prefix, 'trustStore'),
    minVersion: versionOrder[Math.min(...indexes)]!,
    maxVersion: versionOrder[Math.max(...indexes)]!,
    ciphers: suites.map((suite) => {
      const name = openSslCipherName(suite);
      if (name === undefined) {
        throw new ConfigError(`${prefix}ciphersuites: unknown cipher suite ${suite}`,
          `${prefix}ciphersuites`);
      }
      return name;
    }),
    clientAuth: readClientAuth(get('clientAuth'), prefix),
    hostnameVerification: readBoolean(get('hostnameVerification'), true,
      `${prefix}hostnameVerification`),
    handshakeDetectionTimeoutMs: readPositive(get('handshakeDetectionTimeoutMillis'), 5000,
      `${prefix}handshakeDetectionTimeoutMillis`),
  };
}

/** The versions a Java protocol name enables: `TLS` means every version Node still allows. */
function versionsOf(name: string, key: string): TlsVersion[] {
  if (name === 'TLS') return ['TLSv1.2', 'TLSv1.3'];
  if ((versionOrder as readonly string[]).includes(name)) return [name as TlsVersion];
  throw new ConfigError(`${key}: unsupported protocol ${name} (expected TLSv1.2, TLSv1.3 or TLS)`,
    key);
}

function readStore(
  get: (suffix: (typeof tlsKeySuffixes)[number]) => string | undefined,
  prefix: TlsPrefix,
  store: 'keyStore' | 'trustStore',
): StoreSettings | undefined {
  const location = get(`${store}.location`);
  if (location === undefined) return undefined;
  return {
    location,
    password: get(`${store}.password`) ?? '',
    passwordPath: get(`${store}.passwordPath`),
    type: storeType(get(`${store}.type`), location, `${prefix}${store}.type`),
  };
}

/** KeyStoreFileType.fromPropertyValueOrFileName: the type named, else the file's extension. */
export function storeType(named: string | undefined, location: string, key: string): StoreType {
  if (named !== undefined) {
    const upper = named.toUpperCase();
    if (upper === 'PEM' || upper === 'PKCS12' || upper === 'JKS') return upper;
    throw new ConfigError(`${key}: unsupported store type ${named} (expected PEM, PKCS12 or JKS)`,
      key);
  }
  const extension = /\.[^./]*$/.exec(location)?.[0].toLowerCase();
  // ZooKeeper knows .pem, .p12 and .jks; .pfx is PKCS12's other common extension.
  switch (extension) {
    case '.pem':
      return 'PEM';
    case '.p12':
    case '.pfx':
      return 'PKCS12';
    case '.jks':
      return 'JKS';
    default:
      throw new ConfigError(`${key} is not set and the type of ${location} cannot be told from ` +
        'its extension (.pem, .p12, .pfx, .jks)', key);
  }
}

function readClientAuth(value: string | undefined, prefix: TlsPrefix): ClientAuth {
  // X509Util.ClientAuth.fromPropertyValue: unset or empty means NEED; case-insensitive.
  if (value === undefined) return 'need';
  const lower = value.toLowerCase();
  if (lower === 'need' || lower === 'want' || lower === 'none') return lower;
  throw new ConfigError(`${prefix}clientAuth: expected need, want or none, not ${value}`,
    `${prefix}clientAuth`);
}

function readBoolean(value: string | undefined, fallback: boolean, key: string): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw new ConfigError(`${key}: expected true or false, not ${value}`, key);
}

function readPositive(value: string | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  // ZooKeeper refuses a timeout below 1 (an infinite wait could lock up the accept path).
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new ConfigError(`${key}: expected a positive number of milliseconds, not ${value}`, key);
  }
  return Number(value);
}
