// The faults the simulator injects, one per call, chosen by the seeded generator: a replica's
// process crash or the whole site's power loss (an ordered prefix of unsynced writes survives,
// after a power loss the last one possibly torn), restarts, process pauses and resumes,
// symmetric and one-way partitions (with groups or weights, sometimes cutting off the heaviest
// side) and their healing, connection resets, a lost message (which, as on TCP, breaks its
// connection), a full disk, a corrupt log record on a stopped replica's disk, and a client losing
// its connection. A run across sites adds site partitions, site power losses and relay
// failures (sim/wan-faults.ts).

import { survivesLossOf } from '../machines/quorum.js';
import type { ServerId } from '../protocol/peer.js';
import type { SimClient } from './client.js';
import type { Cluster } from './cluster.js';
import { heaviestSide } from './quorum-shapes.js';
import type { SeededRandom } from './random.js';
import { applyWanFault, wanFaultKinds, type WanFaultKind } from './wan-faults.js';

export const faultKinds = [
  'crash',
  'powerLoss',
  'restart',
  'pause',
  'resume',
  'partition',
  'oneWayPartition',
  'heal',
  'reset',
  'lostMessage',
  'diskFull',
  'corruptRecord',
  'clientDisconnect',
] as const;

export type FaultKind = (typeof faultKinds)[number] | WanFaultKind;

/** Every kind a run may count, the WAN ones included. */
export const allFaultKinds: readonly FaultKind[] = [...faultKinds, ...wanFaultKinds];

/** How often a corruptRecord draw corrupts anything (drawn like every other fault). */
const corruptionChance = 0.2;
/** Unsynced writes a crash may keep at most (a disk that took some before the power went). */
const crashSurvivorsMax = 3;
/** With groups or weights, how often a symmetric partition cuts off the heaviest side instead. */
const heavyIsolationChance = 0.3;

function pair(random: SeededRandom, ids: readonly ServerId[]): [ServerId, ServerId] | undefined {
  if (ids.length < 2) return undefined;
  const first = random.pick(ids);
  const second = random.pick(ids.filter((id) => id !== first));
  return [first, second];
}

/** Applies one random fault that makes sense now; returns its kind, or undefined for none. */
export async function applyFault(
  cluster: Cluster,
  clients: readonly SimClient[],
  random: SeededRandom,
): Promise<FaultKind | undefined> {
  // Only a run across sites draws from the longer list: a seed on one site keeps its schedule.
  const kind = random.pick(cluster.wan === undefined ? faultKinds : allFaultKinds);
  const running = cluster.running();
  const stopped = cluster.members.filter((id) => !running.includes(id));
  const paused = running.filter((id) => cluster.isPaused(id));
  switch (kind) {
    case 'crash':
      if (running.length === 0) return undefined;
      cluster.crash(random.pick(running), random.int(crashSurvivorsMax + 1));
      return kind;
    case 'powerLoss':
      // The whole site loses power: every replica at once, each keeping what its disk took,
      // the last of it possibly torn.
      if (running.length === 0) return undefined;
      for (const id of running) {
        cluster.crash(id, random.int(crashSurvivorsMax + 1), { tear: random.chance(0.5) });
      }
      return kind;
    case 'restart': {
      if (stopped.length === 0) return undefined;
      const id = random.pick(stopped);
      // The operator made room on a full disk before restarting.
      cluster.disk(id).setDiskFull(false);
      return (await cluster.start(id)) ? kind : undefined;
    }
    case 'pause':
      if (running.length - paused.length === 0) return undefined;
      cluster.pause(random.pick(running.filter((id) => !cluster.isPaused(id))));
      return kind;
    case 'resume':
      if (paused.length === 0) return undefined;
      cluster.resume(random.pick(paused));
      return kind;
    case 'partition':
    case 'oneWayPartition': {
      // Only a weighted ensemble draws here, so a majority's schedules stay as they were.
      if (kind === 'partition' && cluster.quorum.kind === 'hierarchical' &&
        random.chance(heavyIsolationChance)) {
        isolate(cluster, heaviestSide(cluster.quorum));
        return kind;
      }
      const chosen = pair(random, cluster.members);
      if (chosen === undefined) return undefined;
      cluster.network.partition(chosen[0], chosen[1], kind === 'partition' ? 'both' : 'oneWay');
      return kind;
    }
    case 'heal':
      cluster.network.healAll();
      return kind;
    case 'reset': {
      const chosen = pair(random, running);
      if (chosen === undefined) return undefined;
      cluster.network.reset(chosen[0], chosen[1]);
      return kind;
    }
    case 'lostMessage': {
      const links = cluster.network.pendingLinks();
      if (links.length === 0) return undefined;
      const link = random.pick(links);
      return cluster.network.dropNext(link.from, link.to) ? kind : undefined;
    }
    case 'diskFull': {
      // The replica's next write fails: it stops, as production's process exits on ENOSPC.
      if (running.length === 0) return undefined;
      cluster.disk(random.pick(running)).setDiskFull(true);
      return kind;
    }
    case 'corruptRecord':
      return corruptRecord(cluster, stopped, random) ? kind : undefined;
    case 'clientDisconnect':
      random.pick(clients).disconnect();
      return kind;
    case 'sitePartition':
    case 'sitePowerLoss':
    case 'relayFailure':
      return applyWanFault(cluster, kind, random) ? kind : undefined;
    default:
      return kind satisfies never;
  }
}

/**
 * Bit rot in a stopped replica's log, before records that are still whole: its next start must
 * detect it by the checksum and refuse (never apply it, never cut it as a torn tail). One replica
 * at most, and only where the others still make a quorum: a corrupt log takes its replica out
 * for the rest of the run, as it would until an operator restores it.
 */
function corruptRecord(cluster: Cluster, stopped: ServerId[], random: SeededRandom): boolean {
  if (cluster.unrecoverable.size > 0 || cluster.corrupted.size > 0) return false;
  // Rarer than the other faults: it takes a replica out for good.
  if (!random.chance(corruptionChance)) return false;
  // Only before a whole record: a corrupt run at the end of the log is what a torn write leaves,
  // which recovery cuts by design (a record torn by a power loss may already end it).
  const corruptible = (id: ServerId) => {
    const records = cluster.disk(id).logRecords();
    let lastWhole = records.length - 1;
    while (lastWhole >= 0 && !records[lastWhole]!.whole) lastWhole--;
    return records.slice(0, Math.max(0, lastWhole)).map((record) => record.zxid);
  };
  // The others must still make a quorum by the ensemble's own rule (weights and groups too).
  const candidates = stopped.filter(
    (id) => survivesLossOf(cluster.quorum, [id]) && corruptible(id).length > 0,
  );
  if (candidates.length === 0) return false;
  const id = random.pick(candidates);
  const zxids = corruptible(id);
  cluster.disk(id).corruptRecord(zxids[random.int(zxids.length)]!);
  cluster.corrupted.add(id);
  return true;
}

/** A symmetric partition between `side` and every other member, until the next heal. */
function isolate(cluster: Cluster, side: readonly ServerId[]): void {
  for (const inside of side) {
    for (const outside of cluster.members.filter((id) => !side.includes(id))) {
      cluster.network.partition(inside, outside, 'both');
    }
  }
}
