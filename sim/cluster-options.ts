// What a simulated cluster is built from: its options, and the configuration its replicas
// start with under them (with reconfig or zoo.cfg's site.N lines). Kept apart from cluster.ts,
// which runs the replicas.
import type { AnyActorRef } from 'xstate';
import type { ElectionTiming } from '../machines/election.js';
import type { QuorumRule } from '../machines/quorum.js';
import type { ReplicaTiming } from '../machines/replica.js';
import type { ServerId } from '../protocol/peer.js';
import {
  membershipOfIds, type Membership, type VersionedMembership,
} from '../protocol/membership.js';
import type { StorageSettings } from '../storage/replica-storage.js';
import { startingMemberships, withSites } from './cluster-support.js';
import type { HostVariantOptions, ReplicaMachine } from './replica-host.js';
import type { WanLayout } from './wan-network.js';

export interface ClusterOptions {
  voters: ServerId[];
  /** How the voters count (zoo.cfg group./weight.); a majority of `voters` when left out. */
  quorum?: QuorumRule;
  observers?: ServerId[];
  seed?: number;
  timing?: Partial<ReplicaTiming>;
  electionTiming?: Partial<ElectionTiming>;
  machine?: ReplicaMachine;
  hostVariant?: HostVariantOptions;
  /** zoo.cfg treeBroadcastDirectAcks for every replica (the default, true, when left out). */
  treeBroadcastDirectAcks?: boolean;
  storageSettings?: Partial<StorageSettings>;
  /**
   * Replicas outside the starting membership, each started with it plus itself as a
   * participant (how ZooKeeper's guide has a server join), for reconfigs to add.
   */
  spares?: ServerId[];
  /** reconfigEnabled on every replica (implied by spares). */
  reconfigEnabled?: boolean;
  /** Told of each replica's root actors, every incarnation (a trace's machine event hubs). */
  trackerFor?: (id: ServerId) => (actor: AnyActorRef) => void;
  /** site.N for the starting membership (tree broadcast); a majority quorum only. */
  sites?: Readonly<Record<ServerId, string>>;
  /**
   * Replicas in sites with latency, jitter and bandwidth between them (sim/wan-network.ts);
   * without it every message may be delivered at once, as before.
   */
  wan?: WanLayout;
}

export interface StartingConfiguration {
  /** The membership each replica starts with; empty without reconfig and sites. */
  memberships: Map<ServerId, VersionedMembership>;
  /** The configuration the ConfigLedger starts from, with reconfig only. */
  ledgerStarting: Membership | undefined;
}

/**
 * With reconfig, each replica's starting membership (a spare's names itself too); with sites,
 * every view names its members' sites, and with both the ledger starts from the first voter's.
 */
export function startingConfiguration(
  options: ClusterOptions,
  members: readonly ServerId[],
  reconfigEnabled: boolean,
): StartingConfiguration {
  const memberships = new Map<ServerId, VersionedMembership>();
  let ledgerStarting: Membership | undefined;
  if (reconfigEnabled) {
    const starting = startingMemberships(options.voters, options.observers ?? [], members);
    for (const [id, membership] of starting) memberships.set(id, membership);
    ledgerStarting = membershipOfIds(options.voters, options.observers ?? []);
  }
  if (options.sites !== undefined) {
    const starting = withSites(options.voters, options.observers ?? [], members,
      options.sites);
    for (const [id, membership] of starting) memberships.set(id, membership);
    const first = starting.get(options.voters[0]!);
    if (reconfigEnabled && first !== undefined) ledgerStarting = first;
  }
  return { memberships, ledgerStarting };
}
