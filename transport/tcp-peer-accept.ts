// The acceptor's side of the TCP peer handshake, from an accepted socket to the welcome. A hello
// only claims an id: it is believed once the replica at that id's configured address vouches
// for it (the acceptor dials that address itself and asks whether it is dialing with the
// hello's random token: verify / verdict). A stranger can claim any id but cannot answer at
// another replica's address, so it can neither displace a link nor be taken for a replica.
// With acceptJoining, a version 5 hello from an id outside the configuration (a replica joining
// by reconfig) is verified the same way at the address it advertises — never a configured id's.
// Until believed, a connection is held to one handshake frame (an advertise frame after a
// version 5 hello) and counts against handshakingMax; quorum SASL (tcp-peer-sasl.ts) follows.
import type { Socket } from 'node:net';
import type { ServerId } from '../protocol/peer.js';
import { PeerConnection, type PeerConnectionLimits } from './tcp-peer-connection.js';
import type { TcpPeerAddress, TcpTransportLogger } from './tcp-peer-options.js';
import type { TcpTransportStatistics } from './tcp-peer-options.js';
import { authenticateDialer, type PeerAuthenticator } from './tcp-peer-sasl.js';
import type { PeerSockets } from './tcp-peer-tls.js';
import {
  acceptorHandshakeFrameBytesMax,
  advertiseFrameBytesMax,
  advertiseVersionMin,
  dialerHandshakeFrameBytesMax,
  tcpPeerVersionMin,
  type Refusal,
  type WireMessage,
} from './tcp-peer-wire.js';

export type Hello = Extract<WireMessage, { kind: 'hello' }>;
type Verify = Extract<WireMessage, { kind: 'verify' }>;

/** What the acceptor asks of the transport it works for. */
export interface AcceptorHost {
  readonly localId: ServerId;
  readonly isClosed: boolean;
  /** A configured id's address; undefined for an id outside the configuration. */
  memberAddress(id: ServerId): TcpPeerAddress | undefined;
  /** Whether an id outside the configuration may link now (acceptJoining, joiningMax). */
  mayJoin(id: ServerId): boolean;
  /** Whether we are dialing the verify's sender with its token, at its version. */
  vouches(verify: Verify): boolean;
  /** A hello from a lower id: dial it back, at `joiningAt` when it is outside the configuration. */
  callBack(id: ServerId, joiningAt: TcpPeerAddress | undefined): void;
  /** A believed hello, verified at `verifiedAt`: send the welcome and make it the link. */
  welcome(connection: PeerConnection, hello: Hello, verifiedAt: TcpPeerAddress): void;
}

export interface AcceptorSettings {
  handshakingMax: number;
  handshakeTimeoutMs: number;
  versionMax: number;
  acceptJoining: boolean;
  limits: PeerConnectionLimits;
  peerAuth: PeerAuthenticator | undefined;
  logger: TcpTransportLogger;
}

/** An inbound hello waiting for its claimed id's verdict, and the connection that asks. */
interface Verification {
  readonly inbound: PeerConnection;
  readonly checker: PeerConnection;
  /** Verified at an advertised address: the id is outside the configuration. */
  readonly joining: boolean;
}

/** Warnings a stranger can provoke are logged at most once a second, with what was skipped. */
const strangerWarningIntervalMs = 1_000;

/** A warning a stranger can provoke at will: at most one a second, counting the rest. */
export class StrangerWarnings {
  private warnedAtMs = -Infinity;
  private skipped = 0;

  constructor(private readonly logger: TcpTransportLogger) {}

  warn(fields: Record<string, unknown>, message: string): void {
    const nowMs = performance.now();
    if (nowMs - this.warnedAtMs < strangerWarningIntervalMs) {
      this.skipped += 1;
      return;
    }
    const skipped = this.skipped;
    this.warnedAtMs = nowMs;
    this.skipped = 0;
    this.logger.warn(skipped > 0 ? { ...fields, skipped } : fields, message);
  }
}

export class PeerAcceptor {
  /** Accepted sockets whose hello (and advertise frame) has not arrived yet. */
  private readonly handshaking = new Set<PeerConnection>();
  /** Claimed id → the hello being verified; one at a time per id. */
  private readonly verifying = new Map<ServerId, Verification>();
  /** Verified inbound connections in the quorum SASL step, before their welcome. */
  private readonly authenticating = new Set<PeerConnection>();

  constructor(
    private readonly host: AcceptorHost,
    private readonly settings: AcceptorSettings,
    private readonly sockets: PeerSockets,
    private readonly statistics: TcpTransportStatistics,
    private readonly warnings: StrangerWarnings,
  ) {}

  /** Ids outside the configuration whose hello is being verified now. */
  joiningVerifications(): ServerId[] {
    return [...this.verifying].filter(([, { joining }]) => joining).map(([id]) => id);
  }

  accept(socket: Socket): void {
    if (this.host.isClosed) {
      socket.destroy();
      return;
    }
    if (this.handshaking.size >= this.settings.handshakingMax) {
      socket.destroy();
      this.statistics.handshakesRefused += 1;
      this.warnings.warn({ remote: socket.remoteAddress }, 'too many peer handshakes at once');
      return;
    }
    const connection: PeerConnection = new PeerConnection(
      socket,
      this.settings.limits,
      {
        message: (message) => this.onFirstMessage(connection, message),
        end: (cause) => {
          this.handshaking.delete(connection);
          this.warnings.warn({ remote: socket.remoteAddress, ...cause }, 'peer handshake failed');
        },
      },
      acceptorHandshakeFrameBytesMax,
    );
    this.handshaking.add(connection);
    connection.startDeadline(this.settings.handshakeTimeoutMs, () => {
      this.handshaking.delete(connection);
      this.warnings.warn({ remote: socket.remoteAddress }, 'peer handshake timed out');
      connection.close({ kind: 'goodbye', cause: { reason: 'error', detail: 'no hello' } });
    });
  }

  close(): void {
    for (const connection of this.handshaking) connection.close();
    this.handshaking.clear();
    for (const { checker } of this.verifying.values()) checker.close();
    this.verifying.clear();
    for (const connection of this.authenticating) connection.close();
    this.authenticating.clear();
  }

  refuseHello(
    connection: PeerConnection,
    claimed: ServerId | undefined,
    refusal: Refusal | 'error',
    detail: string,
  ): void {
    this.handshaking.delete(connection);
    connection.clearDeadline();
    this.statistics.handshakesRefused += 1;
    const remote = connection.remoteAddress;
    this.warnings.warn({ peer: claimed, remote, refusal, detail }, 'peer handshake refused');
    if (refusal === 'error') {
      connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
    } else {
      connection.close({ kind: 'refuse', refusal, detail });
    }
  }

  /** The first frame on an accepted socket: a hello, or another replica's verify. */
  private onFirstMessage(connection: PeerConnection, message: WireMessage): void {
    if (message.kind === 'verify') {
      this.handshaking.delete(connection);
      connection.clearDeadline();
      // We say whether we are dialing the asker with this token, then hang up.
      connection.close({ kind: 'verdict', vouched: this.host.vouches(message) });
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
    if (message.version < advertiseVersionMin) {
      this.onHello(connection, message, undefined);
      return;
    }
    // From version 5 the advertised address follows the hello, in a frame of its own.
    connection.widenHandshakeFrames(advertiseFrameBytesMax);
    connection.handlers = {
      ...connection.handlers,
      message: (next) => {
        if (next.kind === 'advertise') this.onHello(connection, message, next);
        else this.refuseHello(connection, message.fromId, 'error', `${next.kind} after hello`);
      },
    };
  }

  private refusalFor(hello: Hello): { refusal: Refusal; detail: string } | undefined {
    const { versionMax } = this.settings;
    if (hello.version < tcpPeerVersionMin || hello.version > versionMax) {
      const range = versionMax === tcpPeerVersionMin ? `${versionMax}`
        : `in [${tcpPeerVersionMin}, ${versionMax}]`;
      return { refusal: 'badVersion', detail: `version ${hello.version}, not ${range}` };
    }
    const { localId } = this.host;
    if (hello.toId !== localId) {
      return { refusal: 'wrongTarget', detail: `this is ${localId}, not ${hello.toId}` };
    }
    if (hello.fromId === localId) {
      return { refusal: 'unknownId', detail: `server id ${hello.fromId} is not a peer` };
    }
    return undefined;
  }

  /**
   * A complete hello: a configured id is checked at its configured address, always; an id
   * outside the configuration, with acceptJoining and a version 5 hello, at its advertised one.
   */
  private onHello(
    connection: PeerConnection,
    hello: Hello,
    advertised: TcpPeerAddress | undefined,
  ): void {
    const claimed = hello.fromId;
    const configured = this.host.memberAddress(claimed);
    const joining = configured === undefined;
    const address = configured ?? (this.settings.acceptJoining ? advertised : undefined);
    if (address === undefined) {
      this.refuseHello(connection, claimed, 'unknownId', `server id ${claimed} is not a peer`);
      return;
    }
    if (joining && !this.host.mayJoin(claimed)) {
      this.refuseHello(connection, claimed, 'busy', 'too many replicas joining at once');
      return;
    }
    if (claimed < this.host.localId) {
      // ZooKeeper's rule: a connection from a lower id is dropped and the higher id dials.
      // If ours is up, the hello crossed it (simultaneous dial) or ours is dead and TCP will
      // say so; either way the link we have stays, so a pair never holds two. The dial goes to
      // the configured address, so a stranger's hello can only make us dial the real replica
      // (or, for a joining id, whatever answers as that id at the address it advertised).
      this.handshaking.delete(connection);
      connection.clearDeadline();
      connection.close({ kind: 'refuse', refusal: 'callBack', detail: 'the higher id dials' });
      this.host.callBack(claimed, joining ? address : undefined);
      return;
    }
    if (this.verifying.has(claimed)) {
      this.refuseHello(connection, claimed, 'busy', 'a hello with this id is being verified');
      return;
    }
    this.verify(connection, hello, address, joining);
  }

  /**
   * Believes a hello from a higher id only once the replica at `address` says it is dialing us
   * with the hello's token. The inbound connection waits meanwhile, still under its handshake
   * deadline and frame limit.
   */
  private verify(inbound: PeerConnection, hello: Hello, address: TcpPeerAddress, joining: boolean) {
    const claimed = hello.fromId;
    let settled = false;
    const settle = (vouched: boolean, why: string) => {
      if (settled) return;
      settled = true;
      checker.close();
      this.handshaking.delete(inbound);
      if (inbound.isFinished || this.host.isClosed || !vouched) {
        this.verifying.delete(claimed);
        if (!vouched && !inbound.isFinished && !this.host.isClosed) {
          this.refuseHello(inbound, claimed, 'unverified', why);
        }
        return;
      }
      // The id stays taken through quorum SASL: one believed hello per id at a time, so a copy
      // of a hello whose dial is still vouched for gets `busy`, not a second exchange.
      this.authenticateThenAccept(inbound, hello, address, () => this.verifying.delete(claimed));
    };
    inbound.handlers = {
      message: (message) => {
        const cause = { reason: 'error', detail: 'spoke before welcome' } as const;
        inbound.close({ kind: 'goodbye', cause });
        settle(false, `${message.kind} before welcome`);
      },
      end: () => settle(false, 'hung up before the verdict'),
    };
    const checker: PeerConnection = new PeerConnection(
      this.sockets.dial(address),
      this.settings.limits,
      {
        message: (message) =>
          settle(message.kind === 'verdict' && message.vouched, `no verdict for ${claimed}`),
        end: (cause) => settle(false, `verify failed: ${cause.detail ?? cause.reason}`),
      },
      dialerHandshakeFrameBytesMax,
    );
    this.verifying.set(claimed, { inbound, checker, joining });
    // At the hello's version: a replica of the previous release answers only its own.
    const { version, token } = hello;
    const fromId = this.host.localId;
    checker.sendMessage({ kind: 'verify', version, fromId, toId: claimed, token });
    checker.startDeadline(this.settings.handshakeTimeoutMs, () =>
      settle(false, 'verify timed out'),
    );
  }

  /**
   * Quorum SASL, when configured, between a verified hello and its welcome: the dialer must
   * authenticate (or be let in unauthenticated when SASL is not required) within its own
   * handshake timeout. A joining replica is held to it as a member is.
   */
  private authenticateThenAccept(
    inbound: PeerConnection,
    hello: Hello,
    verifiedAt: TcpPeerAddress,
    done: () => void,
  ): void {
    const authenticator = this.settings.peerAuth;
    if (authenticator === undefined) {
      done();
      inbound.clearDeadline();
      this.host.welcome(inbound, hello, verifiedAt);
      return;
    }
    this.authenticating.add(inbound);
    inbound.startDeadline(this.settings.handshakeTimeoutMs, () => {
      this.authenticating.delete(inbound);
      done();
      this.refuseHello(inbound, hello.fromId, 'error', 'quorum SASL timed out');
    });
    const { logger } = this.settings;
    authenticateDialer(inbound, authenticator, hello.fromId, logger, (outcome) => {
      this.authenticating.delete(inbound);
      if (this.host.isClosed) return;
      done();
      if (outcome.kind === 'accept') {
        if (inbound.isFinished) return;
        inbound.clearDeadline();
        this.host.welcome(inbound, hello, verifiedAt);
      } else {
        // Logged and counted even when the dialer already hung up or broke the frame limit.
        const refusal = outcome.kind === 'refuse' ? 'authFailed' : 'error';
        this.refuseHello(inbound, hello.fromId, refusal, outcome.detail);
      }
    });
  }
}
