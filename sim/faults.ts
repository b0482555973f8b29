// The faults the simulator injects, one per call, chosen by the seeded generator: a replica's
// power loss or the whole site's (unsynced writes may survive, in order), restarts, process
// pauses and resumes, symmetric and one-way partitions and their healing, connection resets,
// a lost message (which, as on TCP, breaks its connection), and a client losing its connection.

import type { ServerId } from '../protocol/peer.js';
import type { SimClient } from './client.js';
import type { Cluster } from './cluster.js';
import type { SeededRandom } from './random.js';

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
  'clientDisconnect',
] as const;

export type FaultKind = (typeof faultKinds)[number];

/** Unsynced writes a crash may keep at most (a disk that took some before the power went). */
const crashSurvivorsMax = 3;

function pair(random: SeededRandom, ids: readonly ServerId[]): [ServerId, ServerId] | undefined {
  if (ids.length < 2) return undefined;
  const first = random.pick(ids);
  const second = random.pick(ids.filter((id) => id !== first));
  return [first, second];
}

/** Applies one random fault that makes sense now; returns its kind, or undefined for none. */
export function applyFault(
  cluster: Cluster,
  clients: readonly SimClient[],
  random: SeededRandom,
): FaultKind | undefined {
  const kind = random.pick(faultKinds);
  const running = cluster.running();
  const stopped = cluster.members.filter((id) => !running.includes(id));
  const paused = running.filter((id) => cluster.isPaused(id));
  switch (kind) {
    case 'crash':
      if (running.length === 0) return undefined;
      cluster.crash(random.pick(running), random.int(crashSurvivorsMax + 1));
      return kind;
    case 'powerLoss':
      // The whole site loses power: every replica at once, each keeping what its disk took.
      if (running.length === 0) return undefined;
      for (const id of running) cluster.crash(id, random.int(crashSurvivorsMax + 1));
      return kind;
    case 'restart':
      if (stopped.length === 0) return undefined;
      cluster.start(random.pick(stopped));
      return kind;
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
    case 'clientDisconnect':
      random.pick(clients).disconnect();
      return kind;
    default:
      return kind satisfies never;
  }
}
