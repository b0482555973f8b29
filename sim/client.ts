// A simulated ZooKeeper client: it speaks the client wire protocol over an in-memory socket to
// one replica's server core (the real handshake, request handling and per-session reply queue),
// pipelines up to a few requests, pings, reconnects with its session elsewhere, and records
// every operation on the shared keys with its invocation (written) and completion (reply
// delivered) on the simulator's true clock, per session, for the linearizability checker.
// Ephemeral nodes live in the client's own keys, outside the history: their removal on expiry
// is not a client write, and the ephemeral invariant covers them.

import { Xid } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/errors.js';
import { JuteReader } from '../protocol/jute.js';
import type { ServerId } from '../protocol/peer.js';
import { readConnectResponse, type ReplyHeader } from '../protocol/records.js';
import { encodeRequest, opcodeOf, type ClientRequest } from '../protocol/requests.js';
import { readReplyHeader, readResponseBody, type ResponseBody } from '../protocol/responses.js';
import { FrameDecoder, FrameTooLargeError } from '../transport/frame-decoder.js';
import type { MemoryClientSocket } from '../transport/memory-client-socket.js';
import {
  connectRequestFrame,
  ephemeralCreate,
  isSessionExpired,
  isWriteInput,
  outputOf,
  randomInput,
  requestOf,
  sessionName,
} from './client-requests.js';
import { renderInput, type ZooKeeperOperation } from './linearizability/index.js';
import type { SeededRandom } from './random.js';
import type { SimReplica } from './replica-host.js';

export interface ClientWorld {
  /** True time, for the history. */
  now(): number;
  /** The replicas a client may dial (running, not paused). */
  reachable(): SimReplica[];
  /** Opens a connection to a replica's client port: the client's end (sim/client-network.ts). */
  connect(clientId: number, replica: SimReplica): MemoryClientSocket;
  random: SeededRandom;
  /** Told of each connection's life (dialled, session given, lost), for the trace. */
  trace?: (line: string) => void;
  /** Told of each operation as it is sent and of each connection's life (a trace's marks). */
  mark?: (text: string, replica?: ServerId) => void;
}

export interface SimClientOptions {
  id: number;
  /** The shared znodes every client reads and writes (the checked history is over these). */
  keys: readonly string[];
  sessionTimeoutMs: number;
  /** Requests (pings aside) in flight at once at most: 1 is one at a time. */
  outstandingRequestsMax: number;
}

/** A request written and not yet answered. */
interface Outstanding {
  xid: number;
  opcode: number;
  /** The request's kind, for reading its reply. */
  kind: ClientRequest['kind'];
  write: boolean;
  /** The history entry, for operations on the shared keys. */
  operation?: ZooKeeperOperation;
  /** The session's ephemeral node, for its create. */
  ephemeral?: string;
}

/** One connection to one replica, from the connect request until it is lost. */
interface Connection {
  socket: MemoryClientSocket;
  replicaId: ServerId;
  decoder: FrameDecoder;
  /** Set once the ConnectResponse gave this connection its session. */
  sessionId: bigint | undefined;
  /** Requests written and not yet answered, in the order written (replies come in it). */
  outstanding: Outstanding[];
  lastReceivedAt: number;
  lastSentAt: number;
}

const passwordBytes = 16;
/** Replies are small; ZooKeeper's default jute.maxbuffer bounds them anyway. */
const replyBytesMax = 0xfffff;
const noBody: ResponseBody = { kind: 'none' };
/**
 * The longest random pause before a reconnect: ZooKeeper's client sleeps up to 1 s, with
 * ticks of seconds; the simulator's tick is 100 ms.
 */
const reconnectDelayMsMax = 100;

/** ZooKeeper's ClientCnxn gives up on a server silent for two thirds of the session timeout. */
function readTimeoutMs(sessionTimeoutMs: number): number {
  return (sessionTimeoutMs * 2) / 3;
}

export class SimClient {
  readonly history: ZooKeeperOperation[] = [];
  sessionId: bigint | undefined;
  private password: Buffer = Buffer.alloc(passwordBytes);
  private negotiatedTimeoutMs: number;
  private connection: Connection | undefined;
  private xid = 0;
  private lastZxidSeen = 0;
  private reconnectAtMs = 0;
  private lostReplicaId: ServerId | undefined;
  /** Sessions this client had, and whether each ended (closed or expired) as far as it knows. */
  readonly sessions = new Map<bigint, { ephemeral: string; ended: boolean }>();
  counts = { operations: 0, reconnects: 0, expiries: 0, disconnects: 0 };
  /** `session:cxid` of every write this client handed to a replica (Zab's integrity). */
  readonly sentRequests: string[] = [];
  /** The zxid of every write this client was answered for: each must stay committed. */
  readonly acknowledgedZxids: number[] = [];
  /** Each session's ephemeral node, once its create was answered OK. */
  readonly acknowledgedEphemerals = new Map<bigint, string>();
  /** What the wire showed breaking ZooKeeper's promises (replies out of order, unknown xids). */
  readonly violations: string[] = [];
  private readonly outOfOrderSessions = new Set<bigint>();

  constructor(
    private readonly options: SimClientOptions,
    private readonly world: ClientWorld,
  ) {
    this.negotiatedTimeoutMs = options.sessionTimeoutMs;
  }

  get id(): number {
    return this.options.id;
  }

  get replicaId(): ServerId | undefined {
    return this.connection?.replicaId;
  }

  /** True when a turn would do something: dial, or write one more request. */
  get ready(): boolean {
    const connection = this.connection;
    if (connection === undefined) return this.world.now() >= this.reconnectAtMs;
    return (
      connection.sessionId !== undefined &&
      this.requestsOutstanding(connection) < this.options.outstandingRequestsMax
    );
  }

  /** The client's turn: connect (or reconnect), or write one more request if it may. */
  step(): void {
    if (!this.ready) return;
    const connection = this.connection;
    if (connection === undefined) this.connect();
    else this.issue(connection, connection.sessionId!);
  }

  /**
   * Time passed: as ZooKeeper's client, drop a connection silent for its read timeout (the
   * session lives on; the next turn reconnects), and ping a third of the timeout after the last
   * packet sent.
   */
  tick(): void {
    const connection = this.connection;
    if (connection === undefined) return;
    const now = this.world.now();
    const timeoutMs =
      connection.sessionId === undefined ? this.options.sessionTimeoutMs : this.negotiatedTimeoutMs;
    if (now - connection.lastReceivedAt >= readTimeoutMs(timeoutMs)) {
      this.lose(connection, 'read timeout');
      return;
    }
    if (connection.sessionId !== undefined && now - connection.lastSentAt >= timeoutMs / 3) {
      this.send(connection, { kind: 'ping' }, Xid.ping);
    }
  }

  /** The network between client and replica broke; the session lives on until its timeout. */
  disconnect(): void {
    if (this.connection === undefined) return;
    this.counts.disconnects++;
    this.lose(this.connection, 'network fault');
  }

  private requestsOutstanding(connection: Connection): number {
    let count = 0;
    for (const request of connection.outstanding) if (request.kind !== 'ping') count++;
    return count;
  }

  /** Dials a replica and sends the ConnectRequest: a new session, or this one to reattach. */
  private connect(): void {
    const reachable = this.world.reachable();
    // As ZooKeeper's host provider, move on from the server just lost when there is another.
    const others = reachable.filter((replica) => replica.id !== this.lostReplicaId);
    const replicas = others.length > 0 ? others : reachable;
    if (replicas.length === 0) return;
    const replica = this.world.random.pick(replicas);
    const socket = this.world.connect(this.id, replica);
    const now = this.world.now();
    const connection: Connection = {
      socket,
      replicaId: replica.id,
      decoder: new FrameDecoder(replyBytesMax),
      sessionId: undefined,
      outstanding: [],
      lastReceivedAt: now,
      lastSentAt: now,
    };
    this.connection = connection;
    const session = this.sessionId === undefined ? 'a new session' : sessionName(this.sessionId);
    this.note(`dials replica ${replica.id} for ${session}`);
    socket.on('data', (chunk) => this.receive(connection, chunk));
    socket.on('close', () => this.lose(connection, 'closed by the server'));
    const { lastZxidSeen, password } = this;
    const timeoutMs = this.options.sessionTimeoutMs;
    const sessionId = this.sessionId ?? 0n;
    socket.write(connectRequestFrame({ lastZxidSeen, timeoutMs, sessionId, password }));
  }

  private receive(connection: Connection, chunk: Buffer): void {
    if (this.connection !== connection) return;
    let frames: Buffer[];
    try {
      frames = connection.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameTooLargeError)) throw error;
      this.violations.push(`protocol: client ${this.id} got ${error.message}`);
      this.lose(connection, 'bad frame');
      return;
    }
    connection.lastReceivedAt = this.world.now();
    for (const frame of frames) {
      if (this.connection !== connection) return;
      if (connection.sessionId === undefined) this.handshake(connection, frame);
      else this.answer(connection, connection.sessionId, frame);
    }
  }

  /** The ConnectResponse: a session (new or reattached), or timeout 0 for one that expired. */
  private handshake(connection: Connection, frame: Buffer): void {
    const response = readConnectResponse(new JuteReader(frame));
    if (response.timeout <= 0) {
      this.sessionEnded();
      this.lose(connection, 'session expired');
      return;
    }
    if (this.sessionId !== undefined && response.sessionId !== this.sessionId) {
      this.violations.push(
        `handshake: client ${this.id} reconnected with session ${sessionName(this.sessionId)} ` +
          `and was given ${sessionName(response.sessionId)}`,
      );
      this.lose(connection, 'wrong session');
      return;
    }
    connection.sessionId = response.sessionId;
    this.negotiatedTimeoutMs = response.timeout;
    if (this.sessionId !== undefined) {
      this.counts.reconnects++;
      this.note(`reattached ${sessionName(response.sessionId)} on replica ${connection.replicaId}`);
      return;
    }
    this.note(`opened ${sessionName(response.sessionId)} on replica ${connection.replicaId}`);
    this.sessionId = response.sessionId;
    this.password = response.password;
    const ephemeral = `/client-${this.id}-${this.sessions.size}`;
    this.sessions.set(response.sessionId, { ephemeral, ended: false });
    // Each session owns one ephemeral node for as long as it lives (the ephemeral invariant).
    const xid = this.nextXid();
    this.sentRequests.push(`${response.sessionId}:${xid}`);
    this.send(connection, ephemeralCreate(ephemeral), xid, { write: true, ephemeral });
  }

  /** A reply, matched to its request by xid; ZooKeeper answers a session's requests in order. */
  private answer(connection: Connection, sessionId: bigint, frame: Buffer): void {
    const reader = new JuteReader(frame);
    const header = readReplyHeader(reader);
    // No watches are set, so no notification (xid -1) is expected; one would be harmless.
    if (header.xid === Xid.notification) return;
    const outstanding = connection.outstanding;
    const index = outstanding.findIndex((request) => request.xid === header.xid);
    if (index === -1) {
      this.violations.push(`protocol: client ${this.id} got a reply to xid ${header.xid}, ` +
        `which it has not sent on this connection`);
      this.lose(connection, 'unknown xid');
      return;
    }
    if (index > 0 && !this.outOfOrderSessions.has(sessionId)) {
      // Reported once per session: one broken order usually breaks the ones after it.
      this.outOfOrderSessions.add(sessionId);
      this.violations.push(`fifo: session ${sessionName(sessionId)} was answered xid ` +
        `${header.xid} before xid ${outstanding[0]!.xid}`);
    }
    const [request] = outstanding.splice(index, 1) as [Outstanding];
    if (request.kind === 'ping') return;
    const body = header.err === ErrorCode.ok ? readResponseBody(request.opcode, reader) : noBody;
    this.lastZxidSeen = Math.max(this.lastZxidSeen, header.zxid);
    this.settle(connection, sessionId, request, header, body);
  }

  /** Records what a reply says: an operation's outcome, an acknowledged write, an expiry. */
  private settle(
    connection: Connection,
    sessionId: bigint,
    request: Outstanding,
    header: ReplyHeader,
    body: ResponseBody,
  ): void {
    // Not made durable, or the replica stopped serving first: the outcome stays unknown.
    if (header.err === ErrorCode.systemError) return;
    const operation = request.operation;
    if (request.write) {
      this.acknowledgedZxids.push(header.zxid);
      if (isSessionExpired(header.err, body)) {
        // The session was gone when the write applied: it took no effect, and ZooKeeper closes
        // the connection of a session it expired.
        if (operation !== undefined) this.history.splice(this.history.lastIndexOf(operation), 1);
        if (this.sessionId === sessionId) this.sessionEnded();
        this.lose(connection, 'session expired');
        return;
      }
      if (request.ephemeral !== undefined && header.err === ErrorCode.ok) {
        this.acknowledgedEphemerals.set(sessionId, request.ephemeral);
      }
    }
    if (operation === undefined) return;
    operation.completedAt = this.world.now();
    operation.output = outputOf(request.kind, header.err, body);
  }

  /** One operation on the shared keys, recorded as it is written. */
  private issue(connection: Connection, sessionId: bigint): void {
    const xid = this.nextXid();
    const input = randomInput(this.world.random, this.options.keys, `c${this.id}-${xid}`);
    this.counts.operations++;
    const write = isWriteInput(input);
    if (write) this.sentRequests.push(`${sessionId}:${xid}`);
    const operation: ZooKeeperOperation = {
      sessionId: sessionName(sessionId),
      invokedAt: this.world.now(),
      completedAt: null,
      input,
      output: null,
    };
    this.history.push(operation);
    this.world.mark?.(`client ${this.id} ${renderInput(input)}`, connection.replicaId);
    this.send(connection, requestOf(input), xid, { write, operation });
  }

  private send(
    connection: Connection,
    request: ClientRequest,
    xid: number,
    details: Pick<Outstanding, 'operation' | 'ephemeral'> & { write?: boolean } = {},
  ): void {
    const kind = request.kind;
    connection.outstanding.push({ xid, opcode: opcodeOf(request), kind, write: false, ...details });
    connection.lastSentAt = this.world.now();
    connection.socket.write(encodeRequest(xid, request));
  }

  /** The session is gone (the server said so): the next connection starts a new one. */
  private sessionEnded(): void {
    if (this.sessionId === undefined) return;
    const session = this.sessions.get(this.sessionId);
    if (session !== undefined) session.ended = true;
    this.counts.expiries++;
    this.sessionId = undefined;
    this.password = Buffer.alloc(passwordBytes);
  }

  /**
   * ConnectionLoss: the socket is dropped, and every request still outstanding on it keeps an
   * unknown outcome (its operation stays pending). The next turn reconnects.
   */
  private lose(connection: Connection, why: string): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    connection.socket.destroy();
    this.lostReplicaId = connection.replicaId;
    // ZooKeeper's ClientCnxn sleeps a random while before each reconnect, so that clients
    // refused by a server that is not serving do not hammer it.
    this.reconnectAtMs = this.world.now() + this.world.random.int(reconnectDelayMsMax);
    const pending = this.requestsOutstanding(connection);
    this.note(`lost replica ${connection.replicaId} (${why}), ${pending} requests unanswered`);
  }

  private note(line: string): void {
    this.world.trace?.(`${this.world.now()} client ${this.id} ${line}`);
    this.world.mark?.(`client ${this.id} ${line}`);
  }

  private nextXid(): number {
    this.xid += 1;
    return this.xid;
  }
}
