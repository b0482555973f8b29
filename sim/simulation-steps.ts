// The simulator's seeded schedule: each step is ordinary progress (a delivery, a flush, a
// replica's turn, a tick, a client's turn) or a fault, with invariants checked as it goes; then
// every fault heals and the ensemble settles. simulation.ts builds the world this runs in.

import type { SimClient } from './client.js';
import type { ClientNetwork } from './client-network.js';
import { drainMicrotasks } from './cluster-support.js';
import type { Cluster } from './cluster.js';
import { checkInvariantsNow, checkEphemerals, type Violation } from './sim-invariants.js';
import { applyFault, type FaultKind } from './faults.js';
import { Stranger } from './stranger.js';
import type { ReconfigFaults } from './reconfig-faults.js';
import type { SimTrace } from './machine-trace.js';

/** With `reconfig`: spares, and the share of fault steps that are reconfigs. */
export const reconfigDefaults = { spares: 2, share: 0.25 };

const stepMs = 50;
const invariantEverySteps = 50;
/** Healing runs at least this many rounds of stepMs (sessions of the dead expire meanwhile)
 * and at most this many: 60 s of simulated time is far beyond any election's. */
const healRoundsMin = 40;
const healRoundsMax = 1_200;

export interface RunState {
  steps: number;
  faultChance: number;
  faults: Record<FaultKind, number>;
  violations: Violation[];
  trace: ((line: string) => void) | undefined;
  /** The machine trace's marks (`--trace-out`). */
  marks: SimTrace | undefined;
  network: ClientNetwork;
  /** Frames the stranger sent (sim/stranger.ts). */
  strangerFrames: number;
  strangerPassesAsMember: boolean;
  /** With `reconfig`: the operator's reconfigs (sim/reconfig-faults.ts). */
  reconfigs: ReconfigFaults | undefined;
  /**
   * The share of tick draws that move time: 3/replicas (at most 1), so that a 5- or 9-replica
   * run gets as many deliveries, flushes and turns per simulated second as 3 do. Without it the
   * pings of nine replicas alone outran the deliveries, and their clients finished nothing.
   * Spares stay out of the count, so a reconfig run keeps the pace of its starting voters.
   */
  tickKeepChance: number;
}

/** The seeded steps, then healing and the final invariants (the history is checked after). */
export async function simulate(
  cluster: Cluster,
  clients: SimClient[],
  run: RunState,
): Promise<void> {
  const { steps, faultChance, violations, network } = run;
  const random = cluster.random;
  await cluster.startAll();
  const stranger = new Stranger(random.seed, run.strangerPassesAsMember);
  for (let step = 0; step < steps; step++) {
    stranger.maybeAct(cluster);
    run.strangerFrames = stranger.sent;
    if (random.chance(faultChance)) {
      await injectFault(cluster, clients, run);
    } else {
      progress(cluster, clients, network, run.tickKeepChance);
    }
    const crashed = run.reconfigs?.step();
    if (crashed !== undefined) {
      run.network.closeCrashed();
      noteFault(run, cluster, crashed);
    }
    // Storage completions and the turns' continuations run before the next step.
    await drainMicrotasks();
    cluster.retireFailed();
    cluster.configs.settle();
    if (step % invariantEverySteps === 0) violations.push(...checkInvariantsNow(cluster));
  }
  if (!(await heal(cluster, clients, network))) {
    violations.push(`liveness: no stable leader ${healRoundsMax * stepMs} ms after faults healed`);
  }
  violations.push(...checkInvariantsNow(cluster), ...checkEphemerals(cluster, clients));
  if (run.reconfigs !== undefined) {
    const running = cluster.running();
    const active = (id: number) => cluster.replica(id).host.activeMembership;
    violations.push(...cluster.configs.checkAgreement(running, active));
  }
  violations.push(...stranger.violations(cluster));
  for (const client of clients) violations.push(...client.violations);
}

/** A fault step: one fault, or with reconfig sometimes an operator's reconfig instead. */
async function injectFault(cluster: Cluster, clients: SimClient[], run: RunState): Promise<void> {
  const random = cluster.random;
  // Drawn only with reconfig: without it a seed's schedule stays what it always was.
  if (run.reconfigs !== undefined && random.chance(reconfigDefaults.share)) {
    const asked = run.reconfigs.apply(random);
    if (asked !== undefined) noteFault(run, cluster, asked);
    return;
  }
  const kind = await applyFault(cluster, clients, random);
  // Before the crash's rejected requests settle: a dead process writes nothing.
  run.network.closeCrashed();
  if (kind !== undefined) {
    run.faults[kind]++;
    noteFault(run, cluster, kind);
  }
}

function noteFault(run: RunState, cluster: Cluster, text: string): void {
  run.trace?.(`${cluster.clock.now()} fault ${text}`);
  run.marks?.mark('fault', text);
}

/** One ordinary step: a delivery, a flush, a replica's turn, a tick or a client's turn. */
function progress(
  cluster: Cluster,
  clients: SimClient[],
  network: ClientNetwork,
  tickKeepChance: number,
): void {
  const random = cluster.random;
  const roll = random.next();
  // Drawn only with more than three replicas: a 3-replica seed keeps its schedule.
  const tick = roll < 0.1 && (tickKeepChance >= 1 || random.chance(tickKeepChance));
  if (tick) {
    cluster.advance(stepMs);
    for (const client of clients) client.tick();
  } else if (roll < 0.1) {
    deliverPeerMessages(cluster);
  } else if (roll < 0.25) {
    // A client with something to do (one waiting on replies, or on its reconnect pause, waits).
    const ready = clients.filter((client) => client.ready);
    if (ready.length > 0) random.pick(ready).step();
  } else if (roll < 0.45) {
    // Client bytes, either way: requests to the replicas, replies to the clients.
    network.deliverSome(random);
  } else if (roll < 0.55) {
    // fsyncs are slower than loopback deliveries: writes stay unsynced for a while.
    const replicas = cluster.reachable();
    if (replicas.length > 0) random.pick(replicas).flushStorage(1 + random.int(3));
  } else if (roll < 0.65) {
    // A replica's event loop turns over: its batched requests go to the machine, a sync
    // stream's next slice goes out, a snapshot starts.
    const busy = cluster.reachable().filter((replica) => replica.hasTurnWork);
    if (busy.length > 0) random.pick(busy).runTurn();
  } else {
    deliverPeerMessages(cluster);
  }
}

function deliverPeerMessages(cluster: Cluster): void {
  const random = cluster.random;
  const links = cluster.deliverableLinks();
  if (links.length > 0) {
    const link = random.pick(links);
    cluster.deliver(link.from, link.to, 1 + random.int(3));
  }
}

/**
 * Ends every fault, restarts every replica, and lets the ensemble and the clients settle;
 * false when no leader with every replica behind it emerged (a liveness failure).
 */
async function heal(
  cluster: Cluster,
  clients: SimClient[],
  network: ClientNetwork,
): Promise<boolean> {
  cluster.network.healAll();
  for (const id of cluster.members) {
    cluster.resume(id);
    // The operator frees the disk; a replica whose log is corrupt stays down (unrecoverable).
    cluster.disk(id).setDiskFull(false);
    if (!cluster.running().includes(id)) await cluster.start(id);
  }
  let stable = false;
  for (let round = 0; round < healRoundsMax; round++) {
    await cluster.settle();
    network.deliverAll();
    await drainMicrotasks();
    stable = cluster.stableLeader() !== undefined;
    if (stable && round > healRoundsMin) break;
    cluster.advance(stepMs);
    for (const client of clients) client.tick();
  }
  // Outstanding requests finish; nothing new is asked.
  for (let round = 0; round < 20; round++) {
    await cluster.settle();
    network.deliverAll();
    await drainMicrotasks();
  }
  return stable;
}

