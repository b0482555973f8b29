// What a world tells the one replica host besides its adapters (actors/replica/world.ts): who
// the replica is, its timing, and what the simulator changes or watches (a broken variant, the
// observer its ledger and traces read).
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { ElectionTiming } from '../../machines/election.js';
import type { QuorumRule } from '../../machines/quorum.js';
import type {
  ReplicaEvent,
  ReplicaTiming,
  RoleAnnouncement,
  SyncStreamParams,
} from '../../machines/replica.js';
import type { PeerMessage, ServerId, Zxid } from '../../protocol/peer.js';
import type { Txn } from '../../protocol/txn.js';
import type { VersionedMembership } from '../../protocol/membership.js';
import type { EffectHandlers, ReplicaMachine } from './effects.js';
import type { OutboxPacing, PeerOutbox } from './outbox.js';

/** The host as an effect decorator sees it: what hands an event to the machine. */
export interface MachineInbox {
  send(event: ReplicaEvent): void;
}

/** What the world may watch (traces, the simulator's ledger and invariants, metrics). */
export interface HostObserver {
  role?(role: RoleAnnouncement): void;
  /** A decoded peer message, before the machine sees it. */
  message?(from: ServerId, message: PeerMessage): void;
  /** COMMIT (or UPTODATE, INFORM) through `zxid` applied `txns`; `loggedZxid`: the log's end. */
  committed?(zxid: Zxid, txns: readonly Txn[], loggedZxid: Zxid): void;
  syncPlanned?(params: SyncStreamParams): void;
  /** A newer configuration became active on this replica. */
  membership?(membership: VersionedMembership): void;
}

export interface ReplicaHostOptions {
  myId: ServerId;
  /** Voting replicas; a replica not among them observes. */
  voters: readonly ServerId[];
  /** How the voters count (zoo.cfg group./weight.); a majority of `voters` when left out. */
  quorum?: QuorumRule;
  /**
   * Every configured replica id, observers included. Frames and link events from any other id
   * are dropped: the TCP transport already refuses such a hello, and the host does not rely on
   * that alone. Left out, every id is heard (tests that build a host by hand).
   */
  members?: readonly ServerId[];
  timing: ReplicaTiming;
  /**
   * zoo.cfg leaderServes (default true). False: while this replica leads it refuses client
   * connections and its four-letter words answer "not serving", as ZooKeeper's leader does
   * when it keeps its server off the client port; sessions and the admin server go on.
   */
  leaderServes?: boolean;
  electionTiming?: Partial<ElectionTiming>;
  /** readonlymode.enabled: serve read-only clients while cut off from the quorum. */
  readOnlyModeEnabled?: boolean;
  /** zoo.cfg treeBroadcast (default true): relay broadcast traffic once per remote site. */
  treeBroadcast?: boolean;
  /** zoo.cfg treeBroadcastDirectAcks (default true): relayed followers ACK the leader directly. */
  treeBroadcastDirectAcks?: boolean;
  /** zoo.cfg siteSync (default true): a SNAP may come from a synced follower of the site. */
  siteSync?: boolean;
  /** /zookeeper/config's text (the membership as ZooKeeper writes it), when known. */
  configText?: string;
  /**
   * The membership this replica starts with (addresses, roles, version). Left out, one is made
   * of `voters`; a reconfig then has no addresses to keep (hand-built tests).
   */
  membership?: VersionedMembership;
  /** zoo.cfg reconfigEnabled: replicas outside the membership may link (to join). */
  reconfigEnabled?: boolean;
  /** zoo.cfg standaloneEnabled (default true): a reconfig must leave at least 2 voters. */
  standaloneEnabled?: boolean;
  /** The peer protocol to speak (protocol/peer.ts); the current one when left out. */
  protocolVersion?: number;
  inspect?: (event: InspectionEvent) => void;
  /** Told of the replica machine's actor as it is created (the machine event stream's hub). */
  trackActor?: (actor: AnyActorRef) => void;
  /** The machine to run: the real one, or (in the simulator) a deliberately broken variant. */
  machine?: ReplicaMachine;
  /** The largest SNAP this replica accepts as a learner. */
  snapshotBytesMax?: number;
  /** SNAPPART and slice sizes (the simulator cuts its small trees into many pieces). */
  pacing?: Pick<OutboxPacing, 'snapPartBytes' | 'sliceBytesMax' | 'waitingBytesMax'>;
  /** Changes effect handlers: the simulator's broken host variants (sim/variants.ts). */
  decorateEffects?: (handlers: EffectHandlers, host: MachineInbox) => EffectHandlers;
  /** Builds the outbox: a broken variant in the simulator. */
  createOutbox?: (...parameters: ConstructorParameters<typeof PeerOutbox>) => PeerOutbox;
  observer?: HostObserver;
}
