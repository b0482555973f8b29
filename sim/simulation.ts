// The deterministic simulator: replicas (production's replica host and server core, the real
// storage logic over fault-injecting disks) and clients speaking the wire protocol to them over
// in-memory sockets, driven by one seeded generator and simulated clocks. Each step is one
// choice — deliver between replicas, deliver client bytes, flush a disk, a replica's event-loop
// turn, tick, a client's turn, or a fault (crash or power loss with surviving or torn writes,
// restart, pause, partition, reset, lost message, full disk, corrupt record, client
// disconnect; with `reconfig`, an operator's reconfig too: sim/reconfig-faults.ts). Invariants
// are checked as it runs; at the end faults heal, the ensemble settles, and the clients' history
// goes through the linearizability checker.

import { describePeerMessage } from '../protocol/peer.js';
import type { HostVariantOptions, ReplicaMachine } from './replica-host.js';
import { SimClient } from './client.js';
import { ClientNetwork } from './client-network.js';
import type { RequestQueueFactory } from '../actors/server/client-connection.js';
import { Cluster } from './cluster.js';
import { LivelockError } from './livelock.js';
import type { Violation } from './sim-invariants.js';
import { describeOperation } from './linearizability/index.js';
import { checkClientHistory } from './sim-history.js';
import { allFaultKinds, type FaultKind } from './faults.js';
import { wanVariants, type WanVariant } from './variants.js';
import { wanLayoutForSeed, type SimWanLayout } from './wan-layouts.js';
import { describeQuorumRule } from '../machines/quorum.js';
import { quorumRuleForSeed, type QuorumShape } from './quorum-shapes.js';
import { ReconfigFaults, type ReconfigFaultMix } from './reconfig-faults.js';
import { membershipOfIds } from '../protocol/membership.js';
import type { ReplicaTiming } from '../machines/replica.js';
import { MachineTrace } from './machine-trace.js';
import {
  replicaStatesOf,
  resultOf,
  type ReconfigSummary,
  type SimulationResult,
} from './simulation-result.js';
import { reconfigDefaults, simulate, type RunState } from './simulation-steps.js';

export interface SimulationOptions {
  seed: number;
  voters?: number;
  /** How the voters count: a majority (the default), or weights/groups drawn from the seed. */
  quorum?: QuorumShape;
  observers?: number;
  clients?: number;
  steps?: number;
  /** The replica machine to run: the real one, or a deliberately broken variant. */
  machine?: ReplicaMachine;
  /** The replica host's parts a broken host variant replaces (sim/host-variants.ts). */
  hostVariant?: HostVariantOptions;
  /** Chance per step that the step is a fault rather than ordinary progress. */
  faultChance?: number;
  /** The client connections' reply queue: the real one, or a deliberately broken variant. */
  requestQueue?: RequestQueueFactory;
  /** Receives the trace (message log, machine transitions, faults, client operations). */
  trace?: (line: string) => void;
  /** The broken transport variant: the stranger's frames arrive as a member's (sim/stranger.ts). */
  strangerPassesAsMember?: boolean;
  /**
   * Reconfigs among the faults (issue 13): spare replicas start outside the membership and the
   * operator adds, removes and swaps members as the run goes. A majority quorum only (ZooKeeper's
   * incremental reconfig needs one).
   */
  reconfig?: boolean;
  /** Replicas outside the starting membership, for reconfigs to add (2 by default). */
  spares?: number;
  /** With `reconfig`: how often voters are cut off and the leader crashes mid-reconfig. */
  reconfigFaults?: ReconfigFaultMix;
  /** The replicas' tick, initLimit and syncLimit, if not the cluster harness's defaults. */
  timing?: Partial<ReplicaTiming>;
  /** site.N of the replicas (tree broadcast relays within a site); a majority quorum only. */
  sites?: Readonly<Record<number, string>>;
  /**
   * Replicas over three sites with latency, jitter and bandwidth between them, and site faults
   * (sim/wan-layouts.ts, sim/wan-faults.ts); the variant names how many voters there are.
   */
  wan?: WanVariant;
  /** Writes the run's machine trace (sim/machine-trace.ts): `--trace-out`. */
  traceOut?: { write: (line: string) => void; flags: string[]; linesMax?: number };
}

export type { ReconfigSummary, SimulationResult } from './simulation-result.js';
export { reconfigDefaults } from './simulation-steps.js';

/** What `npm run sim` runs by default (cli/sim-command.ts shows the same values). */
export const simulationDefaults = { steps: 4_000, faultChance: 0.006, clients: 3, voters: 3 };

/** A client keeps at most this many requests in flight (chosen per client, from 1). */
const pipelineDepthMax = 4;
/**
 * Session timeouts the clients ask for (chosen per client), in ticks. A client drops a
 * connection silent for two thirds of it, as ZooKeeper's does, and its pings queue behind its
 * writes, so it must outlast a simulated commit (a few hundred ms, fsyncs being slow); 20 ticks
 * is ZooKeeper's largest by default.
 */
const sessionTimeoutTicksMin = 10;
const sessionTimeoutTicksMax = 20;
const keys = ['/k0', '/k1', '/k2', '/k3'];

/** The replicas of a run, as its options and seed lay them out. */
interface RunCluster {
  cluster: Cluster;
  voters: number[];
  observers: number[];
  reconfig: boolean;
  machineTrace: MachineTrace | undefined;
}

/** The cluster of a run: ids, quorum shape, sites and WAN layout, timing, and its trace. */
function runCluster(options: SimulationOptions): RunCluster {
  const wan = options.wan === undefined ? undefined : wanVariants[options.wan];
  const voterCount = wan?.voters ?? options.voters ?? simulationDefaults.voters;
  const voters = Array.from({ length: voterCount }, (_, index) => index + 1);
  const observers = Array.from(
    { length: options.observers ?? 0 },
    (_, index) => voters.length + index + 1,
  );
  const quorum = quorumRuleForSeed(options.quorum ?? 'majority', voters, options.seed);
  const reconfig = options.reconfig === true;
  if (reconfig && quorum.kind !== 'majority') {
    throw new Error('simulation: reconfig runs with a majority quorum only');
  }
  const spareCount = reconfig ? options.spares ?? reconfigDefaults.spares : 0;
  const spares = Array.from(
    { length: spareCount },
    (_, index) => voters.length + observers.length + index + 1,
  );
  let machineTrace: MachineTrace | undefined;
  const wanLayout = wan === undefined
    ? undefined
    : wanLayoutForSeed([...voters, ...observers, ...spares], wan.sites, options.seed);
  // A seed across sites names them in its membership too (site.N), so tree broadcast relays
  // over the slow links as it would in production; --sites alone gives sites without timing.
  const sites = options.sites ?? (wanLayout === undefined ? undefined : sitesOf(wanLayout,
    [...voters, ...observers]));
  const cluster = new Cluster({
    ...(options.traceOut === undefined
      ? {}
      : { trackerFor: (id: number) => machineTrace!.trackerFor(id) }),
    voters,
    quorum,
    observers,
    seed: options.seed,
    ...(reconfig ? { spares, reconfigEnabled: true } : {}),
    ...(options.timing === undefined && wan === undefined
      ? {}
      : { timing: { ...wan?.timing, ...options.timing } }),
    ...(sites === undefined ? {} : { sites }),
    // Tree broadcast's two ACK paths, by seed: an even seed's relayed followers ACK the leader
    // directly (the default), an odd seed's through their relay (treeBroadcastDirectAcks=false).
    // No draw from a generator, so every seed's layout and faults are what they were.
    ...(sites === undefined ? {} : { treeBroadcastDirectAcks: options.seed % 2 === 0 }),
    ...(options.machine === undefined ? {} : { machine: options.machine }),
    ...(options.hostVariant === undefined ? {} : { hostVariant: options.hostVariant }),
    ...(wanLayout === undefined ? {} : { wan: wanLayout }),
  });
  machineTrace = options.traceOut === undefined ? undefined : new MachineTrace({
    ...options.traceOut, seed: options.seed, replicas: cluster.members,
    now: () => cluster.clock.now(),
  });
  const trace = options.trace;
  trace?.(`quorum ${describeQuorumRule(quorum)}`);
  if (wanLayout !== undefined) trace?.(wanLayout.describe());
  if (trace !== undefined) attachTrace(cluster, trace);
  return { cluster, voters, observers, reconfig, machineTrace };
}

/** The run's clients, each with its pipelining depth and session timeout drawn in turn. */
function runClients(
  cluster: Cluster,
  network: ClientNetwork,
  options: SimulationOptions,
  machineTrace: MachineTrace | undefined,
): SimClient[] {
  const { trace } = options;
  const random = cluster.random;
  const world = {
    now: () => cluster.clock.now(),
    reachable: () => cluster.reachable(),
    connect: network.connect.bind(network),
    random,
    ...(trace === undefined ? {} : { trace }),
    ...(machineTrace === undefined
      ? {}
      : { mark: (text: string, replica?: number) => machineTrace.mark('client', text, replica) }),
  };
  const clientCount = options.clients ?? simulationDefaults.clients;
  return Array.from({ length: clientCount }, (_, index) => {
    // Some clients pipeline, so that each session's FIFO order is really put to the test.
    const outstandingRequestsMax = 1 + random.int(pipelineDepthMax);
    const sessionTimeoutMs = cluster.timing.tickMs * (sessionTimeoutTicksMin +
      random.int(sessionTimeoutTicksMax - sessionTimeoutTicksMin + 1));
    return new SimClient({ id: index + 1, keys, sessionTimeoutMs, outstandingRequestsMax }, world);
  });
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const { cluster, voters, observers, reconfig, machineTrace } = runCluster(options);
  const trace = options.trace;
  const network = new ClientNetwork(cluster, options.requestQueue);
  const clients = runClients(cluster, network, options, machineTrace);
  const faults = Object.fromEntries(allFaultKinds.map((kind) => [kind, 0])) as Record<
    FaultKind,
    number
  >;
  const violations: Violation[] = [];
  const faultChance = options.faultChance ?? simulationDefaults.faultChance;
  const steps = options.steps ?? simulationDefaults.steps;
  const run: RunState = {
    steps, faultChance, faults, violations, trace, marks: machineTrace, network, strangerFrames: 0,
    strangerPassesAsMember: options.strangerPassesAsMember ?? false,
    tickKeepChance: Math.min(1, 3 / (voters.length + observers.length)),
    reconfigs: reconfig
      ? new ReconfigFaults(cluster, membershipOfIds(voters, observers), options.reconfigFaults)
      : undefined,
  };
  let stopped = false;
  try {
    await simulate(cluster, clients, run);
  } catch (error) {
    // A livelock, or anything else thrown, ends this seed as that seed's violation (with its
    // replay command): a run of many seeds goes on to the next one.
    violations.push(
      error instanceof LivelockError ? error.message : `simulator stopped: ${String(error)}`,
    );
    stopped = true;
  }
  const history = stopped ? undefined : checkedHistory(clients, violations, trace);
  machineTrace?.finish(violations, replicaStatesOf(cluster));
  return {
    ...resultOf(options.seed, violations, faults, clients, cluster, history),
    strangerFrames: run.strangerFrames,
    ...reconfigSummaryOf(run, cluster),
  };
}

/** The clients' history through the linearizability checker; a violation joins the others. */
function checkedHistory(
  clients: readonly SimClient[],
  violations: Violation[],
  trace: ((line: string) => void) | undefined,
): ReturnType<typeof checkClientHistory> {
  const operations = clients.flatMap((client) => client.history);
  if (trace !== undefined) {
    // The clients' operations, in invocation order (their completions are part of each line).
    const ordered = [...operations].sort((first, second) => first.invokedAt - second.invokedAt);
    for (const operation of ordered) trace(`operation ${describeOperation(operation)}`);
  }
  const history = checkClientHistory(operations);
  if (history.verdict === 'violation') violations.push(`linearizability: ${history.detail}`);
  return history;
}

function reconfigSummaryOf(run: RunState, cluster: Cluster): { reconfigs?: ReconfigSummary } {
  if (run.reconfigs === undefined) return {};
  const committed = cluster.ledger.committedTxns().filter((txn) => txn.body.type === 'reconfig');
  return {
    reconfigs: {
      ...run.reconfigs.counts,
      committed: committed.length,
      activations: cluster.configs.activations,
      leaderCrashes: run.reconfigs.leaderCrashes,
    },
  };
}

function attachTrace(cluster: Cluster, trace: (line: string) => void): void {
  cluster.onMessage = (from, to, message) => {
    trace(`${cluster.clock.now()} ${from}→${to} ${describePeerMessage(message)}`);
  };
  cluster.onTransition = (id, states) => {
    trace(`${cluster.clock.now()} replica ${id}: ${states.join(' | ')}`);
  };
}

/** site.N for each member a WAN layout places. */
function sitesOf(layout: SimWanLayout, members: readonly number[]): Record<number, string> {
  const sites: Record<number, string> = {};
  for (const id of members) {
    const site = layout.siteOf(id);
    if (site !== undefined) sites[id] = site;
  }
  return sites;
}
