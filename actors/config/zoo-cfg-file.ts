// A zoo.cfg read from disk the way QuorumPeerConfig.parse reads it: the file itself, then the
// dynamic file it names and a `.next` proposal beside it, so the replica starts from the newest
// committed membership and knows of an uncommitted one. What `corral server --config` calls.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../protocol/config/values.js';
import { parseZooCfg, type ParsedZooCfg } from './zoo-cfg-parser.js';
import { readMembershipFiles } from './dynamic-config.js';

export interface ZooCfgFile extends ParsedZooCfg {
  /** zoo.cfg's text as read (the admin server's initial_configuration). */
  text: string;
}

/**
 * Reads zoo.cfg at `configPath` and, when it sets dynamicConfigFile, the membership from that
 * file (servers, groups, weights and sites, and its version) and from `<configPath>.dynamic.next`.
 * The config it returns records `configPath`, which a reconfiguration rewrites.
 */
export function readZooCfgFile(configPath: string): ZooCfgFile {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read zoo.cfg ${configPath}: ${reason}`, 'config');
  }
  const parsed = parseZooCfg(text, configPath);
  const config = { ...parsed.config, configPath };
  const { dynamicConfigFile } = config;
  if (dynamicConfigFile !== undefined) {
    const { committed, lastSeen } = readMembershipFiles(configPath, dynamicConfigFile);
    if (committed.servers.size > 0) config.servers = committed.servers;
    if (committed.quorumHierarchy !== undefined) {
      config.quorumHierarchy = committed.quorumHierarchy;
    }
    if (committed.sites !== undefined) config.sites = committed.sites;
    config.configVersion = committed.version;
    if (lastSeen !== undefined) config.lastSeenMembership = lastSeen;
  }
  return { ...parsed, config, text };
}
