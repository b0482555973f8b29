// The role a replica host last announced (looking, following, leading, observing; serving or
// not) and what an announcement changes outside the machine: the server core's role and its
// clients, snapshots of the tree (attached while serving), the streams to learners, the metrics.
import type { LeaderState } from '../../machines/replica-context.js';
import type { RoleAnnouncement } from '../../machines/replica.js';
import type { ServerId } from '../../protocol/peer.js';
import { hex } from '../../protocol/zxid.js';
import { SnapshotAbortedError } from '../../storage/snapshot-file.js';
import type { ServerCore } from '../server/server-core.js';
import type { HostConfiguration } from './host-configuration.js';
import type { HostMembership } from './host-membership.js';
import type { ReplicaHostOptions } from './host-options.js';
import type { PeerOutbox } from './outbox.js';
import type { ReplicatedPipeline } from './pipeline.js';
import type { RoleMetrics } from './replica-metrics.js';
import { announceToCore, leaderStatisticsOf, type ReplicaIdentity } from './serving.js';
import type { ReplicaWorld } from './world.js';

/** What an announcement reaches, from the host. */
export interface HostRoleParts {
  myId: ServerId;
  membership: HostMembership;
  configuration: HostConfiguration;
  options: Pick<ReplicaHostOptions, 'leaderServes' | 'observer'>;
  world: ReplicaWorld;
  outbox: PeerOutbox;
  pipeline: ReplicatedPipeline;
  /** The server core (throws before the host started). */
  core(): ServerCore;
  /** The machine's leader state, if it leads. */
  leader(): LeaderState | null | undefined;
  roleMetrics(): RoleMetrics | undefined;
}

export class HostRole {
  private current: RoleAnnouncement = {
    state: 'looking',
    leaderId: null,
    epoch: 0,
    serving: false,
  };
  /** When this replica last began to serve as leader (mntr's zk_leader_uptime). */
  private leadingSinceMs = 0;

  constructor(private readonly parts: HostRoleParts) {}

  get announced(): RoleAnnouncement {
    return this.current;
  }

  identity(): ReplicaIdentity {
    const { myId, membership, options } = this.parts;
    return {
      myId,
      voters: membership.voters,
      isObserver: !membership.voters.includes(myId),
      leaderServes: options.leaderServes ?? true,
      leaderStatistics: () => leaderStatisticsOf(this.parts.leader(), this.leadingSinceMs),
    };
  }

  announce(role: RoleAnnouncement): void {
    const { world, options, outbox, pipeline, configuration } = this.parts;
    const wasServing = this.current.serving;
    const wasLeading = wasServing && this.current.state === 'leading';
    if (role.serving && role.state === 'leading' && !wasLeading) {
      this.leadingSinceMs = world.clock.now();
      this.parts.core().sessions.forgetOwners();
    }
    this.parts.roleMetrics()?.announced(this.current, role);
    this.current = role;
    options.observer?.role?.(role);
    // Streams still running were for this replica's learners; it has none unless it leads.
    if (role.state !== 'leading') outbox.abortAll();
    const core = this.parts.core();
    const { logger, storage } = world;
    if (!announceToCore(core, pipeline, role, this.identity())) {
      if (wasServing) logger.warn({ state: role.state }, 'stopped serving: dropped its clients');
      storage.detach();
      return;
    }
    storage.attach(core.tree);
    // What the tree holds now is committed: a configuration it carries beyond the active one
    // (replayed at startup, or committed by this epoch's NEWLEADER) is the active one now.
    if (!wasServing) configuration.adoptTreeMembership(core.tree, true);
    if (!wasServing) this.snapshotBeforeServing(role.state === 'leading');
    const zxid = hex(core.tree.lastZxid);
    logger.info({ state: role.state, leader: role.leaderId, epoch: role.epoch, zxid },
      `serving as ${core.role.role}`);
  }

  /** ZooKeeper snapshots as a leader starts leading, and as a learner serves after a TRUNC or
   * SNAP (see ReplicaStorage.snapshotBeforeServing); a failure costs a longer replay only. */
  private snapshotBeforeServing(leading: boolean): void {
    const { logger, storage } = this.parts.world;
    storage.snapshotBeforeServing(leading).catch((error: unknown) => {
      if (error instanceof SnapshotAbortedError) return;
      logger.warn({ error: String(error) }, 'snapshot before serving failed');
    });
  }
}
