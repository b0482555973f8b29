// Reading zoo.cfg text into the ServerConfig fields it sets: each key goes to the part that
// reads it (a key rule, a security key, a server line, a group or site line), unknown keys are
// collected, and a key asking for what corral lacks fails here. config.ts fills in the rest.
import { readJavaProperties } from '../../protocol/config/java-properties.js';
import {
  ConfigError,
  parseQuorumServer,
  parseValue,
  valueParsers,
  type QuorumServerAddress,
} from '../../protocol/config/values.js';
import { unhonouredSecurityKey } from './security-keys.js';
import { quorumSecurityKeyName, readQuorumSecurityKeys } from './quorum-security.js';
import {
  clientSecurityKeyName,
  isClientSecurityKey,
  readClientSecurityKeys,
  type ClientSecurityConfig,
} from './client-security.js';
import { zooCfgKeys } from './zoo-cfg-key-rules.js';
import { isMembershipKey } from './dynamic-config.js';
import { unreadKey } from './zookeeper-keys.js';
import type { ServerConfig } from './server-config.js';
import { isQuorumGroupKey, QuorumHierarchyReader } from './quorum-groups.js';
import { isSiteKey, SiteReader } from './sites.js';

/** Which part of parseZooCfg reads a key; undefined for a key no part reads. */
type KeyReader =
  | 'quorumSecurity' | 'clientSecurity' | 'rule' | 'authProvider' | 'server' | 'quorumGroup'
  | 'site';

/** The part of parseZooCfg that reads `key` (the ZooKeeper keys table's "honoured" keys). */
export function readerOf(key: string): KeyReader | undefined {
  if (quorumSecurityKeyName(key) !== undefined) return 'quorumSecurity';
  if (isClientSecurityKey(clientSecurityKeyName(key))) return 'clientSecurity';
  if (Object.hasOwn(zooCfgKeys, key)) return 'rule';
  if (key.startsWith('authProvider.')) return 'authProvider';
  if (/^server\./.test(key)) return 'server';
  if (isQuorumGroupKey(key)) return 'quorumGroup';
  if (isSiteKey(key)) return 'site';
  return undefined;
}

export interface ParsedZooCfg {
  config: Partial<ServerConfig>;
  /** Keys neither corral nor ZooKeeper's guide knows, once each, in file order. */
  ignoredKeys: string[];
  /** The guide's keys corral accepts without acting on, and why (zookeeper-key-table.ts). */
  equivalentKeys: Array<{ key: string; why: string }>;
}

/**
 * Reads zoo.cfg text into the fields it sets. Later keys win, as with Properties.load; values are
 * trimmed as QuorumPeerConfig does. A key that asks for what corral lacks stops here.
 */
export function parseZooCfg(text: string, sourceName: string): ParsedZooCfg {
  const config: Partial<Record<keyof ServerConfig, unknown>> = {};
  const ignored = new Set<string>();
  const equivalent = new Map<string, string>();
  const authProviders = new Map<string, string>();
  const servers = new Map<number, QuorumServerAddress>();
  const serverKeys = new Map<number, string>();
  const securityEntries: { name: string; value: string; where: string }[] = [];
  const quorumEntries: { name: string; value: string; where: string }[] = [];
  const quorumGroups = new QuorumHierarchyReader();
  const sites = new SiteReader();
  let membershipKey: { key: string; where: string } | undefined;
  for (const entry of readJavaProperties(text)) {
    const key = entry.key.trim();
    const value = entry.value.trim();
    const where = `${sourceName}:${entry.line}`;
    if (membershipKey === undefined && isMembershipKey(key)) membershipKey = { key, where };
    const unhonoured = unhonouredSecurityKey(key, value);
    if (unhonoured !== undefined) {
      throw new ConfigError(`${key}=${value} (${where}) cannot be honoured: ${unhonoured}`, key);
    }
    const reader = readerOf(key);
    if (reader === 'quorumSecurity') {
      quorumEntries.push({ name: quorumSecurityKeyName(key)!, value, where });
    } else if (reader === 'clientSecurity') {
      securityEntries.push({ name: clientSecurityKeyName(key), value, where });
    } else if (reader === 'rule') {
      const rule = zooCfgKeys[key]!;
      const parsed = parseValue(rule.parse, key, value, where);
      if (rule.field !== undefined) config[rule.field] = parsed;
    } else if (reader === 'authProvider') {
      authProviders.set(key, parseValue(valueParsers.text, key, value, where));
    } else if (reader === 'quorumGroup') {
      quorumGroups.read(key, value, where);
    } else if (reader === 'site') {
      sites.read(key, value, where);
    } else if (reader === 'server') {
      const address = parseQuorumServer(key, value, where);
      // `server.1` twice is one key (the later wins); `server.01` beside it is a second entry.
      const earlierKey = serverKeys.get(address.id);
      if (earlierKey !== undefined && earlierKey !== key) {
        throw new ConfigError(`invalid ${key}: ${earlierKey} already has id ${address.id}`, key);
      }
      serverKeys.set(address.id, key);
      servers.set(address.id, address);
    } else {
      const why = unreadKey(key, value, where, Object.keys(zooCfgKeys));
      if (why === undefined) ignored.add(key);
      else equivalent.set(key, why);
    }
  }
  if (config.dynamicConfigFile !== undefined && membershipKey !== undefined) {
    // QuorumPeerConfig refuses the membership in zoo.cfg beside a dynamic file, wherever it is.
    const { key, where } = membershipKey;
    throw new ConfigError(`${key} (${where}) must be in the dynamic config file ` +
      `${String(config.dynamicConfigFile)}, not beside dynamicConfigFile in zoo.cfg`, key);
  }
  if (authProviders.size > 0) config.authProviders = [...authProviders.values()];
  if (servers.size > 0) config.servers = servers;
  const quorumHierarchy = quorumGroups.result();
  if (quorumHierarchy !== undefined) config.quorumHierarchy = quorumHierarchy;
  const siteMap = sites.result();
  if (siteMap !== undefined) config.sites = siteMap;
  readClientSecurityKeys(securityEntries, config as Partial<ClientSecurityConfig>, parseValue);
  Object.assign(config, readQuorumSecurityKeys(quorumEntries, parseValue));
  return {
    config: config as Partial<ServerConfig>,
    ignoredKeys: [...ignored],
    equivalentKeys: [...equivalent].map(([key, why]) => ({ key, why })),
  };
}
