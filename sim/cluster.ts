// The cluster harness: replicas running the real replica machine over one MemoryNetwork, one
// SimulatedClock and per-replica SimulatedStorage with explicit durability, driven either step by
// step (tests) or by a seeded random scheduler (the deterministic simulator's core). Safety
// violations are collected by the CommitLedger, never thrown, so a broken variant is detectable.
import { SimulatedClock } from 'xstate';
import type { ElectionTiming } from '../machines/election.js';
import type { ReplicaTiming, RoleAnnouncement } from '../machines/replica.js';
import type { PeerMessage, ServerId } from '../protocol/peer.js';
import type { WriteRequest } from '../protocol/requests.js';
import { describePeerMessage } from '../protocol/peer.js';
import { MemoryNetwork, NetworkBusyError } from '../transport/memory.js';
import { openAclUnsafe } from '../tree/acl.js';
import type { TxnBody } from '../protocol/txn.js';
import { CommitLedger } from './invariants.js';
import { SeededRandom } from './random.js';
import { leafPathsOf, SimReplica, type ReplicaMachine } from './replica-host.js';
import { SimulatedStorage } from './storage.js';
import { lastZxidOfEpoch } from '../protocol/zxid.js';

export interface ClusterOptions {
  voters: ServerId[];
  observers?: ServerId[];
  seed?: number;
  timing?: Partial<ReplicaTiming>;
  electionTiming?: Partial<ElectionTiming>;
  machine?: ReplicaMachine;
}

/** Small enough that simulated minutes pass in few steps; ratios as ZooKeeper's sample config. */
export const clusterTimingDefaults: ReplicaTiming = {
  tickMs: 100,
  initLimitTicks: 10,
  syncLimitTicks: 5,
};

const stepMs = 50;
const settleRoundsMax = 10_000;
/**
 * Peer deliveries at one simulated instant before the cluster counts as livelocked: replicas
 * that keep answering each other without time passing (a real process would burn CPU and the
 * network between them). A busy instant of a 5-replica cluster takes a few thousand.
 */
export const deliveriesPerInstantMax = 50_000;
/** Messages a livelock report quotes, delivered after the limit was reached. */
const livelockSampleMessages = 12;

/** The cluster stopped making progress at one simulated instant: that seed's violation. */
export class LivelockError extends Error {
  constructor(
    readonly atMs: number,
    readonly sample: readonly string[],
  ) {
    super(
      `livelock: ${deliveriesPerInstantMax} peer deliveries at simulated time ${atMs} ms ` +
        `without time passing; it repeats: ${sample.join('; ')}`,
    );
    this.name = 'LivelockError';
  }
}

/** A create of `path` as the leader pipeline would hand it to the machine. */
export function createTxnBody(path: string, data = ''): TxnBody {
  const request: WriteRequest = {
    kind: 'create',
    opcode: 1,
    path,
    data: Buffer.from(data),
    acl: [...openAclUnsafe],
    flags: 0,
    ttl: -1,
  };
  return { type: 'write', request, auth: { ids: [], superUser: true } };
}

/** The session the harness's writes run in (a write outside a live session is rejected). */
export const clusterSessionId = 1n;

export function createSessionBody(sessionId = clusterSessionId): TxnBody {
  return { type: 'createSession', sessionId, timeoutMs: 30_000, password: Buffer.alloc(16) };
}

export class Cluster {
  /** True time: histories and traces are stamped with it. Each replica has its own clock,
   * which stands still while the replica is paused and catches up when it resumes. */
  readonly clock = new SimulatedClock();
  private readonly replicaClocks = new Map<ServerId, SimulatedClock>();
  private readonly paused = new Set<ServerId>();
  /** Who established leadership of each epoch: Zab allows one. */
  readonly leadersByEpoch = new Map<number, ServerId>();
  /** Told of every peer message delivered (the trace). */
  onMessage: ((from: ServerId, to: ServerId, message: PeerMessage) => void) | undefined;
  /** Told of each replica's leaf states whenever they change (the trace). */
  onTransition: ((id: ServerId, states: string[]) => void) | undefined;
  readonly network = new MemoryNetwork();
  readonly ledger = new CommitLedger();
  readonly random: SeededRandom;
  readonly replicas = new Map<ServerId, SimReplica>();
  readonly storages = new Map<ServerId, SimulatedStorage>();
  readonly members: ServerId[];
  /** Crashed incarnations, kept for what they recorded (visited states, sync plans). */
  readonly retired: SimReplica[] = [];
  private cxid = 0;
  /** Peer deliveries since the clock last moved (see deliveriesPerInstantMax). */
  private deliveriesThisInstant = 0;

  constructor(readonly options: ClusterOptions) {
    this.random = new SeededRandom(options.seed ?? 1);
    this.members = [...options.voters, ...(options.observers ?? [])];
    for (const id of this.members) this.storages.set(id, new SimulatedStorage());
  }

  get timing(): ReplicaTiming {
    return { ...clusterTimingDefaults, ...this.options.timing };
  }

  storage(id: ServerId): SimulatedStorage {
    const storage = this.storages.get(id);
    if (storage === undefined) throw new Error(`cluster: no replica ${id}`);
    return storage;
  }

  replica(id: ServerId): SimReplica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new Error(`cluster: replica ${id} is not running`);
    return replica;
  }

  /** Starts (or restarts, from its durable storage) one replica. */
  start(id: ServerId): void {
    if (this.replicas.has(id)) throw new Error(`cluster: replica ${id} is already running`);
    const clock = new SimulatedClock();
    clock.set(this.clock.now());
    this.replicaClocks.set(id, clock);
    this.paused.delete(id);
    const replica = new SimReplica({
      id,
      voters: this.options.voters,
      network: this.network,
      clock,
      storage: this.storage(id),
      ledger: this.ledger,
      timing: this.timing,
      electionTiming: this.options.electionTiming,
      machine: this.options.machine,
      onRole: (replicaId, role) => this.recordRole(replicaId, role),
      onMessage: (from, to, message) => this.onMessage?.(from, to, message),
    });
    this.replicas.set(id, replica);
    let last = '';
    replica.actor.subscribe({
      next: (snapshot) => {
        const states = leafPathsOf(snapshot.value);
        const key = states.join('|');
        if (key !== last) this.onTransition?.(id, states);
        last = key;
      },
      // A machine stopped by an assertion is reported by the invariants, not thrown here.
      error: () => undefined,
    });
    replica.start();
  }

  /** Running, not paused: the replicas a client can talk to and a step can drive. */
  reachable(): SimReplica[] {
    return [...this.replicas.values()].filter((replica) => !this.paused.has(replica.id));
  }

  /** Links with something queued for a receiver that is running and not paused. */
  deliverableLinks() {
    return this.network.pendingLinks().filter((link) => !this.paused.has(link.to));
  }

  startAll(): void {
    for (const id of this.members) if (!this.replicas.has(id)) this.start(id);
  }

  /**
   * Power loss: the replica stops and loses every write its storage had not made durable, but
   * for the first `survivors` of them (a disk may have taken them before the power went).
   */
  crash(id: ServerId, survivors = 0): void {
    const replica = this.replica(id);
    replica.crash(survivors);
    this.replicas.delete(id);
    this.replicaClocks.delete(id);
    this.paused.delete(id);
    this.retired.push(replica);
  }

  /** SIGSTOP: the replica's clock stands still; the harness delivers nothing to it. */
  pause(id: ServerId): void {
    if (this.replicas.has(id)) this.paused.add(id);
  }

  /** SIGCONT: its clock jumps to now, firing every timer that came due meanwhile. */
  resume(id: ServerId): void {
    if (!this.paused.delete(id)) return;
    this.replicaClocks.get(id)?.set(this.clock.now());
    this.replicas.get(id)?.runHostWork();
  }

  isPaused(id: ServerId): boolean {
    return this.paused.has(id);
  }

  private recordRole(id: ServerId, role: RoleAnnouncement): void {
    if (role.state !== 'leading' || !role.serving) return;
    const known = this.leadersByEpoch.get(role.epoch);
    if (known === undefined) this.leadersByEpoch.set(role.epoch, id);
    else if (known !== id) {
      this.ledger.violate(`leadership: replicas ${known} and ${id} both led epoch ${role.epoch}`);
    }
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
    this.deliveriesThisInstant += delivered;
    if (this.deliveriesThisInstant < deliveriesPerInstantMax) return;
    throw new LivelockError(this.clock.now(), this.sampleDeliveries());
  }

  /** A few more deliveries, described: what the replicas keep saying to each other. */
  private sampleDeliveries(): string[] {
    const sample: string[] = [];
    const previous = this.onMessage;
    this.onMessage = (from, to, message) => {
      sample.push(`${from}→${to} ${describePeerMessage(message)}`);
      previous?.(from, to, message);
    };
    const running = (id: ServerId) => !this.paused.has(id);
    try {
      for (let tries = 0; sample.length < livelockSampleMessages && tries < 100; tries++) {
        if (!this.network.deliverNext(running)) break;
      }
    } finally {
      this.onMessage = previous;
    }
    return sample;
  }

  /** Delivers every message and makes every write durable until nothing is left to do. */
  settle(): void {
    for (let round = 0; round < settleRoundsMax; round++) {
      const running = (id: ServerId) => !this.paused.has(id);
      const budget = deliveriesPerInstantMax - this.deliveriesThisInstant;
      let delivered: number;
      try {
        delivered = this.network.deliverAll(budget, running);
      } catch (error) {
        if (!(error instanceof NetworkBusyError)) throw error;
        delivered = budget;
      }
      this.countDeliveries(delivered);
      let progressed = delivered > 0;
      for (const replica of this.replicas.values()) {
        if (running(replica.id) && replica.flushStorage() > 0) progressed = true;
      }
      if (!progressed) return;
    }
    throw new Error('cluster: still busy after settling');
  }

  advance(ms: number): void {
    this.clock.increment(ms);
    this.deliveriesThisInstant = 0;
    for (const [id, clock] of this.replicaClocks) {
      if (!this.paused.has(id)) clock.set(this.clock.now());
    }
    for (const replica of this.replicas.values()) replica.runHostWork();
  }

  /** The replica serving as leader with every running voter and observer serving under it. */
  stableLeader(): ServerId | undefined {
    const running = [...this.replicas.values()];
    const leaders = running.filter((r) => r.role.state === 'leading' && r.role.serving);
    if (leaders.length !== 1) return undefined;
    const leaderId = leaders[0]?.id;
    const allServing = running.every((r) => r.role.serving && r.role.leaderId === leaderId);
    return allServing ? leaderId : undefined;
  }

  /** The replica currently serving as leader, if any (others may still be syncing). */
  leaderId(): ServerId | undefined {
    const leaders = [...this.replicas.values()].filter(
      (r) => r.role.state === 'leading' && r.role.serving,
    );
    return leaders.length === 1 ? leaders[0]?.id : undefined;
  }

  /** Commits the harness's session (one txn), so that later writes succeed. */
  openSession(): void {
    if (!this.submit(createSessionBody())) throw new Error('cluster: no leader to open a session');
    this.settle();
  }

  /** Settles and advances time until every running replica serves one leader. */
  stabilize(timeMsMax = 60_000): ServerId {
    for (let elapsedMs = 0; elapsedMs <= timeMsMax; elapsedMs += stepMs) {
      this.settle();
      const leaderId = this.stableLeader();
      if (leaderId !== undefined) return leaderId;
      this.advance(stepMs);
    }
    const roles = this.running().map((id) => `${id}:${JSON.stringify(this.replica(id).role)}`);
    throw new Error(`cluster: no stable leader after ${timeMsMax} ms (${roles.join(', ')})`);
  }

  /** Settles and lets `ms` of simulated time pass, tick by tick. */
  run(ms: number): void {
    for (let elapsedMs = 0; elapsedMs < ms; elapsedMs += stepMs) {
      this.settle();
      this.advance(stepMs);
    }
    this.settle();
  }

  /** A client write handed to replica `via` (a learner forwards it); false if none runs. */
  submit(body: TxnBody, via = this.leaderId()): boolean {
    if (via === undefined || !this.replicas.has(via)) return false;
    this.cxid += 1;
    const time = this.clock.now();
    const sessionId = clusterSessionId;
    const request = { sessionId, cxid: this.cxid, time, body };
    this.replica(via).send({ type: 'client.requests', requests: [request] });
    return true;
  }

  /** Each running replica's applied zxid and tree digest. */
  digests(): Map<ServerId, { zxid: number; digest: string }> {
    const result = new Map<ServerId, { zxid: number; digest: string }>();
    for (const [id, replica] of this.replicas) {
      result.set(id, { zxid: replica.tree.lastZxid, digest: replica.tree.digest() });
    }
    return result;
  }

  /**
   * Durability and convergence on top of the ledger's agreement: the serving leader's history
   * holds every committed txn, and serving replicas at one zxid have one digest.
   */
  checkInvariants(): string[] {
    // Zab's durability: a leader of epoch e holds every txn committed in epochs up to e. (A
    // leader paused through a later election still believes it leads its older epoch.)
    for (const replica of this.replicas.values()) {
      if (replica.role.state !== 'leading' || !replica.role.serving) continue;
      const view = replica.storage.view;
      const throughZxid = lastZxidOfEpoch(replica.role.epoch);
      this.ledger.checkHistory(replica.id, view.snapshot?.zxid ?? 0, view.log, throughZxid);
    }
    const byZxid = new Map<number, { id: ServerId; digest: string }>();
    for (const [id, { zxid, digest }] of this.digests()) {
      if (!this.replica(id).role.serving) continue;
      const other = byZxid.get(zxid);
      if (other === undefined) byZxid.set(zxid, { id, digest });
      else if (other.digest !== digest) {
        this.ledger.violate(`convergence: ${other.id} and ${id} differ at 0x${zxid.toString(16)}`);
      }
    }
    return this.ledger.violations;
  }
}
