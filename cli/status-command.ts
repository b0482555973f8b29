// `corral status CONNECT` (or `--admin HOST:PORT,…`): one table of the ensemble — each
// replica's role, site (a column shown once any replica has one), epoch, last zxid, lag behind
// the leader, connections, outstanding requests, average latency, uptime and when the leader's
// election ended — and an exit code that says whether a quorum serves, so it can be a health
// check. `--watch` redraws it every --interval.

import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConnectString } from '../client/connect-string.js';
import { parseAdminAddress } from './admin-client.js';
import { adminFigures, fourLetterFigures, type ReplicaFigures } from './status-figures.js';

export interface StatusFlags {
  admin?: string;
  commandUrl: string;
  timeout: string;
  watch?: boolean;
  interval: string;
}

/** Exit codes: 0 a quorum serves; 1 none does (or nothing answered). */
export const exitQuorum = 0;
export const exitNoQuorum = 1;
/** --watch redraws no more often than this, whatever --interval says. */
const intervalMsMin = 200;

/**
 * Does a quorum serve? A standalone server is its own quorum. Otherwise exactly one replica
 * must lead, with a majority of the voting members synced to it by its own count (mntr's
 * synced_followers and quorum_size), or, without those figures, a majority of the replicas
 * asked (observers aside) leading or following.
 */
export function quorumServes(replicas: readonly ReplicaFigures[]): boolean {
  if (replicas.some((replica) => replica.role === 'standalone')) return true;
  const leaders = replicas.filter((replica) => replica.role === 'leader');
  if (leaders.length !== 1) return false;
  const leader = leaders[0]!;
  if (leader.quorumSize !== undefined && leader.syncedFollowers !== undefined) {
    return (leader.syncedFollowers + 1) * 2 > leader.quorumSize;
  }
  const voters = replicas.filter((replica) => replica.role !== 'observer');
  const serving = voters.filter((replica) => replica.role === 'follower').length + 1;
  return serving * 2 > voters.length;
}

/** 93784000 → `1d2h3m`; 65000 → `1m5s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first < 0) return '0s';
  return parts.slice(first, first + 3).map(([value, unit]) => `${value}${unit}`).join('');
}

const columns = ['SERVER', 'ROLE', 'EPOCH', 'ZXID', 'LAG', 'CONNS', 'OUTSTANDING', 'AVG MS',
  'UPTIME', 'ELECTION ENDED'] as const;
/** The SITE column goes after ROLE, and only into a table where some replica has a site. */
const siteColumn = 2;

function row(replica: ReplicaFigures, leaderZxid: number | undefined, nowMs: number): string[] {
  const known = (value: number | undefined, text: (value: number) => string): string =>
    value === undefined ? '-' : text(value);
  const lag = replica.zxid === undefined || leaderZxid === undefined
    ? undefined
    : Math.max(0, leaderZxid - replica.zxid);
  const ended = replica.role === 'leader' ? replica.leaderUptimeMs : undefined;
  return [
    replica.address,
    replica.role,
    known(replica.zxid, (zxid) => String(Math.floor(zxid / 2 ** 32))),
    known(replica.zxid, (zxid) => `0x${zxid.toString(16)}`),
    known(lag, String),
    known(replica.connections, String),
    known(replica.outstandingRequests, String),
    known(replica.avgLatencyMs, (ms) => String(Math.round(ms * 100) / 100)),
    known(replica.uptimeMs, formatDuration),
    known(ended, (ms) => `${new Date(nowMs - ms).toISOString()} (${formatDuration(ms)} ago)`),
  ];
}

/** The table, then a verdict line. */
export function renderStatus(replicas: readonly ReplicaFigures[], nowMs: number): string {
  const leader = replicas.find((replica) => replica.role === 'leader');
  const rows = [[...columns], ...replicas.map((replica) => row(replica, leader?.zxid, nowMs))];
  if (replicas.some((replica) => replica.site !== undefined)) {
    rows[0]!.splice(siteColumn, 0, 'SITE');
    replicas.forEach((replica, index) => rows[index + 1]!.splice(siteColumn, 0,
      replica.site ?? '-'));
  }
  const widths = rows[0]!.map((_, index) => Math.max(...rows.map((cells) => cells[index]!.length)));
  const lines = rows.map((cells) =>
    cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd());
  for (const replica of replicas) {
    if (replica.note !== undefined) lines.push(`note: ${replica.address}: ${replica.note}`);
  }
  lines.push(quorumServes(replicas) ? 'quorum: serving' : 'quorum: NOT serving');
  return `${lines.join('\n')}\n`;
}

type Probe = () => Promise<ReplicaFigures[]>;

/** Which replicas to ask, and how: the connect string's client ports, or --admin servers. */
function probeOf(connect: string | undefined, flags: StatusFlags, timeoutMs: number): Probe {
  if (flags.admin !== undefined) {
    const admins = flags.admin.split(',').map(parseAdminAddress);
    return () => Promise.all(admins.map((admin) =>
      adminFigures(admin, flags.commandUrl, timeoutMs)));
  }
  if (connect === undefined) throw new Error('status needs CONNECT or --admin HOST:PORT,…');
  const { servers } = parseConnectString(connect);
  return () => Promise.all(servers.map((server) =>
    fourLetterFigures(server.host, server.port, timeoutMs)));
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} ${text}: not a count of ms`);
  return value;
}

/** Prints the table (again and again with --watch, until SIGINT); answers the exit code. */
export async function runStatus(connect: string | undefined, flags: StatusFlags):
  Promise<number> {
  const probe = probeOf(connect, flags, positive('--timeout', flags.timeout));
  const intervalMs = Math.max(intervalMsMin, positive('--interval', flags.interval));
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  if (flags.watch === true) process.once('SIGINT', stop);
  let code = exitNoQuorum;
  try {
    do {
      const replicas = await probe();
      code = quorumServes(replicas) ? exitQuorum : exitNoQuorum;
      const table = renderStatus(replicas, Date.now());
      if (flags.watch === true && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
      const stamped = `${new Date().toISOString()}\n${table}\n`;
      process.stdout.write(flags.watch === true ? stamped : table);
      // Sleep in slices, so Ctrl-C ends the watch at once.
      for (let slept = 0; flags.watch === true && !stopped && slept < intervalMs; slept += 100) {
        await sleep(Math.min(100, intervalMs - slept));
      }
    } while (flags.watch === true && !stopped);
  } finally {
    process.off('SIGINT', stop);
  }
  return code;
}

/** Registers `status` on the program. */
export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('one table of the ensemble; exit code 1 when no quorum serves (a health check)')
    .argument('[connect]', 'a ZooKeeper connect string: host:port,host:port,…')
    .option('--admin <host:port,...>', 'ask these admin servers instead of the client ports')
    .option('--command-url <path>', 'the servers\' admin.commandURL', '/commands')
    .option('--timeout <ms>', 'how long to wait for each replica\'s answer', '2000')
    .option('--watch', 'redraw the table every --interval until Ctrl-C')
    .option('--interval <ms>', 'how often --watch redraws', '2000')
    .action(async (connect: string | undefined, flags: StatusFlags) => {
      process.exitCode = await runStatus(connect, flags);
    });
}
