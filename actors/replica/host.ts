// The one replica host: the pure replica machine (machines/replica.ts) with its effects performed
// over whatever world it runs in (actors/replica/world.ts): peer frames decoded into events, the
// outbox that streams a learner's sync, requests batched per turn of the event loop, the log's
// group commit, and the server core that clients talk to. Production and the simulator construct
// this same class (TigerBeetle's ReplicaType shape) and differ only in the world they pass.
import { constants } from 'node:buffer';
import { createActor, type Actor } from 'xstate';
import type { ClientRequestEntry, ForwardedTxnRequest } from '../../machines/replica-context.js';
import { describeQuorumRule, type QuorumRule } from '../../machines/quorum.js';
import type { VersionedMembership } from '../../protocol/membership.js';
import { HostMembership } from './host-membership.js';
import { forwardedEntries, withReconfigVerdict } from './leader-stamps.js';
import {
  replicaMachine,
  type ReplicaEvent,
  type RoleAnnouncement,
  type SyncStreamParams,
} from '../../machines/replica.js';
import { peerProtocolVersion, type ServerId, type Zxid } from '../../protocol/peer.js';
import type { RequestBody, Txn } from '../../protocol/txn.js';
import { hex } from '../../protocol/zxid.js';
import type { Transport } from '../../transport/transport.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { ServerCore } from '../server/server-core.js';
import {
  hostedMachine,
  registerPerformer,
  type EffectHandlers,
  type ReplicaMachine,
} from './effects.js';
import type { ReplicaHostOptions } from './host-options.js';
import { receivePeerFrame, type PeerInboxParts } from './peer-inbox.js';
import { streamLearnerSync } from './learner-sync.js';
import { serveSiteSnapshot } from './site-snapshot.js';
import { ReplicaLog } from './log.js';
import { PeerFrames } from './peer-frames.js';
import { PeerOutbox, SnapAssembler, type OutboxPacing } from './outbox.js';
import { ReplicatedPipeline, type ReplicaPort } from './pipeline.js';
import {
  announceToCore,
  applyCommittedTxns,
  checkedForOwner,
  coreRoleOf,
  DeferredHostWork,
  leaderStatisticsOf,
  revalidation,
  type ReplicaIdentity,
} from './serving.js';
import type { ReplicaWorld } from './world.js';
import { countCommitted, countLogged, countSync, RoleMetrics } from './replica-metrics.js';
import {
  countDelegation,
  countFallback,
  countLearnerSync,
  opensSync,
} from './site-sync-metrics.js';
import {
  recordStartup,
  storageTimingsFor,
  type PeerLinkFigures,
} from '../server/statistics.js';
import { SnapshotAbortedError } from '../../storage/snapshot-file.js';

export type { HostObserver, ReplicaHostOptions } from './host-options.js';
export type { ReplicaMachine } from './effects.js';

type ReplicaActor = Actor<ReplicaMachine>;

/** The largest SNAP a learner accepts by default: as large as one Buffer may be (4 GiB). */
const snapshotBytesMaxDefault = Math.min(constants.MAX_LENGTH, 2 ** 32);
/** Requests handed to the machine in one `client.requests` at most. */
const requestsPerBatchMax = 1000;

export class ReplicaHost implements ReplicaPort {
  readonly pipeline = new ReplicatedPipeline(this);
  readonly myId: ServerId;
  private readonly membership: HostMembership;
  private core: ServerCore | undefined;
  private log: ReplicaLog | undefined;
  private network: Transport | undefined;
  private readonly outbox: PeerOutbox;
  private readonly snapAssembler: SnapAssembler;
  private readonly inbox: PeerInboxParts;
  private actor: ReplicaActor | undefined;
  private announced: RoleAnnouncement = {
    state: 'looking',
    leaderId: null,
    epoch: 0,
    serving: false,
  };
  /** When this replica last began to serve as leader (mntr's zk_leader_uptime). */
  private leadingSinceMs = 0;
  private readonly hostWork = new DeferredHostWork();
  private roleMetrics: RoleMetrics | undefined;
  private pendingRequests: ClientRequestEntry[] = [];
  private flushQueued = false;
  private halted = false;
  /** Frames from ids outside the configuration, dropped (the simulator's stranger counts them). */
  strangerFramesDropped = 0;
  private strangerWarnedAtMs = -Infinity;
  private readonly frames = new PeerFrames(
    (bytes) => this.core?.statistics.metrics.proposalSizes.record(bytes),
    () => this.options.protocolVersion ?? peerProtocolVersion);

  constructor(
    private readonly world: ReplicaWorld,
    private readonly options: ReplicaHostOptions,
  ) {
    this.myId = options.myId;
    this.membership = new HostMembership(options);
    this.snapAssembler = new SnapAssembler(options.snapshotBytesMax ?? snapshotBytesMaxDefault);
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
        this.announced.state === 'leading' ? [] : (this.core?.sessions.drainTouches() ?? []),
      deliver: (event) => this.send(event),
      heard: (from, message) => this.frames.heard(from, message),
      snapshotSource: () => this.actor?.getSnapshot().context.learner?.snapshotSource ?? null,
    };
    // Compaction purges the log's head: the leader must not plan a DIFF from those txns, even
    // in the moment before the purge is durable.
    world.storage.onPurge((firstZxid) => this.send({ type: 'storage.purged', firstZxid }));
  }

  get role(): RoleAnnouncement {
    return this.announced;
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

  /**
   * Recovers the logged state into `core` (the newest snapshot, then every logged txn, committed
   * or not, as ZooKeeper replays its log), then talks to peers and starts the machine.
   */
  async start(core: ServerCore): Promise<void> {
    const { storage, logger } = this.world;
    this.core = core;
    core.role = coreRoleOf(this.announced, this.identity());
    const metrics = core.statistics.metrics;
    const startedAt = performance.now();
    const restored = await storage.restoreInto(core.tree);
    const restoredAt = performance.now();
    const replayed = core.recover(storage, false);
    recordStartup(metrics, { snapshotMs: restoredAt - startedAt, txns: replayed,
      txnsMs: performance.now() - restoredAt });
    storage.observeTimings(storageTimingsFor(metrics));
    this.roleMetrics = new RoleMetrics(metrics, () => this.world.clock.now(), this.announced, {
      myId: this.myId,
      frequency: core.settings.ackLoggingFrequency,
      appliedZxid: () => core.tree.lastZxid,
    });
    metrics.peerQueues = () => this.peerQueues();
    // Until it serves, a replica's tree may hold a tail nobody committed: no snapshots of it.
    storage.detach();
    this.initConfigNode(core.tree);
    this.membership.seenAtStart(core.tree);
    logger.info(
      { snapshot: restored?.file, txns: replayed, zxid: hex(core.tree.lastZxid) },
      'recovered logged state',
    );
    this.log = new ReplicaLog(storage, this.logHost(core), logger);
    this.network = await this.world.openNetwork();
    this.listen(this.network);
    this.startMachine(core);
  }

  private startMachine(core: ServerCore): void {
    const { storage, logger } = this.world;
    const input = {
      myId: this.myId,
      voters: this.voters,
      quorum: this.quorum,
      ...this.membership.machineInput(),
      standaloneEnabled: this.options.standaloneEnabled ?? true,
      ...(this.options.protocolVersion === undefined
        ? {}
        : { protocolVersion: this.options.protocolVersion }),
      acceptedEpoch: storage.epochs.acceptedEpoch(),
      currentEpoch: storage.epochs.currentEpoch(),
      lastZxid: Math.max(storage.lastZxid(), core.tree.lastZxid),
      firstZxid: storage.firstZxid(),
      epochEnds: storage.epochEnds(),
      timing: this.options.timing,
      readOnlyModeEnabled: this.options.readOnlyModeEnabled ?? false,
      treeBroadcast: this.options.treeBroadcast ?? true,
      treeBroadcastDirectAcks: this.options.treeBroadcastDirectAcks ?? true,
      siteSync: this.options.siteSync ?? true,
      ...(this.options.electionTiming === undefined
        ? {}
        : { electionTiming: this.options.electionTiming }),
    };
    const { acceptedEpoch, currentEpoch } = input;
    const zxid = hex(input.lastZxid);
    const quorum = describeQuorumRule(this.quorum);
    const starting = { myId: this.myId, quorum, zxid, acceptedEpoch, currentEpoch };
    logger.info(starting, 'replica starting: looking for a leader');
    const handlers = this.effectHandlers();
    const performer = {
      handlers: this.options.decorateEffects?.(handlers, this) ?? handlers,
      defer: (work: () => void) => this.hostWork.defer(work),
    };
    const inspect = this.options.inspect;
    this.actor = createActor(hostedMachine(this.options.machine ?? replicaMachine), {
      input,
      clock: this.world.clock,
      ...(inspect === undefined ? {} : { inspect }),
    });
    registerPerformer(this.actor, performer);
    this.options.trackActor?.(this.actor);
    // An assertion inside the machine stops it: a replica must not go on serving without it.
    this.actor.subscribe({
      // The election ends when the machine decides its role, before any announcement.
      next: (snapshot) => this.roleMetrics?.machineMoved(snapshot.value),
      error: (error) => this.world.fail(error),
    });
    this.actor.start();
  }

  private logHost(core: ServerCore) {
    return {
      notify: (event: ReplicaEvent) => this.send(event),
      emptyTree: () => core.emptyTree(),
      // A SNAP may carry a reconfig its leader has not committed yet (it snapshots its tree
      // while synchronizing): its configuration is adopted once this replica serves, when the
      // tree is committed state (found by the simulator with reconfig: seed 3162).
      replaceTree: (tree: DataTree) => {
        this.initConfigNode(tree);
        core.replaceTree(tree);
      },
      currentTree: () => core.tree,
      fail: (error: unknown) => this.world.fail(error),
    };
  }

  /**
   * Clients read the ensemble's membership from /zookeeper/config, as from ZooKeeper's. A tree
   * whose node holds a configuration at least as new (a reconfig's, logged or in a snapshot)
   * keeps it: what was committed there outranks what this replica started with.
   */
  private initConfigNode(tree: DataTree): void {
    const text = this.options.configText;
    if (text === undefined) return;
    if (!this.membership.shouldInitConfigNode(tree)) return;
    const version = this.membership.membership.version;
    tree.initConfigNode(Buffer.from(text), version, this.world.clock.now());
  }

  /** The tree (recovered, or replaced by a SNAP) holds a newer configuration: it is the one. */
  private adoptTreeMembership(tree: DataTree, tellMachine: boolean): void {
    const held = this.membership.newerInTree(tree);
    if (held !== undefined) this.adoptMembership(held, tellMachine);
  }

  /**
   * A committed configuration newer than the active one: who is heard and who votes follow it,
   * the world persists it (the dynamic config file) and relinks its peers, and the machine is
   * told (`config.committed`).
   */
  private adoptMembership(
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
    if (this.core !== undefined) this.core.role = coreRoleOf(this.announced, this.identity());
    // On the next turn: the replies of what was just applied (the reconfig's own among them)
    // reach their clients before a change of leader (the machine's, or a link the world closes
    // to a removed peer) makes this replica drop them.
    this.world.nextTurn(() => {
      if (this.halted) return;
      this.world.membershipChanged?.(membership);
      if (tellMachine) this.send({ type: 'config.committed', membership });
    });
  }


  private listen(network: Transport): void {
    const isMember = (peer: ServerId) => this.membership.isHeard(peer);
    network.on('frame', (from, frame) => {
      if (isMember(from)) receivePeerFrame(this.inbox, from, frame);
      else this.dropStrangerFrame(from);
    });
    network.on('connected', (peer) => {
      if (isMember(peer)) this.send({ type: 'peer.connected', peer });
    });
    network.on('disconnected', (peer, cause) => {
      if (!isMember(peer)) return;
      this.world.logger.debug({ peer, cause }, 'peer link down');
      this.outbox.abort(peer);
      this.snapAssembler.forget(peer);
      this.send({ type: 'peer.disconnected', peer });
    });
  }

  private dropStrangerFrame(from: ServerId): void {
    this.strangerFramesDropped += 1;
    const nowMs = this.world.clock.now();
    if (nowMs - this.strangerWarnedAtMs < 1_000) return;
    this.strangerWarnedAtMs = nowMs;
    const dropped = this.strangerFramesDropped;
    this.world.logger.warn({ peer: from, dropped }, 'frame from an id outside the ensemble dropped');
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
    return this.activeMembership.servers
      .filter((server) => server.id !== this.myId)
      .map((server) => ({
        peer: server.id,
        queuedBytes: this.network?.linkState(server.id).queuedBytes ?? 0,
        framesSent: this.frames.sentTo(server.id).frames,
        bytesSent: this.frames.sentTo(server.id).bytes,
      }));
  }

  isServing(): boolean {
    return this.announced.serving;
  }

  /**
   * Requests are gathered for the rest of this turn of the event loop (everything read from the
   * clients meanwhile) and handed to the machine as one `client.requests`: a busy leader then
   * proposes them as one PROPOSAL batch and one log commit.
   */
  submit(sessionId: bigint, cxid: number, body: RequestBody): void {
    const leading = this.announced.serving && this.announced.state === 'leading';
    const checked = leading
      ? checkedForOwner(this.requireCore(), this.myId, sessionId, withReconfigVerdict(this.requireCore(), body))
      : body;
    this.pendingRequests.push({ sessionId, cxid, time: this.world.clock.now(), body: checked });
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.pendingRequests.length >= requestsPerBatchMax) this.flushRequests();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      this.world.nextTurn(() => this.flushRequests());
    }
  }

  private flushRequests(): void {
    this.flushQueued = false;
    if (this.pendingRequests.length === 0) return;
    const requests = this.pendingRequests;
    this.pendingRequests = [];
    const digest = this.core?.tree.digestToStamp();
    this.send(digest === undefined
      ? { type: 'client.requests', requests }
      : { type: 'client.requests', requests, digest });
  }

  submitRevalidation(sessionId: bigint, timeoutMs: number): void {
    this.send({ type: 'client.revalidate', sessionId, timeoutMs });
  }

  /** A sync follows the writes submitted before it (per-session order). */
  submitSync(sessionId: bigint, cxid: number, path: string): void {
    this.flushRequests();
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
          countLogged(core.statistics.metrics, this.announced, txns, this.world.clock.now());
        }
        this.requireLog().append(txns);
      },
      truncateLog: ({ zxid }) => this.requireLog().truncate(zxid),
      loadSnapshot: ({ zxid, snapshot }) => this.requireLog().loadSnapshot(zxid, snapshot),
      applyCommitted: ({ zxid }) => this.applyCommitted(zxid),
      acceptForwardedRequests: ({ from, requests }) => this.acceptForwarded(from, requests),
      announceRole: (role) => this.announceRole(role),
      touchSessions: ({ touches }) => {
        const sessions = this.requireCore().sessions;
        for (const touch of touches) sessions.touchRemote(touch.sessionId);
      },
      answerSync: ({ sessionId, cxid }) => this.pipeline.syncAnswered(sessionId, cxid),
      revalidateSession: (params) => this.send(revalidation(this.requireCore(), params)),
      sessionRevalidated: ({ sessionId, valid }) => this.pipeline.revalidated(sessionId, valid),
      activateConfig: ({ membership }) => this.adoptMembership(membership, false, true),
      // A relay's batch of its site's ACKs: whatever arrived in this turn goes as one RELAYACKS.
      scheduleRelayFlush: () => this.world.nextTurn(() => this.send({ type: 'relay.flush' })),
    };
  }

  /** A learner's REQUEST, stamped and checked as the leader orders it (leader-stamps.ts). */
  private acceptForwarded(from: ServerId, requests: readonly ForwardedTxnRequest[]): void {
    const entries = forwardedEntries(this.requireCore(), from, this.myId, requests,
      this.world.clock.now());
    for (const entry of entries) this.pendingRequests.push(entry);
    this.flushRequests();
  }


  /** COMMIT (or UPTODATE, or INFORM): apply in zxid order and answer this replica's clients. */
  private applyCommitted(zxid: Zxid): void {
    const log = this.requireLog();
    const txns = log.takeCommitted(zxid);
    const core = this.requireCore();
    countCommitted(core.statistics.metrics, this.announced, txns, this.world.clock.now());
    applyCommittedTxns(core, this.pipeline, txns);
    this.options.observer?.committed?.(zxid, txns, log.loggedZxid);
    for (const txn of txns) {
      if (txn.body.type !== 'reconfig') continue;
      this.adoptMembership({ ...txn.body.membership, version: txn.zxid }, true);
    }
  }

  private identity(): ReplicaIdentity {
    return {
      myId: this.myId,
      voters: this.voters,
      isObserver: !this.voters.includes(this.myId),
      leaderServes: this.options.leaderServes ?? true,
      leaderStatistics: () =>
        leaderStatisticsOf(this.actor?.getSnapshot().context.leader, this.leadingSinceMs),
    };
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

  private announceRole(role: RoleAnnouncement): void {
    const wasServing = this.announced.serving;
    const wasLeading = wasServing && this.announced.state === 'leading';
    if (role.serving && role.state === 'leading' && !wasLeading) {
      this.leadingSinceMs = this.world.clock.now();
      this.requireCore().sessions.forgetOwners();
    }
    this.roleMetrics?.announced(this.announced, role);
    this.announced = role;
    this.options.observer?.role?.(role);
    // Streams still running were for this replica's learners; it has none unless it leads.
    if (role.state !== 'leading') this.outbox.abortAll();
    const core = this.requireCore();
    const { logger, storage } = this.world;
    if (!announceToCore(core, this.pipeline, role, this.identity())) {
      if (wasServing) logger.warn({ state: role.state }, 'stopped serving: dropped its clients');
      storage.detach();
      return;
    }
    storage.attach(core.tree);
    // What the tree holds now is committed: a configuration it carries beyond the active one
    // (replayed at startup, or committed by this epoch's NEWLEADER) is the active one now.
    if (!wasServing) this.adoptTreeMembership(core.tree, true);
    if (!wasServing) this.snapshotBeforeServing(role.state === 'leading');
    logger.info(
      { state: role.state, leader: role.leaderId, epoch: role.epoch, zxid: hex(core.tree.lastZxid) },
      `serving as ${core.role.role}`,
    );
  }

  /** ZooKeeper snapshots as a leader starts leading, and as a learner serves after a TRUNC or
   * SNAP (see ReplicaStorage.snapshotBeforeServing); a failure costs a longer replay only. */
  private snapshotBeforeServing(leading: boolean): void {
    const { logger, storage } = this.world;
    storage.snapshotBeforeServing(leading).catch((error: unknown) => {
      if (error instanceof SnapshotAbortedError) return;
      logger.warn({ error: String(error) }, 'snapshot before serving failed');
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
