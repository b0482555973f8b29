// The production Transport: TCP links between replicas, with the events and semantics of
// transport/memory.ts. Each link is dialed on the first send, named by a handshake, kept one per
// pair (as ZooKeeper's QuorumCnxManager: only the higher id's connection survives), redialed
// with capped, jittered backoff, and closed with `overflow` rather than buffered without bound.
//
// A hello only claims an id. The acceptor believes it once the replica at that id's configured
// address vouches for it: the acceptor dials that address itself and asks whether it is dialing
// with the hello's random token (verify / verdict). A stranger can claim any id but cannot
// answer at another replica's address, so it can neither displace a link nor be taken for a
// replica. Until then it is held to one handshake frame and counts against handshakingMax.
// With quorum SASL (peerAuth), a verified hello is then authenticated (tcp-peer-sasl.ts) before
// the welcome.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { createNanoEvents } from 'nanoevents';
import type { ServerId } from '../protocol/peer.js';
import { reconnectDelayMs } from './reconnect-backoff.js';
import { PeerSockets } from './tcp-peer-tls.js';
import { PeerConnection, type PeerConnectionLimits } from './tcp-peer-connection.js';
import { authenticateDialer, LearnerAuthentication } from './tcp-peer-sasl.js';
import {
  acceptorHandshakeFrameBytesMax,
  dialerHandshakeFrameBytesMax,
  encodeData,
  encodedDataBytes,
  helloTokenBytes,
  isWireServerId,
  tcpPeerVersion,
  type Refusal,
  type WireMessage,
} from './tcp-peer-wire.js';
import { resolveSettings, silentLogger, TcpListenError } from './tcp-peer-options.js';
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
  /** The live connection (connected) or the dial in progress (dialing). */
  connection: PeerConnection | undefined;
  direction: 'outbound' | 'inbound' | undefined;
  /** Encoded data frames sent before the connection was up; they go out first. */
  pending: Buffer[];
  pendingBytes: number;
  /** Failed attempts since the last connection, for backoff. */
  attempt: number;
  /** Backoff, or a lower id's wait for the higher id to call back. */
  timer: NodeJS.Timeout | undefined;
  /** The token of our hello while dialing: what we vouch for when the acceptor verifies. */
  helloToken: Buffer | undefined;
  /** Our side of the dial's quorum SASL steps, while dialing. */
  learnerAuth: LearnerAuthentication | undefined;
}

type Hello = Extract<WireMessage, { kind: 'hello' }>;

/** An inbound hello waiting for its claimed id's verdict, and the connection that asks. */
interface Verification {
  readonly inbound: PeerConnection;
  readonly checker: PeerConnection;
}

/** Warnings a stranger can provoke are logged at most once a second, with what was skipped. */
const strangerWarningIntervalMs = 1_000;

class TcpPeerTransport implements TcpTransport {
  readonly localId: ServerId;
  readonly statistics: TcpTransportStatistics = {
    dialAttempts: 0,
    framesSent: 0,
    framesReceived: 0,
    framesLost: 0,
    handshakesRefused: 0,
  };
  private readonly settings: TcpTransportSettings;
  private readonly limits: PeerConnectionLimits;
  private readonly logger: TcpTransportLogger;
  private readonly random: () => number;
  private readonly emitter = createNanoEvents<TransportEvents>();
  private readonly server: Server;
  /** Plain or TLS sockets, both ways, as quorum TLS is configured. */
  private readonly sockets: PeerSockets;
  private readonly links = new Map<ServerId, PeerLink>();
  /** Accepted sockets whose hello has not arrived yet. */
  private readonly handshaking = new Set<PeerConnection>();
  /** Claimed id → the hello being verified; one at a time per id. */
  private readonly verifying = new Map<ServerId, Verification>();
  /** Verified inbound connections in the quorum SASL step, before their welcome. */
  private readonly authenticating = new Set<PeerConnection>();
  private strangerWarnedAtMs = -Infinity;
  private strangerWarningsSkipped = 0;
  private closed = false;

  constructor(private readonly options: TcpTransportOptions) {
    this.localId = options.localId;
    this.settings = resolveSettings(options);
    this.limits = this.settings;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    if (!isWireServerId(this.localId)) throw new RangeError(`bad server id ${this.localId}`);
    if (this.settings.sendQueueBytesMax < encodedDataBytes(this.settings.frameBytesMax)) {
      throw new RangeError('sendQueueBytesMax must hold at least one frame of frameBytesMax');
    }
    this.sockets = new PeerSockets(
      options.tls,
      (socket) => this.accept(socket),
      (remote, detail) => {
        this.statistics.handshakesRefused += 1;
        this.warnOfStranger({ remote, detail }, 'peer refused');
      },
    );
    this.server = createServer((socket) => this.sockets.accept(socket));
  }

  get address(): TcpPeerAddress {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return this.options.listen;
    return { host: address.address, port: address.port };
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
    if (link === undefined) return { state: 'idle', direction: undefined, queuedBytes: 0 };
    const queuedBytes = link.pendingBytes + (link.connection?.queuedBytes ?? 0);
    return { state: link.state, direction: link.direction, queuedBytes };
  }

  send(to: ServerId, frame: Uint8Array): void {
    if (this.closed) return;
    this.statistics.framesSent += 1;
    if (to === this.localId || !isWireServerId(to) || !this.options.peers.has(to)) {
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

  close(cause: CloseCause = { reason: 'closed' }): void {
    if (this.closed) return;
    this.closed = true;
    this.emitter.events = {};
    this.server.close();
    for (const connection of this.handshaking) connection.close();
    this.handshaking.clear();
    for (const { checker } of this.verifying.values()) checker.close();
    this.verifying.clear();
    for (const connection of this.authenticating) connection.close();
    this.authenticating.clear();
    const goodbye: WireMessage = {
      kind: 'goodbye',
      cause: { reason: 'peerClosed', detail: cause.reason },
    };
    for (const link of this.links.values()) {
      this.clearTimer(link);
      link.connection?.close(link.state === 'connected' ? goodbye : undefined);
      link.connection = undefined;
      this.statistics.framesLost += this.discardPending(link);
      link.state = 'idle';
    }
  }

  private linkFor(peer: ServerId): PeerLink {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = {
        peer,
        state: 'idle',
        connection: undefined,
        direction: undefined,
        pending: [],
        pendingBytes: 0,
        attempt: 0,
        timer: undefined,
        helloToken: undefined,
        learnerAuth: undefined,
      };
      this.links.set(peer, link);
    }
    return link;
  }

  /** Dials `link.peer` and sends hello; a lower id dials only to ask the higher to call back. */
  private dial(link: PeerLink): void {
    const address = this.options.peers.get(link.peer);
    if (this.closed || address === undefined) return;
    this.clearTimer(link);
    this.statistics.dialAttempts += 1;
    const socket = this.sockets.dial(address);
    const connection: PeerConnection = new PeerConnection(
      socket,
      this.limits,
      {
        message: (message) => this.onDialMessage(link, connection, message),
        end: (cause) => this.failAttempt(link, connection, cause.detail ?? cause.reason),
      },
      dialerHandshakeFrameBytesMax,
    );
    link.state = 'dialing';
    link.connection = connection;
    link.direction = 'outbound';
    link.helloToken = randomBytes(helloTokenBytes);
    link.learnerAuth = new LearnerAuthentication(this.options.peerAuth, link.peer, this.logger);
    const hello = { version: tcpPeerVersion, fromId: this.localId, toId: link.peer };
    connection.sendMessage({ kind: 'hello', ...hello, token: link.helloToken });
    connection.startDeadline(this.settings.handshakeTimeoutMs, () =>
      this.failAttempt(link, connection, 'handshake timed out'),
    );
  }

  private onDialMessage(link: PeerLink, connection: PeerConnection, message: WireMessage): void {
    if (link.connection !== connection || link.state !== 'dialing') return;
    const saslStep = link.learnerAuth?.onMessage(message);
    if (saslStep !== undefined) {
      if (saslStep === 'handled') return;
      if ('fail' in saslStep) this.abandonDial(link, connection, saslStep.fail);
      else connection.sendMessage(saslStep);
      return;
    }
    if (message.kind === 'welcome') {
      const token = link.helloToken;
      const echoed = token !== undefined && timingSafeEqual(token, message.token);
      if (message.fromId !== link.peer || message.toId !== this.localId || !echoed) {
        const detail = `welcome from ${message.fromId} for ${message.toId}`;
        connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
        this.failAttempt(link, connection, detail);
        return;
      }
      const unauthenticated = link.learnerAuth?.atWelcome();
      if (unauthenticated !== undefined) {
        this.abandonDial(link, connection, unauthenticated);
        return;
      }
      connection.clearDeadline();
      this.establish(link, connection, 'outbound');
      return;
    }
    if (message.kind === 'refuse' && message.refusal === 'callBack' && this.localId < link.peer) {
      // Our dial only told the higher id we want a link; its own dial is the one kept.
      connection.close();
      link.connection = undefined;
      link.direction = undefined;
      link.helloToken = undefined;
      link.state = 'awaitingCallBack';
      link.timer = setTimeout(() => {
        link.timer = undefined;
        this.failAttempt(link, undefined, 'no call back from the higher id');
      }, this.settings.handshakeTimeoutMs);
      return;
    }
    const detail = message.kind === 'refuse' ? `refused: ${message.refusal} ${message.detail}` : '';
    if (message.kind === 'refuse') this.logger.warn({ peer: link.peer, detail }, 'peer refused us');
    connection.close();
    this.failAttempt(link, connection, detail || `unexpected ${message.kind} in handshake`);
  }

  /** This end gives up a dial the peer answered wrongly (quorum SASL): tell it, log it, retry. */
  private abandonDial(link: PeerLink, connection: PeerConnection, detail: string): void {
    this.logger.warn({ peer: link.peer, detail }, 'peer handshake abandoned');
    connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
    this.failAttempt(link, connection, detail);
  }

  /** A dial (or a wait for a call back) failed: what waited for it is lost, as on memory. */
  private failAttempt(link: PeerLink, connection: PeerConnection | undefined, detail: string) {
    if (connection !== undefined && link.connection !== connection) return;
    connection?.close();
    link.connection = undefined;
    link.direction = undefined;
    link.helloToken = undefined;
    link.learnerAuth = undefined;
    this.statistics.framesLost += this.discardPending(link);
    this.logger.debug({ peer: link.peer, attempt: link.attempt, detail }, 'peer dial failed');
    this.scheduleReconnect(link);
  }

  private scheduleReconnect(link: PeerLink): void {
    this.clearTimer(link);
    if (this.closed) return;
    link.state = 'backoff';
    const delayMs = reconnectDelayMs(link.attempt, this.settings, this.random);
    link.attempt += 1;
    link.timer = setTimeout(() => {
      link.timer = undefined;
      this.dial(link);
    }, delayMs);
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.handshaking.size >= this.settings.handshakingMax) {
      socket.destroy();
      this.statistics.handshakesRefused += 1;
      this.warnOfStranger({ remote: socket.remoteAddress }, 'too many peer handshakes at once');
      return;
    }
    const connection: PeerConnection = new PeerConnection(
      socket,
      this.limits,
      {
        message: (message) => this.onFirstMessage(connection, message),
        end: (cause) => {
          this.handshaking.delete(connection);
          this.warnOfStranger({ remote: socket.remoteAddress, ...cause }, 'peer handshake failed');
        },
      },
      acceptorHandshakeFrameBytesMax,
    );
    this.handshaking.add(connection);
    connection.startDeadline(this.settings.handshakeTimeoutMs, () => {
      this.handshaking.delete(connection);
      this.warnOfStranger({ remote: socket.remoteAddress }, 'peer handshake timed out');
      connection.close({ kind: 'goodbye', cause: { reason: 'error', detail: 'no hello' } });
    });
  }

  /** The first frame on an accepted socket: a hello, or another replica's verify. */
  private onFirstMessage(connection: PeerConnection, message: WireMessage): void {
    if (message.kind === 'verify') {
      this.answerVerify(connection, message);
      return;
    }
    if (message.kind !== 'hello') {
      this.refuseHello(connection, undefined, 'error', `expected hello, got ${message.kind}`);
      return;
    }
    const refusal = this.refusalFor(message);
    if (refusal !== undefined) {
      this.refuseHello(connection, message.fromId, refusal.refusal, refusal.detail);
      return;
    }
    if (message.fromId < this.localId) {
      // ZooKeeper's rule: a connection from a lower id is dropped and the higher id dials.
      // If ours is up, the hello crossed it (simultaneous dial) or ours is dead and TCP will
      // say so; either way the link we have stays, so a pair never holds two. The dial goes to
      // the configured address, so a stranger's hello can only make us dial the real replica.
      this.handshaking.delete(connection);
      connection.clearDeadline();
      connection.close({ kind: 'refuse', refusal: 'callBack', detail: 'the higher id dials' });
      const link = this.linkFor(message.fromId);
      if (link.state === 'idle' || link.state === 'backoff') this.dial(link);
      return;
    }
    if (this.verifying.has(message.fromId)) {
      this.refuseHello(connection, message.fromId, 'busy', 'a hello with this id is being verified');
      return;
    }
    this.verify(connection, message);
  }

  /** Another replica asks whether we are dialing it with this token: we say, then hang up. */
  private answerVerify(connection: PeerConnection, verify: Extract<WireMessage, { kind: 'verify' }>) {
    this.handshaking.delete(connection);
    connection.clearDeadline();
    const link = this.links.get(verify.fromId);
    const token = link?.state === 'dialing' ? link.helloToken : undefined;
    const vouched =
      verify.version === tcpPeerVersion &&
      verify.toId === this.localId &&
      token !== undefined &&
      timingSafeEqual(token, verify.token);
    connection.close({ kind: 'verdict', vouched });
  }

  /**
   * Believes a hello from a higher id only once the replica at that id's configured address
   * says it is dialing us with the hello's token. The inbound connection waits meanwhile, still
   * under its handshake deadline and frame limit.
   */
  private verify(inbound: PeerConnection, hello: Hello): void {
    const claimed = hello.fromId;
    const address = this.options.peers.get(claimed);
    if (address === undefined) return; // refusalFor checked it; the map may not shrink.
    let settled = false;
    const settle = (vouched: boolean, why: string) => {
      if (settled) return;
      settled = true;
      checker.close();
      this.handshaking.delete(inbound);
      if (inbound.isFinished || this.closed || !vouched) {
        this.verifying.delete(claimed);
        if (!vouched && !inbound.isFinished && !this.closed) {
          this.refuseHello(inbound, claimed, 'unverified', why);
        }
        return;
      }
      // The id stays taken through quorum SASL: one believed hello per id at a time, so a copy
      // of a hello whose dial is still vouched for gets `busy`, not a second exchange.
      this.authenticateThenAccept(inbound, hello, () => this.verifying.delete(claimed));
    };
    inbound.handlers = {
      message: (message) => {
        inbound.close({ kind: 'goodbye', cause: { reason: 'error', detail: 'spoke before welcome' } });
        settle(false, `${message.kind} before welcome`);
      },
      end: () => settle(false, 'hung up before the verdict'),
    };
    const socket = this.sockets.dial(address);
    const checker: PeerConnection = new PeerConnection(
      socket,
      this.limits,
      {
        message: (message) =>
          settle(message.kind === 'verdict' && message.vouched, `no verdict for ${claimed}`),
        end: (cause) => settle(false, `verify failed: ${cause.detail ?? cause.reason}`),
      },
      dialerHandshakeFrameBytesMax,
    );
    this.verifying.set(claimed, { inbound, checker });
    checker.sendMessage({
      kind: 'verify',
      version: tcpPeerVersion,
      fromId: this.localId,
      toId: claimed,
      token: hello.token,
    });
    checker.startDeadline(this.settings.handshakeTimeoutMs, () =>
      settle(false, 'verify timed out'),
    );
  }

  /**
   * Quorum SASL, when configured, between a verified hello and its welcome: the dialer must
   * authenticate (or be let in unauthenticated when SASL is not required) within its own
   * handshake timeout.
   */
  private authenticateThenAccept(inbound: PeerConnection, hello: Hello, done: () => void): void {
    const authenticator = this.options.peerAuth;
    if (authenticator === undefined) {
      done();
      inbound.clearDeadline();
      this.acceptHello(inbound, hello);
      return;
    }
    this.authenticating.add(inbound);
    inbound.startDeadline(this.settings.handshakeTimeoutMs, () => {
      this.authenticating.delete(inbound);
      done();
      this.refuseHello(inbound, hello.fromId, 'error', 'quorum SASL timed out');
    });
    authenticateDialer(inbound, authenticator, hello.fromId, this.logger, (outcome) => {
      this.authenticating.delete(inbound);
      if (this.closed) return;
      done();
      if (outcome.kind === 'accept') {
        if (inbound.isFinished) return;
        inbound.clearDeadline();
        this.acceptHello(inbound, hello);
      } else {
        // Logged and counted even when the dialer already hung up or broke the frame limit.
        const refusal = outcome.kind === 'refuse' ? 'authFailed' : 'error';
        this.refuseHello(inbound, hello.fromId, refusal, outcome.detail);
      }
    });
  }

  /** A verified hello from a higher id: its connection is the one kept. */
  private acceptHello(connection: PeerConnection, hello: Hello): void {
    const link = this.linkFor(hello.fromId);
    // The replica itself redialed, so it holds our old connection for dead (it restarted, or
    // its end broke first): replace ours.
    if (link.state === 'connected') {
      this.closeLink(link, { reason: 'reset', detail: 'replaced by a new connection' }, 'now');
    }
    link.connection?.close();
    link.helloToken = undefined;
    this.clearTimer(link);
    const welcome = { version: tcpPeerVersion, fromId: this.localId, toId: hello.fromId };
    connection.sendMessage({ kind: 'welcome', ...welcome, token: hello.token });
    this.establish(link, connection, 'inbound');
  }

  private refuseHello(
    connection: PeerConnection,
    claimed: ServerId | undefined,
    refusal: Refusal | 'error',
    detail: string,
  ): void {
    this.handshaking.delete(connection);
    connection.clearDeadline();
    this.statistics.handshakesRefused += 1;
    const remote = connection.remoteAddress;
    this.warnOfStranger({ peer: claimed, remote, refusal, detail }, 'peer handshake refused');
    if (refusal === 'error') {
      connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
    } else {
      connection.close({ kind: 'refuse', refusal, detail });
    }
  }

  /** A warning a stranger can provoke at will: at most one a second, counting the rest. */
  private warnOfStranger(fields: Record<string, unknown>, message: string): void {
    const nowMs = performance.now();
    if (nowMs - this.strangerWarnedAtMs < strangerWarningIntervalMs) {
      this.strangerWarningsSkipped += 1;
      return;
    }
    const skipped = this.strangerWarningsSkipped;
    this.strangerWarnedAtMs = nowMs;
    this.strangerWarningsSkipped = 0;
    this.logger.warn(skipped > 0 ? { ...fields, skipped } : fields, message);
  }

  private refusalFor(hello: Extract<WireMessage, { kind: 'hello' }>):
    | { refusal: Refusal; detail: string }
    | undefined {
    if (hello.version !== tcpPeerVersion) {
      return { refusal: 'badVersion', detail: `version ${hello.version}, not ${tcpPeerVersion}` };
    }
    if (hello.toId !== this.localId) {
      return { refusal: 'wrongTarget', detail: `this is ${this.localId}, not ${hello.toId}` };
    }
    if (hello.fromId === this.localId || !this.options.peers.has(hello.fromId)) {
      return { refusal: 'unknownId', detail: `server id ${hello.fromId} is not a peer` };
    }
    return undefined;
  }

  /** The handshake is done: send what waited, then tell the host (its sends follow those). */
  private establish(link: PeerLink, connection: PeerConnection, direction: 'outbound' | 'inbound') {
    this.clearTimer(link);
    connection.openFrames();
    link.helloToken = undefined;
    link.learnerAuth = undefined;
    link.state = 'connected';
    link.connection = connection;
    link.direction = direction;
    link.attempt = 0;
    connection.handlers = {
      message: (message) => this.onLinkMessage(link, connection, message),
      end: (cause) => this.onLinkEnd(link, connection, cause),
    };
    // Pending bytes are within sendQueueBytesMax, so this cannot overflow.
    for (const bytes of link.pending) connection.send(bytes);
    link.pending = [];
    link.pendingBytes = 0;
    this.logger.info({ peer: link.peer, direction }, 'peer connected');
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
    this.logger.info({ peer: link.peer, ...cause }, 'peer disconnected');
    this.scheduleReconnect(link);
    this.emitter.emit('disconnected', link.peer, cause);
  }

  /**
   * This end closes a connected link and redials after backoff. `later` defers the event to a
   * microtask, for closes decided inside send, which must never call a listener.
   */
  private closeLink(link: PeerLink, cause: CloseCause, when: 'now' | 'later'): void {
    const connection = link.connection;
    if (connection === undefined) return;
    // A reader that stopped reading would never get a goodbye behind the frames it ignores.
    connection.close(cause.reason === 'overflow' ? undefined : { kind: 'goodbye', cause });
    link.connection = undefined;
    link.direction = undefined;
    this.logger.info({ peer: link.peer, ...cause }, 'peer link closed');
    this.scheduleReconnect(link);
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
