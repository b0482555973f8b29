// One replica in the simulated world: the real replica machine with its effects provided over the
// memory network (real peer codec) and the simulated storage, hosting a real server core (data
// tree, session machines, replicated write pipeline) on the replica's own simulated clock. This
// is the simulator's composition root for one replica; actors/replica-runtime.ts is production's.
import { pino } from 'pino';
import { createActor, type Actor, type SimulatedClock } from 'xstate';
import { resolveConfig } from '../actors/config/config.js';
import {
  announceToCore,
  applyCommittedTxns,
  coreRoleOf,
  DeferredHostWork,
  leaderStatisticsOf,
  revalidation,
  type ReplicaIdentity,
} from '../actors/replica/serving.js';
import { ReplicatedPipeline, type ReplicaPort } from '../actors/replica/pipeline.js';
import { ServerCore } from '../actors/server/server-core.js';
import type { ElectionTiming } from '../machines/election.js';
import type { ForwardedTxnRequest } from '../machines/replica-context.js';
import {
  peerEventOf,
  replicaMachine,
  type ReplicaEvent,
  type ReplicaTiming,
  type RoleAnnouncement,
  type SyncStreamParams,
} from '../machines/replica.js';
import { decodePeerMessage, encodePeerMessage } from '../protocol/peer-codec.js';
import type { PeerMessage, ServerId, SessionTouch, TreeSnapshot, Zxid } from '../protocol/peer.js';
import { openSyncStream, syncStreamMessages } from '../protocol/sync-stream.js';
import { MemoryTxnLog } from '../storage/log.js';
import { restoreTree, snapshotOfTree } from '../storage/peer-snapshot.js';
import type { MemoryNetwork } from '../transport/memory.js';
import type { Transport } from '../transport/transport.js';
import type { DataTree } from '../tree/data-tree.js';
import type { Txn, TxnBody } from '../protocol/txn.js';
import type { CommitLedger } from './invariants.js';
import type { SimulatedStorage } from './storage.js';
import { epochOfZxid } from '../protocol/zxid.js';

export type ReplicaMachine = typeof replicaMachine;

export interface ReplicaHostOptions {
  id: ServerId;
  voters: readonly ServerId[];
  network: MemoryNetwork;
  /** This replica's own clock: a paused replica's clock stands still (sim/cluster.ts). */
  clock: SimulatedClock;
  storage: SimulatedStorage;
  ledger: CommitLedger;
  timing: ReplicaTiming;
  electionTiming?: Partial<ElectionTiming>;
  /** The machine to run: the real one, or a deliberately broken variant. */
  machine?: ReplicaMachine;
  /** Told of every role this replica announces (leaders per epoch, traces). */
  onRole?: (id: ServerId, role: RoleAnnouncement) => void;
  /** Told of every peer frame this replica receives, decoded (traces). */
  onMessage?: (from: ServerId, to: ServerId, message: PeerMessage) => void;
}

/** The last zxid of each epoch among `zxids` (ascending). */
function epochEndsOf(zxids: readonly Zxid[]): Zxid[] {
  const ends = new Map<number, Zxid>();
  for (const zxid of zxids) ends.set(epochOfZxid(zxid), zxid);
  return [...ends.values()].sort((first, second) => first - second);
}

/** `{ leading: { phase: 'broadcast', liveness: 'ticking' } }` → its leaf paths, dotted. */
export function leafPathsOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => leafPathsOf(child, `${prefix}${key}.`));
}

const silentLogger = pino({ level: 'silent' });

/** A server configuration for a simulated replica: its tick, nothing on any port. */
function simulatedSettings(timing: ReplicaTiming) {
  return resolveConfig(
    { dataDir: '/simulated', clientPort: 1, tickTimeMs: timing.tickMs },
    { log: { info: () => undefined, warn: () => undefined } },
  );
}

export class SimReplica implements ReplicaPort {
  readonly id: ServerId;
  readonly core: ServerCore;
  readonly pipeline: ReplicatedPipeline;
  role: RoleAnnouncement = { state: 'looking', leaderId: null, epoch: 0, serving: false };
  /** When this replica last began to serve as leader (mntr's zk_leader_uptime). */
  private leadingSinceMs = 0;
  /** Every sync plan this replica (as leader) chose, for tests to assert on. */
  readonly syncPlans: Array<{ to: ServerId; mode: SyncStreamParams['plan']['mode'] }> = [];
  readonly actor: Actor<ReplicaMachine>;
  private readonly transport: Transport;
  /** Every leaf state path (`leading.phase.broadcast`) this replica has been in. */
  readonly visited = new Set<string>();
  /** Highest zxid this incarnation reported to the ledger. */
  private ledgerZxid = 0;
  private readonly hostWork = new DeferredHostWork();

  constructor(private readonly options: ReplicaHostOptions) {
    this.id = options.id;
    this.transport = options.network.transport(options.id);
    this.pipeline = new ReplicatedPipeline(this);
    const clock = options.clock;
    const settings = simulatedSettings(options.timing);
    this.core = new ServerCore(settings, silentLogger, new MemoryTxnLog(), {
      pipeline: () => this.pipeline,
      serverId: options.id,
      clock,
      now: () => clock.now(),
    });
    this.core.role = coreRoleOf(this.role, this.identity());
    this.rebuildTree();
    const durable = options.storage.durable;
    const snapshotZxids = durable.snapshot === null ? [] : [durable.snapshot.zxid];
    const zxids = [...snapshotZxids, ...durable.log.map((txn) => txn.zxid)];
    const input = {
      myId: options.id,
      voters: options.voters,
      acceptedEpoch: durable.acceptedEpoch,
      currentEpoch: durable.currentEpoch,
      lastZxid: zxids[zxids.length - 1] ?? 0,
      firstZxid: zxids[0] ?? 0,
      epochEnds: epochEndsOf(zxids),
      timing: options.timing,
      electionTiming: options.electionTiming,
    };
    const machine = (options.machine ?? replicaMachine).provide({ actions: this.effects() });
    this.actor = createActor(machine, { input, clock });
    this.actor.subscribe({
      next: (snapshot) => {
        for (const path of leafPathsOf(snapshot.value)) this.visited.add(path);
      },
      // The machine stopped on an assertion: the invariants report it (sim/sim-invariants.ts).
      error: () => undefined,
    });
    this.transport.on('frame', (from, frame) => this.receive(from, frame));
    this.transport.on('connected', (peer) => this.send({ type: 'peer.connected', peer }));
    this.transport.on('disconnected', (peer) => this.send({ type: 'peer.disconnected', peer }));
  }

  /** The data tree clients read (the core's; a TRUNC or SNAP replaces it). */
  get tree(): DataTree {
    return this.core.tree;
  }

  start(): void {
    this.actor.start();
  }

  /** Crash: the machine and the sessions stop, connections break, storage keeps what it must. */
  crash(keepUnflushed = 0): void {
    this.actor.stop();
    this.core.sessions.stopAll();
    this.pipeline.failAll('the replica crashed');
    this.transport.close({ reason: 'closed', detail: 'crash' });
    this.options.storage.crash(keepUnflushed);
  }

  /** Makes up to `count` queued writes durable and tells the machine. */
  flushStorage(count?: number): number {
    const events = this.options.storage.flush(count);
    for (const event of events) this.send(event);
    return events.length;
  }

  send(event: ReplicaEvent): void {
    this.actor.send(event);
    this.hostWork.run();
  }

  /** Runs the host work a timer-driven transition left (the harness calls it after time moves). */
  runHostWork(): void {
    this.hostWork.run();
  }

  get storage(): SimulatedStorage {
    return this.options.storage;
  }

  get clock(): SimulatedClock {
    return this.options.clock;
  }

  isServing(): boolean {
    return this.role.serving;
  }

  /** A request reaches the machine after whatever transition asked for it (a session expiry). */
  submit(sessionId: bigint, cxid: number, body: TxnBody): void {
    const time = this.options.clock.now();
    const requests = [{ sessionId, cxid, time, body }];
    this.hostWork.defer(() => this.send({ type: 'client.requests', requests }));
  }

  submitRevalidation(sessionId: bigint, timeoutMs: number): void {
    this.hostWork.defer(() => this.send({ type: 'client.revalidate', sessionId, timeoutMs }));
  }

  submitSync(sessionId: bigint, cxid: number, path: string): void {
    this.hostWork.defer(() => this.send({ type: 'client.sync', sessionId, cxid, path }));
  }

  private receive(from: ServerId, frame: Uint8Array): void {
    const decoded = decodePeerMessage(frame);
    if (!decoded.ok) throw decoded.error;
    const message = decoded.message;
    this.options.onMessage?.(from, this.id, message);
    if (message.type === 'ping' && this.role.state !== 'leading') {
      // The PING reply carries the sessions this replica's clients used since the last one.
      const touches = this.core.sessions.drainTouches();
      if (touches.length > 0) this.send({ type: 'sessions.touched', touches });
    }
    this.send(peerEventOf(from, message));
  }

  private identity(): ReplicaIdentity {
    return {
      myId: this.id,
      voters: this.options.voters,
      isObserver: !this.options.voters.includes(this.id),
      leaderStatistics: () =>
        leaderStatisticsOf(this.actor?.getSnapshot().context.leader, this.leadingSinceMs),
    };
  }

  /** ZooKeeper's restart: the snapshot, then every logged txn (committed or not) replayed. */
  private rebuildTree(throughZxid = Number.POSITIVE_INFINITY): void {
    const view = this.options.storage.view;
    const tree = this.core.emptyTree();
    if (view.snapshot !== null) restoreTree(tree, view.snapshot.snapshot);
    for (const txn of view.log) if (txn.zxid <= throughZxid) tree.apply(txn);
    this.core.replaceTree(tree);
  }

  private sendPeer(to: ServerId, message: PeerMessage): void {
    this.transport.send(to, encodePeerMessage(message));
  }

  private applyCommitted(zxid: Zxid): void {
    const view = this.options.storage.view;
    const known = view.log[view.log.length - 1]?.zxid ?? view.snapshot?.zxid ?? 0;
    if (zxid > known) this.options.ledger.violate(`replica ${this.id} commits unknown ${zxid}`);
    const ready = view.log.filter((txn) => txn.zxid <= zxid && txn.zxid > this.tree.lastZxid);
    applyCommittedTxns(this.core, this.pipeline, ready);
    for (const txn of view.log) {
      if (txn.zxid > zxid) break;
      if (txn.zxid > this.ledgerZxid) this.options.ledger.record(this.id, txn);
    }
    this.ledgerZxid = Math.max(this.ledgerZxid, zxid);
  }

  private sendSyncStream({ to, plan, committedZxid, throughZxid }: SyncStreamParams): void {
    this.syncPlans.push({ to, mode: plan.mode });
    const opening = openSyncStream(plan, committedZxid, () => ({
      zxid: this.tree.lastZxid,
      snapshot: snapshotOfTree(this.tree),
    }));
    this.sendPeer(to, opening.message);
    const afterZxid = opening.afterZxid;
    const stream = this.options.storage.view.log.filter(
      (txn) => txn.zxid > afterZxid && txn.zxid <= throughZxid,
    );
    for (const message of syncStreamMessages(stream, committedZxid)) this.sendPeer(to, message);
  }

  private announceRole(role: RoleAnnouncement): void {
    const wasLeading = this.role.serving && this.role.state === 'leading';
    if (role.serving && role.state === 'leading' && !wasLeading) {
      this.leadingSinceMs = this.options.clock.now();
    }
    this.role = role;
    announceToCore(this.core, this.pipeline, role, this.identity());
    this.options.onRole?.(this.id, role);
  }

  private effects() {
    const storage = this.options.storage;
    return {
      sendPeerMessage: (_: unknown, { to, message }: { to: ServerId; message: PeerMessage }) =>
        this.sendPeer(to, message),
      connectToLeader: () => undefined,
      persistAcceptedEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        storage.write({ kind: 'epoch', which: 'accepted', epoch }),
      persistCurrentEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        storage.write({ kind: 'epoch', which: 'current', epoch }),
      appendProposals: (_: unknown, { txns }: { txns: Txn[] }) => {
        for (const txn of txns) storage.write({ kind: 'append', txn });
      },
      truncateLog: (_: unknown, { zxid }: { zxid: Zxid }) => {
        storage.write({ kind: 'truncate', zxid });
        if (this.tree.lastZxid > zxid) this.rebuildTree(zxid);
      },
      loadSnapshot: (_: unknown, { zxid, snapshot }: { zxid: Zxid; snapshot: TreeSnapshot }) => {
        storage.write({ kind: 'snapshot', zxid, snapshot });
        const tree = this.core.emptyTree();
        restoreTree(tree, snapshot);
        this.core.replaceTree(tree);
      },
      applyCommitted: (_: unknown, { zxid }: { zxid: Zxid }) =>
        this.hostWork.defer(() => this.applyCommitted(zxid)),
      sendSyncStream: (_: unknown, params: SyncStreamParams) => this.sendSyncStream(params),
      acceptForwardedRequests: (
        _: unknown,
        { requests }: { from: ServerId; requests: ForwardedTxnRequest[] },
      ) => {
        const time = this.options.clock.now();
        const entries = requests.map((request) => ({ ...request, time }));
        this.hostWork.defer(() => this.send({ type: 'client.requests', requests: entries }));
      },
      announceRole: (_: unknown, role: RoleAnnouncement) =>
        this.hostWork.defer(() => this.announceRole(role)),
      touchSessions: (_: unknown, { touches }: { touches: SessionTouch[] }) =>
        this.hostWork.defer(() => {
          for (const touch of touches) this.core.sessions.touchRemote(touch.sessionId);
        }),
      answerSync: (_: unknown, { sessionId, cxid }: { sessionId: bigint; cxid: number }) =>
        this.hostWork.defer(() => this.pipeline.syncAnswered(sessionId, cxid)),
      revalidateSession: (_: unknown, params: { from: ServerId; sessionId: bigint }) =>
        this.hostWork.defer(() => this.send(revalidation(this.core, params))),
      sessionRevalidated: (
        _: unknown,
        { sessionId, valid }: { sessionId: bigint; valid: boolean },
      ) =>
        this.hostWork.defer(() => this.pipeline.revalidated(sessionId, valid)),
    };
  }
}
