// `corral ensemble`: a whole ensemble on one machine for development. It writes each replica's
// data dir, myid and zoo.cfg, runs every replica as a supervised `corral server` child, and says
// how to connect once all of them answer `srvr`. Ctrl-C stops them all.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseZooCfg, resolveConfig, ConfigError } from '../actors/config/config.js';
import {
  clientHost,
  connectString,
  ensembleDefaults,
  planEnsemble,
  replicaLayouts,
  type EnsembleFlags,
  type EnsemblePlan,
  type ReplicaLayout,
} from './ensemble-layout.js';
import {
  keptLines,
  keptMemberships,
  startingConfigs,
  withSuperDigest,
  type KeptMembership,
} from './ensemble-kept.js';
import {
  reconfigGuide,
  resolveSuperPassword,
  superDigestOf,
  superPasswordLine,
} from './ensemble-reconfig.js';
import { EnsembleSupervisor } from './ensemble-supervisor.js';
import {
  addEnsembleDashboardOptions,
  dashboardPort,
  startEnsembleDashboard,
  type EnsembleDashboardFlags,
} from './ensemble-dashboard.js';
import type { RunningDashboard } from './dashboard/server.js';
import { addLoggingOptions, chooseLogFormat } from './logging.js';
import { corralMain } from './package-root.js';
import {
  parseLoggingFlags,
  parsePeerWireFlag,
  peerWireVersionOption,
  type ServerFlags,
} from './server-options.js';
import { directoryMode, fileMode } from '../storage/file-modes.js';

/** Between rounds of `srvr` probes; there is no deadline, only this bound on how often. */
const servingPollIntervalMs = 200;
const srvrTimeoutMs = 1_000;
/** A srvr answer is a few hundred bytes; anything past this is not one. */
const srvrBytesMax = 64 * 1024;
/** The Mode values of a replica that serves clients (standalone until replication lands). */
const servingModes = ['leader', 'follower', 'observer', 'standalone'];

export function addEnsembleOptions(command: Command): Command {
  return addEnsembleDashboardOptions(addLoggingOptions(command))
    .requiredOption('--size <replicas>', 'how many replicas to run')
    .requiredOption('--base-port <port>', 'client port of replica 1; replica i gets base + i - 1')
    .option('--data-dir <dir>', 'holds replica-1 … replica-N', ensembleDefaults.dataDir)
    .option('--tick-time <ms>', 'zoo.cfg tickTime of every replica', '2000')
    .option('--observers <count>', 'how many of the last replicas are observers', '0')
    .option(
      '--client-port-address <address>',
      'address the client ports bind to',
      ensembleDefaults.clientPortAddress,
    )
    .option('--quorum-base-port <port>', 'quorum port of replica 1 (default base port + 1000)')
    .option('--election-base-port <port>', 'election port of replica 1 (default base port + 2000)')
    .option('--spares <count>', 'extra replicas, outside the membership until reconfig -add', '0')
    .option('--reconfig', 'enable reconfig with a super user (implied by --spares)')
    .option('--sites <name,name,...>', 'one site per replica in order, spares included ' +
      '(site.N in every zoo.cfg), e.g. eu,eu,us')
    .option('--super-password <password>',
      'the super user\'s password (default: generated once, kept in <data-dir>/super-password)')
    .option(...peerWireVersionOption);
}

/** The ensemble's flags and those it relays to every replica's `corral server`. */
type EnsembleCommandFlags = EnsembleFlags & Pick<ServerFlags, 'peerWireVersion'> &
  EnsembleDashboardFlags;

export async function runEnsemble(flags: EnsembleCommandFlags): Promise<void> {
  const plan = planEnsemble(flags, process.cwd());
  // Refused here, naming the flag, rather than by every replica as it starts.
  parseLoggingFlags(flags);
  parsePeerWireFlag(flags);
  const dashboardAt = dashboardPort(flags);
  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const replicas = replicaLayouts(plan);
  const superPassword = plan.reconfig
    ? resolveSuperPassword(flags.superPassword, plan.dataDir)
    : undefined;
  const superDigest = superPassword === undefined
    ? undefined
    : superDigestOf(superPassword.password);
  const found = keptMemberships(replicas);
  const starting = startingConfigs(plan, replicas, found, superDigest);
  // Refuse before starting anything a config the replicas themselves would refuse.
  for (const { replica, zooCfg } of starting.written) checkGeneratedConfig(replica, zooCfg);
  for (const replica of replicas) {
    mkdirSync(replica.dataDir, { recursive: true, mode: directoryMode });
    writeFileSync(join(replica.dataDir, 'myid'), `${replica.id}\n`, { mode: fileMode });
  }
  for (const { replica, zooCfg } of starting.written) {
    writeFileSync(replica.configPath, zooCfg, { mode: fileMode });
  }
  for (const line of keptLines(starting)) write(line);
  if (superDigest !== undefined) updateSuperDigest(starting.kept, found, superDigest, write);
  if (superPassword !== undefined) write(superPasswordLine(superPassword));
  let stopping = false;
  let dashboard: RunningDashboard | undefined;
  const stopAll = (reason: string, exitCode: number): void => {
    if (stopping) return;
    stopping = true;
    write(`[ensemble] ${reason}: stopping ${replicas.length} replicas`);
    const dashboardClosed = dashboard?.close() ?? Promise.resolve();
    void Promise.all([supervisor.stop(), dashboardClosed]).then(() => {
      write('[ensemble] stopped');
      process.exit(exitCode);
    });
  };
  const supervisor = new EnsembleSupervisor(replicas, {
    entryPoint: corralMain(),
    serverArguments: [
      ...replicaLoggingArguments(flags, process.stdout.isTTY === true),
      ...replicaPeerWireArguments(flags),
    ],
    write,
    onAllGivenUp: () => stopAll('every replica was given up on', 1),
  });
  process.on('SIGINT', () => stopAll('SIGINT', 0));
  process.on('SIGTERM', () => stopAll('SIGTERM', 0));
  // A closed stdout (piped into `head`) must stop the replicas, not crash and orphan them.
  process.stdout.on('error', () => stopAll('stdout closed', 0));
  supervisor.start();
  const guide = superPassword === undefined
    ? []
    : reconfigGuide(plan, superPassword.password, starting.membership.ids);
  if (dashboardAt !== undefined) {
    dashboard = await startEnsembleDashboard(plan, dashboardAt, write);
    if (dashboard !== undefined && stopping) void dashboard.close();
    else if (dashboard !== undefined) {
      write(`[ensemble] dashboard at ${dashboard.url} (admin servers on 127.0.0.1:` +
        `${replicas[0]!.adminPort}-${replicas[replicas.length - 1]!.adminPort})`);
    }
  }
  void announceWhenServing(plan, replicas, () => stopping, write, guide, dashboard?.url);
}

/**
 * The logging flags each replica runs with. A replica's output is a pipe to this process, so it
 * would choose JSON; it is told the format this process's own output calls for, since its lines
 * are relayed there unchanged (behind a `[replica-i] ` prefix).
 */
export function replicaLoggingArguments(flags: EnsembleFlags, isTty: boolean): string[] {
  const logging = parseLoggingFlags(flags);
  const level = logging.logLevel === undefined ? [] : ['--log-level', logging.logLevel];
  return [...level, '--log-format', chooseLogFormat(logging.logFormat, isTty)];
}

/** `--peer-wire-version` as each replica is told it: the same for all, as a rolling upgrade's
 * first step runs every new replica speaking as the previous release. */
export function replicaPeerWireArguments(flags: Pick<ServerFlags, 'peerWireVersion'>): string[] {
  const { peerWireVersion } = parsePeerWireFlag(flags);
  return peerWireVersion === undefined ? [] : ['--peer-wire-version', String(peerWireVersion)];
}

/** Gives kept zoo.cfg files a changed super password's digest, leaving the rest as it is. */
function updateSuperDigest(
  kept: readonly ReplicaLayout[],
  found: ReadonlyMap<number, KeptMembership>,
  superDigest: string,
  write: (line: string) => void,
): void {
  const stale = kept.filter((replica) => found.get(replica.id)?.superDigest !== superDigest);
  for (const replica of stale) {
    const text = readFileSync(replica.configPath, 'utf8');
    writeFileSync(replica.configPath, withSuperDigest(text, superDigest));
  }
  if (stale.length > 0) {
    write(`[ensemble] new super password: its digest written into the kept zoo.cfg of ` +
      stale.map((replica) => replica.name).join(', '));
  }
}

function checkGeneratedConfig(replica: ReplicaLayout, zooCfg: string): void {
  const quiet = { info: () => undefined, warn: () => undefined };
  try {
    const partial = { ...parseZooCfg(zooCfg, replica.configPath).config, myId: replica.id };
    resolveConfig(partial, { log: quiet });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${replica.name} would refuse its zoo.cfg: ${error.message}`, error.key);
  }
}

/** Polls every replica's srvr until all serve, then prints the one line a user needs. */
async function announceWhenServing(
  plan: EnsemblePlan,
  replicas: readonly ReplicaLayout[],
  isStopping: () => boolean,
  write: (line: string) => void,
  guide: readonly string[],
  dashboardUrl: string | undefined,
): Promise<void> {
  const host = clientHost(plan.clientPortAddress);
  while (!isStopping()) {
    const modes = await Promise.all(replicas.map((replica) => askMode(host, replica.clientPort)));
    if (isStopping()) return;
    if (modes.every((mode) => mode !== undefined && servingModes.includes(mode))) {
      write(
        `corral ensemble of ${plan.size} replicas` +
          `${plan.spares > 0 ? ` and ${plan.spares} spares` : ''} serving; connect with: ` +
          `zkCli.sh -server ${connectString(plan)} (data in ${plan.dataDir})` +
          `${dashboardUrl === undefined ? '' : `; dashboard: ${dashboardUrl}`}`,
      );
      for (const line of guide) write(line);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, servingPollIntervalMs));
  }
}

/** The `Mode:` value of a srvr answer, undefined when there is no answer or no Mode line. */
export function modeOfSrvr(answer: string): string | undefined {
  return /^Mode: *(\S+)/m.exec(answer)?.[1];
}

/** Sends `srvr` and reads to EOF; undefined on any failure, as a replica may not serve yet. */
function askMode(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const socket = connect({ host, port });
    const finish = (mode: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(mode);
    };
    const timer = setTimeout(() => finish(undefined), srvrTimeoutMs);
    // Written without a half-close: the reply ends the connection, as ZooKeeper's does.
    socket.once('connect', () => socket.write('srvr'));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > srvrBytesMax) return finish(undefined);
      chunks.push(chunk);
    });
    socket.once('end', () => finish(modeOfSrvr(Buffer.concat(chunks).toString('latin1'))));
    socket.once('error', () => finish(undefined));
  });
}
