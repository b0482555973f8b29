// The cluster harness: replicas running production's replica host over one MemoryNetwork, each
// with its own simulated clock, fault-injecting disk and event-loop turns, driven step by step
// (tests) or by a seeded random scheduler (the simulator). Safety violations are collected by
// the CommitLedger, never thrown, so a broken variant is detectable.
import { SimulatedClock } from 'xstate';
import { quorumRuleOf, type QuorumRule } from '../machines/quorum.js';
import type { ReplicaTiming } from '../machines/replica.js';
import type { PeerMessage, ServerId } from '../protocol/peer.js';
import type { RequestBody } from '../protocol/txn.js';
import type { VersionedMembership } from '../protocol/membership.js';
import { ReplicaStorage } from '../storage/replica-storage.js';
import { MemoryNetwork, NetworkBusyError } from '../transport/memory.js';
import {
  checkDurabilityAndConvergence, TreeDigests, treeStatesOf, type TreeState,
} from './cluster-invariants.js';
import {
  clusterSessionId, clusterStorageDefaults, clusterTimingDefaults, createSessionBody,
  drainMicrotasks, pumpDisk, restartDrainCount,
} from './cluster-support.js';
import { leaderIdOf, recordLeadership, stableLeaderOf } from './cluster-leadership.js';
import { startingConfiguration, type ClusterOptions } from './cluster-options.js';
import { ConfigLedger } from './config-ledger.js';
import { CommitLedger } from './invariants.js';
import { InstantDeliveries } from './livelock.js';
import { SeededRandom } from './random.js';
import { ReplicaClocks } from './replica-clocks.js';
import { SimReplica, TurnQueue } from './replica-host.js';
import { SimulatedStorageBackend } from './storage-backend.js';
import { WanNetwork } from './wan-network.js';

export { clusterSessionId, createTxnBody } from './cluster-support.js';
export type { ClusterOptions } from './cluster-options.js';

const stepMs = 50;
const quiet = { info: () => undefined, warn: () => undefined };
const settleRoundsMax = 10_000;

export class Cluster {
  /** True time: histories and traces are stamped with it. Each replica has its own clock,
   * which stands still while the replica is paused and catches up when it resumes. */
  readonly clock = new SimulatedClock();
  private readonly replicaClocks = new ReplicaClocks(() => this.clock.now());
  /** Who established leadership of each epoch: Zab allows one. */
  readonly leadersByEpoch = new Map<number, ServerId>();
  /** Told of every peer message delivered (the trace). */
  onMessage: ((from: ServerId, to: ServerId, message: PeerMessage) => void) | undefined;
  /** Told of each replica's leaf states whenever they change (the trace). */
  onTransition: ((id: ServerId, states: string[]) => void) | undefined;
  readonly network: MemoryNetwork;
  /** The same network when the replicas sit in sites (options.wan). */
  readonly wan: WanNetwork | undefined;
  readonly ledger = new CommitLedger();
  /** Every configuration a replica activated (sim/config-ledger.ts). */
  readonly configs = new ConfigLedger(this.ledger);
  readonly random: SeededRandom;
  private readonly bytesRandom: SeededRandom;
  readonly replicas = new Map<ServerId, SimReplica>();
  /** Each replica's disk: it outlives the replica's crashes (its restarts recover from it). */
  readonly disks = new Map<ServerId, SimulatedStorageBackend>();
  private readonly turns = new Map<ServerId, TurnQueue>();
  readonly members: ServerId[];
  readonly quorum: QuorumRule;
  readonly reconfigEnabled: boolean;
  /**
   * With reconfigEnabled, the membership each replica starts with: its newest active one, as
   * production reads the newest dynamic config file (what actors/replica/membership-files.ts
   * writes). A reconfig's txn is in the replica's log too; the file is what names the voters.
   */
  readonly memberships = new Map<ServerId, VersionedMembership>();
  /** Crashed incarnations, kept for what they recorded (visited states, sync plans). */
  readonly retired: SimReplica[] = [];
  /** Replicas whose disk could not be recovered at their last start, with why. */
  readonly unrecoverable = new Map<ServerId, string>();
  /** Replicas whose log a fault corrupted (sim/faults.ts). */
  readonly corrupted = new Set<ServerId>();
  private cxid = 0;
  private readonly treeDigests = new TreeDigests();
  /** Peer deliveries since the clock last moved (see sim/livelock.ts). */
  private readonly deliveries: InstantDeliveries;

  constructor(readonly options: ClusterOptions) {
    restartDrainCount();
    const now = () => this.clock.now();
    this.wan = options.wan === undefined
      ? undefined
      : new WanNetwork({ layout: options.wan, now, seed: options.seed ?? 1 });
    this.network = this.wan ?? new MemoryNetwork();
    this.deliveries = new InstantDeliveries(this.network, now);
    this.random = new SeededRandom(options.seed ?? 1);
    // Session passwords come from a generator of their own: drawing them moves no schedule.
    this.bytesRandom = new SeededRandom(((options.seed ?? 1) ^ 0x5eed) >>> 0);
    this.members = [...options.voters, ...(options.observers ?? []), ...(options.spares ?? [])];
    this.quorum = quorumRuleOf(options.voters, options.quorum);
    this.reconfigEnabled = options.reconfigEnabled === true || (options.spares ?? []).length > 0;
    const starting = startingConfiguration(options, this.members, this.reconfigEnabled);
    for (const [id, membership] of starting.memberships) this.memberships.set(id, membership);
    if (starting.ledgerStarting !== undefined) this.configs.setStarting(starting.ledgerStarting);
    for (const id of this.members) {
      const turns = new TurnQueue();
      this.turns.set(id, turns);
      const disk = new SimulatedStorageBackend({
        dataDir: `/replica-${id}`,
        nextTurn: (work) => turns.defer(work),
        random: () => this.random.next(),
        now: () => this.clock.now(),
      });
      this.disks.set(id, disk);
    }
  }

  get timing(): ReplicaTiming {
    return { ...clusterTimingDefaults, ...this.options.timing };
  }

  /** The site of a replica when the cluster runs across sites (options.wan). */
  siteOf(id: ServerId): string | undefined {
    return this.options.wan?.siteOf(id);
  }

  disk(id: ServerId): SimulatedStorageBackend {
    const disk = this.disks.get(id);
    if (disk === undefined) throw new Error(`cluster: no replica ${id}`);
    return disk;
  }

  replica(id: ServerId): SimReplica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new Error(`cluster: replica ${id} is not running`);
    return replica;
  }

  /**
   * Starts (or restarts, from its disk) one replica; false when its disk cannot be recovered
   * (it stays down, as production refuses to start; see `unrecoverable`).
   */
  async start(id: ServerId): Promise<boolean> {
    if (this.replicas.has(id)) throw new Error(`cluster: replica ${id} is already running`);
    const clock = this.replicaClocks.start(id);
    let replica: SimReplica;
    try {
      replica = await this.pumpWhile(id, SimReplica.start({
        id,
        voters: this.options.voters,
        quorum: this.quorum,
        members: this.members,
        network: this.network,
        clock,
        disk: this.disk(id),
        turns: this.turns.get(id)!,
        storageSettings: { ...clusterStorageDefaults, ...this.options.storageSettings },
        random: () => this.bytesRandom.next(),
        ledger: this.ledger,
        timing: this.timing,
        electionTiming: this.options.electionTiming,
        machine: this.options.machine,
        hostVariant: this.options.hostVariant,
        treeBroadcastDirectAcks: this.options.treeBroadcastDirectAcks,
        onRole: (replicaId, role) =>
          recordLeadership(this.leadersByEpoch, this.ledger, replicaId, role),
        onMessage: (from, to, message) => {
          this.deliveries.record(from, to, message);
          this.onMessage?.(from, to, message);
        },
        onStates: (replicaId, states) => this.onTransition?.(replicaId, states),
        membership: this.memberships.get(id),
        reconfigEnabled: this.reconfigEnabled,
        trackActor: this.options.trackerFor?.(id),
        onMembership: (replicaId, membership) => {
          this.memberships.set(replicaId, membership);
          this.configs.record(replicaId, membership);
        },
      }));
    } catch (error) {
      this.unrecoverable.set(id, String(error));
      // Only a log a fault corrupted may refuse to start: anything else lost a disk's history.
      if (!this.corrupted.has(id)) {
        this.ledger.violate(`recovery: replica ${id} cannot start: ${String(error)}`);
      }
      return false;
    }
    this.unrecoverable.delete(id);
    this.replicaClocks.track(id, clock);
    this.replicas.set(id, replica);
    return true;
  }

  /** Waits for `work` on `id`'s disk, which meanwhile makes everything durable (pumpDisk). */
  private pumpWhile<Result>(id: ServerId, work: Promise<Result>): Promise<Result> {
    return pumpDisk(this.disk(id), this.turns.get(id)!, work);
  }

  /**
   * Writes `acceptedEpoch` to a stopped replica's disk, as if it had accepted that epoch before
   * (tests that start a replica from a given history).
   */
  async seedAcceptedEpoch(id: ServerId, acceptedEpoch: number): Promise<void> {
    if (this.replicas.has(id)) throw new Error(`cluster: replica ${id} is running`);
    const storage = await this.pumpWhile(id, ReplicaStorage.open(this.disk(id), {}, quiet));
    await this.pumpWhile(id, storage.epochs.setAcceptedEpoch(acceptedEpoch));
    await this.pumpWhile(id, storage.close());
  }

  /** Running, not paused: the replicas a client can talk to and a step can drive. */
  reachable(): SimReplica[] {
    return [...this.replicas.values()].filter((replica) => !this.isPaused(replica.id));
  }

  /** Links with something queued for a receiver that is running and not paused. */
  deliverableLinks() {
    return this.network.pendingLinks().filter((link) => !this.isPaused(link.to));
  }

  async startAll(): Promise<void> {
    for (const id of this.members) if (!this.replicas.has(id)) await this.start(id);
  }

  /**
   * The replica's process dies and loses every disk operation it had not made durable, but for
   * the first `survivors` of them. With `powerLoss`, unsynced file contents go too, and the last
   * survivor may be torn.
   */
  crash(id: ServerId, survivors = 0, powerLoss?: { tear: boolean }): void {
    const replica = this.replica(id);
    replica.crash(survivors, powerLoss);
    this.retire(replica);
  }

  private retire(replica: SimReplica): void {
    this.replicas.delete(replica.id);
    this.replicaClocks.forget(replica.id);
    this.retired.push(replica);
  }

  /**
   * Replicas that stopped themselves (storage failed, or an assertion stopped the machine)
   * leave the running set, as a crash. A full disk is a fault the simulator injects; any other
   * failure is a violation.
   */
  retireFailed(): void {
    for (const replica of [...this.replicas.values()]) {
      if (!replica.hasFailed) continue;
      const failure = replica.failure;
      // An assertion inside the machine stops it, and the host stops the replica with it.
      const source = replica.actor.getSnapshot().status === 'error' ? 'machine' : 'storage';
      if ((failure as { code?: unknown } | undefined)?.code !== 'ENOSPC') {
        this.ledger.violate(`${source}: replica ${replica.id} stopped: ${String(failure)}`);
      }
      this.retire(replica);
    }
  }

  /** SIGSTOP: the replica's clock stands still; the harness delivers nothing to it. */
  pause(id: ServerId): void {
    if (this.replicas.has(id)) this.replicaClocks.pause(id);
  }

  /** SIGCONT: its clock jumps to now, firing every timer that came due meanwhile. */
  resume(id: ServerId): void {
    if (!this.replicaClocks.resume(id)) return;
    this.replicas.get(id)?.runHostWork();
  }

  isPaused(id: ServerId): boolean {
    return this.replicaClocks.isPaused(id);
  }

  running(): ServerId[] {
    return [...this.replicas.keys()].sort((first, second) => first - second);
  }

  /** Delivers the next `count` items from `from` to `to` (see deliveriesPerInstantMax). */
  deliver(from: ServerId, to: ServerId, count = 1): number {
    const delivered = this.network.deliver(from, to, count);
    this.countDeliveries(delivered);
    return delivered;
  }

  private countDeliveries(delivered: number): void {
    this.deliveries.count(delivered, (id) => !this.isPaused(id));
  }

  /** One turn of `id`'s event loop, then its continuations; the number of works it ran. */
  async runTurn(id: ServerId): Promise<number> {
    const ran = this.replicas.get(id)?.runTurn() ?? 0;
    await drainMicrotasks();
    this.retireFailed();
    return ran;
  }

  /**
   * Lets storage requests reach the disk, makes up to `count` of `id`'s pending operations
   * durable, then lets storage go on (its completions reach the machine).
   */
  async flush(id: ServerId, count?: number): Promise<number> {
    await drainMicrotasks();
    const flushed = this.replicas.get(id)?.flushStorage(count) ?? 0;
    await drainMicrotasks();
    this.retireFailed();
    return flushed;
  }

  /**
   * Delivers every message, makes every disk operation durable and runs every turn until
   * nothing is left to do.
   */
  async settle(): Promise<void> {
    for (let round = 0; round < settleRoundsMax; round++) {
      const running = (id: ServerId) => !this.isPaused(id);
      const budget = this.deliveries.left;
      let delivered: number;
      try {
        delivered = this.network.deliverAll(budget, running);
      } catch (error) {
        if (!(error instanceof NetworkBusyError)) throw error;
        delivered = budget;
      }
      this.countDeliveries(delivered);
      let progressed = delivered > 0;
      for (const replica of [...this.replicas.values()]) {
        if (!running(replica.id)) continue;
        if (replica.flushStorage() > 0) progressed = true;
        if (replica.runTurn() > 0) progressed = true;
      }
      await drainMicrotasks();
      this.retireFailed();
      if (!progressed) return;
    }
    throw new Error('cluster: still busy after settling');
  }

  advance(ms: number): void {
    this.clock.increment(ms);
    this.deliveries.timePassed();
    this.replicaClocks.catchUp();
    for (const replica of this.replicas.values()) replica.runHostWork();
  }

  /** Every running member serving under one leader: that leader (sim/cluster-leadership.ts). */
  stableLeader(): ServerId | undefined {
    return stableLeaderOf(this.replicas, this.reconfigEnabled);
  }

  /** The replica currently serving as leader, if any (others may still be syncing). */
  leaderId(): ServerId | undefined {
    return leaderIdOf(this.replicas);
  }

  /** Commits the harness's session (one txn), so that later writes succeed. */
  async openSession(): Promise<void> {
    if (!this.submit(createSessionBody())) throw new Error('cluster: no leader to open a session');
    await this.settle();
  }

  /** Settles and advances time until every running replica serves one leader. */
  async stabilize(timeMsMax = 60_000): Promise<ServerId> {
    for (let elapsedMs = 0; elapsedMs <= timeMsMax; elapsedMs += stepMs) {
      await this.settle();
      const leaderId = this.stableLeader();
      if (leaderId !== undefined) return leaderId;
      this.advance(stepMs);
    }
    const roles = this.running().map((id) => `${id}:${JSON.stringify(this.replica(id).role)}`);
    throw new Error(`cluster: no stable leader after ${timeMsMax} ms (${roles.join(', ')})`);
  }

  /** Settles and lets `ms` of simulated time pass, tick by tick. */
  async run(ms: number): Promise<void> {
    for (let elapsedMs = 0; elapsedMs < ms; elapsedMs += stepMs) {
      await this.settle();
      this.advance(stepMs);
    }
    await this.settle();
  }

  /** A client write handed to replica `via` (a learner forwards it); false if none runs. */
  submit(body: RequestBody, via = this.leaderId()): boolean {
    if (via === undefined || !this.replicas.has(via)) return false;
    this.cxid += 1;
    const time = this.clock.now();
    const sessionId = clusterSessionId;
    const request = { sessionId, cxid: this.cxid, time, body };
    this.replica(via).send({ type: 'client.requests', requests: [request] });
    return true;
  }

  /** Each running replica's applied zxid and tree digest (see treeStatesOf). */
  digests(): Map<ServerId, TreeState> {
    return treeStatesOf(this.replicas, this.treeDigests, this.reconfigEnabled);
  }

  /** The ledger's violations, after durability and convergence (sim/cluster-invariants.ts). */
  checkInvariants(): string[] {
    this.configs.settle();
    checkDurabilityAndConvergence(this.replicas, this.digests(), this.ledger);
    return this.ledger.violations;
  }
}
