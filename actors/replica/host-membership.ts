// The replica host's record of its configuration: the active membership (a committed reconfig
// replaces it), what it makes of the voters and the quorum, which peers are heard, and what
// /zookeeper/config in a tree says. The machine decides what a configuration means for the
// protocol (machines/configuration.ts); this keeps the host's side in step with it.
import { membershipRule, quorumRuleOf, votersOf, type QuorumRule } from '../../machines/quorum.js';
import {
  memberIdsOf,
  membershipOfIds,
  parseMembershipText,
  type VersionedMembership,
} from '../../protocol/membership.js';
import type { ServerId } from '../../protocol/peer.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { ReplicaHostOptions } from './host-options.js';

export class HostMembership {
  private active: VersionedMembership;
  private rule: QuorumRule;
  private voterIds: readonly ServerId[];
  private heard: ReadonlySet<ServerId> | undefined;
  /** A configuration the recovered tree holds beyond the active one (seenAtStart). */
  private seen: VersionedMembership | undefined;

  constructor(private readonly options: Pick<ReplicaHostOptions,
    'voters' | 'quorum' | 'membership' | 'members' | 'reconfigEnabled'>) {
    const voters = [...options.voters].sort((first, second) => first - second);
    this.rule = quorumRuleOf(voters, options.quorum);
    this.voterIds = votersOf(this.rule);
    // Without addresses (hand-built hosts, the simulator without reconfig): the voters, and the
    // other members as observers, so the machine knows who belongs.
    const observers = (options.members ?? []).filter((id) => !voters.includes(id));
    this.active = options.membership ?? { ...membershipOfIds(voters, observers), version: 0 };
    this.heard = options.members === undefined ? undefined : new Set(options.members);
  }

  get membership(): VersionedMembership {
    return this.active;
  }

  get voters(): readonly ServerId[] {
    return this.voterIds;
  }

  get quorum(): QuorumRule {
    return this.rule;
  }

  /** The machine's input: the active membership (when one was given or made) and a seen one. */
  machineInput(): { membership?: VersionedMembership; lastSeenMembership?: VersionedMembership } {
    return {
      membership: this.active,
      ...(this.seen === undefined ? {} : { lastSeenMembership: this.seen }),
    };
  }

  /**
   * Replay applied every logged txn, committed or not: a newer configuration in the recovered
   * tree is only seen until this replica serves (the tree is then committed state).
   */
  seenAtStart(tree: DataTree): void {
    const held = membershipInTree(tree);
    if (held !== undefined && held.version > this.active.version) this.seen = held;
  }

  /**
   * Whether to write the configured membership into the tree's /zookeeper/config: not when the
   * tree already holds one at least as new (a reconfig's, logged or in a snapshot).
   */
  shouldInitConfigNode(tree: DataTree): boolean {
    const held = membershipInTree(tree);
    return held === undefined || held.version < this.active.version || held.version === 0;
  }

  /** The tree's configuration, when newer than the active one. */
  newerInTree(tree: DataTree): VersionedMembership | undefined {
    const held = membershipInTree(tree);
    return held !== undefined && held.version > this.active.version ? held : undefined;
  }

  /**
   * Makes `membership` the active one; false when it is not newer (with `sameVersion`, when it
   * is older: the machine took the leader's view of a starting configuration).
   */
  adopt(membership: VersionedMembership, sameVersion = false): boolean {
    const older = sameVersion
      ? membership.version < this.active.version
      : membership.version <= this.active.version;
    if (older) return false;
    this.active = membership;
    this.rule = membershipRule(membership);
    this.voterIds = votersOf(this.rule);
    if (this.heard !== undefined) this.heard = new Set(memberIdsOf(membership));
    return true;
  }

  /**
   * Frames from ids outside the membership are dropped, except with reconfigEnabled: a replica
   * joining (its own configuration names it, this one not yet) must be heard to be synced and
   * added, as ZooKeeper's leader accepts any learner. The transport verified who it is.
   */
  isHeard(peer: ServerId): boolean {
    return this.heard === undefined || this.heard.has(peer) ||
      this.options.reconfigEnabled === true;
  }
}

/** /zookeeper/config's configuration in `tree`, when its text reads as one. */
function membershipInTree(tree: DataTree): VersionedMembership | undefined {
  const data = tree.getConfigData();
  if (data === undefined || data === null || data.length === 0) return undefined;
  try {
    return parseMembershipText(data.toString('utf8'));
  } catch {
    return undefined;
  }
}
