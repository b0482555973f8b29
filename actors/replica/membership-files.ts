// Production's side of a configuration change: the membership the replicas agreed on (protocol/
// membership.ts) as the configuration layer reads and writes it (actors/config/dynamic-config*.ts)
// — zoo.cfg's server lines or dynamic file at startup, `zoo.cfg.dynamic.<version>` and the
// rewritten zoo.cfg once a reconfig commits — and the peer addresses the transport dials.
import type { Logger } from 'pino';
import type { VersionedMembership } from '../../protocol/membership.js';
import type { ServerConfig } from '../config/config.js';
import type { Membership as ConfigMembership } from '../config/dynamic-config.js';
import { removeNextDynamicConfig, writeDynamicConfig } from '../config/dynamic-config-writer.js';

/** The membership zoo.cfg (or its dynamic file) describes, as the replicas carry it. */
export function membershipOfConfig(settings: ServerConfig): VersionedMembership {
  const servers = [...settings.servers.values()].sort((first, second) => first.id - second.id);
  const hierarchy = settings.quorumHierarchy;
  return {
    servers,
    // The leader's view knows every server's site (tree broadcast picks a relay per site).
    ...(settings.sites.size === 0 ? {} : { sites: Object.fromEntries(settings.sites) }),
    ...(hierarchy === undefined
      ? {}
      : {
          groups: [...hierarchy.groups].map(([id, members]) => ({ id, members: [...members] })),
          weights: Object.fromEntries(hierarchy.weights),
        }),
    version: Number(settings.configVersion),
  };
}

/** The same membership as the configuration layer writes it. */
export function configMembershipOf(membership: VersionedMembership): ConfigMembership {
  return {
    servers: new Map(membership.servers.map((server) => [server.id, server] as const)),
    quorumHierarchy: membership.groups === undefined
      ? undefined
      : {
          groups: new Map(membership.groups
            .map((group) => [group.id, [...group.members]] as const)),
          weights: new Map(Object.entries(membership.weights ?? {})
            .map(([id, weight]) => [Number(id), weight] as const)),
        },
    sites: membership.sites === undefined
      ? undefined
      : new Map(Object.entries(membership.sites).map(([id, site]) => [Number(id), site] as const)),
    version: BigInt(membership.version),
  };
}

/**
 * QuorumPeer.setQuorumVerifier(qv, writeToDisk): a committed configuration is written as
 * `<zoo.cfg>.dynamic.<hex version>` and zoo.cfg is rewritten to name it, so a restart reads the
 * newest; the `.next` file of a proposal it settles is removed. Only with reconfigEnabled and a
 * zoo.cfg to rewrite, as ZooKeeper. A failure is logged: the ensemble goes on, and the
 * replica's tree still holds the configuration in /zookeeper/config.
 */
export function persistMembership(
  settings: ServerConfig,
  membership: VersionedMembership,
  logger: Logger,
): void {
  const configPath = settings.configPath;
  if (!settings.reconfigEnabled || configPath === undefined) return;
  // A starting configuration (version 0) is what zoo.cfg already says, or the leader's view a
  // joining replica takes on sync: its own zoo.cfg keeps naming it, so it can start again and
  // rejoin. Only a reconfig's configuration is written, as ZooKeeper writes no version 0 file.
  if (membership.version === 0) return;
  try {
    const { dynamicConfigFile } = writeDynamicConfig(
      { configPath, dynamicConfigFile: settings.dynamicConfigFile, myId: settings.myId },
      configMembershipOf(membership),
    );
    removeNextDynamicConfig(configPath);
    logger.info({ dynamicConfigFile }, 'dynamic configuration written');
  } catch (error) {
    logger.error({ error: String(error), configPath }, 'dynamic configuration not written');
  }
}

/** Where the transport dials each member but this replica: its quorum address. */
export function peerAddressesOf(
  membership: VersionedMembership,
  myId: number,
): Map<number, { host: string; port: number }> {
  return new Map(membership.servers
    .filter((server) => server.id !== myId)
    .map((server) => [server.id, { host: server.host, port: server.quorumPort }] as const));
}
