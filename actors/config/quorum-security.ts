// The quorum port's TLS keys (ZooKeeper's sslQuorum): `sslQuorum`, `portUnification`,
// `sslQuorumReloadCertFiles` and the `ssl.quorum.*` stores and protocol settings, each also
// accepted under the `zookeeper.` prefix (the form of ZooKeeper's system properties), with
// ZooKeeper's rule that TLS on the quorum needs a key store and a trust store.
import { ConfigError, valueParsers } from '../../protocol/config/values.js';
import type { ValueParser } from '../../protocol/config/values.js';
import { readTlsSettings, tlsKeySuffixes, type TlsSettings } from '../../transport/tls/index.js';

export interface QuorumSecurityConfig {
  /** sslQuorum: replicas dial each other over mutual TLS. */
  sslQuorum: boolean;
  /** portUnification: the quorum port also accepts TLS (or, with sslQuorum, plaintext) peers. */
  quorumPortUnification: boolean;
  /** sslQuorumReloadCertFiles: new peer connections use certificate files changed on disk. */
  quorumCertReload: boolean;
  /** The `ssl.quorum.*` settings, when the quorum port speaks TLS at all. */
  quorumTls: TlsSettings | undefined;
}

export const quorumSecurityDefaults = {
  sslQuorum: false,
  quorumPortUnification: false,
  quorumCertReload: false,
  quorumTls: undefined,
} as const satisfies QuorumSecurityConfig;

const switches: Readonly<Record<string, keyof QuorumSecurityConfig>> = {
  sslQuorum: 'sslQuorum',
  portUnification: 'quorumPortUnification',
  sslQuorumReloadCertFiles: 'quorumCertReload',
};

const quorumTlsKeys = new Set<string>(tlsKeySuffixes.map((suffix) => `ssl.quorum.${suffix}`));

/** The name a key is read under (`zookeeper.sslQuorum` is sslQuorum); undefined if not ours. */
export function quorumSecurityKeyName(key: string): string | undefined {
  const bare = key.startsWith('zookeeper.') ? key.slice('zookeeper.'.length) : key;
  return Object.hasOwn(switches, bare) || quorumTlsKeys.has(bare) ? bare : undefined;
}

/** Reads the quorum security keys (names from quorumSecurityKeyName) into a partial config. */
export function readQuorumSecurityKeys(
  entries: readonly { name: string; value: string; where: string }[],
  parse: (parser: ValueParser, key: string, value: string, where: string) => unknown,
): Partial<QuorumSecurityConfig> {
  const config: Partial<Record<keyof QuorumSecurityConfig, unknown>> = {};
  const tlsProperties = new Map<string, string>();
  for (const { name, value, where } of entries) {
    const field = switches[name];
    if (field !== undefined) config[field] = parse(valueParsers.boolean, name, value, where);
    else tlsProperties.set(name, value);
  }
  const speaksTls = config.sslQuorum === true || config.quorumPortUnification === true;
  if (speaksTls) {
    const settings = readTlsSettings(tlsProperties, 'ssl.quorum.');
    for (const store of ['keyStore', 'trustStore'] as const) {
      if (settings[store] === undefined) {
        const key = `ssl.quorum.${store}.location`;
        throw new ConfigError(`${key} is not set: TLS between replicas (sslQuorum or ` +
          'portUnification) needs a key store and a trust store', key);
      }
    }
    config.quorumTls = settings;
  }
  return config as Partial<QuorumSecurityConfig>;
}
