// corral's ZooKeeper client: one method per ZooKeeper operation, promises with typed results and
// typed errors, the chroot applied to every path in and removed from every path out, and watches
// as callbacks or async iterators. The connection itself is the machine hosted by ConnectionHost.

import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import { ErrorCode, fromCode, type ZooKeeperError } from '../protocol/errors.js';
import type { ClientRequest } from '../protocol/requests.js';
import type { ResponseBody } from '../protocol/responses.js';
import type { ClientConnectionState } from '../machines/client-connection.js';
import { prependChroot, stripChroot, validatePath } from './connect-string.js';
import { ConnectionHost, isTerminal, type ConnectedServer } from './connection.js';
import {
  Transaction,
  createRequest,
  toMultiOp,
  type Operation,
  type ReadOperation,
} from './transaction.js';
import {
  openAcl,
  toBuffer,
  toData,
  type AclResult,
  type ACL,
  type ChildrenResult,
  type ClientInfo,
  type CreateOptions,
  type CreateResult,
  type DataInput,
  type DataResult,
  type MultiResult,
  type RequestOptions,
  type Stat,
  type WatchOptions,
} from './types.js';
import type { Reply } from './wire.js';
import { requestSignal } from './request-signal.js';
import { WatchClient } from './watch-client.js';
import {
  configPath, configResultOf, reconfigRequest, type ConfigResult, type ReconfigChange,
} from './config.js';
import type { RegisteredWatches, WatchEvent, WatchKind, WatchListener } from './watches.js';

interface ClientEvents {
  state: (state: ClientConnectionState) => void;
}

/** A multi that failed: the error of the first failing op, with every op's result. */
export type MultiError = ZooKeeperError & { results: MultiResult[] };

export class Client {
  private readonly emitter = createNanoEvents<ClientEvents>();
  private readonly watches: WatchClient;

  constructor(
    private readonly host: ConnectionHost,
    /** The chroot from the connect string ('' for none). */
    readonly chroot: string,
    private readonly defaultRequestTimeoutMs: number | undefined,
  ) {
    this.watches = new WatchClient(host, chroot, (request, path, options, onReply) =>
      this.call(request, path, options, onReply),
    );
    host.onState((state) => this.emitter.emit('state', state));
  }

  /** connecting | connected | connectedReadOnly | suspended | expired | closed | authFailed. */
  get state(): ClientConnectionState {
    return this.host.state;
  }

  /**
   * True while connected to a read-only server (one cut off from its quorum, accepted because of
   * `canBeReadOnly`): reads are served, writes fail with NotReadOnlyError, and the client looks
   * for a read-write server to move to.
   */
  get readOnly(): boolean {
    return this.host.state === 'connectedReadOnly';
  }

  get sessionId(): bigint {
    return this.host.sessionId;
  }

  get sessionPassword(): Buffer | null {
    return this.host.sessionPassword;
  }

  get sessionTimeoutMs(): number {
    return this.host.negotiatedTimeoutMs;
  }

  /** The server (and its site) the client is connected to; undefined while not connected. */
  get connectedServer(): ConnectedServer | undefined {
    return this.host.connectedServer;
  }

  /** Connection state changes, as the machine reports them. */
  on(event: 'state', listener: (state: ClientConnectionState) => void): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** Resolves when connected (at once if connected); rejects once the client can never be. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    return this.host.whenConnected(signal);
  }

  async create(
    path: string,
    data?: DataInput,
    options: CreateOptions = {},
  ): Promise<CreateResult> {
    const request = createRequest(prependChroot(this.chroot, path), data, options);
    const body = await this.call(request, path, options);
    if (body.kind !== 'pathStat') throw unexpected(body);
    return { path: this.toClient(body.path), stat: body.stat };
  }

  async delete(path: string, version = -1, options: RequestOptions = {}): Promise<void> {
    await this.call({ kind: 'delete', path: this.toServer(path), version }, path, options);
  }

  /** The node's stat, or null when it does not exist (a watch then waits for its creation). */
  async exists(path: string, options: WatchOptions = {}): Promise<Stat | null> {
    try {
      const body = await this.read('exists', path, options);
      if (body.kind !== 'stat') throw unexpected(body);
      return body.stat;
    } catch (error) {
      if ((error as ZooKeeperError).code === ErrorCode.noNode) return null;
      throw error;
    }
  }

  async getData(path: string, options: WatchOptions = {}): Promise<DataResult> {
    const body = await this.read('getData', path, options);
    if (body.kind !== 'data') throw unexpected(body);
    return { data: body.data, stat: body.stat };
  }

  async setData(
    path: string,
    data: Buffer | string | null,
    version = -1,
    options: RequestOptions = {},
  ): Promise<Stat> {
    const serverPath = this.toServer(path);
    const request = { kind: 'setData', path: serverPath, data: toData(data), version } as const;
    const body = await this.call(request, path, options);
    if (body.kind !== 'stat') throw unexpected(body);
    return body.stat;
  }

  async getChildren(path: string, options: WatchOptions = {}): Promise<string[]> {
    const body = await this.read('getChildren', path, options);
    if (body.kind !== 'children') throw unexpected(body);
    // Decoded from the reply's bytes: the array is this call's own.
    return body.children as string[];
  }

  /** getChildren with the parent's stat (ZooKeeper's getChildren2). */
  async getChildren2(path: string, options: WatchOptions = {}): Promise<ChildrenResult> {
    const body = await this.read('getChildren2', path, options);
    if (body.kind !== 'childrenStat') throw unexpected(body);
    return { children: body.children as string[], stat: body.stat };
  }

  async getACL(path: string, options: RequestOptions = {}): Promise<AclResult> {
    const body = await this.call({ kind: 'getACL', path: this.toServer(path) }, path, options);
    if (body.kind !== 'acl') throw unexpected(body);
    return { acl: body.acl, stat: body.stat };
  }

  async setACL(
    path: string,
    acl: ACL[] = openAcl,
    version = -1,
    options: RequestOptions = {},
  ): Promise<Stat> {
    const request = { kind: 'setACL', path: this.toServer(path), acl, version } as const;
    const body = await this.call(request, path, options);
    if (body.kind !== 'stat') throw unexpected(body);
    return body.stat;
  }

  /** After sync, reads on this connection see every write committed before it. */
  async sync(path = '/', options: RequestOptions = {}): Promise<void> {
    await this.call({ kind: 'sync', path: this.toServer(path) }, path, options);
  }

  /** All-or-nothing writes. On failure throws the first failing op's error with `results`. */
  async multi(operations: Operation[], options: RequestOptions = {}): Promise<MultiResult[]> {
    const ops = operations.map((operation) => toMultiOp(operation, (path) => this.toServer(path)));
    const body = await this.call({ kind: 'multi', ops }, undefined, options);
    if (body.kind !== 'multi') throw unexpected(body);
    const results = body.results.map((result) => this.stripResult(result));
    const failed = results.findIndex((result) => result.kind === 'error' && result.err !== 0);
    if (failed !== -1) {
      const result = results[failed] as { err: number };
      throw Object.assign(fromCode(result.err, operations[failed]?.path), { results });
    }
    return results;
  }

  transaction(): Transaction {
    return new Transaction((operations, options) => this.multi(operations, options));
  }

  /** Several reads in one round trip; a failed read is an `error` result, not an exception. */
  async multiRead(
    operations: ReadOperation[],
    options: RequestOptions = {},
  ): Promise<MultiResult[]> {
    const ops = operations.map((operation) => {
      validatePath(operation.path);
      return { kind: operation.kind, path: this.toServer(operation.path), watch: false } as const;
    });
    const body = await this.call({ kind: 'multiRead', ops }, undefined, options);
    if (body.kind !== 'multi') throw unexpected(body);
    return body.results;
  }

  /** A persistent (optionally recursive) watch calling `listener` until removed. */
  addWatch(
    path: string,
    listener: WatchListener,
    options: { recursive?: boolean } & RequestOptions = {},
  ): Promise<void> {
    return this.watches.addWatch(path, listener, options);
  }

  /** Removes listeners of a kind ('any' includes persistent ones); NoWatcher if none matched. */
  removeWatches(
    path: string,
    type: 'children' | 'data' | 'any',
    listener?: WatchListener,
    options: RequestOptions = {},
  ): Promise<void> {
    return this.watches.removeWatches(path, type, listener, options);
  }

  /** Events for a node (or its subtree) as an async iterator; breaking out removes the watch. */
  watch(
    path: string,
    options: { recursive?: boolean; signal?: AbortSignal } = {},
  ): AsyncIterableIterator<WatchEvent> {
    return this.watches.iterate(path, options);
  }

  /** Paths of this session's ephemeral nodes under `prefixPath` (chroot removed). */
  async getEphemerals(prefixPath = '/', options: RequestOptions = {}): Promise<string[]> {
    const request = { kind: 'getEphemerals', path: this.toServer(prefixPath) } as const;
    const body = await this.call(request, prefixPath, options);
    if (body.kind !== 'paths') throw unexpected(body);
    return body.paths.map((path) => this.toClient(path));
  }

  async getAllChildrenNumber(path: string, options: RequestOptions = {}): Promise<number> {
    const request = { kind: 'getAllChildrenNumber', path: this.toServer(path) } as const;
    const body = await this.call(request, path, options);
    if (body.kind !== 'number') throw unexpected(body);
    return body.value;
  }

  async whoAmI(options: RequestOptions = {}): Promise<ClientInfo[]> {
    const body = await this.call({ kind: 'whoAmI' }, undefined, options);
    if (body.kind !== 'clientInfo') throw unexpected(body);
    return body.entries;
  }

  /**
   * ZooKeeper's reconfig: with reconfigEnabled, as the super user or with WRITE on
   * /zookeeper/config. Incremental (`joining` server lines, `leaving` ids) or the whole new
   * membership (`newMembers`); `fromConfig` is the version the change must start from (-1, the
   * default: any). Resolves with the new configuration as /zookeeper/config holds it. A change
   * that moves leadership may cost this connection before the answer arrives (ConnectionLoss),
   * as with ZooKeeper; getConfig then says whether it took.
   */
  async reconfig(change: ReconfigChange, options: RequestOptions = {}): Promise<ConfigResult> {
    const body = await this.call(reconfigRequest(change), configPath, options);
    if (body.kind !== 'data') throw unexpected(body);
    return configResultOf(body.data, body.stat);
  }

  /**
   * The ensemble's configuration from /zookeeper/config (ZooKeeper's getConfig: outside any
   * chroot): its text, its version and the node's stat.
   */
  async getConfig(options: RequestOptions = {}): Promise<ConfigResult> {
    const request = { kind: 'getData', path: configPath, watch: false } as const;
    const body = await this.call(request, configPath, options);
    if (body.kind !== 'data') throw unexpected(body);
    return configResultOf(body.data, body.stat);
  }

  /** Adds credentials to the session (re-sent after every reconnect). */
  async addAuth(
    scheme: string,
    auth: Buffer | string,
    options: RequestOptions = {},
  ): Promise<void> {
    const { signal, dispose } = requestSignal(options, this.defaultRequestTimeoutMs);
    try {
      await this.host.addAuthentication(scheme, toBuffer(auth), signal);
    } finally {
      dispose();
    }
  }

  /** Closes the session: its ephemerals go, its watches end, requests fail from now on. */
  async close(): Promise<void> {
    await this.host.close();
  }

  /** Drops the TCP connection without closing the session (tests and fault drills). */
  dropConnection(): void {
    this.host.dropSocket();
  }

  private read(
    kind: 'exists' | 'getData' | 'getChildren' | 'getChildren2',
    path: string,
    options: WatchOptions,
  ): Promise<ResponseBody> {
    const listener = options.watch;
    const request = { kind, path: this.toServer(path), watch: listener !== undefined };
    if (listener === undefined) return this.call(request, path, options);
    // Registered as the reply is read, so an event right behind the reply finds the listener.
    const kindFor = (err: number): WatchKind | undefined => {
      if (kind === 'getChildren' || kind === 'getChildren2') return err === 0 ? 'child' : undefined;
      if (kind !== 'exists') return err === 0 ? 'data' : undefined;
      return err === 0 ? 'data' : err === ErrorCode.noNode ? 'exist' : undefined;
    };
    return this.call(request, path, options, (reply) => {
      const watchKind = kindFor(reply.header.err);
      if (watchKind !== undefined) this.watches.registry.add(watchKind, path, listener);
    });
  }

  private async call(
    request: ClientRequest,
    path: string | undefined,
    options: RequestOptions,
    onReply?: (reply: Reply) => void,
  ): Promise<ResponseBody> {
    const { signal, dispose } = requestSignal(options, this.defaultRequestTimeoutMs);
    try {
      const reply = await this.host.request(request, signal, onReply);
      if (reply.header.err !== 0) throw fromCode(reply.header.err, path);
      return reply.body;
    } finally {
      dispose();
    }
  }

  private toServer(path: string): string {
    validatePath(path);
    return prependChroot(this.chroot, path);
  }

  private toClient(path: string): string {
    return stripChroot(this.chroot, path);
  }

  private stripResult(result: MultiResult): MultiResult {
    return result.kind === 'create' ? { ...result, path: this.toClient(result.path) } : result;
  }

  /** Server paths of every registered watch (the connection re-registers them). */
  watchServerPaths(): RegisteredWatches {
    return this.watches.serverPaths();
  }

  /** True once the client can never reconnect (expired, closed, authFailed). */
  get isFinished(): boolean {
    return isTerminal(this.host.state);
  }
}

function unexpected(body: ResponseBody): Error {
  return new Error(`unexpected response body '${body.kind}'`);
}

