// Production's composition root for one ensemble replica: the replica machine (machines/replica)
// with its effects provided over TCP (transport/tcp-peer), LMDB (storage/, via ReplicaLog) and the
// wall clock, wired to the server core that clients talk to. The simulator builds the same
// machine over its memory network and simulated storage (sim/replica-host.ts).

import { constants } from 'node:buffer';
import type { Logger } from 'pino';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { ElectionTiming } from '../../machines/election.js';
import type { ClientRequestEntry, ForwardedTxnRequest } from '../../machines/replica-context.js';
import {
  peerEventOf,
  replicaMachine,
  type ReplicaEvent,
  type RoleAnnouncement,
  type SyncStreamParams,
} from '../../machines/replica.js';
import { decodePeerMessage, encodePeerMessage } from '../../protocol/peer-codec.js';
import type {
  PeerMessage,
  ServerId,
  SessionTouch,
  TreeSnapshot,
  Zxid,
} from '../../protocol/peer.js';
import { streamLearnerSync } from './learner-sync.js';
import { PeerOutbox, SnapAssembler } from './outbox.js';
import type { ReplicaStorage, SnapshotTaken } from '../../storage/replica-storage.js';
import { createTcpTransport, type TcpTransport } from '../../transport/tcp-peer.js';
import type { DataTree } from '../../tree/data-tree.js';
import type { Txn, TxnBody } from '../../protocol/txn.js';
import { ensembleConfigText } from '../config/ensemble.js';
import type { ServerConfig } from '../config/config.js';
import { ReplicaLog } from './log.js';
import { hex } from '../../protocol/zxid.js';
import {
  announceToCore,
  applyCommittedTxns,
  coreRoleOf,
  DeferredHostWork,
  leaderStatisticsOf,
  revalidation,
  type ReplicaIdentity,
} from './serving.js';
import { ReplicatedPipeline, type ReplicaPort } from './pipeline.js';
import type { ServerCore } from '../server/server-core.js';

/**
 * A SNAP carries the whole tree as one peer message (the transport cuts it into 4 MiB wire
 * frames), so it bounds the tree a learner can be brought up with. The send queue must hold a
 * SNAP and what is proposed while it drains, and a DIFF may queue a long log tail.
 */
const peerFrameBytesMax = 1024 * 1024 * 1024;
const peerSendQueueBytesMax = peerFrameBytesMax + 512 * 1024 * 1024;
/** The largest SNAP a learner accepts: as large as one Buffer may be (4 GiB). */
const snapshotBytesMax = Math.min(constants.MAX_LENGTH, 2 ** 32);
/** Requests handed to the machine in one `client.requests` at most. */
const requestsPerBatchMax = 1000;

export interface ReplicaRuntimeOptions {
  settings: ServerConfig;
  logger: Logger;
  storage: ReplicaStorage;
  inspect?: (event: InspectionEvent) => void;
  electionTiming?: Partial<ElectionTiming>;
  /** Storage failed under the replica: by default log and exit, so a supervisor restarts it. */
  onFatal?: (error: unknown) => never;
}

type ReplicaActor = Actor<typeof replicaMachine>;


export class ReplicaRuntime implements ReplicaPort {
  readonly pipeline = new ReplicatedPipeline(this);
  readonly myId: ServerId;
  readonly voters: ServerId[];
  private core: ServerCore | undefined;
  private log: ReplicaLog | undefined;
  private transport: TcpTransport | undefined;
  /** Every peer send goes through it, so a streamed SNAP keeps its place in the order. */
  private outbox: PeerOutbox | undefined;
  private readonly snapAssembler = new SnapAssembler(snapshotBytesMax);
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
  private pendingRequests: ClientRequestEntry[] = [];
  private flushQueued = false;
  /** The last message encoded: a leader sends the same PROPOSAL object to every follower. */
  private lastEncoded: { message: PeerMessage; frame: Buffer } | undefined;

  constructor(private readonly options: ReplicaRuntimeOptions) {
    const { settings } = options;
    if (settings.myId === undefined) throw new Error('an ensemble replica needs its myid');
    this.myId = settings.myId;
    this.voters = [...settings.servers.values()]
      .filter((server) => server.peerType === 'participant')
      .map((server) => server.id)
      .sort((first, second) => first - second);
  }

  get role(): RoleAnnouncement {
    return this.announced;
  }

  /** ServerCoreOptions for the server this replica hosts. */
  coreOptions() {
    return {
      pipeline: () => this.pipeline,
      serverId: this.myId,
    };
  }

  /** Compaction purged the log's head: the leader must not plan a DIFF from purged txns. */
  snapshotTaken(taken: SnapshotTaken): void {
    if (taken.purgedTxns === 0) return;
    this.send({ type: 'storage.purged', firstZxid: this.options.storage.firstZxid() });
  }

  /** Starts talking to peers; `core` holds the tree recovered from storage. */
  async start(core: ServerCore): Promise<void> {
    const { settings, logger, storage } = this.options;
    this.core = core;
    core.role = coreRoleOf(this.announced, this.identity());
    this.log = new ReplicaLog(
      storage,
      {
        notify: (event) => this.send(event),
        emptyTree: () => core.emptyTree(),
        replaceTree: (tree) => {
          this.initConfigNode(tree);
          core.replaceTree(tree);
        },
        currentTree: () => core.tree,
        fail: (error) => this.fail(error),
      },
      logger,
    );
    this.initConfigNode(core.tree);
    this.transport = await this.createTransport();
    const lastZxid = Math.max(storage.lastZxid(), core.tree.lastZxid);
    const input = {
      myId: this.myId,
      voters: this.voters,
      acceptedEpoch: storage.epochs.acceptedEpoch(),
      currentEpoch: storage.epochs.currentEpoch(),
      lastZxid,
      firstZxid: storage.firstZxid(),
      epochEnds: storage.epochEnds(),
      timing: {
        tickMs: settings.tickTimeMs,
        initLimitTicks: settings.initLimit,
        syncLimitTicks: settings.syncLimit,
      },
      ...(this.options.electionTiming === undefined
        ? {}
        : { electionTiming: this.options.electionTiming }),
    };
    logger.info(
      { myId: this.myId, voters: this.voters, zxid: hex(lastZxid), ...epochsOf(input) },
      'replica starting: looking for a leader',
    );
    const machine = replicaMachine.provide({ actions: this.effects() });
    this.actor = createActor(machine, {
      input,
      ...(this.options.inspect === undefined ? {} : { inspect: this.options.inspect }),
    });
    // An assertion inside the machine stops it: a replica must not go on serving without it.
    this.actor.subscribe({ error: (error) => this.fail(error) });
    this.actor.start();
  }

  /** Clients read the ensemble's membership from /zookeeper/config, as from ZooKeeper's. */
  private initConfigNode(tree: DataTree): void {
    const text = ensembleConfigText(this.options.settings.servers);
    tree.initConfigNode(Buffer.from(text), 0, Date.now());
  }

  private async createTransport(): Promise<TcpTransport> {
    const { settings, logger } = this.options;
    const own = settings.servers.get(this.myId)!;
    const peers = new Map(
      [...settings.servers.values()]
        .filter((server) => server.id !== this.myId)
        .map((server) => [server.id, { host: server.host, port: server.quorumPort }] as const),
    );
    const transport = await createTcpTransport({
      localId: this.myId,
      listen: { host: own.host, port: own.quorumPort },
      peers,
      frameBytesMax: peerFrameBytesMax,
      sendQueueBytesMax: peerSendQueueBytesMax,
      logger,
    });
    this.outbox = new PeerOutbox(transport, logger);
    transport.on('frame', (from, frame) => this.receive(from, frame));
    transport.on('connected', (peer) => this.send({ type: 'peer.connected', peer }));
    transport.on('disconnected', (peer, cause) => {
      logger.debug({ peer, cause }, 'peer link down');
      this.outbox?.abort(peer);
      this.snapAssembler.forget(peer);
      this.send({ type: 'peer.disconnected', peer });
    });
    return transport;
  }

  private receive(from: ServerId, frame: Uint8Array): void {
    const decoded = decodePeerMessage(frame);
    if (!decoded.ok) {
      this.options.logger.warn({ peer: from, error: String(decoded.error) }, 'bad peer frame');
      return;
    }
    let message = decoded.message;
    if (message.type === 'snapPart') {
      if (!this.snapAssembler.addPart(from, message.bytes)) {
        this.options.logger.warn({ peer: from, bytesMax: snapshotBytesMax }, 'SNAP too large');
      }
      return;
    }
    if (message.type === 'followerInfo' || message.type === 'observerInfo') {
      // A learner starting over: nothing of an earlier sync stream to it may follow.
      this.outbox?.beginSync(from);
    }
    if (message.type === 'snap') {
      const whole = this.snapAssembler.complete(from, message);
      // Refused: the sync times out and the learner tries again, as after a broken link.
      if (whole === undefined) return;
      message = whole;
    }
    if (message.type === 'ping' && this.announced.state !== 'leading' && this.core !== undefined) {
      // The PING reply carries the sessions this replica's clients used since the last one.
      const touches = this.core.sessions.drainTouches();
      if (touches.length > 0) this.send({ type: 'sessions.touched', touches });
    }
    this.send(peerEventOf(from, message));
  }

  private send(event: ReplicaEvent): void {
    this.actor?.send(event);
    this.hostWork.run();
  }

  isServing(): boolean {
    return this.announced.serving;
  }

  /**
   * Requests are gathered for the rest of this event-loop turn (everything read from the
   * sockets meanwhile) and handed to the machine as one `client.requests`: a busy leader then
   * proposes them as one PROPOSAL batch and one log commit.
   */
  submit(sessionId: bigint, cxid: number, body: TxnBody): void {
    this.pendingRequests.push({ sessionId, cxid, time: Date.now(), body });
    if (this.pendingRequests.length >= requestsPerBatchMax) this.flushRequests();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flushRequests());
    }
  }

  private flushRequests(): void {
    this.flushQueued = false;
    if (this.pendingRequests.length === 0) return;
    const requests = this.pendingRequests;
    this.pendingRequests = [];
    this.send({ type: 'client.requests', requests });
  }

  submitRevalidation(sessionId: bigint, timeoutMs: number): void {
    this.send({ type: 'client.revalidate', sessionId, timeoutMs });
  }

  /** A sync follows the writes submitted before it (per-session order). */
  submitSync(sessionId: bigint, cxid: number, path: string): void {
    this.flushRequests();
    this.send({ type: 'client.sync', sessionId, cxid, path });
  }

  private fail(error: unknown): never {
    if (this.options.onFatal !== undefined) return this.options.onFatal(error);
    this.options.logger.fatal({ error: String(error) }, 'replica storage failed; stopping');
    process.exit(70);
  }

  private requireCore(): ServerCore {
    if (this.core === undefined) throw new Error('replica runtime: not started');
    return this.core;
  }

  private requireLog(): ReplicaLog {
    if (this.log === undefined) throw new Error('replica runtime: not started');
    return this.log;
  }

  /** Every effect the replica machine names, over TCP, LMDB and this server's core. */
  private effects() {
    return {
      sendPeerMessage: (_: unknown, { to, message }: { to: ServerId; message: PeerMessage }) =>
        this.outbox?.send(to, this.encode(message)),
      // The transport dials on the first frame sent to the leader.
      connectToLeader: () => undefined,
      persistAcceptedEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        this.requireLog().persistEpoch('accepted', epoch),
      persistCurrentEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        this.requireLog().persistEpoch('current', epoch),
      appendProposals: (_: unknown, { txns }: { txns: Txn[] }) => this.requireLog().append(txns),
      truncateLog: (_: unknown, { zxid }: { zxid: Zxid }) => this.requireLog().truncate(zxid),
      loadSnapshot: (_: unknown, { zxid, snapshot }: { zxid: Zxid; snapshot: TreeSnapshot }) =>
        this.requireLog().loadSnapshot(zxid, snapshot),
      applyCommitted: (_: unknown, { zxid }: { zxid: Zxid }) =>
        this.hostWork.defer(() => this.applyCommitted(zxid)),
      sendSyncStream: (_: unknown, params: SyncStreamParams) => this.sendSyncStream(params),
      acceptForwardedRequests: (
        _: unknown,
        { requests }: { from: ServerId; requests: ForwardedTxnRequest[] },
      ) => {
        // The leader stamps its own clock into every txn (ctime/mtime are the leader's).
        const time = Date.now();
        for (const { sessionId, cxid, body } of requests) {
          this.pendingRequests.push({ sessionId, cxid, time, body });
        }
        this.hostWork.defer(() => this.flushRequests());
      },
      announceRole: (_: unknown, role: RoleAnnouncement) =>
        this.hostWork.defer(() => this.announceRole(role)),
      touchSessions: (_: unknown, { touches }: { touches: SessionTouch[] }) =>
        this.hostWork.defer(() => {
          const sessions = this.requireCore().sessions;
          for (const touch of touches) sessions.touchRemote(touch.sessionId);
        }),
      answerSync: (_: unknown, { sessionId, cxid }: { sessionId: bigint; cxid: number }) =>
        this.hostWork.defer(() => this.pipeline.syncAnswered(sessionId, cxid)),
      revalidateSession: (_: unknown, params: { from: ServerId; sessionId: bigint }) =>
        this.hostWork.defer(() => this.send(revalidation(this.requireCore(), params))),
      sessionRevalidated: (
        _: unknown,
        { sessionId, valid }: { sessionId: bigint; valid: boolean },
      ) =>
        this.hostWork.defer(() => this.pipeline.revalidated(sessionId, valid)),
    };
  }

  private encode(message: PeerMessage): Buffer {
    if (this.lastEncoded?.message !== message) {
      this.lastEncoded = { message, frame: encodePeerMessage(message) };
    }
    return this.lastEncoded.frame;
  }

  /** COMMIT (or UPTODATE, or INFORM): apply in zxid order and answer this replica's clients. */
  private applyCommitted(zxid: Zxid): void {
    applyCommittedTxns(this.requireCore(), this.pipeline, this.requireLog().takeCommitted(zxid));
  }

  private identity(): ReplicaIdentity {
    return {
      myId: this.myId,
      voters: this.voters,
      isObserver: this.options.settings.servers.get(this.myId)?.peerType === 'observer',
      leaderStatistics: () =>
        leaderStatisticsOf(this.actor?.getSnapshot().context.leader, this.leadingSinceMs),
    };
  }

  /** Zab 2.1 (LearnerHandler.syncFollower), streamed through the outbox (actors/learner-sync). */
  private sendSyncStream(params: SyncStreamParams): void {
    const { logger, storage } = this.options;
    if (this.outbox === undefined) return;
    streamLearnerSync(params, {
      tree: this.requireCore().tree,
      log: this.requireLog(),
      storage,
      outbox: this.outbox,
      logger,
    });
  }

  private announceRole(role: RoleAnnouncement): void {
    const wasServing = this.announced.serving;
    const wasLeading = wasServing && this.announced.state === 'leading';
    if (role.serving && role.state === 'leading' && !wasLeading) this.leadingSinceMs = Date.now();
    this.announced = role;
    // SNAPs still streaming were for this replica's learners; it has none unless it leads.
    if (role.state !== 'leading') this.outbox?.abortAll();
    const core = this.requireCore();
    const { logger, storage } = this.options;
    if (!announceToCore(core, this.pipeline, role, this.identity())) {
      if (wasServing) logger.warn({ state: role.state }, 'stopped serving: dropped its clients');
      storage.detach();
      return;
    }
    storage.attach(core.tree);
    logger.info(
      {
        state: role.state,
        leader: role.leaderId,
        epoch: role.epoch,
        zxid: hex(core.tree.lastZxid),
      },
      `serving as ${core.role.role}`,
    );
  }

  /** Stops the machine and the peer links, then lets storage finish what it was asked. */
  async stop(): Promise<void> {
    this.actor?.stop();
    this.transport?.close({ reason: 'closed', detail: 'shutdown' });
    await this.log?.settled();
  }
}

function epochsOf(input: { acceptedEpoch: number; currentEpoch: number }) {
  return { acceptedEpoch: input.acceptedEpoch, currentEpoch: input.currentEpoch };
}

