// The `corral server` options: declared on a commander command, then merged over an optional
// zoo.cfg and validated into the ServerConfig the server runs with. Flags win over zoo.cfg, so an
// operator can reuse a ZooKeeper config and still move one port for a test.
import type { Command } from 'commander';
import {
  parseQuorumServer,
  parseValue,
  readMyIdFile,
  resolveConfig,
  valueParsers,
  ConfigError,
  type ConfigLogger,
  type QuorumServerAddress,
  type ServerConfig,
} from '../actors/config/config.js';
import { serverId } from '../protocol/config/values.js';
import { loadJaasServerUsers } from '../actors/config/jaas.js';
import { loadQuorumSaslCredentials, quorumSaslDefaults } from '../actors/config/quorum-sasl.js';
import { logFormatParser, logLevelParser, type LoggingConfig } from
  '../actors/config/logging-keys.js';
import { peerWireVersionParser, type PeerWireConfig } from '../actors/config/peer-wire-keys.js';
import { readZooCfgFile } from '../actors/config/zoo-cfg-file.js';
import { parseSiteFlags } from '../actors/config/sites.js';
import {
  backsUpStaticConfig,
  backupStaticConfig,
} from '../actors/config/dynamic-config-writer.js';
import { addLoggingOptions } from './logging.js';
import type { MachineEventsConfig } from '../actors/config/machine-events-keys.js';

/** The options as commander hands them over (values are strings until validated). */
export interface ServerFlags {
  clientPort?: string;
  dataDir?: string;
  tickTime?: string;
  clientPortAddress?: string;
  config?: string;
  jaas?: string;
  inspect?: boolean;
  inspectPort?: string;
  inspectAddress?: string;
  myid?: string;
  /** Each `--server` as given: `N=host:quorumPort:electionPort[:type][;[host:]clientPort]`. */
  server?: string[];
  /** Each `--site` as given: `N=NAME`. */
  site?: string[];
  initLimit?: string;
  syncLimit?: string;
  peerType?: string;
  adminPort?: string;
  adminAddress?: string;
  logLevel?: string;
  logFormat?: string;
  readonlymodeEnabled?: boolean;
  treeBroadcast?: string;
  peerWireVersion?: string;
  machineEventsBuffer?: string;
  machineEventsListeners?: string;
  machineEventsQueueBytes?: string;
  machineEventsCoalesceMs?: string;
  machineEventsRemote?: boolean;
}

/** Commander's collector for a repeatable option; no default, so an absent flag stays absent. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addServerOptions(command: Command): Command {
  return addLoggingOptions(command)
    .option('--client-port <port>', 'TCP port for ZooKeeper clients (zoo.cfg clientPort)')
    .option('--data-dir <dir>', 'directory holding the log and snapshots (zoo.cfg dataDir)')
    .option('--tick-time <ms>', 'basic time unit in milliseconds (zoo.cfg tickTime, 2000)')
    .option(
      '--client-port-address <address>',
      'address the client port binds to (zoo.cfg clientPortAddress, 0.0.0.0)',
    )
    .option('--config <file>', 'a ZooKeeper zoo.cfg to start from; flags override its values')
    .option('--jaas <file>', 'JAAS login config whose Server section lists SASL digest users')
    .option('--inspect', 'serve the state machines to the Stately inspector')
    .option('--inspect-port <port>', 'port of the inspect bridge; implies --inspect (zoo.cfg ' +
      'inspect.port, 8082)')
    .option('--inspect-address <address>',
      'address the inspect bridge binds to (zoo.cfg inspect.address, 127.0.0.1)')
    .option('--myid <id>', "this replica's server id (overrides <data dir>/myid)")
    .option(
      '--server <spec>',
      'an ensemble member, N=host:quorumPort:electionPort[:participant|observer]' +
        '[;[clientHost:]clientPort]; repeat per member; replaces zoo.cfg server.N lines',
      collect,
    )
    .option('--site <id=name>', 'the site (data centre, region) of server id: a name of 1-64 ' +
      '[A-Za-z0-9._-]; repeat per server; wins over zoo.cfg site.N for that id', collect)
    .option('--init-limit <ticks>', 'ticks a follower may take to sync (zoo.cfg initLimit, 10)')
    .option('--sync-limit <ticks>', 'ticks a follower may lag (zoo.cfg syncLimit, 5)')
    .option(
      '--peer-type <type>',
      'participant or observer (zoo.cfg peerType; the server line decides, as in ZooKeeper)',
    )
    .option('--admin-port <port>', 'start the admin HTTP server on this port (zoo.cfg ' +
      'admin.serverPort; off unless set or admin.enableServer=true)')
    .option('--admin-address <address>',
      'address the admin server binds to (zoo.cfg admin.serverAddress, 0.0.0.0)')
    .option('--tree-broadcast <boolean>', 'the leader sends broadcast traffic once per remote ' +
      'site, through a relay there (zoo.cfg treeBroadcast, true)')
    .option('--readonlymode-enabled', 'a replica cut off from its quorum serves read-only ' +
      'clients (zoo.cfg readonlymode.enabled, false)')
    .option(...peerWireVersionOption)
    .option('--machine-events-buffer <records>', 'records the admin server keeps for a machine ' +
      'event stream listener that resumes (zoo.cfg machineEvents.buffer, 2000)')
    .option('--machine-events-listeners <n>', 'machine event stream listeners served at once; ' +
      'more get 503 (zoo.cfg machineEvents.listeners, 4)')
    .option('--machine-events-queue-bytes <bytes>', 'bytes waiting for one slow listener before ' +
      'its records are dropped (zoo.cfg machineEvents.queueBytes, 1048576)')
    .option('--machine-events-coalesce-ms <ms>', 'window over which machine events that change ' +
      'no state are summed into one record; 0 streams each (zoo.cfg machineEvents.coalesceMs, 50)')
    .option('--machine-events-remote', 'serve the machine event stream to peers beyond this ' +
      'machine (zoo.cfg machineEvents.remote; loopback only by default)');
}

/** The machine event stream's flags, which win over zoo.cfg's machineEvents.* keys. */
function parseMachineEventFlags(flags: ServerFlags): Partial<MachineEventsConfig> {
  const fromFlags: Partial<MachineEventsConfig> = {};
  const positive = (flag: string, value: string): number =>
    parseValue(valueParsers.positiveInteger, flag, value);
  if (flags.machineEventsBuffer !== undefined) {
    fromFlags.machineEventsBuffer = positive('--machine-events-buffer', flags.machineEventsBuffer);
  }
  if (flags.machineEventsListeners !== undefined) {
    fromFlags.machineEventsListenersMax =
      positive('--machine-events-listeners', flags.machineEventsListeners);
  }
  if (flags.machineEventsQueueBytes !== undefined) {
    fromFlags.machineEventsQueueBytes =
      positive('--machine-events-queue-bytes', flags.machineEventsQueueBytes);
  }
  if (flags.machineEventsCoalesceMs !== undefined) {
    fromFlags.machineEventsCoalesceMs = parseValue(valueParsers.nonNegativeInteger,
      '--machine-events-coalesce-ms', flags.machineEventsCoalesceMs);
  }
  if (flags.machineEventsRemote === true) fromFlags.machineEventsRemote = true;
  return fromFlags;
}

/** `--peer-wire-version`, declared alike on `corral server` and `corral ensemble` (relayed). */
export const peerWireVersionOption = [
  '--peer-wire-version <version>',
  'the newest peer wire version this replica speaks: 5, or 4 to speak as the previous release ' +
    'during a rolling upgrade (zoo.cfg peerWireVersion, 5)',
] as const;

/**
 * Reads --config (logging each zoo.cfg key corral ignores) with the dynamic file it names, applies
 * the flags over it, loads the JAAS users, and validates the result. Every problem is a
 * ConfigError naming the key or flag. Like QuorumPeerConfig.parse, it backs a static zoo.cfg up
 * to zoo.cfg.bak when reconfiguration will turn it into a dynamic one.
 */
export function buildServerConfig(flags: ServerFlags, log: ConfigLogger): ServerConfig {
  let partial: Partial<ServerConfig> = {};
  if (flags.config !== undefined) {
    const parsed = readZooCfgFile(flags.config);
    for (const key of parsed.ignoredKeys) log.warn(`ignoring zoo.cfg key ${key}`);
    for (const { key, why } of parsed.equivalentKeys) {
      log.info(`zoo.cfg key ${key} needs nothing more of corral: ${why}`);
    }
    partial = { ...parsed.config, initialConfiguration: parsed.text };
  }
  partial = { ...partial, ...parseFlags(flags) };
  if (flags.site !== undefined && flags.site.length > 0) {
    // Per id: a flag moves that server's site and leaves zoo.cfg's others in place.
    partial.sites = new Map([...(partial.sites ?? []), ...parseSiteFlags(flags.site)]);
  }
  if (partial.jaasFile !== undefined) {
    const quorum = partial.quorumSaslEnabled === true
      ? loadQuorumSaslCredentials(partial.jaasFile, { ...quorumSaslDefaults, ...partial })
      : undefined;
    if (quorum !== undefined) partial.quorumSaslCredentials = quorum.credentials;
    // A JAAS file for quorum SASL alone has no Server section: the client port then has no
    // SASL users, as in ZooKeeper, instead of refusing to start.
    if (quorum === undefined || quorum.sectionNames.includes('Server')) {
      partial.digestUsers = loadJaasServerUsers(partial.jaasFile);
    }
  }
  const config = resolveConfig(partial, { log, readMyId: readMyIdFile });
  if (backsUpStaticConfig(config) && config.configPath !== undefined) {
    log.info(`backed up ${config.configPath} to ${backupStaticConfig(config.configPath)}: ` +
      'reconfigEnabled moves its server.N lines to a dynamic config file');
  }
  return config;
}

function parseFlags(flags: ServerFlags): Partial<ServerConfig> {
  const fromFlags: Partial<ServerConfig> = {};
  if (flags.clientPort !== undefined) {
    fromFlags.clientPort = parseValue(valueParsers.port, '--client-port', flags.clientPort);
  }
  if (flags.dataDir !== undefined) {
    fromFlags.dataDir = parseValue(valueParsers.text, '--data-dir', flags.dataDir);
  }
  if (flags.tickTime !== undefined) {
    fromFlags.tickTimeMs = parseValue(valueParsers.positiveInteger, '--tick-time', flags.tickTime);
  }
  if (flags.clientPortAddress !== undefined) {
    fromFlags.clientPortAddress = parseValue(
      valueParsers.text,
      '--client-port-address',
      flags.clientPortAddress,
    );
  }
  if (flags.jaas !== undefined) {
    fromFlags.jaasFile = parseValue(valueParsers.text, '--jaas', flags.jaas);
  }
  if (flags.inspect !== undefined) fromFlags.inspect = flags.inspect;
  if (flags.readonlymodeEnabled === true) fromFlags.readOnlyModeEnabled = true;
  if (flags.treeBroadcast !== undefined) {
    fromFlags.treeBroadcast = parseValue(
      valueParsers.boolean, '--tree-broadcast', flags.treeBroadcast);
  }
  if (flags.inspectPort !== undefined) {
    fromFlags.inspectPort = parseValue(valueParsers.port, '--inspect-port', flags.inspectPort);
    fromFlags.inspect = true;
  }
  if (flags.inspectAddress !== undefined) {
    fromFlags.inspectAddress = parseValue(
      valueParsers.text,
      '--inspect-address',
      flags.inspectAddress,
    );
  }
  if (flags.adminPort !== undefined) {
    fromFlags.adminServerPort = parseValue(valueParsers.port, '--admin-port', flags.adminPort);
    // The flag asks for the server, whatever zoo.cfg's admin.enableServer says.
    fromFlags.adminServerEnabled = true;
  }
  if (flags.adminAddress !== undefined) {
    fromFlags.adminServerAddress = parseValue(
      valueParsers.text,
      '--admin-address',
      flags.adminAddress,
    );
  }
  return {
    ...fromFlags,
    ...parseEnsembleFlags(flags),
    ...parseLoggingFlags(flags),
    ...parsePeerWireFlag(flags),
    ...parseMachineEventFlags(flags),
  };
}

/** `--peer-wire-version`, which wins over zoo.cfg's peerWireVersion. */
export function parsePeerWireFlag(
  flags: Pick<ServerFlags, 'peerWireVersion'>,
): Partial<PeerWireConfig> {
  if (flags.peerWireVersion === undefined) return {};
  return {
    peerWireVersion: parseValue(peerWireVersionParser, '--peer-wire-version',
      flags.peerWireVersion) as PeerWireConfig['peerWireVersion'],
  };
}

/** `--log-level` and `--log-format`, which win over zoo.cfg's logLevel and logFormat. */
export function parseLoggingFlags(
  flags: Pick<ServerFlags, 'logLevel' | 'logFormat'>,
): Partial<LoggingConfig> {
  const fromFlags: Partial<LoggingConfig> = {};
  if (flags.logLevel !== undefined) {
    fromFlags.logLevel = parseValue(logLevelParser, '--log-level', flags.logLevel) as
      LoggingConfig['logLevel'];
  }
  if (flags.logFormat !== undefined) {
    fromFlags.logFormat = parseValue(logFormatParser, '--log-format', flags.logFormat) as
      LoggingConfig['logFormat'];
  }
  return fromFlags;
}

/** The ensemble flags, with the zoo.cfg parsers, each error naming its flag. */
function parseEnsembleFlags(flags: ServerFlags): Partial<ServerConfig> {
  const fromFlags: Partial<ServerConfig> = {};
  if (flags.myid !== undefined) fromFlags.myId = parseValue(serverId, '--myid', flags.myid);
  if (flags.server !== undefined && flags.server.length > 0) {
    fromFlags.servers = parseServerFlags(flags.server);
  }
  if (flags.initLimit !== undefined) {
    fromFlags.initLimit = parseValue(valueParsers.positiveInteger, '--init-limit', flags.initLimit);
  }
  if (flags.syncLimit !== undefined) {
    fromFlags.syncLimit = parseValue(valueParsers.positiveInteger, '--sync-limit', flags.syncLimit);
  }
  if (flags.peerType !== undefined) {
    fromFlags.peerType = parseValue(valueParsers.peerType, '--peer-type', flags.peerType);
  }
  return fromFlags;
}

/** `--server N=value` flags as zoo.cfg's `server.N=value` lines; together they replace those. */
export function parseServerFlags(specs: readonly string[]): Map<number, QuorumServerAddress> {
  const servers = new Map<number, QuorumServerAddress>();
  for (const spec of specs) {
    const address = parseServerFlag(spec);
    if (servers.has(address.id)) {
      throw new ConfigError(
        `invalid --server "${spec}": server ${address.id} is given twice`,
        '--server',
      );
    }
    servers.set(address.id, address);
  }
  return servers;
}

function parseServerFlag(spec: string): QuorumServerAddress {
  const fail = (reason: string): never => {
    throw new ConfigError(`invalid --server "${spec}": ${reason}`, '--server');
  };
  const separator = spec.indexOf('=');
  if (separator < 0) return fail('expected N=host:quorumPort:electionPort');
  try {
    const key = `server.${spec.slice(0, separator).trim()}`;
    return parseQuorumServer(key, spec.slice(separator + 1).trim());
  } catch (error) {
    // The zoo.cfg parser names server.N; say which flag held the value instead.
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.message);
  }
}
