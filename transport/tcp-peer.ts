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
import { PeerSockets } from './tcp-peer-tls.js';
import type { PeerConnection, PeerConnectionLimits } from './tcp-peer-connection.js';
import { PeerAcceptor, StrangerWarnings } from './tcp-peer-accept.js';
import type { AcceptorHost, Hello } from './tcp-peer-accept.js';
import { PeerLinks } from './tcp-peer-link.js';
import { encodeData, encodedDataBytes, isWireServerId, type WireMessage } from './tcp-peer-wire.js';
import { resolveSettings, sameAddress, silentLogger, TcpListenError } from './tcp-peer-options.js';
import type { TcpLinkState, TcpPeerAddress } from './tcp-peer-options.js';
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
  private readonly links: PeerLinks;
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
    const { sockets, statistics } = this;
    this.acceptor = new PeerAcceptor(this, acceptorSettings, sockets, statistics, warnings);
    this.server = createServer((socket: Socket) => this.sockets.accept(socket));
    const isClosed = () => this.closed;
    this.links = new PeerLinks({
      localId: this.localId,
      settings: this.settings,
      logger: this.logger,
      random: this.random,
      statistics: this.statistics,
      sockets: this.sockets,
      emitter: this.emitter,
      peerAuth: options.peerAuth,
      get isClosed() {
        return isClosed();
      },
      peers: () => this.peers,
      advertised: () => options.advertise ?? this.address,
    });
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
      const idle = { state: 'idle', direction: undefined, queuedBytes: 0 } as const;
      return { ...idle, version: undefined, joining: false };
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
    const link = this.links.linkFor(to);
    if (frame.byteLength > this.settings.frameBytesMax) {
      this.statistics.framesLost += 1;
      const detail = `frame of ${frame.byteLength} bytes exceeds frameBytesMax`;
      this.logger.warn({ peer: to, detail }, 'oversized frame');
      if (link.state !== 'connected') return;
      this.links.closeLink(link, { reason: 'error', detail }, 'later');
      return;
    }
    const pieces = encodeData(frame);
    const bytes = encodedDataBytes(frame.byteLength);
    if (link.state === 'connected' && link.connection !== undefined) {
      if (link.connection.sendPieces(pieces)) return;
      this.statistics.framesLost += 1;
      const detail = `more than ${this.settings.sendQueueBytesMax} bytes queued`;
      this.links.closeLink(link, { reason: 'overflow', detail }, 'later');
      return;
    }
    if (link.pendingBytes + bytes > this.settings.sendQueueBytesMax) {
      this.statistics.framesLost += 1 + this.links.discardPending(link);
      this.logger.warn({ peer: to }, 'frames for an unreachable peer dropped (queue full)');
      return;
    }
    link.pending.push(...pieces);
    link.pendingBytes += bytes;
    if (link.state === 'idle') this.links.dial(link);
  }

  setPeers(peers: ReadonlyMap<ServerId, TcpPeerAddress>): void {
    const previous = this.peers;
    this.peers = new Map(peers);
    if (this.closed) return;
    for (const link of this.links.all()) {
      const before = previous.get(link.peer) ?? link.joining;
      const after = this.peers.get(link.peer);
      if (after === undefined && !previous.has(link.peer)) continue; // still joining, or idle
      if (after !== undefined && before !== undefined && sameAddress(before, after)) {
        link.joining = undefined; // the configuration names it now: its address wins
        continue;
      }
      this.logger.info({ peer: link.peer, before, after }, 'peer configuration changed');
      link.joining = undefined;
      this.links.dropLink(link, after === undefined ? removedCause : movedCause);
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
    this.links.closeAll(goodbye);
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
    const link = this.links.linkFor(id);
    if (joiningAt !== undefined && link.joining === undefined) link.joining = joiningAt;
    if (link.state === 'idle' || link.state === 'backoff') this.links.dial(link);
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
    const link = this.links.linkFor(claimed);
    // The replica itself redialed, so it holds our old connection for dead (it restarted, or
    // its end broke first): replace ours.
    if (link.state === 'connected') {
      const cause = { reason: 'reset', detail: 'replaced by a new connection' } as const;
      this.links.disconnect(link, cause, 'now');
    }
    link.attempt?.abandon();
    link.attempt = undefined;
    link.joining = configured === undefined ? verifiedAt : undefined;
    const { version, token } = hello;
    const welcome = { version, fromId: this.localId, toId: claimed, token };
    connection.sendMessage({ kind: 'welcome', ...welcome });
    this.links.establish(link, connection, 'inbound', version);
  }

  private joiningIds(): Set<ServerId> {
    const ids = new Set(this.acceptor.joiningVerifications());
    for (const link of this.links.all()) if (link.joining !== undefined) ids.add(link.peer);
    return ids;
  }
}
