// The production Transport: TCP links between replicas, with the events and semantics of
// transport/memory.ts. Each link is dialed on the first send, named by a handshake, kept one per
// pair (as ZooKeeper's QuorumCnxManager: only the higher id's connection survives), redialed
// with capped, jittered backoff, and closed with `overflow` rather than buffered without bound.
// The handshake's two sides live beside it: tcp-peer-dial.ts (hello to welcome, redialing an
// older release one wire version lower) and tcp-peer-accept.ts (a hello is believed only once
// the replica at the claimed id's address vouches for it). The peer set changes live (setPeers,
// after a reconfig), and with acceptJoining a replica outside it may link, as a joiner.
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { createNanoEvents } from 'nanoevents';
import type { ServerId } from '../protocol/peer.js';
import { reconnectDelayMs } from './reconnect-backoff.js';
import { PeerSockets } from './tcp-peer-tls.js';
import { PeerConnection, type PeerConnectionLimits } from './tcp-peer-connection.js';
import { PeerAcceptor, StrangerWarnings, type AcceptorHost, type Hello } from './tcp-peer-accept.js';
import { DialAttempt, type DialResult } from './tcp-peer-dial.js';
import { encodeData, encodedDataBytes, isWireServerId, type WireMessage } from './tcp-peer-wire.js';
import { resolveSettings, sameAddress, silentLogger, TcpListenError } from './tcp-peer-options.js';
import type { TcpLinkState, TcpLinkStateName, TcpPeerAddress } from './tcp-peer-options.js';
import type { TcpTransport, TcpTransportLogger, TcpTransportOptions } from './tcp-peer-options.js';
import type { TcpTransportSettings, TcpTransportStatistics } from './tcp-peer-options.js';
import type { CloseCause, TransportEventName, TransportEvents } from './transport.js';

export * from './tcp-peer-options.js';

/** Listens, then returns the transport; nothing is dialed until the first send. */
export async function createTcpTransport(options: TcpTransportOptions): Promise<TcpTransport> {
  const transport = new TcpPeerTransport(options);
  await transport.listen();
  return transport;
}

interface PeerLink {
  readonly peer: ServerId;
  state: TcpLinkStateName;
  /** The live connection (connected). */
  connection: PeerConnection | undefined;
  /** The dial in progress (dialing). */
  attempt: DialAttempt | undefined;
  direction: 'outbound' | 'inbound' | undefined;
  /** The wire version of the live connection. */
  version: number | undefined;
  /** The version of the next dial: versionMax, or lower right after an older release's refusal. */
  dialVersion: number;
  /** Encoded data frames sent before the connection was up; they go out first. */
  pending: Buffer[];
  pendingBytes: number;
  /** Failed attempts since the last connection, for backoff. */
  failures: number;
  /** Backoff, or a lower id's wait for the higher id to call back. */
  timer: NodeJS.Timeout | undefined;
  /** The advertised address of a peer outside the configuration (a joining replica). */
  joining: TcpPeerAddress | undefined;
}

const removedCause: CloseCause = { reason: 'closed', detail: 'removed from the configuration' };
const movedCause: CloseCause = { reason: 'closed', detail: 'address changed in the configuration' };

class TcpPeerTransport implements TcpTransport, AcceptorHost {
  readonly localId: ServerId;
  readonly statistics: TcpTransportStatistics;
  private readonly settings: TcpTransportSettings;
  private readonly limits: PeerConnectionLimits;
  private readonly logger: TcpTransportLogger;
  private readonly random: () => number;
  private readonly emitter = createNanoEvents<TransportEvents>();
  private readonly server: Server;
  /** Plain or TLS sockets, both ways, as quorum TLS is configured. */
  private readonly sockets: PeerSockets;
  private readonly acceptor: PeerAcceptor;
  private readonly links = new Map<ServerId, PeerLink>();
  /** The options' map until setPeers: a test may fill it after the transport starts. */
  private peers: ReadonlyMap<ServerId, TcpPeerAddress>;
  private closed = false;

  constructor(private readonly options: TcpTransportOptions) {
    this.localId = options.localId;
    this.settings = resolveSettings(options);
    this.limits = this.settings;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.peers = options.peers;
    if (!isWireServerId(this.localId)) throw new RangeError(`bad server id ${this.localId}`);
    if (this.settings.sendQueueBytesMax < encodedDataBytes(this.settings.frameBytesMax)) {
      throw new RangeError('sendQueueBytesMax must hold at least one frame of frameBytesMax');
    }
    const joiningLinks = () => this.joiningIds().size;
    this.statistics = {
      dialAttempts: 0,
      framesSent: 0,
      framesReceived: 0,
      framesLost: 0,
      handshakesRefused: 0,
      get joiningLinks() {
        return joiningLinks();
      },
    };
    const warnings = new StrangerWarnings(this.logger);
    this.sockets = new PeerSockets(
      options.tls,
      (socket) => this.acceptor.accept(socket),
      (remote, detail) => {
        this.statistics.handshakesRefused += 1;
        warnings.warn({ remote, detail }, 'peer refused');
      },
    );
    const acceptorSettings = {
      ...this.settings,
      limits: this.limits,
      peerAuth: options.peerAuth,
      logger: this.logger,
    };
    this.acceptor = new PeerAcceptor(this, acceptorSettings, this.sockets, this.statistics, warnings);
    this.server = createServer((socket: Socket) => this.sockets.accept(socket));
  }

  get address(): TcpPeerAddress {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return this.options.listen;
    return { host: address.address, port: address.port };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async listen(): Promise<void> {
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new TcpListenError(this.options.listen, error));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (error) => this.logger.warn({ error }, 'peer listener error'));
  }

  on<Name extends TransportEventName>(name: Name, listener: TransportEvents[Name]): () => void {
    return this.emitter.on(name, listener);
  }

  setSecureContext(options: SecureContextOptions): void {
    this.sockets.setSecureContext(options);
  }

  linkState(peer: ServerId): TcpLinkState {
    const link = this.links.get(peer);
    if (link === undefined) {
      return { state: 'idle', direction: undefined, queuedBytes: 0, version: undefined, joining: false };
    }
    const queuedBytes = link.pendingBytes + (link.connection?.queuedBytes ?? 0);
    const { state, direction } = link;
    const version = state === 'connected' ? link.version : undefined;
    return { state, direction, queuedBytes, version, joining: link.joining !== undefined };
  }

  peerVersion(peer: ServerId): number | undefined {
    return this.linkState(peer).version;
  }

  send(to: ServerId, frame: Uint8Array): void {
    if (this.closed) return;
    this.statistics.framesSent += 1;
    const known = this.peers.has(to) || this.links.get(to)?.joining !== undefined;
    if (to === this.localId || !isWireServerId(to) || !known) {
      this.statistics.framesLost += 1;
      this.logger.warn({ peer: to }, 'frame for an unknown peer dropped');
      return;
    }
    const link = this.linkFor(to);
    if (frame.byteLength > this.settings.frameBytesMax) {
      this.statistics.framesLost += 1;
      const detail = `frame of ${frame.byteLength} bytes exceeds frameBytesMax`;
      this.logger.warn({ peer: to, detail }, 'oversized frame');
      if (link.state === 'connected') this.closeLink(link, { reason: 'error', detail }, 'later');
      return;
    }
    const pieces = encodeData(frame);
    const bytes = encodedDataBytes(frame.byteLength);
    if (link.state === 'connected' && link.connection !== undefined) {
      if (link.connection.sendPieces(pieces)) return;
      this.statistics.framesLost += 1;
      const detail = `more than ${this.settings.sendQueueBytesMax} bytes queued`;
      this.closeLink(link, { reason: 'overflow', detail }, 'later');
      return;
    }
    if (link.pendingBytes + bytes > this.settings.sendQueueBytesMax) {
      this.statistics.framesLost += 1 + this.discardPending(link);
      this.logger.warn({ peer: to }, 'frames for an unreachable peer dropped (queue full)');
      return;
    }
    link.pending.push(...pieces);
    link.pendingBytes += bytes;
    if (link.state === 'idle') this.dial(link);
  }

  setPeers(peers: ReadonlyMap<ServerId, TcpPeerAddress>): void {
    const previous = this.peers;
    this.peers = new Map(peers);
    if (this.closed) return;
    for (const link of [...this.links.values()]) {
      const before = previous.get(link.peer) ?? link.joining;
      const after = this.peers.get(link.peer);
      if (after === undefined && !previous.has(link.peer)) continue; // still joining, or idle
      if (after !== undefined && before !== undefined && sameAddress(before, after)) {
        link.joining = undefined; // the configuration names it now: its address wins
        continue;
      }
      this.logger.info({ peer: link.peer, before, after }, 'peer configuration changed');
      link.joining = undefined;
      this.dropLink(link, after === undefined ? removedCause : movedCause);
    }
  }

  close(cause: CloseCause = { reason: 'closed' }): void {
    if (this.closed) return;
    this.closed = true;
    this.emitter.events = {};
    this.server.close();
    this.acceptor.close();
    const goodbye: WireMessage = {
      kind: 'goodbye',
      cause: { reason: 'peerClosed', detail: cause.reason },
    };
    for (const link of this.links.values()) {
      this.clearTimer(link);
      link.attempt?.abandon();
      link.attempt = undefined;
      link.connection?.close(goodbye);
      link.connection = undefined;
      this.statistics.framesLost += this.discardPending(link);
      link.state = 'idle';
    }
  }

  // The acceptor's questions (AcceptorHost).

  memberAddress(id: ServerId): TcpPeerAddress | undefined {
    return this.peers.get(id);
  }

  mayJoin(id: ServerId): boolean {
    if (!this.settings.acceptJoining) return false;
    const joining = this.joiningIds();
    return joining.has(id) || joining.size < this.settings.joiningMax;
  }

  vouches(verify: Extract<WireMessage, { kind: 'verify' }>): boolean {
    return this.links.get(verify.fromId)?.attempt?.vouchesFor(verify) ?? false;
  }

  callBack(id: ServerId, joiningAt: TcpPeerAddress | undefined): void {
    if (this.closed) return;
    const link = this.linkFor(id);
    if (joiningAt !== undefined && link.joining === undefined) link.joining = joiningAt;
    if (link.state === 'idle' || link.state === 'backoff') this.dial(link);
  }

  welcome(connection: PeerConnection, hello: Hello, verifiedAt: TcpPeerAddress): void {
    const claimed = hello.fromId;
    // setPeers may have run while the hello was verified: believe it only for the address it
    // was verified at, if that is still the id's (or, outside the configuration, a joiner's).
    const configured = this.peers.get(claimed);
    const expected = configured ?? (this.settings.acceptJoining ? verifiedAt : undefined);
    if (this.closed || expected === undefined || !sameAddress(expected, verifiedAt)) {
      const detail = 'the configuration changed during the handshake';
      this.acceptor.refuseHello(connection, claimed, 'unknownId', detail);
      return;
    }
    const link = this.linkFor(claimed);
    // The replica itself redialed, so it holds our old connection for dead (it restarted, or
    // its end broke first): replace ours.
    if (link.state === 'connected') {
      this.disconnect(link, { reason: 'reset', detail: 'replaced by a new connection' }, 'now');
    }
    link.attempt?.abandon();
    link.attempt = undefined;
    link.joining = configured === undefined ? verifiedAt : undefined;
    const { version, token } = hello;
    connection.sendMessage({ kind: 'welcome', version, fromId: this.localId, toId: claimed, token });
    this.establish(link, connection, 'inbound', version);
  }

  private joiningIds(): Set<ServerId> {
    const ids = new Set(this.acceptor.joiningVerifications());
    for (const link of this.links.values()) if (link.joining !== undefined) ids.add(link.peer);
    return ids;
  }

  private linkFor(peer: ServerId): PeerLink {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = {
        peer,
        state: 'idle',
        connection: undefined,
        attempt: undefined,
        direction: undefined,
        version: undefined,
        dialVersion: this.settings.versionMax,
        pending: [],
        pendingBytes: 0,
        failures: 0,
        timer: undefined,
        joining: undefined,
      };
      this.links.set(peer, link);
    }
    return link;
  }

  /** Dials `link.peer` and sends hello; a lower id dials only to ask the higher to call back. */
  private dial(link: PeerLink): void {
    const address = this.peers.get(link.peer) ?? link.joining;
    if (this.closed || address === undefined) return;
    this.clearTimer(link);
    this.statistics.dialAttempts += 1;
    const attempt: DialAttempt = new DialAttempt(
      this.sockets.dial(address),
      {
        localId: this.localId,
        peer: link.peer,
        version: link.dialVersion,
        advertised: this.options.advertise ?? this.address,
        handshakeTimeoutMs: this.settings.handshakeTimeoutMs,
        limits: this.limits,
        peerAuth: this.options.peerAuth,
        logger: this.logger,
      },
      (result) => this.onDialResult(link, attempt, result),
    );
    link.state = 'dialing';
    link.attempt = attempt;
    link.direction = 'outbound';
  }

  private onDialResult(link: PeerLink, attempt: DialAttempt, result: DialResult): void {
    if (link.attempt !== attempt) return;
    link.attempt = undefined;
    switch (result.kind) {
      case 'welcomed':
        this.establish(link, result.connection, 'outbound', attempt.version);
        return;
      case 'callBack':
        link.direction = undefined;
        link.state = 'awaitingCallBack';
        link.timer = setTimeout(() => {
          link.timer = undefined;
          this.failAttempt(link, 'no call back from the higher id');
        }, this.settings.handshakeTimeoutMs);
        return;
      case 'downgrade':
        this.logger.info({ peer: link.peer, version: result.version },
          'peer speaks an older wire version; redialing at it');
        link.dialVersion = result.version;
        this.dial(link);
        return;
      case 'failed':
        this.failAttempt(link, result.detail);
        return;
    }
  }

  /** A dial (or a wait for a call back) failed: what waited for it is lost, as on memory. */
  private failAttempt(link: PeerLink, detail: string): void {
    link.attempt?.abandon();
    link.attempt = undefined;
    link.direction = undefined;
    link.dialVersion = this.settings.versionMax;
    this.statistics.framesLost += this.discardPending(link);
    this.logger.debug({ peer: link.peer, attempt: link.failures, detail }, 'peer dial failed');
    this.afterLoss(link);
  }

  /**
   * A member's link is redialed after backoff. A joining replica's is forgotten instead: it
   * dials again if it still wants us, and until the configuration names it we do not chase it.
   */
  private afterLoss(link: PeerLink): void {
    this.clearTimer(link);
    if (this.closed) return;
    if (link.joining !== undefined || !this.peers.has(link.peer)) {
      this.statistics.framesLost += this.discardPending(link);
      link.state = 'idle';
      this.links.delete(link.peer);
      return;
    }
    link.state = 'backoff';
    const delayMs = reconnectDelayMs(link.failures, this.settings, this.random);
    link.failures += 1;
    link.timer = setTimeout(() => {
      link.timer = undefined;
      this.dial(link);
    }, delayMs);
  }

  /** The handshake is done: send what waited, then tell the host (its sends follow those). */
  private establish(
    link: PeerLink,
    connection: PeerConnection,
    direction: 'outbound' | 'inbound',
    version: number,
  ): void {
    this.clearTimer(link);
    connection.openFrames();
    link.state = 'connected';
    link.connection = connection;
    link.direction = direction;
    link.version = version;
    link.dialVersion = this.settings.versionMax;
    link.failures = 0;
    connection.handlers = {
      message: (message) => this.onLinkMessage(link, connection, message),
      end: (cause) => this.onLinkEnd(link, connection, cause),
    };
    // Pending bytes are within sendQueueBytesMax, so this cannot overflow.
    for (const bytes of link.pending) connection.send(bytes);
    link.pending = [];
    link.pendingBytes = 0;
    const joining = link.joining !== undefined;
    this.logger.info({ peer: link.peer, direction, version, joining }, 'peer connected');
    this.emitter.emit('connected', link.peer);
  }

  private onLinkMessage(link: PeerLink, connection: PeerConnection, message: WireMessage): void {
    if (link.connection !== connection) return;
    if (message.kind === 'data') {
      this.statistics.framesReceived += 1;
      this.emitter.emit('frame', link.peer, message.frame);
      return;
    }
    const detail = `unexpected ${message.kind} on a connected link`;
    this.closeLink(link, { reason: 'error', detail }, 'now');
  }

  private onLinkEnd(link: PeerLink, connection: PeerConnection, cause: CloseCause): void {
    if (link.connection !== connection) return;
    link.connection = undefined;
    link.direction = undefined;
    link.version = undefined;
    this.logger.info({ peer: link.peer, ...cause }, 'peer disconnected');
    this.afterLoss(link);
    this.emitter.emit('disconnected', link.peer, cause);
  }

  /**
   * This end closes a connected link and redials after backoff. `later` defers the event to a
   * microtask, for closes decided inside send, which must never call a listener.
   */
  private closeLink(link: PeerLink, cause: CloseCause, when: 'now' | 'later'): void {
    if (link.connection === undefined) return;
    this.disconnect(link, cause, when);
    this.afterLoss(link);
  }

  /** setPeers took the peer out, or moved it: end the link and forget it until the next send. */
  private dropLink(link: PeerLink, cause: CloseCause): void {
    this.clearTimer(link);
    link.attempt?.abandon();
    link.attempt = undefined;
    this.disconnect(link, cause, 'later');
    this.statistics.framesLost += this.discardPending(link);
    link.state = 'idle';
    link.direction = undefined;
    link.dialVersion = this.settings.versionMax;
    link.failures = 0;
    this.links.delete(link.peer);
  }

  /** Closes the live connection (with a goodbye naming `cause`) and reports it. */
  private disconnect(link: PeerLink, cause: CloseCause, when: 'now' | 'later'): void {
    const connection = link.connection;
    if (connection === undefined) return;
    // A reader that stopped reading would never get a goodbye behind the frames it ignores.
    connection.close(cause.reason === 'overflow' ? undefined : { kind: 'goodbye', cause });
    link.connection = undefined;
    link.direction = undefined;
    link.version = undefined;
    this.logger.info({ peer: link.peer, ...cause }, 'peer link closed');
    if (when === 'now') this.emitter.emit('disconnected', link.peer, cause);
    else queueMicrotask(() => this.emitter.emit('disconnected', link.peer, cause));
  }

  private discardPending(link: PeerLink): number {
    const discarded = link.pending.length;
    link.pending = [];
    link.pendingBytes = 0;
    return discarded;
  }

  private clearTimer(link: PeerLink): void {
    if (link.timer !== undefined) clearTimeout(link.timer);
    link.timer = undefined;
  }
}
