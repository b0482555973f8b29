// What a replica host does as a configuration becomes active: a committed reconfig's, or one a
// recovered or SNAP-replaced tree holds in /zookeeper/config. HostMembership is the record; this
// writes the node, and tells the observer, the server core, the world and the machine.
import { describeQuorumRule } from '../../machines/quorum.js';
import type { ReplicaEvent } from '../../machines/replica.js';
import type { VersionedMembership } from '../../protocol/membership.js';
import { hex } from '../../protocol/zxid.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { HostMembership } from './host-membership.js';
import type { ReplicaHostOptions } from './host-options.js';
import type { ReplicaWorld } from './world.js';

/** The host's side of an adoption. */
export interface ConfigurationHost {
  /** The host was halted: nothing more is handed to the machine. */
  isHalted(): boolean;
  /** Hands an event to the machine. */
  send(event: ReplicaEvent): void;
  /** The voters changed: the server core's role (observer or participant) is told again. */
  refreshCoreRole(): void;
}

export class HostConfiguration {
  constructor(
    private readonly membership: HostMembership,
    private readonly world: ReplicaWorld,
    private readonly options: Pick<ReplicaHostOptions, 'configText' | 'observer'>,
    private readonly host: ConfigurationHost,
  ) {}

  /**
   * Clients read the ensemble's membership from /zookeeper/config, as from ZooKeeper's. A tree
   * whose node holds a configuration at least as new (a reconfig's, logged or in a snapshot)
   * keeps it: what was committed there outranks what this replica started with.
   */
  initConfigNode(tree: DataTree): void {
    const text = this.options.configText;
    if (text === undefined) return;
    if (!this.membership.shouldInitConfigNode(tree)) return;
    const version = this.membership.membership.version;
    tree.initConfigNode(Buffer.from(text), version, this.world.clock.now());
  }

  /** The tree (recovered, or replaced by a SNAP) holds a newer configuration: it is the one. */
  adoptTreeMembership(tree: DataTree, tellMachine: boolean): void {
    const held = this.membership.newerInTree(tree);
    if (held !== undefined) this.adoptMembership(held, tellMachine);
  }

  /**
   * A committed configuration newer than the active one: who is heard and who votes follow it,
   * the world persists it (the dynamic config file) and relinks its peers, and the machine is
   * told (`config.committed`).
   */
  adoptMembership(
    membership: VersionedMembership,
    tellMachine: boolean,
    sameVersion = false,
  ): void {
    if (!this.membership.adopt(membership, sameVersion)) return;
    this.world.logger.info(
      { version: hex(membership.version), quorum: describeQuorumRule(this.membership.quorum) },
      'configuration activated',
    );
    this.options.observer?.membership?.(membership);
    this.host.refreshCoreRole();
    // On the next turn: the replies of what was just applied (the reconfig's own among them)
    // reach their clients before a change of leader (the machine's, or a link the world closes
    // to a removed peer) makes this replica drop them.
    this.world.nextTurn(() => {
      if (this.host.isHalted()) return;
      this.world.membershipChanged?.(membership);
      if (tellMachine) this.host.send({ type: 'config.committed', membership });
    });
  }
}
