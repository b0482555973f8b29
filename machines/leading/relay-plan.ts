// Tree broadcast's pure rule: which follower relays the leader's broadcast to the rest of its
// site. Kept apart from the machine (the etcd-io/raft habit) so it has a table test; the leader's
// steps that act on it are leading/relaying.ts.
import type { ServerId } from '../../protocol/peer.js';

export interface RelayPlanInput {
  leaderId: ServerId;
  /** site.N of the active membership: member id → its site; members absent are in none. */
  sites: Readonly<Record<number, string>> | undefined;
  /** Followers in broadcast (UPTODATE sent), ascending. */
  synced: readonly ServerId[];
  /** Observers in broadcast: relayed to (INFORM), never relays, as they log only what commits. */
  observers?: readonly ServerId[];
  /** Followers that may neither relay nor be relayed to: they lag or went silent. */
  unfit: ReadonlySet<ServerId>;
}

/**
 * Each relayed follower (or observer) mapped to its relay. A site gets a relay when it is named,
 * is not the leader's own, and has a fit synced follower and at least one more fit synced
 * learner: then one copy crosses to it instead of one per learner. The relay is the lowest id among
 * them, so every leader with the same view chooses the same one and a choice changes only when that
 * follower does.
 */
export function relayPlanOf(input: RelayPlanInput): Map<ServerId, ServerId> {
  const plan = new Map<ServerId, ServerId>();
  const sites = input.sites;
  if (sites === undefined) return plan;
  const leaderSite = sites[input.leaderId];
  const bySite = new Map<string, ServerId[]>();
  const observersBySite = new Map<string, ServerId[]>();
  const gather = (ids: readonly ServerId[], into: Map<string, ServerId[]>) => {
    for (const id of ids) {
      const site = sites[id];
      if (site === undefined || site === leaderSite || input.unfit.has(id)) continue;
      into.set(site, [...(into.get(site) ?? []), id]);
    }
  };
  gather(input.synced, bySite);
  gather(input.observers ?? [], observersBySite);
  for (const [site, followers] of bySite) {
    const members = [...followers, ...(observersBySite.get(site) ?? [])];
    if (members.length < 2) continue;
    const relay = Math.min(...followers);
    for (const id of members) if (id !== relay) plan.set(id, relay);
  }
  return plan;
}

/**
 * A follower has fallen behind (as a relay or relayed to) once it went this many ticks without
 * ACKing what the leader had proposed a tick earlier, or without being heard: one less than
 * syncLimit, so that a relay that stopped is replaced (its site sent to directly) within
 * syncLimit, while a follower whose disk is merely slow for a tick or two keeps its place.
 */
export function lagTicksMax(syncLimitTicks: number): number {
  return Math.max(1, syncLimitTicks - 1);
}
