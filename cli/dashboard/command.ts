// `corral dashboard`: serves the dashboard page for an ensemble's admin servers (live), or for a
// simulator trace file (--trace). Prints the URL to open and stops on SIGINT/SIGTERM.
import type { Command } from 'commander';
import { ConfigError, parseValue, valueParsers } from '../../actors/config/config.js';
import { parseAdminAddress, type AdminAddress } from '../admin-client.js';
import { dashboardDefaults, startDashboard, type DashboardSource } from './server.js';
import { readTraceHeader, TraceFileError } from './trace-file.js';

export interface DashboardFlags {
  servers?: string;
  port?: string;
  host?: string;
  history?: string;
  trace?: string;
  commandUrl?: string;
}

/** Events the page may keep for time travel: enough for minutes, bounded for the browser. */
export const historyLimitMax = 1_000_000;

export function addDashboardOptions(command: Command): Command {
  return command
    .option('--servers <host:adminport,...>', 'the admin servers of the replicas to show')
    .option('--port <port>', 'the port to serve the page on (0: any free port)',
      String(dashboardDefaults.port))
    .option('--host <address>', 'the address to serve on (loopback unless you say otherwise)',
      dashboardDefaults.host)
    .option('--history <events>', 'machine events the page keeps for time travel',
      String(dashboardDefaults.historyLimit))
    .option('--trace <file>', 'replay a `corral sim --trace-out` file instead of live servers')
    .option('--command-url <path>', 'the replicas\' admin.commandURL',
      dashboardDefaults.commandUrl);
}

export interface DashboardPlan {
  source: DashboardSource;
  host: string;
  port: number;
  historyLimit: number;
}

/** Validates the flags; every error is a ConfigError naming the flag. */
export function planDashboard(flags: DashboardFlags): DashboardPlan {
  const port = flags.port === undefined || flags.port === '0'
    ? Number(flags.port ?? dashboardDefaults.port)
    : parseValue(valueParsers.port, '--port', flags.port);
  const host = parseValue(valueParsers.text, '--host', flags.host ?? dashboardDefaults.host);
  const historyLimit = parseValue(valueParsers.positiveInteger, '--history',
    flags.history ?? String(dashboardDefaults.historyLimit));
  if (historyLimit > historyLimitMax) {
    throw new ConfigError(`invalid --history "${historyLimit}": at most ${historyLimitMax}`,
      '--history');
  }
  if (flags.trace !== undefined && flags.servers !== undefined) {
    throw new ConfigError('--trace replays a file: leave out --servers', '--trace');
  }
  if (flags.trace !== undefined) {
    return { source: { mode: 'trace', file: flags.trace }, host, port, historyLimit };
  }
  if (flags.servers === undefined || flags.servers.trim() === '') {
    throw new ConfigError('give --servers HOST:ADMINPORT[,…] (or --trace FILE)', '--servers');
  }
  const servers = parseServers(flags.servers);
  const commandUrl = flags.commandUrl ?? dashboardDefaults.commandUrl;
  return { source: { mode: 'live', servers, commandUrl }, host, port, historyLimit };
}

function parseServers(text: string): AdminAddress[] {
  const servers = text.split(',').map((part) => part.trim()).filter((part) => part !== '')
    .map((part) => {
      try {
        return parseAdminAddress(part);
      } catch {
        throw new ConfigError(`invalid --servers entry "${part}": expected HOST:ADMINPORT`,
          '--servers');
      }
    });
  const seen = new Set(servers.map((server) => `${server.host}:${server.port}`));
  if (seen.size !== servers.length) {
    throw new ConfigError(`--servers names one server twice: ${text}`, '--servers');
  }
  return servers;
}

/** Runs until SIGINT/SIGTERM; exits 2 on a file that is not a trace or a refused flag. */
export async function runDashboard(flags: DashboardFlags): Promise<void> {
  let plan: DashboardPlan;
  try {
    plan = planDashboard(flags);
    if (plan.source.mode === 'trace') readTraceHeader(plan.source.file);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof TraceFileError)) throw error;
    process.stderr.write(`corral dashboard: ${error.message}\n`);
    process.exit(2);
  }
  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const dashboard = await startDashboard({ ...plan, log: write }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`corral dashboard: port ${plan.port} on ${plan.host} is in use ` +
      '(choose another with --port)\n');
    process.exit(1);
  });
  const what = plan.source.mode === 'trace'
    ? `replaying ${plan.source.file}`
    : `showing ${plan.source.servers.length} replicas`;
  write(`corral dashboard ${what}: open ${dashboard.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    write(`[dashboard] ${signal}: stopping`);
    void dashboard.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
