// The dashboard `corral ensemble` runs beside its replicas (in its own process): it reads every
// replica's admin server and serves the page on --dashboard-port. A port that is taken leaves the
// ensemble running without it, and says so: the ensemble matters more than its view.
import type { Command } from 'commander';
import { parseValue, valueParsers } from '../actors/config/config.js';
import { dashboardDefaults, startDashboard, type RunningDashboard } from './dashboard/server.js';
import { adminAddresses, type EnsemblePlan } from './ensemble-layout.js';

export interface EnsembleDashboardFlags {
  dashboardPort?: string;
  /** false with --no-dashboard. */
  dashboard?: boolean;
}

export function addEnsembleDashboardOptions(command: Command): Command {
  return command
    .option('--admin-base-port <port>',
      'admin server port of replica 1 (default base port + 3000), on 127.0.0.1')
    .option('--dashboard-port <port>', 'where the dashboard is served (0: any free port)',
      String(dashboardDefaults.port))
    .option('--no-dashboard', 'do not serve the dashboard');
}

/** The dashboard's port, or undefined with --no-dashboard; a ConfigError names a bad flag. */
export function dashboardPort(flags: EnsembleDashboardFlags): number | undefined {
  if (flags.dashboard === false) return undefined;
  const text = flags.dashboardPort ?? String(dashboardDefaults.port);
  if (text === '0') return 0;
  return parseValue(valueParsers.port, '--dashboard-port', text);
}

/** Starts the dashboard for the plan's replicas; undefined (and a line saying why) if it cannot. */
export async function startEnsembleDashboard(
  plan: EnsemblePlan,
  port: number,
  write: (line: string) => void,
): Promise<RunningDashboard | undefined> {
  try {
    return await startDashboard({
      source: { mode: 'live', servers: adminAddresses(plan) },
      host: dashboardDefaults.host,
      port,
      historyLimit: dashboardDefaults.historyLimit,
      log: (line) => write(`[ensemble] ${line}`),
    });
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? `port ${port} is in use`
      : (error as Error).message;
    write(`[ensemble] dashboard not started: ${why} (choose another with --dashboard-port, ` +
      'or --no-dashboard)');
    return undefined;
  }
}
