// The learner's part of the replica machine's context (ReplicaContext.learner), a follower's or
// an observer's: where its sync with the leader stands, what it ACKed and applied, the sessions
// it touched, and its place in the tree broadcast (ZooKeeper's Learner).
import type { VersionedMembership } from '../protocol/membership.js';
import type { RelayedAck, ServerId, SessionTouch, Zxid } from '../protocol/peer.js';

export interface LearnerState {
  leaderId: ServerId;
  /** From LEADERINFO; null while FOLLOWERINFO is unanswered. */
  newEpoch: number | null;
  phaseTicks: number;
  /** Ticks since anything arrived from the leader. */
  silentTicks: number;
  /** Everything up to here is committed per the sync stream; applied on UPTODATE. */
  syncCommittedZxid: Zxid;
  /** NEWLEADER's zxid once it arrived. */
  newLeaderZxid: Zxid | null;
  /** This learner's last zxid when NEWLEADER arrived: durable before its ACK is sent. */
  newLeaderCoversZxid: Zxid;
  newLeaderAcked: boolean;
  upToDate: boolean;
  /** The highest proposal ACKed in broadcast. */
  ackedZxid: Zxid;
  /** Sessions the host saw traffic for since the last PING reply; sent with the next one. */
  touches: SessionTouch[];
  /** From COMMITANDACTIVATE / INFORMANDACTIVATE: who leads the configuration it activated. */
  designatedLeader: ServerId | null;
  /** From NEWLEADER: the leader's active configuration, taken on UPTODATE (startServing). */
  leaderConfig: VersionedMembership | null;
  /** Tree broadcast: the relay the leader named (RELAYPLAN); null while it sends directly. */
  relayId: ServerId | null;
  /** Tree broadcast: RELAYPLAN said ACKs go straight to the leader, not through the relay. */
  acksDirect: boolean;
  /** As a relay: ACKs of its site's followers not yet sent on to the leader (one per id). */
  relayAcks: RelayedAck[];
  /** As a relay: a `relay.flush` is asked for (the host's next turn sends the batch). */
  relayFlushScheduled: boolean;
  /**
   * A RELAYPLAN arrived in this term: frames may come by two paths, so a gap in them (which a
   * single FIFO link never shows) is looked for (following/relaying.ts).
   */
  pathChanged: boolean;
  /** The highest COMMIT applied in broadcast (the sync stream's on UPTODATE). */
  appliedCommitZxid: Zxid;
  /** Sync from the same site: the follower a snapshot is asked of (SNAPFROM); null otherwise. */
  snapshotSource: ServerId | null;
}
