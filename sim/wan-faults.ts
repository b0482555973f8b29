// The faults a run across sites adds (drawn only when the cluster has a WAN layout, so a seed on
// one site keeps its schedule): a site cut off from the rest both ways until the next heal, a
// site's power loss (every replica of it at once), and a relay's failure — a replica in a site
// other than the leader's, the one a tree broadcast forwards through, killed.
import type { ServerId } from '../protocol/peer.js';
import type { Cluster } from './cluster.js';
import type { SeededRandom } from './random.js';

export const wanFaultKinds = ['sitePartition', 'sitePowerLoss', 'relayFailure'] as const;
export type WanFaultKind = (typeof wanFaultKinds)[number];

/** Unsynced writes a crash may keep at most (as sim/faults.ts). */
const crashSurvivorsMax = 3;

function sitesOf(cluster: Cluster): string[] {
  const sites = cluster.members
    .map((id) => cluster.siteOf(id))
    .filter((site) => site !== undefined);
  return [...new Set(sites)].sort();
}

function membersOf(cluster: Cluster, site: string): ServerId[] {
  return cluster.members.filter((id) => cluster.siteOf(id) === site);
}

/** Applies one WAN fault of `kind` if it makes sense now; false when it did nothing. */
export function applyWanFault(
  cluster: Cluster,
  kind: WanFaultKind,
  random: SeededRandom,
): boolean {
  const sites = sitesOf(cluster);
  if (sites.length < 2) return false;
  const running = cluster.running();
  switch (kind) {
    case 'sitePartition': {
      const inside = membersOf(cluster, random.pick(sites));
      for (const id of inside) {
        for (const outside of cluster.members.filter((other) => !inside.includes(other))) {
          cluster.network.partition(id, outside, 'both');
        }
      }
      return true;
    }
    case 'sitePowerLoss': {
      const victims = membersOf(cluster, random.pick(sites)).filter((id) => running.includes(id));
      if (victims.length === 0) return false;
      for (const id of victims) {
        cluster.crash(id, random.int(crashSurvivorsMax + 1), { tear: random.chance(0.5) });
      }
      return true;
    }
    case 'relayFailure': {
      const leaderId = cluster.leaderId();
      if (leaderId === undefined) return false;
      const leaderSite = cluster.siteOf(leaderId);
      const remote = running.filter((id) => cluster.siteOf(id) !== leaderSite);
      if (remote.length === 0) return false;
      // The relays the leader's plan names now (tree broadcast); with none (a star, or no site
      // with two synced members), any replica away from the leader's site.
      const relays = relaysOf(cluster, leaderId).filter((id) => remote.includes(id));
      const target = relays.length > 0 ? random.pick(relays) : random.pick(remote);
      cluster.crash(target, random.int(crashSurvivorsMax + 1));
      return true;
    }
    default:
      return kind satisfies never;
  }
}

/** The relays in the leader's current relay plan, in id order. */
function relaysOf(cluster: Cluster, leaderId: ServerId): ServerId[] {
  const leader = cluster.replica(leaderId).actor.getSnapshot().context.leader;
  if (leader === null) return [];
  const relays = new Set(Object.values(leader.relayPaths).map((path) => path.relayId));
  return [...relays].sort((first, second) => first - second);
}
