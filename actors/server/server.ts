// A corral server process's client side: the TCP listener on the client port (and the TLS one
// on the secure client port), connection limits, four-letter words, and periodic housekeeping
// (containers and TTL nodes), around the shared ServerCore. attachClientConnection is the one
// way any socket — TCP or TLS here, in-memory in the simulator — becomes a client connection of
// a core.

import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Id } from '../../protocol/records.js';
import type { TxnLog } from '../../storage/log.js';
import {
  ClientConnection,
  normaliseAddress,
  systemConnectionClock,
  type ClientSocket,
  type ConnectionHandler,
  type ConnectionClock,
  type RequestQueueFactory,
} from './client-connection.js';
import { isLoopbackAddress } from './connection-host.js';
import { handleConnectFrame } from './handshake.js';
import { handleRequestFrame } from './request-handler.js';
import { detectTls, SecureClientPort } from './secure-client-port.js';
import { ServerCore, type ServerCoreOptions, type ServerSettings } from './server-core.js';

export interface ServerOptions {
  settings: ServerSettings;
  logger: Logger;
  log: TxnLog;
  /** Answers a four-letter word, or undefined when the bytes are not one. */
  fourLetterWord?: (server: CorralServer, word: string, argument: Buffer) => string | undefined;
  inspect?: ServerCoreOptions['inspect'];
  /** An ensemble replica's pipeline and id (actors/replica/host.ts); none standalone. */
  core?: Omit<ServerCoreOptions, 'inspect'>;
  /** The audit log (audit.enable=true). */
  audit?: ServerCoreOptions['audit'];
}

/** Housekeeping deletes at most this many nodes per pass, as ZooKeeper's maxPerMinute. */
const containerDeletesPerPassMax = 1000;

export interface AttachOptions {
  /** Timers for the connection's deadlines: the system's by default, the simulator's there. */
  clock?: ConnectionClock;
  /** Answers a four-letter word, or undefined when the bytes are not one (none by default). */
  fourLetterWord?: (word: string, argument: Buffer) => string | undefined;
  /** Told once the connection is gone, before the core forgets it. */
  closed?: (connection: ClientConnection) => void;
  /** The connection's reply queue: the real one unless the simulator runs a broken variant. */
  requestQueue?: RequestQueueFactory;
}

/**
 * Makes `socket` a client connection of `core`: its first frame is the connect request (the
 * handshake), later ones requests of the session it opened; a connection still without a
 * session after settings.sessionlessConnectionMs is closed; on close the core drops its
 * session's link.
 */
export function attachClientConnection(
  core: ServerCore,
  socket: ClientSocket,
  options: AttachOptions = {},
): ClientConnection {
  const clock = options.clock ?? systemConnectionClock;
  const connection = new ClientConnection(
    socket,
    connectionHandlerFor(core, options),
    {
      // ZooKeeper's NIOServerCnxn.readLength closes a connection whose frame length exceeds
      // jute.maxbuffer itself (header and path included); checked against ZooKeeper 3.8.
      frameBytesMax: core.settings.juteMaxBufferBytes,
      outstandingRequestsMax: core.settings.outstandingRequestsMax,
      sendQueueBytesThrottle: core.settings.clientSendQueueBytesThrottle,
      sendQueueBytesMax: core.settings.clientSendQueueBytesMax,
    },
    core.statistics,
    {
      clock,
      requestsInFlight: core.requestsInFlight,
      nextTurn: core.nextTurn,
      ...(options.requestQueue === undefined ? {} : { requestQueue: options.requestQueue }),
    },
  );
  connection.sessionlessDeadline = clock.setTimeout(() => {
    // Let go of the fired timer: a connection keeps nothing of its handshake deadline.
    connection.sessionlessDeadline = undefined;
    if (connection.sessionId !== undefined) return;
    core.statistics.metrics.counters.sessionless_connections_expired++;
    connection.close();
  }, core.settings.sessionlessConnectionMs);
  core.connections.set(connection.id, connection);
  return connection;
}

/**
 * One handler serves every connection attached with the same options (a server passes the same
 * each time): its callbacks are told which connection, so none is built per connection.
 */
const handlers = new WeakMap<ServerCore, WeakMap<AttachOptions, ConnectionHandler>>();

function connectionHandlerFor(core: ServerCore, options: AttachOptions): ConnectionHandler {
  let byOptions = handlers.get(core);
  if (byOptions === undefined) {
    byOptions = new WeakMap();
    handlers.set(core, byOptions);
  }
  let handler = byOptions.get(options);
  if (handler !== undefined) return handler;
  const clock = options.clock ?? systemConnectionClock;
  handler = {
    fourLetterWord: (_connection, word, argument) => options.fourLetterWord?.(word, argument),
    frame: (current, frame) => {
      if (current.packetsReceived === 1) {
        core.statistics.metrics.counters.connection_request_count++;
        handleConnectFrame(core, current, frame);
      }
      else if (current.sessionId !== undefined) handleRequestFrame(core, current, frame);
    },
    overflowed: (current, unsentBytes) => {
      const { remoteAddress, remotePort } = current;
      core.logger.warn(
        { address: remoteAddress, port: remotePort, unsentBytes },
        'closing a client connection that does not read its replies (client.sendQueueBytesMax)',
      );
    },
    closed: (current) => {
      const deadline = current.sessionlessDeadline;
      if (deadline !== undefined) clock.clearTimeout(deadline);
      current.sessionlessDeadline = undefined;
      options.closed?.(current);
      core.connectionClosed(current);
    },
  };
  byOptions.set(options, handler);
  return handler;
}

export class CorralServer {
  readonly core: ServerCore;
  readonly startedAt = Date.now();
  private readonly listener: Server;
  private readonly secure: SecureClientPort | undefined;
  private readonly connectionsPerAddress = new Map<string, number>();
  /** Client connections open now, over both ports (maxCnxns). */
  private connectionCount = 0;
  private housekeeping: NodeJS.Timeout | undefined;
  /** The same for every connection, so that they share one handler (attachClientConnection). */
  private readonly attachOptions: AttachOptions = {
    fourLetterWord: (word, argument) => this.options.fourLetterWord?.(this, word, argument),
    closed: (connection) => {
      this.connectionCount--;
      // The address it was counted under in accept (normalised the same way).
      const address = connection.remoteAddress;
      const left = (this.connectionsPerAddress.get(address) ?? 1) - 1;
      if (left > 0) this.connectionsPerAddress.set(address, left);
      else this.connectionsPerAddress.delete(address);
    },
  };

  constructor(private readonly options: ServerOptions) {
    this.core = new ServerCore(options.settings, options.logger, options.log, {
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
      ...(options.audit === undefined ? {} : { audit: options.audit }),
      ...options.core,
    });
    const { clientTls } = options.settings;
    this.secure = clientTls === undefined ||
      (options.settings.secureClientPort === undefined && !options.settings.clientPortUnification)
      ? undefined
      : new SecureClientPort({
        settings: clientTls,
        reload: options.settings.clientCertReload,
        handshakeTimeoutMs: options.settings.sessionlessConnectionMs,
        logger: options.logger,
        superUser: options.settings.x509SuperUser,
        accept: (socket, ids) => this.accept(socket, ids),
        refused: (handshakeFailed) => {
          // ZooKeeper counts both in auth_failed_count; a failed handshake in its own counter.
          this.core.statistics.authFailedCount++;
          if (handshakeFailed) this.core.statistics.metrics.counters.unsuccessful_handshake++;
        },
      });
    const secure = this.secure;
    this.listener = secure === undefined || !options.settings.clientPortUnification
      ? createServer((socket) => this.accept(socket))
      : createServer((socket) => detectTls(socket, clientTls!.handshakeDetectionTimeoutMs,
        (tlsSocket) => {
          // ZooKeeper counts a unified port's connection before it knows it is TLS.
          this.countPlaintext(tlsSocket);
          secure.takeOver(tlsSocket);
        }, (plain) => this.accept(plain)));
    this.core.statistics.nettyConnectionLayer =
      options.settings.connectionFactory === 'netty' || clientTls !== undefined;
  }

  get settings(): ServerSettings {
    return this.options.settings;
  }

  /**
   * Opens the client port and the secure client port (either may be absent, not both). Answers
   * the plaintext port's address, or the secure one's when there is no plaintext port.
   */
  async listen(): Promise<{ address: string; port: number; secure?: { address: string;
    port: number; }; }> {
    const { clientPort, clientPortAddress, secureClientPort, secureClientPortAddress } =
      this.options.settings;
    const secure = this.secure === undefined || secureClientPort === undefined
      ? undefined
      : await this.secure.listen(secureClientPort, secureClientPortAddress);
    let plain: { address: string; port: number } | undefined;
    if (clientPort !== undefined) {
      await new Promise<void>((resolve, reject) => {
        this.listener.once('error', reject);
        this.listener.listen(clientPort, clientPortAddress, () => {
          this.listener.off('error', reject);
          resolve();
        });
      });
      const address = this.listener.address();
      if (address === null || typeof address === 'string') throw new Error('listener has no port');
      plain = { address: address.address, port: address.port };
    }
    const interval = this.options.settings.containerCheckIntervalMs;
    this.housekeeping = setInterval(() => this.removeExpiredNodes(), interval);
    this.housekeeping.unref();
    const first = plain ?? secure;
    if (first === undefined) throw new Error('neither clientPort nor secureClientPort is set');
    return { ...first, ...(secure === undefined ? {} : { secure }) };
  }

  /** A client socket (TCP, or TLS past its handshake with the `x509` ids it earned). */
  private accept(socket: Socket, ids: Id[] = []): void {
    const address = normaliseAddress(socket.remoteAddress ?? '');
    const limit = this.options.settings.maxClientConnections;
    const count = this.connectionsPerAddress.get(address) ?? 0;
    if (limit > 0 && count >= limit) {
      this.options.logger.warn({ address, limit }, 'too many connections from one address');
      this.core.statistics.metrics.counters.connection_rejected++;
      socket.destroy();
      return;
    }
    // ZooKeeper's maxCnxns: every client connection to this server, over both ports.
    const totalLimit = this.options.settings.connectionsMax;
    if (totalLimit > 0 && this.connectionCount >= totalLimit) {
      this.options.logger.warn({ address, limit: totalLimit }, 'too many client connections');
      this.core.statistics.metrics.counters.connection_rejected++;
      socket.destroy();
      return;
    }
    this.connectionCount++;
    this.connectionsPerAddress.set(address, count + 1);
    if (!(socket instanceof TLSSocket)) this.countPlaintext(socket);
    const connection = attachClientConnection(this.core, socket, this.attachOptions);
    if (ids.length > 0) connection.addAuthIds(ids);
  }

  /**
   * NettyServerCnxnFactory's channelActive: a connection without TLS counts as a non-mTLS one,
   * local or remote by its address. ZooKeeper's NIO layer counts none (nor does corral then).
   */
  private countPlaintext(socket: Socket): void {
    const statistics = this.core.statistics;
    if (!statistics.nettyConnectionLayer) return;
    if (isLoopbackAddress(normaliseAddress(socket.remoteAddress ?? ''))) {
      statistics.nonMtlsLocalConnections++;
    } else statistics.nonMtlsRemoteConnections++;
  }

  /** ZooKeeper's ContainerManager: delete empty containers and expired TTL nodes as txns. */
  private removeExpiredNodes(): void {
    // ZooKeeper's ContainerManager runs on the leader only; learners apply its txns.
    if (!this.core.role.serving || !this.core.ownsSessionExpiry) return;
    const candidates = this.core.tree.containerCandidates(Date.now());
    for (const path of candidates.slice(0, containerDeletesPerPassMax)) {
      void this.core.pipeline
        .propose(0n, this.core.nextInternalCxid(), { type: 'deleteContainer', path })
        .catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.housekeeping);
    for (const connection of this.core.connections.values()) connection.close();
    this.core.sessions.stopAll();
    // Txns already ordered finish (durable, applied) before the storage under them closes.
    await this.core.pipeline.drained?.();
    await new Promise<void>((resolve) =>
      this.listener.listening ? this.listener.close(() => resolve()) : resolve());
    await this.secure?.close();
    await this.options.log.close();
  }
}
