// One replica in the simulated world: production's replica host (actors/replica/host.ts) and
// server core, given the simulator's world — the memory network, the real storage logic over a
// fault-injecting disk in memory (sim/storage-backend.ts), the replica's own simulated clock, and
// a queue of next-turn work that the seeded scheduler runs. This file holds adapters and what the
// invariants read; everything a replica does is the host's.
import { pino } from 'pino';
import type { AnyActorRef, SimulatedClock } from 'xstate';
import { resolveConfig } from '../actors/config/config.js';
import {
  ReplicaHost,
  type HostObserver,
  type ReplicaHostOptions,
  type ReplicaMachine,
} from '../actors/replica/host.js';
import type { ReplicaWorld } from '../actors/replica/world.js';
import { membershipRule, votersOf, type QuorumRule } from '../machines/quorum.js';
import {
  memberIdsOf,
  membershipText,
  type VersionedMembership,
} from '../protocol/membership.js';
import { ServerCore } from '../actors/server/server-core.js';
import type { ElectionTiming } from '../machines/election.js';
import type { ReplicaTiming, RoleAnnouncement, SyncStreamParams } from '../machines/replica.js';
import type { PeerMessage, ServerId, Zxid } from '../protocol/peer.js';
import type { Txn } from '../protocol/txn.js';
import { hex } from '../protocol/zxid.js';
import { ReplicaStorage, type StorageSettings } from '../storage/replica-storage.js';
import type { MemoryNetwork } from '../transport/memory.js';
import type { DataTree } from '../tree/data-tree.js';
import type { CommitLedger } from './invariants.js';
import type { SimulatedStorageBackend } from './storage-backend.js';

export type { ReplicaMachine } from '../actors/replica/host.js';

/** Work a replica's event loop runs on its next turn; the scheduler says when a turn ends. */
export class TurnQueue {
  private queued: Array<() => void> = [];

  defer(work: () => void): void {
    this.queued.push(work);
  }

  get pending(): number {
    return this.queued.length;
  }

  /** One turn: the work queued before it (work it queues waits for the next). */
  run(): number {
    const turn = this.queued;
    this.queued = [];
    for (const work of turn) work();
    return turn.length;
  }

  /** The process died: its queued continuations never run. */
  clear(): void {
    this.queued = [];
  }
}

/** What a broken host variant changes (sim/variants.ts); the real host changes nothing. */
export type HostVariantOptions = Pick<ReplicaHostOptions, 'decorateEffects' | 'createOutbox'>;

export interface SimReplicaOptions {
  id: ServerId;
  voters: readonly ServerId[];
  quorum: QuorumRule;
  /** Voters and observers: the ids this replica hears (a stranger's frames are dropped). */
  members: readonly ServerId[];
  network: MemoryNetwork;
  /** This replica's own clock: a paused replica's clock stands still (sim/cluster.ts). */
  clock: SimulatedClock;
  disk: SimulatedStorageBackend;
  turns: TurnQueue;
  storageSettings: Partial<StorageSettings>;
  /** The simulator's seeded generator, [0, 1): session passwords, nonces. */
  random: () => number;
  ledger: CommitLedger;
  timing: ReplicaTiming;
  electionTiming?: Partial<ElectionTiming> | undefined;
  /** The machine to run: the real one, or a deliberately broken variant. */
  machine?: ReplicaMachine | undefined;
  hostVariant?: HostVariantOptions | undefined;
  /** zoo.cfg treeBroadcastDirectAcks (the default, true, when left out). */
  treeBroadcastDirectAcks?: boolean | undefined;
  /** Told of every role this replica announces (leaders per epoch, traces). */
  onRole?: (id: ServerId, role: RoleAnnouncement) => void;
  /** Told of every peer frame this replica receives, decoded (traces). */
  onMessage?: (from: ServerId, to: ServerId, message: PeerMessage) => void;
  /** Told of the machine's leaf states each time they change (traces). */
  onStates?: (id: ServerId, states: string[]) => void;
  /**
   * The membership this replica starts with (a reconfig's, if one committed here before): its
   * voters and quorum then come from it. Left out, `voters` and `quorum` are the membership.
   */
  membership?: VersionedMembership | undefined;
  /** reconfigEnabled: clients may reconfigure, and replicas outside the membership may link. */
  reconfigEnabled?: boolean | undefined;
  /** Told when a newer configuration becomes active here (the cluster keeps it for restarts). */
  onMembership?: (id: ServerId, membership: VersionedMembership) => void;
  /** Told of this incarnation's root actors (a trace's machine event hub). */
  trackActor?: ((actor: AnyActorRef) => void) | undefined;
}

/** `{ leading: { phase: 'broadcast', liveness: 'ticking' } }` → its leaf paths, dotted. */
export function leafPathsOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => leafPathsOf(child, `${prefix}${key}.`));
}

const silentLogger = pino({ level: 'silent' });

function seededBytes(random: () => number, count: number): Buffer {
  const bytes = Buffer.alloc(count);
  for (let index = 0; index < count; index++) bytes[index] = Math.floor(random() * 256);
  return bytes;
}

/** A server configuration for a simulated replica: its tick, nothing on any port. */
function simulatedSettings(timing: ReplicaTiming, reconfigEnabled: boolean) {
  return resolveConfig(
    { dataDir: '/simulated', clientPort: 1, tickTimeMs: timing.tickMs, reconfigEnabled },
    { log: { info: () => undefined, warn: () => undefined } },
  );
}

/** SNAPPART and slice sizes small enough that the simulator's trees stream in many pieces. */
const simulatedPacing = { snapPartBytes: 256, sliceBytesMax: 256, waitingBytesMax: 1024 };

export class SimReplica {
  /** Every leaf state path (`leading.phase.broadcast`) this replica has been in. */
  readonly visited = new Set<string>();
  /** Every sync plan this replica (as leader) chose, for tests to assert on. */
  readonly syncPlans: Array<{ to: ServerId; mode: SyncStreamParams['plan']['mode'] }> = [];
  /** Set when storage failed under it: it stopped, as production's process exits. */
  failure: unknown;
  private stopped = false;
  /** Highest zxid this incarnation reported to the ledger. */
  private ledgerZxid = 0;
  /** Whether the last role announced was serving (the host's role is already the new one). */
  private served = false;

  private constructor(
    private readonly options: SimReplicaOptions,
    readonly storage: ReplicaStorage,
    readonly host: ReplicaHost,
    readonly core: ServerCore,
  ) {}

  /**
   * Starts (or restarts) a replica from what its disk holds: the real recovery (checksums, torn
   * tail, newest snapshot, replay), then election. Rejects when the disk cannot be recovered
   * (corruption followed by valid records), as production refuses to start.
   */
  static async start(options: SimReplicaOptions): Promise<SimReplica> {
    let replica: SimReplica | undefined;
    const storage = await ReplicaStorage.open(options.disk, options.storageSettings, silentLogger);
    const world: ReplicaWorld = {
      openNetwork: async () => options.network.transport(options.id),
      storage,
      clock: options.clock,
      nextTurn: (work) => options.turns.defer(work),
      logger: silentLogger,
      fail: (error) => replica?.fail(error),
      membershipChanged: (membership) => options.onMembership?.(options.id, membership),
    };
    const membership = options.membership;
    const quorum = membership === undefined ? options.quorum : membershipRule(membership);
    const host = new ReplicaHost(world, {
      myId: options.id,
      voters: votersOf(quorum),
      quorum,
      members: membership === undefined ? options.members : memberIdsOf(membership),
      ...(membership === undefined ? {} : { membership }),
      // /zookeeper/config only where clients reconfigure: a run that gives the replicas sites
      // alone keeps the tree every other run has.
      ...(membership === undefined || options.reconfigEnabled !== true
        ? {}
        : { configText: membershipText(membership) }),
      reconfigEnabled: options.reconfigEnabled ?? false,
      ...(options.treeBroadcastDirectAcks === undefined
        ? {} : { treeBroadcastDirectAcks: options.treeBroadcastDirectAcks }),
      timing: options.timing,
      pacing: simulatedPacing,
      observer: SimReplica.observer(() => replica, options),
      ...(options.electionTiming === undefined ? {} : { electionTiming: options.electionTiming }),
      ...(options.machine === undefined ? {} : { machine: options.machine }),
      ...(options.trackActor === undefined ? {} : { trackActor: options.trackActor }),
      ...options.hostVariant,
    });
    const clock = options.clock;
    const settings = simulatedSettings(options.timing, options.reconfigEnabled ?? false);
    const core = new ServerCore(settings, silentLogger, storage, {
      ...host.coreOptions(),
      clock,
      now: () => clock.now(),
      randomBytes: (count) => seededBytes(options.random, count),
      ...(options.trackActor === undefined ? {} : { trackActor: options.trackActor }),
    });
    replica = new SimReplica(options, storage, host, core);
    await host.start(core);
    let lastValue: unknown;
    let lastKey = '';
    host.machineActor?.subscribe({
      next: (snapshot) => {
        // Most transitions keep the state (only the context changes): paths once per state.
        if (snapshot.value === lastValue) return;
        lastValue = snapshot.value;
        const states = leafPathsOf(snapshot.value);
        for (const path of states) replica.visited.add(path);
        const key = states.join('|');
        if (key !== lastKey) options.onStates?.(options.id, states);
        lastKey = key;
      },
      // The machine stopped on an assertion: the invariants report it (sim/sim-invariants.ts).
      error: () => undefined,
    });
    return replica;
  }

  private static observer(
    replicaOf: () => SimReplica | undefined,
    options: SimReplicaOptions,
  ): HostObserver {
    return {
      role: (role) => {
        replicaOf()?.recordServedHistory(role);
        options.onRole?.(options.id, role);
      },
      message: (from, message) => options.onMessage?.(from, options.id, message),
      committed: (zxid, txns, loggedZxid) => replicaOf()?.recordCommitted(zxid, txns, loggedZxid),
      syncPlanned: ({ to, plan }) => replicaOf()?.syncPlans.push({ to, mode: plan.mode }),
    };
  }

  get id(): ServerId {
    return this.options.id;
  }

  get role(): RoleAnnouncement {
    return this.host.role;
  }

  get actor() {
    return this.host.machineActor!;
  }

  /** The data tree clients read (the core's; a TRUNC or SNAP replaces it). */
  get tree(): DataTree {
    return this.core.tree;
  }

  get clock(): SimulatedClock {
    return this.options.clock;
  }

  get disk(): SimulatedStorageBackend {
    return this.options.disk;
  }

  isServing(): boolean {
    return !this.stopped && this.host.role.serving;
  }

  /** True once the replica stopped itself (storage failed); the cluster treats it as crashed. */
  get hasFailed(): boolean {
    return this.failure !== undefined;
  }

  /** Makes up to `count` pending disk operations durable; storage hears of it on later turns. */
  flushStorage(count?: number): number {
    return this.options.disk.flush(count);
  }

  get hasTurnWork(): boolean {
    return this.options.turns.pending > 0;
  }

  /** One turn of this replica's event loop (request batches, outbox slices, snapshots). */
  runTurn(): number {
    return this.options.turns.run();
  }

  send(event: Parameters<ReplicaHost['send']>[0]): void {
    this.host.send(event);
  }

  /** Runs the host work a timer-driven transition left (the harness calls it after time moves). */
  runHostWork(): void {
    this.host.runHostWork();
  }

  /**
   * The process dies: the machine, the sessions and the links stop; the disk keeps what it made
   * durable, plus an ordered prefix of the rest (`survivors`); with `powerLoss` unsynced file
   * contents go too, and the last survivor may be torn.
   */
  crash(survivors = 0, powerLoss?: { tear: boolean }): void {
    this.stop();
    if (powerLoss === undefined) this.options.disk.crash(survivors);
    else this.options.disk.powerLoss({ survivors, tear: powerLoss.tear });
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.host.halt();
    this.core.sessions.stopAll();
    this.core.closeAllConnections();
    this.options.turns.clear();
  }

  /** Storage failed (a full disk): the replica stops, as production's process exits. */
  private fail(error: unknown): void {
    this.failure ??= error;
    this.stop();
    this.options.disk.crash(0);
  }

  /** The txns its log holds durably now (the disk's view: what a power loss keeps). */
  durableLog(): Txn[] {
    return [...this.storage.readFrom(0)];
  }

  /** The replica's history as its log holds it now (durable or on its way there). */
  loggedHistory(): { fromZxid: Zxid; txns: Txn[] } {
    return this.host.loggedHistory();
  }

  /**
   * A replica that begins to serve holds committed state only (Zab: its leader's NEWLEADER was
   * acknowledged by a quorum): what its tree took from its own log as it recovered is committed
   * now, though no COMMIT will bring it again, so the ledger hears of it here. Without this the
   * ledger would never learn of a txn every replica recovered from its own log.
   */
  recordServedHistory(role: RoleAnnouncement): void {
    const wasServing = this.served;
    this.served = role.serving;
    if (!role.serving || wasServing) return;
    const applied = this.tree.lastZxid;
    const { txns } = this.host.loggedHistory();
    // All of them, whatever was reported before: a COMMIT through a zxid reports only what it
    // applied, not what the tree already held.
    for (const txn of txns) if (txn.zxid <= applied) this.options.ledger.record(this.id, txn);
    this.ledgerZxid = Math.max(this.ledgerZxid, applied);
  }

  private recordCommitted(zxid: Zxid, txns: readonly Txn[], loggedZxid: Zxid): void {
    if (zxid > loggedZxid) {
      this.options.ledger.violate(`replica ${this.id} commits unknown ${hex(zxid)}`);
    }
    for (const txn of txns) {
      if (txn.zxid > this.ledgerZxid) this.options.ledger.record(this.id, txn);
    }
    this.ledgerZxid = Math.max(this.ledgerZxid, zxid);
  }
}
