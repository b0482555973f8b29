// The `corral server` options: declared on a commander command, then merged over an optional
// zoo.cfg and validated into the ServerConfig the server runs with. Flags win over zoo.cfg, so an
// operator can reuse a ZooKeeper config and still move one port for a test.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  parseValue,
  parseZooCfg,
  resolveConfig,
  valueParsers,
  ConfigError,
  type ConfigLogger,
  type ServerConfig,
} from '../actors/config.js';
import { loadJaasServerUsers } from '../actors/jaas.js';

/** The options as commander hands them over (values are strings until validated). */
export interface ServerFlags {
  clientPort?: string;
  dataDir?: string;
  tickTime?: string;
  clientPortAddress?: string;
  config?: string;
  jaas?: string;
  inspect?: boolean;
}

export function addServerOptions(command: Command): Command {
  return command
    .option('--client-port <port>', 'TCP port for ZooKeeper clients (zoo.cfg clientPort)')
    .option('--data-dir <dir>', 'directory holding the log and snapshots (zoo.cfg dataDir)')
    .option('--tick-time <ms>', 'basic time unit in milliseconds (zoo.cfg tickTime, 2000)')
    .option(
      '--client-port-address <address>',
      'address the client port binds to (zoo.cfg clientPortAddress, 0.0.0.0)',
    )
    .option('--config <file>', 'a ZooKeeper zoo.cfg to start from; flags override its values')
    .option('--jaas <file>', 'JAAS login config whose Server section lists SASL digest users')
    .option('--inspect', 'serve the state machines to the Stately inspector');
}

/**
 * Reads --config (logging each zoo.cfg key corral ignores), applies the flags over it, loads the
 * JAAS users, and validates the result. Every problem is a ConfigError naming the key or flag.
 */
export function buildServerConfig(flags: ServerFlags, log: ConfigLogger): ServerConfig {
  let partial: Partial<ServerConfig> = {};
  if (flags.config !== undefined) {
    const parsed = parseZooCfg(readConfigFile(flags.config), flags.config);
    for (const key of parsed.ignoredKeys) log.warn(`ignoring zoo.cfg key ${key}`);
    partial = parsed.config;
  }
  partial = { ...partial, ...parseFlags(flags) };
  if (partial.jaasFile !== undefined) {
    partial.digestUsers = loadJaasServerUsers(partial.jaasFile);
  }
  return resolveConfig(partial, { log });
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
  return fromFlags;
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read zoo.cfg ${path}: ${reason}`, 'config');
  }
}
