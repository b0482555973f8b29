// The state one server shares across its connections: data tree, watches, sessions and the
// write pipeline, with the operations the request handler calls. A standalone server orders its
// own txns (ZooKeeper's processor chain prepare → log → apply → reply with a quorum of one); a
// replica of an ensemble gets its pipeline, role and serving state from its replica runtime
// (actors/replica/host.ts). Networking lives in server.ts.

import type { Logger } from 'pino';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { Perm } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { encodeNotification } from '../../protocol/responses.js';
import type { TxnLog } from '../../storage/log.js';
import { checkPermission } from '../../tree/acl.js';
import { DataTree, type ApplyOutcome } from '../../tree/data-tree.js';
import type { Txn } from '../../protocol/txn.js';
import { WatchManager } from '../../tree/watches.js';
import type { AuditLog } from './audit.js';
import { ClientAuthentication } from './client-authentication.js';
import type { ClientConnection } from './client-connection.js';
import { ServerRequestsInFlight } from './connection-throttle.js';
import type { LeaderStatistics, ZabPhase } from '../operations/four-letter-words.js';
import type { WritePipeline } from './pipeline.js';
import { StandalonePipeline } from './proposer.js';
import { LocalSessions } from './local-sessions.js';
import type { DigestMismatch } from '../../tree/types.js';
import { NotificationFanOut } from './notification-fan-out.js';
import { encodeReadReply, readRequest, watcherKey } from './reads.js';
import { NameListReplies } from './sliced-replies.js';
import { SessionTable, type SessionClock } from './sessions.js';
import { QuotaLog } from './quota-log.js';
import { RandomPool } from './random-pool.js';
import { ServerStatistics } from './statistics.js';
import { WriteProposals } from './write-proposals.js';
import {
  countQuotaRefusals,
  observeApplied,
  quotaFiguresOf,
  watchersFiredInto,
} from './tree-metrics.js';
import type { ServerConfig } from '../config/config.js';
import { hex } from '../../protocol/zxid.js';
import type { Frame } from '../../protocol/frame-parts.js';

export type ServerSettings = ServerConfig;

/** What this server is, as srvr/stat/mntr report it and as request routing needs it. */
export interface ServerRole {
  role: 'standalone' | 'leader' | 'follower' | 'observer';
  /** True while clients may be served: always when standalone; once synced for a replica. */
  serving: boolean;
  /**
   * True while client connections are accepted: `serving`, unless this replica leads with
   * zoo.cfg leaderServes=no (then clients connect to the followers, as in ZooKeeper).
   */
  servesClients: boolean;
  /** Serving read-only clients while cut off from the quorum (read-only.ts); absent otherwise. */
  readOnly?: boolean;
  /** This replica's myid (0 standalone). */
  serverId: number;
  /** The leader this replica follows or is (undefined while looking, or standalone). */
  leaderId: number | undefined;
  /** Voting members of the ensemble (undefined standalone). */
  quorumSize?: number;
  zabPhase?: ZabPhase;
  /** The leader's figures for mntr, read on demand. */
  leaderStatistics?: () => LeaderStatistics | undefined;
}

export interface ServerCoreOptions {
  inspect?: (event: InspectionEvent) => void;
  /** Told of each session machine's actor as it is created (the machine event stream's hub). */
  trackActor?: (actor: AnyActorRef) => void;
  /** The replicated pipeline of an ensemble replica; standalone orders its own txns. */
  pipeline?: (core: ServerCore) => WritePipeline;
  /** This replica's myid: the top byte of the session ids it hands out (0 standalone). */
  serverId?: number;
  /** The clock session timers run on (the simulator's; the system's by default). */
  clock?: SessionClock;
  /** Milliseconds now (session id base, touch throttling); Date.now by default. */
  now?: () => number;
  /** Session passwords and SASL nonces (the simulator's seeded generator; crypto by default). */
  randomBytes?: (count: number) => Buffer;
  /** The audit log, when zoo.cfg enables it (audit.enable=true). */
  audit?: AuditLog;
  /**
   * Runs work after the current turn of the event loop: large replies and watch herds are
   * written a slice per turn (setImmediate by default; the simulator's scheduler there).
   */
  nextTurn?: (work: () => void) => void;
}

export class ServerCore {
  /** Replaced wholesale when a replica truncates its log or loads a leader's snapshot. */
  tree: DataTree;
  readonly watches = new WatchManager();
  readonly sessions: SessionTable;
  readonly pipeline: WritePipeline;
  role: ServerRole;
  readonly connections = new Map<number, ClientConnection>();
  readonly statistics = new ServerStatistics();
  /** Writes watch notifications to their connections a slice of connections per turn. */
  private readonly fanOut: NotificationFanOut;
  /** Encodes name-list replies, keeping wide nodes' encoded lists (sliced-replies.ts). */
  private readonly nameLists: NameListReplies;
  /** The watch table's count of each change's watchers, into ZooKeeper's summaries. */
  private readonly watchersFired = watchersFiredInto(this.statistics.metrics);
  /** Requests every connection has handed over and not yet answered (globalOutstandingLimit). */
  readonly requestsInFlight = new ServerRequestsInFlight();
  /** Sessions created without a txn (local-sessions.ts): with localSessionsEnabled, or while
   * serving read-only (read-only.ts). Never in the tree until upgraded. */
  readonly localSessions = new LocalSessions();
  /** Undefined unless auditing is on: every audit hook costs one check when it is off. */
  readonly audit: AuditLog | undefined;
  /**
   * ZooKeeper's trace mask, a Java long, set by stmk / set_trace_mask and reported by gtmk (306,
   * ZooKeeper's default, until then). Kept and reported as ZooKeeper does; corral's own logging
   * (pino levels) does not read it.
   */
  traceMask = 306n;
  private readonly closeWaiters = new Map<bigint, Array<(zxid: number) => void>>();
  /** Clients' writes, errors and reconfigs as proposals, in each session's order. */
  readonly writes: WriteProposals;
  /** Session passwords and SASL nonces when no generator is provided: crypto, a block a time. */
  private readonly randomPool = new RandomPool();
  private nextSessionId: bigint;
  private internalCxid = 0;
  private readonly quotaLog: QuotaLog;
  /** auth and sasl packets, and enforce.auth.enabled (client-authentication.ts). */
  readonly authentication: ClientAuthentication;

  constructor(
    readonly settings: ServerSettings,
    readonly logger: Logger,
    log: TxnLog,
    private readonly options: ServerCoreOptions = {},
  ) {
    const { inspect } = options;
    this.audit = options.audit;
    this.statistics.resetsMetrics = settings.metricsProvider !== 'prometheus';
    this.quotaLog = new QuotaLog(logger, options.now ?? Date.now);
    this.authentication = new ClientAuthentication(settings, logger,
      (count) => this.randomBytes(count),
      (connectionId) => this.closeConnectionAfterQueued(connectionId));
    this.fanOut = new NotificationFanOut(this.nextTurn);
    this.nameLists = new NameListReplies(settings.childListRepliesKept,
      this.statistics.metrics.counters, this.nextTurn);
    this.tree = this.emptyTree();
    this.statistics.metrics.quotaFigures = () => quotaFiguresOf(this.tree);
    const serverId = options.serverId ?? 0;
    this.role = {
      role: options.pipeline === undefined ? 'standalone' : 'follower',
      serving: options.pipeline === undefined,
      servesClients: options.pipeline === undefined,
      serverId,
      leaderId: undefined,
    };
    this.sessions = new SessionTable(
      {
        tickTimeMs: settings.tickTimeMs,
        minSessionTimeoutMs: settings.minSessionTimeoutMs,
        maxSessionTimeoutMs: settings.maxSessionTimeoutMs,
      },
      {
        requestSessionClose: (sessionId, reason) => {
          if (reason === 'expired') this.statistics.metrics.counters.stale_sessions_expired++;
          this.proposeClose(sessionId, reason === 'expired');
        },
        closeConnection: (connectionId) => this.closeConnectionAfterQueued(connectionId),
        ended: (sessionId, reason) =>
          this.logger.info({ session: hex(sessionId), reason }, 'session ended'),
      },
      {
        ...(inspect === undefined ? {} : { inspect }),
        ...(options.trackActor === undefined ? {} : { trackActor: options.trackActor }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.now === undefined ? {} : { now: options.now }),
        recordsTouches: () => !this.ownsSessionExpiry,
      },
    );
    this.pipeline =
      options.pipeline?.(this) ??
      new StandalonePipeline({ log, apply: (txn) => this.applyTxn(txn), now: Date.now,
        digest: () => this.tree.digestToStamp() });
    this.writes = new WriteProposals(settings, this.pipeline, this.localSessions, this.audit);
    // ZooKeeper's session ids: the server id in the top byte, a time-derived counter below. A
    // Java long, so signed: with a server id of 128 or more it is negative, as clients send it
    // back when they reattach elsewhere (kept unsigned, such a session could not move).
    const nowMs = Math.floor((options.now ?? Date.now)());
    const base = (BigInt(nowMs) << 24n) & 0x00ff_ffff_ffff_ffffn;
    this.nextSessionId = BigInt.asIntN(64, (base >> 8n) | (BigInt(serverId & 0xff) << 56n));
  }

  /** A timer on the core's clock: the simulator's when it hosts the core, else the system's. */
  private later(work: () => void, delayMs: number): void {
    const clock = this.options.clock;
    if (clock === undefined) setTimeout(work, delayMs).unref();
    else clock.setTimeout(work, delayMs);
  }

  /** Runs work after the current turn, on the world's scheduler. */
  readonly nextTurn = (work: () => void): void => {
    if (this.options.nextTurn === undefined) setImmediate(work);
    else this.options.nextTurn(work);
  };

  /** An empty tree with this server's settings. */
  emptyTree(): DataTree {
    return new DataTree({
      extendedTypesEnabled: this.settings.extendedTypesEnabled,
      dataBytesMax: this.settings.juteMaxBufferBytes,
      digestEnabled: this.settings.digestEnabled,
      digestMismatch: (mismatch) => this.digestMismatch(mismatch),
    });
  }

  /** DataTree.reportDigestMismatch: this replica's tree is not the one that ordered the txn. */
  private digestMismatch(mismatch: DigestMismatch): void {
    this.statistics.digestMismatches++;
    this.logger.error({ txnZxid: hex(mismatch.txnZxid), zxid: hex(mismatch.zxid),
      expected: String(mismatch.expected), actual: String(mismatch.actual) },
    'tree digest mismatch: this replica\'s data differs from the ordering replica\'s');
  }

  /** A replica's tree was rebuilt (TRUNC, SNAP): no client is connected while it syncs. */
  replaceTree(tree: DataTree): void {
    this.tree = tree;
    // The old tree's lists are never read again.
    this.nameLists.clear();
  }

  /** True when this server decides session expiry: standalone, or the ensemble's leader. */
  get ownsSessionExpiry(): boolean {
    return this.role.role === 'standalone' || this.role.role === 'leader';
  }

  /**
   * True when new sessions are local ones: localSessionsEnabled on a replica of an ensemble (a
   * standalone ZooKeeperServer has no local session tracker, whatever zoo.cfg says).
   */
  get createsLocalSessions(): boolean {
    return this.settings.localSessionsEnabled && this.role.role !== 'standalone';
  }

  /** Closes every client connection (a replica that stops serving drops its clients). */
  closeAllConnections(): void {
    for (const connection of [...this.connections.values()]) connection.close();
  }

  /**
   * Replays the durable log into the data tree and restarts the session timers of the sessions
   * it holds: a session whose client does not come back expires, and its ephemerals go.
   */
  recover(log: TxnLog, expiresHere = true): number {
    let count = 0;
    for (const txn of log.readFrom(this.tree.lastZxid)) {
      this.tree.apply(txn);
      count++;
    }
    for (const [sessionId, timeoutMs] of this.tree.sessionTimeouts()) {
      this.sessions.restore(sessionId, timeoutMs, expiresHere);
    }
    return count;
  }

  /** `count` random bytes, from the world's source of randomness. */
  randomBytes(count: number): Buffer {
    const source = this.options.randomBytes;
    return source === undefined ? this.randomPool.take(count) : source(count);
  }

  newSessionId(): bigint {
    return this.nextSessionId++;
  }

  /** Housekeeping txns (session 0) are told apart by their cxid, as a client's requests are. */
  nextInternalCxid(): number {
    this.internalCxid = (this.internalCxid % 0x7fff_ffff) + 1;
    return this.internalCxid;
  }

  /** Applies a committed txn: tree first, then the watch events and session bookkeeping. */
  applyTxn(txn: Txn): ApplyOutcome {
    const body = txn.body;
    // Every replica audits the ephemerals a closing session leaves, as ZooKeeper's DataTree does.
    const closing = body.type === 'closeSession' && this.audit !== undefined ? body : undefined;
    const ephemerals = closing === undefined ? [] : this.tree.ephemeralsOf(closing.sessionId);
    const outcome = this.tree.apply(txn);
    // ZooKeeper's leader logs the quota limits a write passes (its prepare step checks them).
    if (this.ownsSessionExpiry) {
      this.quotaLog.report(outcome.quotaExceeded);
      countQuotaRefusals(this.statistics.metrics, outcome.quotaExceeded);
    }
    if (ephemerals.length > 0) this.audit?.ephemeralsDeleted(closing!.sessionId, ephemerals);
    if (body.type === 'createSession' && this.sessions.get(body.sessionId) === undefined) {
      // Created through another replica: tracked here too (expired by the leader alone).
      this.sessions.restore(body.sessionId, body.timeoutMs, this.ownsSessionExpiry);
    }
    // A watcher is told only with READ on the node (ServerCnxn.process(event, acl)).
    const mayRead = (watcher: bigint, acl: readonly ACL[]): boolean => {
      const auth = this.connections.get(Number(watcher))?.auth;
      return auth === undefined || checkPermission(acl, Perm.read, this.aclAuth(auth));
    };
    const metrics = this.statistics.metrics;
    observeApplied(metrics, txn, outcome, (path) => this.tree.statOf(path)?.dataLength,
      (this.options.now ?? Date.now)());
    for (const trigger of outcome.triggers) {
      const notifications = this.watches.trigger(trigger, mayRead, this.watchersFired);
      // Watches are keyed by connection (see watcherKey).
      this.fanOut.queueAll(notifications, (watcher) => this.connections.get(Number(watcher)));
    }
    this.fanOut.flush();
    if (outcome.closedSession !== undefined) {
      this.sessionClosedInTree(outcome.closedSession, txn.zxid);
    }
    return outcome;
  }

  private sessionClosedInTree(sessionId: bigint, zxid: number): void {
    for (const waiter of this.closeWaiters.get(sessionId) ?? []) waiter(zxid);
    this.closeWaiters.delete(sessionId);
    this.sessions.closedInTree(sessionId);
  }

  /** Submits the closeSession txn (retried a tick later until durable); audits an expiry. */
  private proposeClose(sessionId: bigint, expired: boolean): void {
    if (this.localSessions.forget(sessionId)) {
      // A local session closes here alone, without a txn (and after the actor's transition).
      queueMicrotask(() => this.sessionClosedInTree(sessionId, this.tree.lastZxid));
      return;
    }
    this.pipeline.propose(sessionId, 0, { type: 'closeSession', sessionId }).then(
      () => {
        if (expired) this.audit?.sessionExpired(sessionId);
      },
      (error) => {
        // A replica that stopped serving retries once it serves again; the session may be gone.
        if (!this.sessions.has(sessionId)) return;
        this.logger.error({ session: hex(sessionId), error: String(error) }, 'closeSession failed');
        this.later(() => this.proposeClose(sessionId, expired), this.settings.tickTimeMs);
      },
    );
  }

  /** The client asked to close its session: resolves with the closeSession txn's zxid. */
  closeSession(sessionId: bigint, connectionId: number): Promise<number> {
    return new Promise((resolve) => {
      const waiters = this.closeWaiters.get(sessionId) ?? [];
      waiters.push(resolve);
      this.closeWaiters.set(sessionId, waiters);
      this.sessions.close(sessionId, connectionId);
    });
  }

  private closeConnectionAfterQueued(connectionId: number): void {
    const connection = this.connections.get(connectionId);
    connection?.queue.pushRead(() => {
      connection.close();
      return undefined;
    });
  }

  /**
   * The identity ACL checks on this server see: the connection's own, or under skipACL=yes the
   * super user's, as ZooKeeperServer.checkACL then returns before looking at the ACL.
   */
  aclAuth<Auth extends { superUser: boolean }>(auth: Auth): Auth {
    return this.settings.skipAcl ? { ...auth, superUser: true } : auth;
  }

  /** A read's reply; a large one (sliced-replies.ts) is encoded over later turns. */
  read(
    connection: ClientConnection,
    sessionId: bigint,
    xid: number,
    request: ClientRequest,
  ): Frame | Promise<Frame> {
    const result = readRequest(this, connection, sessionId, request);
    if (result.events !== undefined) {
      for (const event of result.events) connection.notify(encodeNotification(-1, event));
    }
    const header = { xid, zxid: this.tree.lastZxid, err: result.err };
    return encodeReadReply(this.nameLists, this.statistics.metrics, connection, request, header,
      result.body);
  }

  connectionClosed(connection: ClientConnection): void {
    this.connections.delete(connection.id);
    this.authentication.connectionClosed(connection.id);
    this.watches.removeSession(watcherKey(connection));
    if (connection.sessionId !== undefined) {
      this.sessions.disconnected(connection.sessionId, connection.id);
    }
  }
}
