// The admin server's commands (ZooKeeper 3.8's AdminServer, /commands/<name>): the same figures
// as the four-letter words, as JSON objects with ZooKeeper's names and field names, so the
// probes, exporters and scripts written against ZooKeeper's admin port read corral unchanged.
// Pure: each command turns an AdminView into a response; the HTTP side is admin-server.ts.

import {
  configuration,
  connections,
  dump,
  initialConfiguration,
  serverStats,
  setTraceMask,
  systemProperties,
  watchSummary,
  watchesByPath,
  watchesBySession,
  type AdminResponse,
} from './admin-command-views.js';
import { rootAdminAuth, type AdminAuthRequest } from './admin-auth.js';
import { leader, votingView, zabState } from './admin-quorum.js';
import { monitorValues, zxidHex } from './four-letter-word-reports.js';
import { notServingMessage, type FourLetterSource } from './four-letter-words.js';

/** What the commands read beyond the four-letter words' source. */
export interface AdminView {
  source: FourLetterSource;
  /** The newest snapshot on disk: its zxid and its file's modification time. */
  lastSnapshot: { zxid: number; modifiedAtMs: number } | undefined;
}

export type { AdminResponse };

interface AdminCommand {
  /** The name first (its URL and `command` field), then the four-letter alias if any. */
  names: readonly string[];
  /** ZooKeeper's CommandBase.serverRequired: answered with an error while not serving. */
  servingRequired: boolean;
  /**
   * ZooKeeper 3.9's Command.getAuthRequest: set on a command that changes the server's state,
   * which then runs only for a request from this server's own origin that authenticates (see
   * admin-auth.ts). 3.9 asks it of snapshot and restore only, which corral does not have.
   */
  authRequest?: AdminAuthRequest;
  /** `parameters`: the request's query string (ZooKeeper's kwargs), e.g. `traceMask`. */
  run(view: AdminView, parameters: URLSearchParams): AdminResponse;
}

const commands: readonly AdminCommand[] = [
  {
    names: ['configuration', 'conf', 'config'],
    servingRequired: true,
    run: ({ source }) => configuration(source),
  },
  {
    names: ['connection_stat_reset', 'crst'],
    servingRequired: true,
    authRequest: rootAdminAuth,
    run: ({ source }) => {
      source.resetConnectionStatistics();
      return {};
    },
  },
  {
    names: ['connections', 'cons'],
    servingRequired: true,
    run: ({ source }) => connections(source),
  },
  {
    names: ['dirs'],
    servingRequired: true,
    run: ({ source }) => ({
      datadir_size: source.dataDirSizeBytes,
      logdir_size: source.dataLogDirSizeBytes,
    }),
  },
  { names: ['dump'], servingRequired: true, run: ({ source }) => dump(source) },
  {
    names: ['environment', 'env', 'envi'],
    servingRequired: false,
    run: ({ source }) => ({
      'zookeeper.version': source.version,
      ...Object.fromEntries(source.environment),
    }),
  },
  {
    names: ['get_trace_mask', 'gtmk'],
    servingRequired: false,
    run: ({ source }) => ({ tracemask: source.traceMask }),
  },
  {
    // DigestCommand: the `hash` four-letter word's digests, as ZooKeeper's Jackson writes them.
    names: ['hash'],
    servingRequired: true,
    run: ({ source }) => ({
      digests: source.digestLog.map(({ zxid, digest, digestVersion }) =>
        ({ zxid, digest, digest_version: digestVersion })),
    }),
  },
  {
    names: ['initial_configuration', 'icfg'],
    servingRequired: true,
    run: ({ source }) => ({ initial_configuration: initialConfiguration(source) }),
  },
  {
    names: ['is_read_only', 'isro'],
    servingRequired: true,
    run: ({ source }) => ({ read_only: source.readOnly }),
  },
  {
    names: ['last_snapshot', 'lsnp'],
    servingRequired: true,
    run: ({ lastSnapshot }) => ({
      zxid: zxidHex(BigInt(lastSnapshot?.zxid ?? 0)),
      timestamp: Math.floor((lastSnapshot?.modifiedAtMs ?? 0) / 1000),
    }),
  },
  { names: ['leader', 'lead'], servingRequired: true, run: ({ source }) => leader(source) },
  {
    names: ['monitor', 'mntr'],
    servingRequired: true,
    run: ({ source }) => Object.fromEntries(monitorValues(source)),
  },
  { names: ['ruok'], servingRequired: true, run: () => ({}) },
  {
    names: ['server_stats', 'srvr'],
    servingRequired: true,
    run: ({ source }) => serverStats(source),
  },
  {
    names: ['set_trace_mask', 'stmk'],
    servingRequired: false,
    authRequest: rootAdminAuth,
    run: ({ source }, parameters) => setTraceMask(source, parameters),
  },
  {
    names: ['stat_reset', 'srst'],
    servingRequired: true,
    authRequest: rootAdminAuth,
    run: ({ source }) => {
      source.resetServerStatistics();
      return {};
    },
  },
  {
    names: ['stats', 'stat'],
    servingRequired: true,
    run: ({ source }) => ({ ...serverStats(source), ...connections(source, true) }),
  },
  {
    names: ['system_properties', 'sysp'],
    servingRequired: false,
    run: ({ source }) => systemProperties(source),
  },
  { names: ['voting_view'], servingRequired: true, run: ({ source }) => votingView(source) },
  {
    names: ['watch_summary', 'wchs'],
    servingRequired: true,
    run: ({ source }) => watchSummary(source),
  },
  {
    names: ['watches', 'wchc'],
    servingRequired: true,
    run: ({ source }) => watchesBySession(source),
  },
  {
    names: ['watches_by_path', 'wchp'],
    servingRequired: true,
    run: ({ source }) => watchesByPath(source),
  },
  { names: ['zabstate'], servingRequired: false, run: ({ source }) => zabState(source) },
];

/** The commands' names, as the admin server's index lists them. */
export const adminCommandNames: readonly string[] = commands.map((command) => command.names[0]!);

/** Refuses a command that asks for authentication: an HTTP status and ZooKeeper's error. */
export type AdminGuard = (
  request: AdminAuthRequest,
) => { status: number; error: string } | undefined;

/**
 * The response to `/commands/<name>` and its HTTP status: the command's fields, then `command`
 * (its primary name) and `error` (null when it ran). An unknown name and a command that needs a
 * serving replica answer with an error and status 200, as ZooKeeper's do. A command with an
 * AuthRequest then passes `guard`, as in 3.9's Commands.runCommand, before it runs.
 */
export function runAdminCommand(
  name: string,
  view: () => AdminView,
  parameters: URLSearchParams = new URLSearchParams(),
  guard: AdminGuard = () => undefined,
): { status: number; body: AdminResponse } {
  const command = commands.find((candidate) => candidate.names.includes(name));
  if (command === undefined) {
    return { status: 200, body: { command: name, error: `Unknown command: ${name}` } };
  }
  const primary = command.names[0]!;
  const current = view();
  if (command.servingRequired && !current.source.serving) {
    return { status: 200, body: { command: primary, error: notServingMessage } };
  }
  if (command.authRequest !== undefined) {
    const refused = guard(command.authRequest);
    if (refused !== undefined) {
      return { status: refused.status, body: { command: name, error: refused.error } };
    }
  }
  const response = command.run(current, parameters);
  return { status: 200, body: { ...response, command: primary, error: response.error ?? null } };
}
