// The ensemble half of configuration: the rules ZooKeeper's QuorumPeerConfig applies to the
// server.N lines, myid and this server's own line (client address, role), so a replica refuses
// at startup the configs ZooKeeper refuses, each error naming the key that holds the mistake.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  parseMyId,
  type PeerType,
  type QuorumServerAddress,
} from '../../protocol/config/values.js';
import type { ConfigLogger, ResolveOptions, ServerConfig } from './config.js';
import {
  quorumHierarchyLines,
  quorumRuleOfConfig,
  type QuorumHierarchy,
} from './quorum-groups.js';
import { siteLines } from './sites.js';

type Servers = ReadonlyMap<number, QuorumServerAddress>;

/** What this server's own identity resolves to; undefined fields take the standalone defaults. */
export interface ResolvedSelf {
  myId: number | undefined;
  clientPort: number | undefined;
  clientPortAddress: string | undefined;
  peerType: PeerType | undefined;
}

/** True when this server runs as a replica (ZooKeeper's isDistributed), false standalone. */
export function isEnsemble(config: Pick<ServerConfig, 'servers' | 'standaloneEnabled'>): boolean {
  return config.servers.size >= 2 || (config.servers.size === 1 && !config.standaloneEnabled);
}

/** Reads `<dataDir>/myid`: undefined when it does not exist, a ConfigError when it is bad. */
export function readMyIdFile(dataDir: string): number | undefined {
  const path = join(dataDir, 'myid');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read myid file ${path}: ${reason}`, 'myid');
  }
  return parseMyId(text, path);
}

/** Per-line rules: ids, and every quorum and election port used once per host. */
export function checkServerLines(servers: Servers, extendedTypesEnabled: boolean): void {
  const endpoints = new Map<string, string>();
  for (const [id, address] of servers) {
    const key = `server.${id}`;
    if (extendedTypesEnabled && id === 255) {
      // TTL session ids use the top byte of the server id; 255 would collide with them.
      throw new ConfigError(
        `invalid ${key}: with extendedTypesEnabled a server id must be 1-254`,
        key,
      );
    }
    if (address.id !== id) {
      throw new ConfigError(`invalid ${key}: entry holds id ${address.id}`, key);
    }
    // QuorumServer refuses equal quorum and election ports; across lines, one host and port
    // would have two replicas bind one socket, and the second could never start.
    const ports = [['quorum', address.quorumPort], ['election', address.electionPort]] as const;
    for (const [role, port] of ports) {
      const endpoint = `${address.host}:${port}`;
      const holder = endpoints.get(endpoint);
      if (holder !== undefined) {
        throw new ConfigError(`invalid ${key}: ${role} port ${endpoint} is already ${holder}`, key);
      }
      endpoints.set(endpoint, `the ${role} port of ${key}`);
    }
  }
}

/** QuorumPeerConfig.parseDynamicConfig: the participants an ensemble needs, and its warnings. */
export function checkQuorumShape(
  servers: Servers,
  standaloneEnabled: boolean,
  log: ConfigLogger,
): void {
  if (servers.size === 0) return;
  const addresses = [...servers.values()];
  const participants = addresses.filter((address) => address.peerType === 'participant').length;
  const firstObserver = addresses.find((address) => address.peerType === 'observer');
  const observerKey = `server.${firstObserver?.id ?? 0}`;
  if (participants === 0) {
    if (!standaloneEnabled) {
      throw new ConfigError(
        'invalid standaloneEnabled "false": the server.N lines name no participant',
        'standaloneEnabled',
      );
    }
    throw new ConfigError(`invalid ${observerKey}: observers without participants`, observerKey);
  }
  if (participants === 1 && standaloneEnabled) {
    if (firstObserver !== undefined) {
      throw new ConfigError(
        `invalid ${observerKey}: observers without a quorum (one participant, and ` +
          'standaloneEnabled=true runs that one standalone)',
        observerKey,
      );
    }
    log.warn('only one server.N line and standaloneEnabled=true: running standalone');
  } else if (participants <= 2) {
    log.warn(`${participants} participants tolerate no server failure; 3 tolerate one`);
  } else if (participants % 2 === 0) {
    log.warn(`${participants} participants tolerate no more failures than ${participants - 1}`);
  }
}

/**
 * QuorumPeerConfig.setupQuorumPeerConfig's order: myid, then the client address from this
 * server's own line, then its role.
 */
export function resolveSelf(
  partial: Partial<ServerConfig>,
  dataDir: string,
  servers: Servers,
  options: ResolveOptions,
): ResolvedSelf {
  const myId = resolveMyId(partial, dataDir, servers, options);
  const self = myId === undefined ? undefined : servers.get(myId);
  return {
    myId,
    ...resolveClientAddress(partial, self),
    peerType: resolvePeerType(partial.peerType, self, options.log),
  };
}

/** setupMyId and QuorumPeer's "my id not in the peer list", with --myid over the file. */
function resolveMyId(
  partial: Partial<ServerConfig>,
  dataDir: string,
  servers: Servers,
  options: ResolveOptions,
): number | undefined {
  if (servers.size === 0) {
    if (partial.myId !== undefined) {
      options.log.warn(`myid ${partial.myId} ignored: no server.N lines, so running standalone`);
    }
    return undefined;
  }
  const path = join(dataDir, 'myid');
  const myId = partial.myId ?? options.readMyId?.(dataDir);
  const ensemble = isEnsemble({ servers, standaloneEnabled: partial.standaloneEnabled ?? true });
  // One line run standalone needs no myid, as in ZooKeeper (HBase writes such configs); without
  // a reader there is no file to ask, and the config stays unbound.
  if (!ensemble || (myId === undefined && options.readMyId === undefined)) return myId;
  if (myId === undefined) {
    throw new ConfigError(
      `myid is not set: ${path} is missing; write this server's id there or pass --myid`,
      'myid',
    );
  }
  if (!servers.has(myId)) {
    const source = partial.myId === undefined ? path : '--myid';
    const ids = [...servers.keys()].map((id) => `server.${id}`).join(', ');
    throw new ConfigError(`invalid myid "${myId}" (${source}): not among ${ids}`, 'myid');
  }
  return myId;
}

/** InetAddress.isAnyLocalAddress for the spellings zoo.cfg uses. */
const wildcardAddresses = ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0'];

/**
 * setupClientPort: a `;[host:]port` on this server's own line is its client address (the 3.5+
 * dynamic form). With clientPort also set they must agree (only the port, when clientPortAddress
 * is a wildcard), or ZooKeeper refuses. ZooKeeper also refuses clientPortAddress alone.
 */
function resolveClientAddress(
  partial: Partial<ServerConfig>,
  self: QuorumServerAddress | undefined,
): Pick<ResolvedSelf, 'clientPort' | 'clientPortAddress'> {
  const { clientPort, clientPortAddress } = partial;
  if (clientPort === undefined && clientPortAddress !== undefined) {
    throw new ConfigError(
      'clientPortAddress is set but clientPort is not set: set it in zoo.cfg or with --client-port',
      'clientPortAddress',
    );
  }
  const line = self?.client;
  if (line === undefined || self === undefined) return { clientPort, clientPortAddress };
  if (clientPort !== undefined) {
    const host = clientPortAddress ?? wildcardAddresses[0] ?? '';
    const agrees =
      line.port === clientPort && (wildcardAddresses.includes(host) || line.host === host);
    if (!agrees) {
      throw new ConfigError(
        `invalid clientPort "${clientPort}": clientPort and clientPortAddress give ` +
          `${host}:${clientPort}, but this server's line server.${self.id} gives ` +
          `${line.host}:${line.port}`,
        'clientPort',
      );
    }
  }
  return { clientPort: line.port, clientPortAddress: line.host };
}

/** setupPeerType: the server line decides; a different zoo.cfg peerType is only warned about. */
function resolvePeerType(
  configured: PeerType | undefined,
  self: QuorumServerAddress | undefined,
  log: ConfigLogger,
): PeerType | undefined {
  if (self === undefined) return configured;
  if (configured !== undefined && configured !== self.peerType) {
    log.warn(
      `peerType ${configured} does not match server.${self.id} (${self.peerType}); ` +
        'using the server line, as ZooKeeper does',
    );
  }
  return self.peerType;
}

/**
 * The ensemble as ZooKeeper's QuorumVerifier.toString writes it into /zookeeper/config and `conf`:
 * one `server.N=host:quorumPort:electionPort:role[;clientHost:clientPort]` line per member in id
 * order, QuorumHierarchical's group.N and weight.N lines when zoo.cfg has them, corral's
 * site.N lines when it has those, then `version=` and the configuration's version in hex (0 for
 * a static zoo.cfg). Without sites the text is ZooKeeper's to the byte.
 */
export function ensembleConfigText(
  servers: ReadonlyMap<number, QuorumServerAddress>,
  version: number | bigint = 0,
  hierarchy?: QuorumHierarchy,
  sites?: ReadonlyMap<number, string>,
): string {
  const lines = [...servers.values()]
    .sort((first, second) => first.id - second.id)
    .map((server) => {
      const { client: clientAddress } = server;
      const client = clientAddress === undefined
        ? ''
        : `;${delimitedHost(clientAddress.host)}:${clientAddress.port}`;
      const address = `${delimitedHost(server.host)}:${server.quorumPort}:${server.electionPort}`;
      return `server.${server.id}=${address}:${server.peerType}${client}\n`;
    });
  const groupLines = hierarchy === undefined
    ? []
    : quorumHierarchyLines(quorumRuleOfConfig(servers, hierarchy)).map((line) => `${line}\n`);
  const sitesText = siteLines(sites).map((line) => `${line}\n`).join('');
  return `${lines.join('')}${groupLines.join('')}${sitesText}version=${version.toString(16)}`;
}

/** QuorumServer.delimitedHostString: an IPv6 host in brackets, so its colons read as the host's. */
function delimitedHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
