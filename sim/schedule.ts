// A seeded random schedule over a Cluster: deliveries, storage flushes, event-loop turns, time,
// client writes, crashes (losing unflushed writes) and restarts, each chosen by the cluster's
// generator, so a seed names one exact run. Invariants are checked at the end.
import type { ServerId } from '../protocol/peer.js';
import { createSessionBody, createTxnBody, drainMicrotasks } from './cluster-support.js';
import type { Cluster } from './cluster.js';

export interface ScheduleOptions {
  steps: number;
  /** Chance per step of crashing a running replica (at least one keeps running). */
  crashChance?: number;
  restartChance?: number;
  writeChance?: number;
  tickChance?: number;
  flushChance?: number;
}

const stepMs = 50;

export interface ScheduleResult {
  violations: string[];
  committed: number;
}

/** Runs the schedule, then restarts everyone, lets the ensemble settle and checks safety. */
export async function runRandomSchedule(
  cluster: Cluster,
  options: ScheduleOptions,
): Promise<ScheduleResult> {
  const random = cluster.random;
  const crashChance = options.crashChance ?? 0.01;
  const restartChance = options.restartChance ?? 0.03;
  const writeChance = options.writeChance ?? 0.08;
  const tickChance = options.tickChance ?? 0.1;
  const flushChance = options.flushChance ?? 0.3;
  let written = 0;
  for (let step = 0; step < options.steps; step++) {
    const running = cluster.running();
    const crashed = cluster.members.filter((id) => !running.includes(id));
    const roll = random.next();
    if (roll < crashChance && running.length > 1) {
      cluster.crash(random.pick(running));
    } else if (roll < crashChance + restartChance && crashed.length > 0) {
      await cluster.start(random.pick(crashed));
    } else if (roll < crashChance + restartChance + writeChance) {
      const body = written === 0 ? createSessionBody() : createTxnBody(`/n${written}`);
      if (cluster.submit(body)) written += 1;
    } else if (roll < crashChance + restartChance + writeChance + tickChance) {
      cluster.advance(stepMs);
    } else if (random.chance(flushChance) && running.length > 0) {
      const id: ServerId = random.pick(running);
      cluster.replica(id).flushStorage(1 + random.int(3));
      cluster.replica(id).runTurn();
    } else {
      const links = cluster.network.pendingLinks();
      if (links.length > 0) {
        const link = random.pick(links);
        cluster.network.deliver(link.from, link.to, 1 + random.int(3));
      }
    }
    await drainMicrotasks();
    cluster.retireFailed();
  }
  for (const id of cluster.members) {
    if (!cluster.running().includes(id)) await cluster.start(id);
  }
  await cluster.stabilize(300_000);
  return { violations: cluster.checkInvariants(), committed: cluster.ledger.size };
}
