// The host of the client connection machine: it supplies the machine's effects (sockets through
// WireConnection, wall-clock timers, randomness) and gives the client one `request()` that waits
// for a connection, sends once, and fails with ConnectionLoss when the connection goes mid-flight.

import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import { createActor, fromPromise, type Actor } from 'xstate';
import {
  clientConnectionMachine,
  reconnectBackoffMs,
  type ClientConnectionState,
  type OpenConnectionInput,
  type ProbeServerInput,
  type ServerAddress,
  type SessionEstablished,
} from '../machines/client-connection.js';
import { KeeperState, OpCode } from '../protocol/constants.js';
import {
  AuthFailedError,
  ConnectionLossError,
  ErrorCode,
  SessionExpiredError,
  type ZooKeeperError,
} from '../protocol/errors.js';
import type { WatcherEvent } from '../protocol/records.js';
import type { ClientRequest } from '../protocol/requests.js';
import type { ClientTlsOptions } from './types.js';
import { probeReadWrite, probeServing } from './probe.js';
import { orderServersBySite } from './sites.js';
import { WireConnection, type Reply } from './wire.js';
import type { RegisteredWatches } from './watches.js';

export interface ConnectionSettings {
  servers: ServerAddress[];
  sessionTimeoutMs: number;
  canBeReadOnly: boolean;
  reconnectBackoffMsBase: number;
  reconnectBackoffMsMax: number;
  /** How long close() waits for the server's closeSession reply before dropping the socket. */
  closeTimeoutMs: number;
  /** The only source of randomness: shuffles servers and jitters the backoff. */
  random: () => number;
  frameBytesMax?: number;
  /** Connect over TLS with these options (ClientOptions.tls). */
  tls?: ClientTlsOptions;
  /** Server paths to re-register after a reconnect. */
  registeredWatches: () => RegisteredWatches;
  /** The client's own site (ClientOptions.site): its servers first, others as a fallback. */
  site?: string;
  /** While served outside the own site, ask own-site servers this often. */
  siteProbeIntervalMs?: number;
}

/** The server a client is connected to, with the site its connect string tags it with. */
export interface ConnectedServer {
  host: string;
  port: number;
  /** Absent for a server the connect string does not tag. */
  site?: string;
  /** Whether `site` is the client's own (false for an untagged server or a client without). */
  isOwnSite: boolean;
}

interface HostEvents {
  state: (state: ClientConnectionState) => void;
  notification: (event: WatcherEvent, zxid: number) => void;
}

const terminalStates = new Set<ClientConnectionState>(['expired', 'closed', 'authFailed']);

/** Bounds the wait-then-send loop: each turn waits for a fresh connection. */
const sendAttemptsMax = 1_000;

export function isTerminal(state: ClientConnectionState): boolean {
  return terminalStates.has(state);
}

export class ConnectionHost {
  state: ClientConnectionState = 'connecting';
  /** The zxid the next handshake and setWatches2 carry: the highest a reply has shown. */
  private lastZxidSeen = 0;
  private wire: WireConnection | null = null;
  /** The server `wire` is connected to. */
  private server: ServerAddress | null = null;
  private silenceTimer: NodeJS.Timeout | undefined;
  private readonly authentications: { scheme: string; auth: Buffer }[] = [];
  private readonly emitter = createNanoEvents<HostEvents>();
  private readonly actor: Actor<typeof clientConnectionMachine>;

  constructor(private readonly settings: ConnectionSettings) {
    const machine = clientConnectionMachine.provide({
      actors: {
        openConnection: fromPromise<SessionEstablished, OpenConnectionInput>(
          ({ input, signal }) => this.openConnection(input, signal),
        ),
        closeSession: fromPromise<void, void>(() => this.closeSession()),
        probeServer: fromPromise<string, ProbeServerInput>(({ input, signal }) =>
          probeReadWrite(input.server, settings.tls, signal)),
        probeSiteServer: fromPromise<string, ProbeServerInput>(({ input, signal }) =>
          probeServing(input.server, settings.tls, signal)),
      },
      actions: {
        reportState: (_, params) => this.reportState(params.state),
        restoreSession: () => this.restoreSession(),
        dropConnection: () => this.dropConnection(),
      },
      delays: {
        // Jitter spreads reconnecting clients out, as ZooKeeper's random sleep does.
        reconnectBackoff: ({ context }) =>
          Math.round(reconnectBackoffMs(context) * (0.5 + settings.random())),
      },
    });
    const order = orderServersBySite(settings.servers, settings.site, settings.random);
    this.actor = createActor(machine, {
      input: {
        servers: order.servers,
        siteServerCount: order.siteServerCount,
        ...(settings.siteProbeIntervalMs === undefined
          ? {}
          : { siteProbeIntervalMs: settings.siteProbeIntervalMs }),
        requestedTimeoutMs: settings.sessionTimeoutMs,
        canBeReadOnly: settings.canBeReadOnly,
        reconnectBackoffMsBase: settings.reconnectBackoffMsBase,
        reconnectBackoffMsMax: settings.reconnectBackoffMsMax,
        closeTimeoutMs: settings.closeTimeoutMs,
      },
    });
  }

  start(): void {
    this.actor.start();
  }

  get sessionId(): bigint {
    return this.actor.getSnapshot().context.sessionId;
  }

  get sessionPassword(): Buffer | null {
    return this.actor.getSnapshot().context.password;
  }

  get negotiatedTimeoutMs(): number {
    return this.actor.getSnapshot().context.negotiatedTimeoutMs;
  }

  /** The server of the current connection; undefined while not connected. */
  get connectedServer(): ConnectedServer | undefined {
    const server = this.server;
    if (!this.isConnected || server === null) return undefined;
    return {
      host: server.host,
      port: server.port,
      ...(server.site === undefined ? {} : { site: server.site }),
      isOwnSite: server.site !== undefined && server.site === this.settings.site,
    };
  }

  get isConnected(): boolean {
    return this.state === 'connected' || this.state === 'connectedReadOnly';
  }

  onState(listener: (state: ClientConnectionState) => void): Unsubscribe {
    return this.emitter.on('state', listener);
  }

  onNotification(listener: (event: WatcherEvent, zxid: number) => void): Unsubscribe {
    return this.emitter.on('notification', listener);
  }

  /** The error a request gets once the client can never connect again. */
  terminalError(): ZooKeeperError {
    if (this.state === 'expired') return new SessionExpiredError();
    if (this.state === 'authFailed') return new AuthFailedError();
    return new ConnectionLossError('client is closed');
  }

  /** Resolves at the next connected state; rejects on a terminal state or abort. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (isTerminal(this.state)) return Promise.reject(this.terminalError());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        unsubscribe();
        reject(signal?.reason);
      };
      const unsubscribe = this.onState((state) => {
        if (this.isConnected) resolve();
        else if (isTerminal(state)) reject(this.terminalError());
        else return;
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
      });
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Waits for a connection, then sends the request exactly once. A reply's error is left to the
   * caller; a connection lost after sending fails it with ConnectionLossError (never resent).
   */
  async request(
    request: ClientRequest,
    signal?: AbortSignal,
    onReply?: (reply: Reply) => void,
  ): Promise<Reply> {
    for (let attempt = 0; attempt < sendAttemptsMax; attempt++) {
      signal?.throwIfAborted();
      const wire = this.wire;
      if (this.isConnected && wire !== null && !wire.closed) {
        const reply = await raceAbort(wire.request(request, onReply), signal);
        if (reply.header.err === ErrorCode.sessionExpired) {
          this.actor.send({ type: 'session.expired' });
        }
        return reply;
      }
      await this.whenConnected(signal);
    }
    throw new ConnectionLossError(`not connected after ${sendAttemptsMax} attempts`);
  }

  /** Sends auth now and after every reconnect; AuthFailed ends the client, as ZooKeeper's does. */
  async addAuthentication(scheme: string, auth: Buffer, signal?: AbortSignal): Promise<void> {
    const reply = await this.request({ kind: 'auth', authType: 0, scheme, auth }, signal);
    if (reply.header.err === ErrorCode.authFailed) {
      this.actor.send({ type: 'authentication.failed' });
      throw new AuthFailedError(`authentication with scheme '${scheme}' failed`);
    }
    this.authentications.push({ scheme, auth });
  }

  /** Closes the session (closeSession on a live connection) and stops reconnecting. */
  async close(): Promise<void> {
    if (isTerminal(this.state)) return;
    const done = new Promise<void>((resolve) => {
      const unsubscribe = this.onState((state) => {
        if (!isTerminal(state)) return;
        unsubscribe();
        resolve();
      });
    });
    this.actor.send({ type: 'client.close' });
    await done;
  }

  /** Drops the socket as a network failure would (tests, and a host noticing a dead server). */
  dropSocket(): void {
    this.wire?.destroy(new ConnectionLossError('connection dropped'));
  }

  private async openConnection(
    input: OpenConnectionInput,
    signal: AbortSignal,
  ): Promise<SessionEstablished> {
    const servers = Math.max(1, this.settings.servers.length);
    const wire = await WireConnection.open({
      host: input.server.host,
      port: input.server.port,
      timeoutMs: input.requestedTimeoutMs,
      // As ZooKeeper's client: a server gets its share of the session timeout to answer.
      handshakeTimeoutMs: Math.max(1_000, Math.floor(input.requestedTimeoutMs / servers)),
      ...(input.sessionId === 0n ? {} : { sessionId: input.sessionId }),
      ...(input.password === null ? {} : { password: input.password }),
      lastZxidSeen: this.lastZxidSeen,
      readOnly: input.canBeReadOnly,
      ...(this.settings.frameBytesMax === undefined
        ? {}
        : { frameBytesMax: this.settings.frameBytesMax }),
      ...(this.settings.tls === undefined ? {} : { tls: this.settings.tls }),
    });
    if (signal.aborted) {
      wire.destroy();
      throw new ConnectionLossError('connection attempt abandoned');
    }
    this.attach(wire, input.server);
    return {
      sessionId: wire.sessionId,
      password: wire.password,
      negotiatedTimeoutMs: wire.negotiatedTimeoutMs,
      readOnly: wire.readOnly,
    };
  }

  private attach(wire: WireConnection, server: ServerAddress): void {
    this.wire = wire;
    this.server = server;
    wire.onNotification((event, zxid) => {
      if (event.type === -1 && event.state === KeeperState.expired) {
        this.actor.send({ type: 'session.expired' });
        return;
      }
      this.emitter.emit('notification', event, zxid);
    });
    wire.onClose(() => {
      this.lastZxidSeen = Math.max(this.lastZxidSeen, wire.lastZxid);
      if (this.wire !== wire) return;
      clearInterval(this.silenceTimer);
      this.wire = null;
      // The machine counts the session timeout from the server's last frame, not from now.
      const silentMs = Math.max(0, performance.now() - wire.lastReceivedAtMs);
      this.actor.send({ type: 'connection.lost', silentMs });
    });
    this.watchForSilence(wire);
  }

  /**
   * ZooKeeper's read timeout: two thirds of the session timeout without a frame (pings are
   * answered) means the server or the path to it is gone, even if TCP has not noticed.
   */
  private watchForSilence(wire: WireConnection): void {
    const readTimeoutMs = Math.floor((wire.negotiatedTimeoutMs * 2) / 3);
    clearInterval(this.silenceTimer);
    const checkEveryMs = Math.max(50, Math.floor(readTimeoutMs / 4));
    let checkedAtMs = performance.now();
    let judgeFromMs = checkedAtMs;
    this.silenceTimer = setInterval(() => {
      const nowMs = performance.now();
      // Our own event loop stalled (this check ran late): the server may have answered while
      // we were not reading, and our pings were not sent. Judge from now, not from then.
      if (nowMs - checkedAtMs > 2 * checkEveryMs) judgeFromMs = nowMs;
      checkedAtMs = nowMs;
      if (nowMs - Math.max(wire.lastReceivedAtMs, judgeFromMs) > readTimeoutMs) {
        wire.destroy(new ConnectionLossError(`no frame from the server in ${readTimeoutMs} ms`));
      }
    }, checkEveryMs);
    this.silenceTimer.unref();
  }

  /** Before any waiting request: credentials, then watches with the last zxid seen. */
  private restoreSession(): void {
    const wire = this.wire;
    if (wire === null) return;
    for (const { scheme, auth } of this.authentications) {
      wire.request({ kind: 'auth', authType: 0, scheme, auth }).then((reply) => {
        if (reply.header.err === ErrorCode.authFailed) {
          this.actor.send({ type: 'authentication.failed' });
        }
      }, () => undefined);
    }
    const watches = this.settings.registeredWatches();
    if (Object.values(watches).every((paths: string[]) => paths.length === 0)) return;
    // The reply needs no handling: missed events arrive as ordinary notifications before it.
    wire
      .request({
        kind: 'setWatches',
        opcode: OpCode.setWatches2,
        relativeZxid: this.lastZxidSeen,
        ...watches,
      })
      .catch(() => undefined);
  }

  /**
   * The wire stays attached while closing, so its loss still reaches the machine and the
   * machine's closeTimeout (a frozen server never replies) can drop it through dropConnection.
   */
  private async closeSession(): Promise<void> {
    await this.wire?.close();
  }

  private dropConnection(): void {
    const wire = this.wire;
    this.wire = null;
    wire?.destroy();
  }

  private reportState(state: ClientConnectionState): void {
    this.state = state;
    if (isTerminal(state)) {
      clearInterval(this.silenceTimer);
      this.dropConnection();
    }
    this.emitter.emit('state', state);
  }
}

/** Rejects with the signal's reason when it aborts first; the request itself is not recalled. */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
