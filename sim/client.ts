// A simulated ZooKeeper client: one session at a time, connected to one replica's server core,
// issuing one request at a time (so its order is trivially FIFO) and recording every operation
// on the shared keys with its invocation and completion on the simulator's true clock, for the
// linearizability checker. Ephemeral nodes live in the client's own keys, outside the history:
// their removal on expiry is not a client write, and the ephemeral invariant covers them.

import { ErrorCode } from '../protocol/errors.js';
import type { ACL } from '../protocol/records.js';
import type { MultiOp, WriteRequest } from '../protocol/requests.js';
import type { ServerId } from '../protocol/peer.js';
import type { ResponseBody } from '../protocol/responses.js';
import type {
  ZooKeeperInput,
  ZooKeeperOperation,
  ZooKeeperOutput,
  ZooKeeperWrite,
} from './linearizability/index.js';
import type { SeededRandom } from './random.js';
import type { SimReplica } from './replica-host.js';

const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** The parent of the clients' sequential nodes (created, and deleted, like any other key). */
const queueParent = '/queue';
const noAuth = { ids: [], superUser: false };

export interface ClientWorld {
  /** True time, for the history. */
  now(): number;
  /** The replicas a client may connect to (running, not paused). */
  reachable(): SimReplica[];
  random: SeededRandom;
}

export interface SimClientOptions {
  id: number;
  /** The shared znodes every client reads and writes (the checked history is over these). */
  keys: readonly string[];
  sessionTimeoutMs: number;
}

type ClientState = 'idle' | 'busy';

export class SimClient {
  readonly history: ZooKeeperOperation[] = [];
  sessionId: bigint | undefined;
  private replica: SimReplica | undefined;
  private connectionId = 0;
  private cxid = 0;
  private state: ClientState = 'idle';
  private lastZxidSeen = 0;
  private lastPingAt = 0;
  /** Sessions this client had, and whether each ended (closed or expired) as far as it knows. */
  readonly sessions = new Map<bigint, { ephemeral: string; ended: boolean }>();
  counts = { operations: 0, reconnects: 0, expiries: 0, disconnects: 0 };
  /** `session:cxid` of every write this client handed to a replica (Zab's integrity). */
  readonly sentRequests: string[] = [];
  /** The zxid of every write this client was answered for: each must stay committed. */
  readonly acknowledgedZxids: number[] = [];
  /** Each session's ephemeral node, once its create was answered OK. */
  readonly acknowledgedEphemerals = new Map<bigint, string>();

  constructor(
    private readonly options: SimClientOptions,
    private readonly world: ClientWorld,
  ) {}

  get id(): number {
    return this.options.id;
  }

  get replicaId(): ServerId | undefined {
    return this.replica?.id;
  }

  /** The client's turn: connect, reconnect, or issue one operation. */
  step(): void {
    if (this.state === 'busy') return;
    if (this.replica !== undefined && !this.isAttached(this.replica)) this.replica = undefined;
    if (this.replica === undefined) {
      this.connect();
      return;
    }
    this.issue();
  }

  /** A client library pings a third of its timeout after its last packet. */
  ping(): void {
    const replica = this.replica;
    if (replica === undefined || this.sessionId === undefined) return;
    if (this.world.now() - this.lastPingAt < this.options.sessionTimeoutMs / 3) return;
    if (!this.isAttached(replica)) return;
    this.lastPingAt = this.world.now();
    replica.core.sessions.touch(this.sessionId, this.connectionId);
  }

  /** The network between client and replica broke; the session lives on until its timeout. */
  disconnect(): void {
    if (this.replica === undefined || this.sessionId === undefined) return;
    this.replica.core.sessions.disconnected(this.sessionId, this.connectionId);
    this.replica = undefined;
    this.counts.disconnects++;
  }

  private isAttached(replica: SimReplica): boolean {
    return (
      replica.isServing() &&
      this.world.reachable().includes(replica) &&
      this.sessionId !== undefined &&
      replica.core.sessions.connectionOf(this.sessionId) === this.connectionId
    );
  }

  private connect(): void {
    const candidates = this.world
      .reachable()
      .filter((replica) => replica.isServing() && replica.tree.lastZxid >= this.lastZxidSeen);
    if (candidates.length === 0) return;
    const replica = this.world.random.pick(candidates);
    this.connectionId = this.world.random.int(2 ** 30) + 1;
    if (this.sessionId !== undefined && replica.core.sessions.isLive(this.sessionId)) {
      this.reattach(replica, this.sessionId);
      return;
    }
    if (this.sessionId !== undefined) this.sessionEnded('expired');
    this.createSession(replica);
  }

  /** The handshake's reconnect: a learner first asks the leader (REVALIDATE), as the server's. */
  private reattach(replica: SimReplica, sessionId: bigint): void {
    const { core } = replica;
    const attach = () => {
      core.sessions.connected(sessionId, this.connectionId);
      this.replica = replica;
      this.lastPingAt = this.world.now();
      this.counts.reconnects++;
    };
    if (core.ownsSessionExpiry || core.pipeline.revalidate === undefined) {
      attach();
      return;
    }
    this.state = 'busy';
    core.pipeline.revalidate(sessionId, core.sessions.timeoutOf(sessionId)).then(
      (alive) => {
        this.state = 'idle';
        if (this.sessionId !== sessionId) return;
        if (!alive || !core.sessions.isLive(sessionId)) this.sessionEnded('expired');
        else if (this.world.reachable().includes(replica) && replica.isServing()) attach();
      },
      () => {
        this.state = 'idle';
      },
    );
  }

  private sessionEnded(how: 'expired' | 'closed'): void {
    const session = this.sessionId === undefined ? undefined : this.sessions.get(this.sessionId);
    if (session !== undefined) session.ended = true;
    if (how === 'expired') this.counts.expiries++;
    this.sessionId = undefined;
    this.replica = undefined;
  }

  private createSession(replica: SimReplica): void {
    const sessionId = replica.core.newSessionId();
    const { core } = replica;
    const timeoutMs = core.sessions.open(
      sessionId,
      this.options.sessionTimeoutMs,
      this.connectionId,
      core.ownsSessionExpiry,
    );
    this.state = 'busy';
    const password = Buffer.alloc(16, this.id);
    const ephemeral = `/client-${this.id}-${this.sessions.size}`;
    core.pipeline
      .propose(sessionId, 0, { type: 'createSession', sessionId, timeoutMs, password })
      .then(
        (outcome) => {
          this.state = 'idle';
          this.lastZxidSeen = Math.max(this.lastZxidSeen, outcome.zxid);
          if (!this.world.reachable().includes(replica) || !replica.isServing()) return;
          core.sessions.connected(sessionId, this.connectionId);
          this.sessionId = sessionId;
          this.sessions.set(sessionId, { ephemeral, ended: false });
          this.replica = replica;
          this.lastPingAt = this.world.now();
          this.createEphemeral(ephemeral);
        },
        () => {
          this.state = 'idle';
        },
      );
  }

  /** Each session owns one ephemeral node for as long as it lives (the ephemeral invariant). */
  private createEphemeral(path: string): void {
    const request: WriteRequest = {
      kind: 'create', opcode: 1, path, data: Buffer.from(path), acl: openAcl, flags: 1, ttl: -1,
    };
    const sessionId = this.sessionId!;
    this.write(request, undefined, (err) => {
      if (err === ErrorCode.ok) this.acknowledgedEphemerals.set(sessionId, path);
    });
  }

  private issue(): void {
    const input = this.randomInput();
    this.counts.operations++;
    if (input.kind === 'getData' || input.kind === 'exists') {
      const now = this.world.now();
      const output = this.read(input.kind, input.path);
      this.history.push({ sessionId: this.id, invokedAt: now, completedAt: now, input, output });
      return;
    }
    if (input.kind === 'sync') {
      this.sync(input);
      return;
    }
    this.write(requestOf(input), input);
  }

  private read(kind: 'getData' | 'exists', path: string): ZooKeeperOutput {
    const tree = this.replica!.tree;
    this.lastZxidSeen = Math.max(this.lastZxidSeen, tree.lastZxid);
    this.replica!.core.sessions.touch(this.sessionId!, this.connectionId);
    const result = kind === 'getData' ? tree.getData(path, noAuth) : tree.exists(path, noAuth);
    return outputOf(kind, result.err, result.body);
  }

  private sync(input: Extract<ZooKeeperInput, { kind: 'sync' }>): void {
    const invokedAt = this.world.now();
    const operation: ZooKeeperOperation = {
      sessionId: this.id, invokedAt, completedAt: null, input, output: null,
    };
    this.history.push(operation);
    this.state = 'busy';
    this.replica!.core.pipeline.sync(this.sessionId!, this.nextCxid(), input.path).then(
      () => {
        this.state = 'idle';
        operation.completedAt = this.world.now();
        operation.output = { kind: 'synced' };
      },
      () => this.lost(),
    );
  }

  /** A write: recorded when `input` is given (shared keys), then answered once applied. */
  private write(
    request: WriteRequest,
    input: ZooKeeperInput | undefined,
    answered: (err: number) => void = () => undefined,
  ): void {
    const replica = this.replica!;
    const invokedAt = this.world.now();
    const operation: ZooKeeperOperation | undefined =
      input === undefined
        ? undefined
        : { sessionId: this.id, invokedAt, completedAt: null, input, output: null };
    if (operation !== undefined) this.history.push(operation);
    this.state = 'busy';
    replica.core.sessions.touch(this.sessionId!, this.connectionId);
    const cxid = this.nextCxid();
    this.sentRequests.push(`${this.sessionId!}:${cxid}`);
    replica.core.pipeline
      .propose(this.sessionId!, cxid, { type: 'write', request, auth: noAuth })
      .then(
        (outcome) => {
          this.state = 'idle';
          this.lastZxidSeen = Math.max(this.lastZxidSeen, outcome.zxid);
          this.acknowledgedZxids.push(outcome.zxid);
          answered(outcome.err);
          if (isSessionExpired(outcome.err, outcome.body)) {
            // The session was gone when the write applied: an error the client sees as expiry.
            if (operation !== undefined) this.history.pop();
            this.sessionEnded('expired');
            return;
          }
          if (operation === undefined) return;
          operation.completedAt = this.world.now();
          operation.output = outputOf(request.kind, outcome.err, outcome.body);
        },
        () => this.lost(),
      );
  }

  /** ConnectionLoss: the operation's outcome stays unknown; the client reconnects. */
  private lost(): void {
    this.state = 'idle';
    this.replica = undefined;
  }

  private nextCxid(): number {
    this.cxid += 1;
    return this.cxid;
  }

  private randomInput(): ZooKeeperInput {
    const random = this.world.random;
    const path = random.pick(this.options.keys);
    const data = `c${this.id}-${this.cxid}`;
    const version = random.chance(0.5) ? -1 : random.int(3);
    const roll = random.int(100);
    if (roll < 16) return { kind: 'create', path, data };
    if (roll < 32) return { kind: 'setData', path, data, version };
    if (roll < 40) return { kind: 'delete', path, version };
    if (roll < 60) return { kind: 'getData', path };
    if (roll < 72) return { kind: 'exists', path };
    if (roll < 80) return { kind: 'sync', path: '/' };
    // A queue: its parent is created like any key, its items with sequential names.
    if (roll < 84) return { kind: 'create', path: queueParent, data };
    if (roll < 92) return { kind: 'create', path: `${queueParent}/item-`, data, sequential: true };
    // Multi: a versioned compare-and-set, or a create undone in the same transaction.
    if (roll < 96) {
      const ops: ZooKeeperWrite[] = [
        { kind: 'check', path, version },
        { kind: 'setData', path, data, version: -1 },
      ];
      return { kind: 'multi', ops };
    }
    const scratch = `${path}-scratch`;
    return {
      kind: 'multi',
      ops: [{ kind: 'create', path: scratch, data }, { kind: 'delete', path: scratch, version: -1 }],
    };
  }
}

function requestOf(input: ZooKeeperInput): WriteRequest {
  switch (input.kind) {
    case 'multi':
      return { kind: 'multi', ops: input.ops.map((op) => requestOf(op) as MultiOp) };
    case 'check':
      return { kind: 'check', path: input.path, version: input.version };
    case 'create':
      return {
        kind: 'create', opcode: 1, path: input.path, data: Buffer.from(input.data), acl: openAcl,
        flags: input.sequential === true ? 2 : 0, ttl: -1,
      };
    case 'setData':
      return {
        kind: 'setData', path: input.path, data: Buffer.from(input.data), version: input.version,
      };
    case 'delete':
      return { kind: 'delete', path: input.path, version: input.version };
    default:
      throw new Error(`simulated client: ${input.kind} is not a write it issues`);
  }
}

/**
 * The write was refused because the session was already gone: ZooKeeper closes such a
 * session's connection, so a real client sees the expiry rather than this reply (a multi says
 * so in its first op's result).
 */
function isSessionExpired(err: number, body: ResponseBody): boolean {
  if (err === ErrorCode.sessionExpired) return true;
  if (body.kind !== 'multi') return false;
  return body.results.some(
    (result) => result.kind === 'error' && result.err === ErrorCode.sessionExpired,
  );
}

/** A multi's per-op results, as the checker reads them (a failed multi: an error per op). */
function multiOutputOf(body: ResponseBody): ZooKeeperOutput {
  if (body.kind !== 'multi') return { kind: 'error', code: ErrorCode.marshallingError };
  const results = body.results.map((result): ZooKeeperOutput => {
    switch (result.kind) {
      case 'create':
        return { kind: 'created', path: result.path };
      case 'delete':
        return { kind: 'deleted' };
      case 'setData':
        return { kind: 'set', version: result.stat.version };
      case 'check':
        return { kind: 'checked' };
      case 'error':
        return { kind: 'error', code: result.err };
      default:
        throw new Error(`simulated client: no reading of a ${result.kind} multi result`);
    }
  });
  return { kind: 'multi', results };
}

/** The checker's reading of a server reply. */
function outputOf(kind: string, err: number, body: ResponseBody): ZooKeeperOutput {
  if (kind === 'multi' && err === ErrorCode.ok) return multiOutputOf(body);
  if (err !== ErrorCode.ok) return { kind: 'error', code: err };
  switch (kind) {
    case 'create':
      return { kind: 'created', path: body.kind === 'path' ? body.path : '' };
    case 'delete':
      return { kind: 'deleted' };
    case 'setData':
      return { kind: 'set', version: body.kind === 'stat' ? body.stat.version : -1 };
    case 'getData':
      return body.kind === 'data'
        ? { kind: 'data', data: body.data.toString('utf8'), version: body.stat.version }
        : { kind: 'error', code: ErrorCode.noNode };
    case 'exists':
      return body.kind === 'stat' ? { kind: 'stat', version: body.stat.version } : {
        kind: 'error', code: ErrorCode.noNode,
      };
    default:
      throw new Error(`simulated client: no reading of ${kind}`);
  }
}
