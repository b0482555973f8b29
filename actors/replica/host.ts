// The one replica host: the pure replica machine (machines/replica.ts) with its effects performed
// over whatever world it runs in (actors/replica/world.ts): peer frames decoded into events, the
// outbox that streams a learner's sync, requests batched per turn of the event loop, the log's
// group commit, and the server core that clients talk to. Production and the simulator construct
// this same class (TigerBeetle's ReplicaType shape) and differ only in the world they pass.
import type { Actor } from 'xstate';
import type { ForwardedTxnRequest } from '../../machines/replica-context.js';
import type { QuorumRule } from '../../machines/quorum.js';
import type { VersionedMembership } from '../../protocol/membership.js';
import { HostConfiguration } from './host-configuration.js';
import { HostRole } from './host-role.js';
import { HostMembership } from './host-membership.js';
import { forwardedEntries, withReconfigVerdict } from './leader-stamps.js';
import type { ReplicaEvent, RoleAnnouncement, SyncStreamParams } from '../../machines/replica.js';
import { peerProtocolVersion, type ServerId, type Zxid } from '../../protocol/peer.js';
import type { RequestBody, Txn } from '../../protocol/txn.js';
import { hex } from '../../protocol/zxid.js';
import type { Transport } from '../../transport/transport.js';
import type { ServerCore } from '../server/server-core.js';
import type { EffectHandlers, ReplicaMachine } from './effects.js';
import {
  createReplicaActor,
  logReplicaStarting,
  recoverLoggedState,
  replicaLogHost,
  replicaInputOf,
} from './host-start.js';
import type { ReplicaHostOptions } from './host-options.js';
import type { PeerInboxParts } from './peer-inbox.js';
import { PeerListener } from './peer-listener.js';
import { streamLearnerSync } from './learner-sync.js';
import { serveSiteSnapshot } from './site-snapshot.js';
import { ReplicaLog } from './log.js';
import { PeerFrames } from './peer-frames.js';
import { PeerOutbox, type OutboxPacing } from './outbox.js';
import { SnapAssembler } from './snap-assembler.js';
import { ReplicatedPipeline, type ReplicaPort } from './pipeline.js';
import { RequestBatches } from './request-batches.js';
import {
  applyCommittedTxns,
  checkedForOwner,
  coreRoleOf,
  DeferredHostWork,
  revalidation,
} from './serving.js';
import type { ReplicaWorld } from './world.js';
import { countCommitted, countLogged, countSync, RoleMetrics } from './replica-metrics.js';
import {
  countDelegation,
  countFallback,
  countLearnerSync,
  opensSync,
} from './site-sync-metrics.js';
import type { PeerLinkFigures } from '../server/statistics.js';

export type { HostObserver, ReplicaHostOptions } from './host-options.js';
export type { ReplicaMachine } from './effects.js';

type ReplicaActor = Actor<ReplicaMachine>;

/** The largest SNAP a learner accepts by default: unbounded (as ZooKeeper's). Its pieces are kept
 * apart, never joined into one Buffer (which holds at most 4 GiB), and restored as they come. */
const snapshotBytesMaxDefault = Number.MAX_SAFE_INTEGER;

export class ReplicaHost implements ReplicaPort {
  readonly pipeline = new ReplicatedPipeline(this);
  readonly myId: ServerId;
  private readonly membership: HostMembership;
  /** Adopts configurations into `membership`: committed reconfigs, and newer ones in a tree. */
  private readonly configuration: HostConfiguration;
  private core: ServerCore | undefined;
  private log: ReplicaLog | undefined;
  private network: Transport | undefined;
  private readonly outbox: PeerOutbox;
  private readonly snapAssembler: SnapAssembler;
  private readonly inbox: PeerInboxParts;
  private readonly peers: PeerListener;
  private actor: ReplicaActor | undefined;
  /** The role last announced, and what an announcement changes. */
  private readonly roles: HostRole;
  private readonly hostWork = new DeferredHostWork();
  private roleMetrics: RoleMetrics | undefined;
  /** Client requests gathered per turn of the event loop, handed over as one batch. */
  private readonly requests = new RequestBatches(
    (work) => this.world.nextTurn(work),
    () => this.core?.tree.digestToStamp(),
    (event) => this.send(event));
  private halted = false;
  private readonly frames = new PeerFrames(
    (bytes) => this.core?.statistics.metrics.proposalSizes.record(bytes),
    () => this.options.protocolVersion ?? peerProtocolVersion);

  constructor(
    private readonly world: ReplicaWorld,
    private readonly options: ReplicaHostOptions,
  ) {
    this.myId = options.myId;
    this.membership = new HostMembership(options);
    this.configuration = new HostConfiguration(this.membership, world, options, {
      isHalted: () => this.halted,
      send: (event) => this.send(event),
      refreshCoreRole: () => {
        if (this.core !== undefined) this.core.role = coreRoleOf(this.role, this.roles.identity());
      },
    });
    // A SNAP is restored into a new tree as its pieces come (snap-assembler.ts).
    this.snapAssembler = new SnapAssembler(options.snapshotBytesMax ?? snapshotBytesMaxDefault,
      () => this.core?.emptyTree());
    const pacing: OutboxPacing = {
      nextTurn: () => new Promise((resolve) => world.nextTurn(() => resolve())),
      sleep: (ms) => new Promise((resolve) => world.clock.setTimeout(() => resolve(), ms)),
      ...options.pacing,
    };
    const transport = {
      send: (to: ServerId, frame: Uint8Array) => this.network?.send(to, frame),
      linkState: (peer: ServerId) =>
        this.network?.linkState(peer) ?? { state: 'idle', queuedBytes: 0 },
    };
    const create = options.createOutbox ?? ((...parameters) => new PeerOutbox(...parameters));
    this.outbox = create(transport, world.logger, pacing);
    this.inbox = {
      outbox: this.outbox,
      snapAssembler: this.snapAssembler,
      logger: world.logger,
      ...(options.observer?.message === undefined ? {} : { observe: options.observer.message }),
      drainTouches: () =>
        this.role.state === 'leading' ? [] : (this.core?.sessions.drainTouches() ?? []),
      deliver: (event) => this.send(event),
      heard: (from, message) => this.frames.heard(from, message),
      snapshotSource: () => this.actor?.getSnapshot().context.learner?.snapshotSource ?? null,
      snapshotSenders: () => {
        const learner = this.actor?.getSnapshot().context.learner;
        if (learner === null || learner === undefined) return [];
        const { leaderId, snapshotSource } = learner;
        return snapshotSource === null ? [leaderId] : [leaderId, snapshotSource];
      },
    };
    this.roles = new HostRole({
      myId: this.myId,
      membership: this.membership,
      configuration: this.configuration,
      options,
      world,
      outbox: this.outbox,
      pipeline: this.pipeline,
      core: () => this.requireCore(),
      leader: () => this.actor?.getSnapshot().context.leader,
      roleMetrics: () => this.roleMetrics,
    });
    this.peers = new PeerListener(this.inbox, (peer) => this.membership.isHeard(peer),
      world.clock);
    // Compaction purges the log's head: the leader must not plan a DIFF from those txns, even
    // in the moment before the purge is durable.
    world.storage.onPurge((firstZxid) => this.send({ type: 'storage.purged', firstZxid }));
  }

  get role(): RoleAnnouncement {
    return this.roles.announced;
  }

  get voters(): readonly ServerId[] {
    return this.membership.voters;
  }

  get quorum(): QuorumRule {
    return this.membership.quorum;
  }

  /** The active membership, with its version (the zxid of the reconfig that made it). */
  get activeMembership(): VersionedMembership {
    return this.membership.membership;
  }

  /** The machine's actor once started (inspection, the simulator's visited states). */
  get machineActor(): ReplicaActor | undefined {
    return this.actor;
  }

  /** ServerCoreOptions for the server this replica hosts. */
  coreOptions() {
    return { pipeline: () => this.pipeline, serverId: this.myId,
      nextTurn: (work: () => void) => this.world.nextTurn(work) };
  }

  /** Recovers the logged state into `core` (recoverLoggedState), then talks to peers and starts
   * the machine. */
  async start(core: ServerCore): Promise<void> {
    const { storage, logger } = this.world;
    this.core = core;
    core.role = coreRoleOf(this.role, this.roles.identity());
    const metrics = core.statistics.metrics;
    const { restored, replayed } = await recoverLoggedState(core, storage);
    this.roleMetrics = new RoleMetrics(metrics, () => this.world.clock.now(), this.role, {
      myId: this.myId,
      frequency: core.settings.ackLoggingFrequency,
      appliedZxid: () => core.tree.lastZxid,
    });
    metrics.peerQueues = () => this.peerQueues();
    metrics.strangerFramesDropped = () => this.peers.strangerFramesDropped;
    // Until it serves, a replica's tree may hold a tail nobody committed: no snapshots of it.
    storage.detach();
    this.configuration.initConfigNode(core.tree);
    this.membership.seenAtStart(core.tree);
    logger.info(
      { snapshot: restored?.file, txns: replayed, zxid: hex(core.tree.lastZxid) },
      'recovered logged state',
    );
    const logHost = replicaLogHost(core, this.configuration, this.world,
      (event) => this.send(event), (snapshot) => this.snapAssembler.takeRestored(snapshot));
    this.log = new ReplicaLog(storage, logHost, logger);
    this.network = await this.world.openNetwork();
    this.peers.listen(this.network);
    this.startMachine(core);
  }

  private startMachine(core: ServerCore): void {
    const { storage, logger } = this.world;
    const input = replicaInputOf(this.myId, this.membership, this.options, storage,
      core.tree.lastZxid);
    logReplicaStarting(logger, input, this.quorum);
    const handlers = this.effectHandlers();
    const performer = {
      handlers: this.options.decorateEffects?.(handlers, this) ?? handlers,
      defer: (work: () => void) => this.hostWork.defer(work),
    };
    this.actor = createReplicaActor(this.options, input, this.world.clock, performer);
    // An assertion inside the machine stops it: a replica must not go on serving without it.
    this.actor.subscribe({
      // The election ends when the machine decides its role, before any announcement.
      next: (snapshot) => this.roleMetrics?.machineMoved(snapshot.value),
      error: (error) => this.world.fail(error),
    });
    this.actor.start();
  }

  /** Hands an event to the machine, then runs the host work its transition left. */
  send(event: ReplicaEvent): void {
    if (this.halted) return;
    this.roleMetrics?.delivered(event);
    if (this.core !== undefined && opensSync(event)) {
      countLearnerSync(this.core.statistics.metrics, event,
        this.actor?.getSnapshot().context.learner);
    }
    this.actor?.send(event);
    this.hostWork.run();
  }

  /** Runs host work a timer-driven transition left (it would otherwise run on a microtask). */
  runHostWork(): void {
    this.hostWork.run();
  }

  /** Bytes waiting on each peer's link (corral_peer_queue_bytes), and the machine's frames and
   * bytes sent on it (corral_peer_sent_frames / _bytes). */
  peerQueues(): PeerLinkFigures[] {
    const peers = this.activeMembership.servers.filter((server) => server.id !== this.myId);
    return this.frames.linkFigures(peers.map((server) => server.id),
      (peer) => this.network?.linkState(peer).queuedBytes ?? 0);
  }

  isServing(): boolean {
    return this.role.serving;
  }

  /**
   * Requests are gathered for the rest of this turn of the event loop (everything read from the
   * clients meanwhile) and handed to the machine as one `client.requests`: a busy leader then
   * proposes them as one PROPOSAL batch and one log commit.
   */
  submit(sessionId: bigint, cxid: number, body: RequestBody): void {
    const leading = this.role.serving && this.role.state === 'leading';
    const checked = leading
      ? checkedForOwner(this.requireCore(), this.myId, sessionId,
        withReconfigVerdict(this.requireCore(), body))
      : body;
    this.requests.add({ sessionId, cxid, time: this.world.clock.now(), body: checked });
  }

  submitRevalidation(sessionId: bigint, timeoutMs: number): void {
    this.send({ type: 'client.revalidate', sessionId, timeoutMs });
  }

  /** A sync follows the writes submitted before it (per-session order). */
  submitSync(sessionId: bigint, cxid: number, path: string): void {
    this.requests.flushRequests();
    this.send({ type: 'client.sync', sessionId, cxid, path });
  }

  private requireCore(): ServerCore {
    if (this.core === undefined) throw new Error('replica host: not started');
    return this.core;
  }

  private requireLog(): ReplicaLog {
    if (this.log === undefined) throw new Error('replica host: not started');
    return this.log;
  }

  /** Every effect the replica machine names; when each runs is effects.ts's effectStages. */
  private effectHandlers(): EffectHandlers {
    return {
      sendPeerMessage: ({ to, message }) => {
        if (message.type === 'snapFrom') countDelegation(this.requireCore().statistics.metrics);
        this.outbox.send(to, this.frames.frameTo(to, message));
      },
      // The transport dials on the first frame sent to the leader.
      connectToLeader: () => undefined,
      sendSyncStream: (params) => this.sendSyncStream(params),
      serveSnapshot: ({ to, committedZxid }) => serveSiteSnapshot(to, committedZxid, {
        tree: this.requireCore().tree, outbox: this.outbox, logger: this.world.logger,
      }),
      persistAcceptedEpoch: ({ epoch }) => this.requireLog().persistEpoch('accepted', epoch),
      persistCurrentEpoch: ({ epoch }) => this.requireLog().persistEpoch('current', epoch),
      appendProposals: ({ txns }) => {
        const core = this.core;
        if (core !== undefined) {
          countLogged(core.statistics.metrics, this.role, txns, this.world.clock.now());
        }
        this.requireLog().append(txns);
      },
      truncateLog: ({ zxid }) => this.requireLog().truncate(zxid),
      loadSnapshot: ({ zxid, snapshot }) => this.requireLog().loadSnapshot(zxid, snapshot),
      applyCommitted: ({ zxid }) => this.applyCommitted(zxid),
      acceptForwardedRequests: ({ from, requests }) => this.acceptForwarded(from, requests),
      announceRole: (role) => this.roles.announce(role),
      touchSessions: ({ touches }) => {
        const sessions = this.requireCore().sessions;
        for (const touch of touches) sessions.touchRemote(touch.sessionId);
      },
      answerSync: ({ sessionId, cxid }) => this.pipeline.syncAnswered(sessionId, cxid),
      revalidateSession: (params) => this.send(revalidation(this.requireCore(), params)),
      sessionRevalidated: ({ sessionId, valid }) => this.pipeline.revalidated(sessionId, valid),
      activateConfig: ({ membership }) =>
        this.configuration.adoptMembership(membership, false, true),
      // A relay's batch of its site's ACKs: whatever arrived in this turn goes as one RELAYACKS.
      scheduleRelayFlush: () => this.world.nextTurn(() => this.send({ type: 'relay.flush' })),
    };
  }

  /** A learner's REQUEST, stamped and checked as the leader orders it (leader-stamps.ts). */
  private acceptForwarded(from: ServerId, requests: readonly ForwardedTxnRequest[]): void {
    const entries = forwardedEntries(this.requireCore(), from, this.myId, requests,
      this.world.clock.now());
    this.requests.addAndFlush(entries);
  }

  /** COMMIT (or UPTODATE, or INFORM): apply in zxid order and answer this replica's clients. */
  private applyCommitted(zxid: Zxid): void {
    const log = this.requireLog();
    const txns = log.takeCommitted(zxid);
    const core = this.requireCore();
    countCommitted(core.statistics.metrics, this.role, txns, this.world.clock.now());
    applyCommittedTxns(core, this.pipeline, txns);
    this.options.observer?.committed?.(zxid, txns, log.loggedZxid);
    for (const txn of txns) {
      if (txn.body.type !== 'reconfig') continue;
      this.configuration.adoptMembership({ ...txn.body.membership, version: txn.zxid }, true);
    }
  }

  /** Zab 2.1 (LearnerHandler.syncFollower), streamed through the outbox (learner-sync.ts). */
  private sendSyncStream(params: SyncStreamParams): void {
    this.options.observer?.syncPlanned?.(params);
    countSync(this.requireCore().statistics.metrics, params);
    countFallback(this.requireCore().statistics.metrics, params,
      this.actor?.getSnapshot().context.leader);
    streamLearnerSync(params, {
      tree: this.requireCore().tree,
      log: this.requireLog(),
      storage: this.world.storage,
      outbox: this.outbox,
      logger: this.world.logger,
    });
  }

  /**
   * Stops the machine and the peer links (a shutdown, or the simulator's crash): nothing more is
   * sent or handed to the machine; storage finishes what it was asked (see settled).
   */
  halt(): void {
    this.halted = true;
    this.actor?.stop();
    this.network?.close({ reason: 'closed', detail: 'shutdown' });
    this.pipeline.failAll('the replica stopped');
  }

  /** The history this replica's log holds now (see ReplicaLog.history). */
  loggedHistory(): { fromZxid: Zxid; txns: Txn[] } {
    return this.requireLog().history();
  }

  /** Resolves once every storage request asked so far is done. */
  async settled(): Promise<void> {
    await this.log?.settled();
  }
}
