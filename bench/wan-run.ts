// One run of the WAN benchmark: real replica processes on loopback split into sites, their peer
// links through the chaos proxy mesh shaped as a WAN (delay, bandwidth), one corral client per
// site connecting through shaped proxies of its own with `{ site }` and a site-tagged connect
// string. It measures bytes crossing site boundaries per committed write, write and read latency
// per site at a fixed rate, and how long a client whose whole site died takes to be served again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Client } from '../client/index.js';
import { createShapedProxy, ProxyMesh, type ShapedProxy } from '../cli/chaos/proxy-mesh.js';
import { ReplicaProcesses, type ReplicaPorts } from '../cli/chaos/replica-processes.js';
import { linkShapeOf, replicasBySite, type SiteShaping } from '../cli/chaos/sites.js';
import { freePorts } from './servers.js';

export interface WanRunOptions {
  /** One site per replica, replica 1 first. */
  sites: readonly string[];
  /** zoo.cfg `treeBroadcast` (false: the leader sends to every follower itself, a star). */
  treeBroadcast: boolean;
  /** zoo.cfg `treeBroadcastDirectAcks` (false: relayed followers' ACKs go back through the
   * relay, batched); left out, the default (true). */
  directAcks?: boolean;
  wanDelayMs: number;
  lanDelayMs: number;
  /** Bytes per millisecond on each link between sites (Infinity: no limit). */
  wanBandwidthBytesPerMs: number;
  /** Writes (and reads) each site's client issues per second, at a fixed pace. */
  operationsPerSecond: number;
  valueBytes: number;
  measureMs: number;
  sessionTimeoutMs: number;
  tickTimeMs: number;
  /** Kill every replica of the last site after measuring, and time its client's recovery. */
  failover: boolean;
  /**
   * One observer per entry, in that site (replicas after the voters). A site with an observer
   * has its reader connect to it (its site's only server in the reader's connect string).
   */
  observerSites?: readonly string[];
}

export interface SiteFigures {
  site: string;
  writes: number;
  writeP50Ms: number;
  writeP99Ms: number;
  reads: number;
  readP50Ms: number;
  readP99Ms: number;
  errors: number;
  /** The first failure's text, when there were failures. */
  firstError: string | undefined;
  /** Every answered write's latency, ascending: rounds pool them for one p99 (wan-bench). */
  writeLatenciesMs: number[];
}

export interface FailoverFigures {
  site: string;
  /** From the last kill to the first write the site's client got answered. */
  recoveredMs: number | undefined;
  /** The client kept its session (moved it to another site's server). */
  sessionKept: boolean;
  sessionTimeoutMs: number;
}

export interface WanRunResult {
  committedWrites: number;
  crossSiteBytes: number;
  leaderSite: string | undefined;
  perSite: SiteFigures[];
  failover: FailoverFigures | undefined;
}

/** A loopback address of the benchmark's own (chaos runs take 127.0.0.3). */
const host = '127.0.0.5';
const settleTimeoutMs = 120_000;
const prepareTimeoutMs = 60_000;
/** Outstanding requests one site's client keeps at most: a fixed pace that falls behind stops. */
const outstandingMax = 64;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

/** Runs one configuration; every process and proxy it started is stopped before it returns. */
export async function runWan(options: WanRunOptions): Promise<WanRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-wan-'));
  const observerSites = options.observerSites ?? [];
  /** Every replica's site: the voters', then the observers'. */
  const replicaSites = [...options.sites, ...observerSites];
  const observers = new Set(observerSites.map((_, index) => options.sites.length + index + 1));
  const shaping: SiteShaping = {
    sites: replicaSites,
    wan: { delayMs: options.wanDelayMs, bandwidthBytesPerMs: options.wanBandwidthBytesPerMs },
    lan: { delayMs: options.lanDelayMs, bandwidthBytesPerMs: Infinity },
  };
  const ports = new Map<number, ReplicaPorts>();
  const all = await freePorts(3 * replicaSites.length, host);
  replicaSites.forEach((_, index) => {
    const [client, quorum, election] = all.slice(3 * index, 3 * index + 3) as number[];
    ports.set(index + 1, { client: client!, quorum: quorum!, election: election! });
  });
  const quorumPorts = new Map([...ports].map(([id, replica]) => [id, replica.quorum]));
  const mesh = await ProxyMesh.create(quorumPorts, host, linkShapeOf(shaping), new Set(all));
  const replicas = new ReplicaProcesses(dir, ports, options.tickTimeMs, host);
  const proxies: ShapedProxy[] = [];
  /** Per site, a writer and a reader: a read in the writer's session would queue behind its
   * writes (a session's requests complete in order) and measure them again. */
  const clients: Client[] = [];
  const readers: Client[] = [];
  try {
    replicas.configure(mesh, [
      ...replicaSites.map((site, index) => `site.${index + 1}=${site}`),
      `treeBroadcast=${options.treeBroadcast}`,
      ...(options.directAcks === undefined
        ? [] : [`treeBroadcastDirectAcks=${options.directAcks}`]),
    ], observers);
    for (const id of replicas.ids) replicas.start(id);
    if ((await replicas.settled(settleTimeoutMs)) === undefined) {
      throw new Error(`wan bench: no leader within ${settleTimeoutMs / 1000} s`);
    }
    const bySite = replicasBySite(options.sites);
    for (const site of bySite.keys()) {
      const servers = new Map<number, string>();
      for (const [id, replica] of ports) {
        const serverSite = replicaSites[id - 1]!;
        const shape = serverSite === site ? shaping.lan : shaping.wan;
        const proxy = await createShapedProxy(replica.client, host, shape);
        proxies.push(proxy);
        servers.set(id, `${host}:${proxy.port}@${serverSite}`);
      }
      const clientOptions = {
        site, sessionTimeoutMs: options.sessionTimeoutMs, connectTimeoutMs: 30_000,
        // A request waits at most this long (a reconnect included): the failover loop retries.
        requestTimeoutMs: options.sessionTimeoutMs,
      };
      const local = [...observers].filter((id) => replicaSites[id - 1] === site);
      const voters = [...servers.keys()].filter((id) => !observers.has(id));
      const readFrom = local.length === 0
        ? voters
        : [...local, ...voters.filter((id) => replicaSites[id - 1] !== site)];
      const listOf = (ids: number[]) => ids.map((id) => servers.get(id)!).join(',');
      clients.push(await connect(listOf(voters), clientOptions));
      readers.push(await connect(listOf(readFrom), clientOptions));
    }
    const sites = [...bySite.keys()];
    await prepare(clients, sites, options.valueBytes);
    const leaderSite = await leaderSiteOf(replicas, replicaSites);
    const crossBefore = crossSiteBytes(mesh, replicaSites);
    const perSite = await Promise.all(clients.map((client, index) =>
      paceLoad(client, readers[index]!, sites[index]!, options)));
    const crossSite = crossSiteBytes(mesh, replicaSites) - crossBefore;
    const committedWrites = perSite.reduce((total, figures) => total + figures.writes, 0);
    const failover = options.failover
      ? await failOver(replicas, bySite, clients, sites, options)
      : undefined;
    return { committedWrites, crossSiteBytes: crossSite, leaderSite, perSite, failover };
  } finally {
    await Promise.all([...clients, ...readers].map((client) => client.close().catch(() => {})));
    await replicas.stopAll();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates each site's node, retrying what a loaded machine times out (bounded). */
async function prepare(clients: Client[], sites: string[], valueBytes: number): Promise<void> {
  const first = clients[0]!;
  const paths = ['/wan-bench', ...sites.map((site) => `/wan-bench/${site}`)];
  const deadline = Date.now() + prepareTimeoutMs;
  for (const path of paths) {
    for (;;) {
      try {
        if ((await first.exists(path)) !== null) break;
        await first.create(path, Buffer.alloc(path === '/wan-bench' ? 0 : valueBytes));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`wan bench: cannot create ${path}: ${error}`);
        await sleep(200);
      }
    }
  }
}

async function leaderSiteOf(replicas: ReplicaProcesses, sites: readonly string[]) {
  for (const id of replicas.ids) {
    if ((await replicas.status(id)).mode === 'leader') return sites[id - 1];
  }
  return undefined;
}

/** Bytes every proxy of the mesh carried between replicas of different sites. */
function crossSiteBytes(mesh: ProxyMesh, sites: readonly string[]): number {
  let total = 0;
  sites.forEach((fromSite, fromIndex) => sites.forEach((toSite, toIndex) => {
    if (fromSite !== toSite) total += mesh.bytesCarried(fromIndex + 1, toIndex + 1);
  }));
  return total;
}

/** A write and a read to the site's own node every 1/rate s, for measureMs; latency of each. */
async function paceLoad(client: Client, reader: Client, site: string, options: WanRunOptions) {
  const path = `/wan-bench/${site}`;
  const value = Buffer.alloc(options.valueBytes, site.charCodeAt(0));
  const writes: number[] = [];
  const reads: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let outstanding = 0;
  const pending: Promise<void>[] = [];
  const timed = (list: number[], work: () => Promise<unknown>) => {
    const started = performance.now();
    outstanding += 1;
    pending.push(work().then(
      () => void list.push(performance.now() - started),
      (error: unknown) => {
        errors += 1;
        firstError ??= String(error);
      },
    ).finally(() => void (outstanding -= 1)));
  };
  const intervalMs = 1000 / options.operationsPerSecond;
  const startedAt = performance.now();
  for (let tick = 0; performance.now() - startedAt < options.measureMs; tick++) {
    if (outstanding < outstandingMax) {
      timed(writes, () => client.setData(path, value));
      timed(reads, () => reader.getData(path));
    }
    const nextAt = startedAt + (tick + 1) * intervalMs;
    await sleep(Math.max(0, nextAt - performance.now()));
  }
  await Promise.all(pending);
  writes.sort((first, second) => first - second);
  reads.sort((first, second) => first - second);
  return {
    site, writes: writes.length, reads: reads.length, errors, firstError, writeLatenciesMs: writes,
    writeP50Ms: percentile(writes, 0.5), writeP99Ms: percentile(writes, 0.99),
    readP50Ms: percentile(reads, 0.5), readP99Ms: percentile(reads, 0.99),
  };
}

/** Kills every replica of the last site; times its client's first answered write after. */
async function failOver(
  replicas: ReplicaProcesses,
  bySite: ReadonlyMap<string, number[]>,
  clients: Client[],
  sites: string[],
  options: WanRunOptions,
): Promise<FailoverFigures> {
  const site = sites[sites.length - 1]!;
  const client = clients[clients.length - 1]!;
  const sessionBefore = client.sessionId;
  await Promise.all((bySite.get(site) ?? []).map((id) => replicas.kill(id)));
  const killedAt = performance.now();
  const deadline = killedAt + 3 * options.sessionTimeoutMs;
  let recoveredMs: number | undefined;
  const value = Buffer.alloc(options.valueBytes, 1);
  while (recoveredMs === undefined && performance.now() < deadline) {
    try {
      await client.setData(`/wan-bench/${site}`, value);
      recoveredMs = performance.now() - killedAt;
    } catch {
      await sleep(20);
    }
  }
  return {
    site, recoveredMs, sessionKept: client.sessionId === sessionBefore,
    sessionTimeoutMs: options.sessionTimeoutMs,
  };
}
