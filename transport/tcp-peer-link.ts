// The links of the TCP peer transport (transport/tcp-peer.ts), one per peer: dialed on the
// first send (tcp-peer-dial.ts runs the handshake), kept, redialed with capped, jittered backoff
// when a member's link is lost, forgotten when a joining replica's is, and closed from this end
// with a cause its peer hears in a goodbye. The transport decides which peers there are.
import type { Emitter } from 'nanoevents';
import type { ServerId } from '../protocol/peer.js';
import { assertNever } from '../protocol/assert.js';
import { reconnectDelayMs } from './reconnect-backoff.js';
import type { PeerConnection } from './tcp-peer-connection.js';
import { DialAttempt, type DialResult } from './tcp-peer-dial.js';
import type { TcpLinkStateName, TcpPeerAddress, TcpTransportLogger } from './tcp-peer-options.js';
import type { TcpTransportSettings, TcpTransportStatistics } from './tcp-peer-options.js';
import type { PeerAuthenticator } from './tcp-peer-sasl.js';
import type { PeerSockets } from './tcp-peer-tls.js';
import type { WireMessage } from './tcp-peer-wire.js';
import type { CloseCause, TransportEvents } from './transport.js';

export interface PeerLink {
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

/** What the links need of the transport that owns them. */
export interface PeerLinksContext {
  readonly localId: ServerId;
  readonly settings: TcpTransportSettings;
  readonly logger: TcpTransportLogger;
  readonly random: () => number;
  readonly statistics: TcpTransportStatistics;
  readonly sockets: PeerSockets;
  readonly emitter: Emitter<TransportEvents>;
  readonly peerAuth: PeerAuthenticator | undefined;
  readonly isClosed: boolean;
  /** The configured peers, now. */
  peers(): ReadonlyMap<ServerId, TcpPeerAddress>;
  /** The address our hellos advertise. */
  advertised(): TcpPeerAddress;
}

export class PeerLinks {
  private readonly byPeer = new Map<ServerId, PeerLink>();

  constructor(private readonly context: PeerLinksContext) {}

  get(peer: ServerId): PeerLink | undefined {
    return this.byPeer.get(peer);
  }

  all(): PeerLink[] {
    return [...this.byPeer.values()];
  }

  /** The transport closes: every link ends, its peer told `goodbye`, its timers cleared. */
  closeAll(goodbye: WireMessage): void {
    for (const link of this.byPeer.values()) {
      this.clearTimer(link);
      link.attempt?.abandon();
      link.attempt = undefined;
      link.connection?.close(goodbye);
      link.connection = undefined;
      this.context.statistics.framesLost += this.discardPending(link);
      link.state = 'idle';
    }
  }

  linkFor(peer: ServerId): PeerLink {
    let link = this.byPeer.get(peer);
    if (link === undefined) {
      link = {
        peer,
        state: 'idle',
        connection: undefined,
        attempt: undefined,
        direction: undefined,
        version: undefined,
        dialVersion: this.context.settings.versionMax,
        pending: [],
        pendingBytes: 0,
        failures: 0,
        timer: undefined,
        joining: undefined,
      };
      this.byPeer.set(peer, link);
    }
    return link;
  }

  /** Dials `link.peer` and sends hello; a lower id dials only to ask the higher to call back. */
  dial(link: PeerLink): void {
    const address = this.context.peers().get(link.peer) ?? link.joining;
    if (this.context.isClosed || address === undefined) return;
    this.clearTimer(link);
    this.context.statistics.dialAttempts += 1;
    const attempt: DialAttempt = new DialAttempt(
      this.context.sockets.dial(address),
      {
        localId: this.context.localId,
        peer: link.peer,
        version: link.dialVersion,
        advertised: this.context.advertised(),
        handshakeTimeoutMs: this.context.settings.handshakeTimeoutMs,
        limits: this.context.settings,
        peerAuth: this.context.peerAuth,
        logger: this.context.logger,
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
        }, this.context.settings.handshakeTimeoutMs);
        return;
      case 'downgrade':
        this.context.logger.info({ peer: link.peer, version: result.version },
          'peer speaks an older wire version; redialing at it');
        link.dialVersion = result.version;
        this.dial(link);
        return;
      case 'failed':
        this.failAttempt(link, result.detail);
        return;
      default:
        assertNever(result);
    }
  }

  /** A dial (or a wait for a call back) failed: what waited for it is lost, as on memory. */
  private failAttempt(link: PeerLink, detail: string): void {
    link.attempt?.abandon();
    link.attempt = undefined;
    link.direction = undefined;
    link.dialVersion = this.context.settings.versionMax;
    this.context.statistics.framesLost += this.discardPending(link);
    const fields = { peer: link.peer, attempt: link.failures, detail };
    this.context.logger.debug(fields, 'peer dial failed');
    this.afterLoss(link);
  }

  /**
   * A member's link is redialed after backoff. A joining replica's is forgotten instead: it
   * dials again if it still wants us, and until the configuration names it we do not chase it.
   */
  private afterLoss(link: PeerLink): void {
    this.clearTimer(link);
    if (this.context.isClosed) return;
    if (link.joining !== undefined || !this.context.peers().has(link.peer)) {
      this.context.statistics.framesLost += this.discardPending(link);
      link.state = 'idle';
      this.byPeer.delete(link.peer);
      return;
    }
    link.state = 'backoff';
    const delayMs = reconnectDelayMs(link.failures, this.context.settings, this.context.random);
    link.failures += 1;
    link.timer = setTimeout(() => {
      link.timer = undefined;
      this.dial(link);
    }, delayMs);
  }

  /** The handshake is done: send what waited, then tell the host (its sends follow those). */
  establish(
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
    link.dialVersion = this.context.settings.versionMax;
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
    this.context.logger.info({ peer: link.peer, direction, version, joining }, 'peer connected');
    this.context.emitter.emit('connected', link.peer);
  }

  private onLinkMessage(link: PeerLink, connection: PeerConnection, message: WireMessage): void {
    if (link.connection !== connection) return;
    if (message.kind === 'data') {
      this.context.statistics.framesReceived += 1;
      this.context.emitter.emit('frame', link.peer, message.frame);
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
    this.context.logger.info({ peer: link.peer, ...cause }, 'peer disconnected');
    this.afterLoss(link);
    this.context.emitter.emit('disconnected', link.peer, cause);
  }

  /**
   * This end closes a connected link and redials after backoff. `later` defers the event to a
   * microtask, for closes decided inside send, which must never call a listener.
   */
  closeLink(link: PeerLink, cause: CloseCause, when: 'now' | 'later'): void {
    if (link.connection === undefined) return;
    this.disconnect(link, cause, when);
    this.afterLoss(link);
  }

  /** setPeers took the peer out, or moved it: end the link and forget it until the next send. */
  dropLink(link: PeerLink, cause: CloseCause): void {
    this.clearTimer(link);
    link.attempt?.abandon();
    link.attempt = undefined;
    this.disconnect(link, cause, 'later');
    this.context.statistics.framesLost += this.discardPending(link);
    link.state = 'idle';
    link.direction = undefined;
    link.dialVersion = this.context.settings.versionMax;
    link.failures = 0;
    this.byPeer.delete(link.peer);
  }

  /** Closes the live connection (with a goodbye naming `cause`) and reports it. */
  disconnect(link: PeerLink, cause: CloseCause, when: 'now' | 'later'): void {
    const connection = link.connection;
    if (connection === undefined) return;
    // A reader that stopped reading would never get a goodbye behind the frames it ignores.
    connection.close(cause.reason === 'overflow' ? undefined : { kind: 'goodbye', cause });
    link.connection = undefined;
    link.direction = undefined;
    link.version = undefined;
    this.context.logger.info({ peer: link.peer, ...cause }, 'peer link closed');
    if (when === 'now') this.context.emitter.emit('disconnected', link.peer, cause);
    else queueMicrotask(() => this.context.emitter.emit('disconnected', link.peer, cause));
  }

  discardPending(link: PeerLink): number {
    const discarded = link.pending.length;
    link.pending = [];
    link.pendingBytes = 0;
    return discarded;
  }

  clearTimer(link: PeerLink): void {
    if (link.timer !== undefined) clearTimeout(link.timer);
    link.timer = undefined;
  }
}
