// The figures `corral status` shows for one replica, gathered as an operator's scripts gather
// ZooKeeper's: the `srvr` and `mntr` four-letter words on the client port, or the admin server's
// `server_stats` and `monitor` commands. Works against corral and Apache ZooKeeper alike; a
// replica that does not answer, or does not serve, is reported as such rather than failing.

import { connect } from 'node:net';
import { adminJson, type AdminAddress } from './admin-client.js';

export interface ReplicaFigures {
  /** host:port as given (client port, or admin port with --admin). */
  address: string;
  /** leader, follower, observer, standalone, read-only; `down` (no answer) or `not serving`. */
  role: string;
  /** Its site (corral's `Site:` srvr line, or server_stats' `site`); absent when in none. */
  site?: string;
  zxid?: number;
  connections?: number;
  outstandingRequests?: number;
  avgLatencyMs?: number;
  uptimeMs?: number;
  /** The leader's time leading: its election ended this long ago. */
  leaderUptimeMs?: number;
  /** Voting members, as the leader counts them. */
  quorumSize?: number;
  /** Voting followers synced to the leader. */
  syncedFollowers?: number;
  /** Why the figures are partial (mntr not whitelisted, …). */
  note?: string;
}

/** Four-letter answers are short; a longer one is not from a ZooKeeper server. */
const answerBytesMax = 1 << 20;

/** Sends a four-letter word and reads the answer until the server closes the connection. */
export function askFourLetterWord(host: string, port: number, word: string, timeoutMs: number):
  Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => socket.destroy(new Error(`${word}: no answer within ` +
      `${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > answerBytesMax) socket.destroy(new Error(`${word}: answer too long`));
      else chunks.push(chunk);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `zk_key\tvalue` lines as a map without the prefix. */
function parseMonitor(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^zk_(\w+)\t(.*)$/.exec(line);
    if (match !== null) values.set(match[1]!, match[2]!);
  }
  return values;
}

function numberOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The monitor values both sources share (mntr's text, or the admin `monitor` JSON). */
function fromMonitor(figures: ReplicaFigures, values: ReadonlyMap<string, unknown>): void {
  const set = <K extends keyof ReplicaFigures>(key: K, value: ReplicaFigures[K] | undefined) => {
    if (value !== undefined) figures[key] = value;
  };
  set('connections', numberOf(values.get('num_alive_connections')));
  set('outstandingRequests', numberOf(values.get('outstanding_requests')));
  set('avgLatencyMs', numberOf(values.get('avg_latency')));
  set('uptimeMs', numberOf(values.get('uptime')));
  set('leaderUptimeMs', numberOf(values.get('leader_uptime')));
  set('quorumSize', numberOf(values.get('quorum_size')));
  set('syncedFollowers', numberOf(values.get('synced_followers')));
}

/** A replica's figures over its client port (srvr, then mntr when the whitelist allows it). */
export async function fourLetterFigures(host: string, port: number, timeoutMs: number):
  Promise<ReplicaFigures> {
  const address = `${host}:${port}`;
  let srvr: string;
  try {
    srvr = await askFourLetterWord(host, port, 'srvr', timeoutMs);
  } catch {
    return { address, role: 'down' };
  }
  const mode = /^Mode: (.+)$/m.exec(srvr)?.[1]?.trim();
  if (mode === undefined) return { address, role: 'not serving' };
  const figures: ReplicaFigures = {
    address,
    role: mode,
    zxid: numberOf(/^Zxid: (0x[0-9a-fA-F]+)$/m.exec(srvr)?.[1]),
    connections: numberOf(/^Connections: (\d+)$/m.exec(srvr)?.[1]),
    outstandingRequests: numberOf(/^Outstanding: (\d+)$/m.exec(srvr)?.[1]),
    avgLatencyMs: numberOf(/^Latency min\/avg\/max: [^/]+\/([^/]+)\//m.exec(srvr)?.[1]),
  };
  const site = /^Site: (.+)$/m.exec(srvr)?.[1]?.trim();
  if (site !== undefined) figures.site = site;
  try {
    const mntr = await askFourLetterWord(host, port, 'mntr', timeoutMs);
    if (!mntr.includes('zk_')) figures.note = 'mntr not answered (4lw.commands.whitelist)';
    else fromMonitor(figures, parseMonitor(mntr));
  } catch {
    figures.note = 'mntr not answered';
  }
  return figures;
}

/** A replica's figures from its admin server (server_stats and monitor). */
export async function adminFigures(admin: AdminAddress, commandUrl: string, timeoutMs: number):
  Promise<ReplicaFigures> {
  const address = `${admin.host}:${admin.port}`;
  const base = commandUrl.replace(/\/+$/, '');
  const stats = await adminJson(admin, `${base}/server_stats`, timeoutMs);
  if (stats === undefined) return { address, role: 'down' };
  const server = stats.server_stats as Record<string, unknown> | undefined;
  if (typeof stats.error === 'string' || server === undefined) {
    return { address, role: 'not serving' };
  }
  const figures: ReplicaFigures = {
    address,
    role: String(server.server_state),
    zxid: numberOf(server.last_processed_zxid),
    connections: numberOf(server.num_alive_client_connections),
    outstandingRequests: numberOf(server.outstanding_requests),
    avgLatencyMs: numberOf(server.avg_latency),
    uptimeMs: numberOf(server.uptime),
  };
  if (typeof stats.site === 'string') figures.site = stats.site;
  const monitor = await adminJson(admin, `${base}/monitor`, timeoutMs);
  if (monitor === undefined || typeof monitor.error === 'string') {
    figures.note = 'monitor not answered';
  } else {
    fromMonitor(figures, new Map(Object.entries(monitor)));
  }
  return figures;
}
