// One dial of the TCP peer transport, from the socket to the welcome: the hello (and, from
// version 5, the address we advertise), the acceptor's quorum SASL steps, and what its answer
// means — a welcome, "the higher id dials" (callBack), or badVersion from a replica of an older
// release, which we redial one version lower. While it runs it is what we vouch for when the
// acceptor asks (verify). transport/tcp-peer.ts owns the link the dial is for.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ServerId } from '../protocol/peer.js';
import { PeerConnection, type PeerConnectionLimits } from './tcp-peer-connection.js';
import type { TcpPeerAddress, TcpTransportLogger } from './tcp-peer-options.js';
import { LearnerAuthentication, type PeerAuthenticator } from './tcp-peer-sasl.js';
import {
  dialerHandshakeFrameBytesMax,
  encodeHello,
  helloTokenBytes,
  tcpPeerVersionMin,
  type WireMessage,
} from './tcp-peer-wire.js';

export interface DialSettings {
  localId: ServerId;
  peer: ServerId;
  /** The version of this dial's hello. */
  version: number;
  advertised: TcpPeerAddress;
  handshakeTimeoutMs: number;
  limits: PeerConnectionLimits;
  peerAuth: PeerAuthenticator | undefined;
  logger: TcpTransportLogger;
}

/** How a dial ended; reported once, and never after abandon(). */
export type DialResult =
  /** Welcomed: the connection is the link's from here, its frames opened by the caller. */
  | { kind: 'welcomed'; connection: PeerConnection }
  /** We are the lower id: the higher one was told we want a link and dials us itself. */
  | { kind: 'callBack' }
  /** Refused badVersion: the acceptor is of an older release; redial at `version`. */
  | { kind: 'downgrade'; version: number }
  | { kind: 'failed'; detail: string };

type Verify = Extract<WireMessage, { kind: 'verify' }>;

export class DialAttempt {
  /** Random bytes of our hello, which the acceptor asks our address about (verify). */
  private readonly token = randomBytes(helloTokenBytes);
  private readonly connection: PeerConnection;
  private readonly learnerAuth: LearnerAuthentication;
  private settled = false;

  constructor(
    socket: Socket,
    private readonly settings: DialSettings,
    private readonly done: (result: DialResult) => void,
  ) {
    const { localId, peer, version } = settings;
    this.connection = new PeerConnection(
      socket,
      settings.limits,
      {
        message: (message) => this.onMessage(message),
        end: (cause) => this.settle({ kind: 'failed', detail: cause.detail ?? cause.reason }),
      },
      dialerHandshakeFrameBytesMax,
    );
    this.learnerAuth = new LearnerAuthentication(settings.peerAuth, peer, settings.logger);
    const hello = { version, fromId: localId, toId: peer, token: this.token };
    this.connection.send(encodeHello(hello, settings.advertised));
    this.connection.startDeadline(settings.handshakeTimeoutMs, () => {
      this.connection.close();
      this.settle({ kind: 'failed', detail: 'handshake timed out' });
    });
  }

  get version(): number {
    return this.settings.version;
  }

  /**
   * Whether an acceptor's verify is about this dial: its version and token, meant for us. A
   * dial that ended vouches for nothing, so a copied hello cannot be believed after it.
   */
  vouchesFor(verify: Verify): boolean {
    return (
      !this.settled &&
      verify.version === this.settings.version &&
      verify.toId === this.settings.localId &&
      timingSafeEqual(this.token, verify.token)
    );
  }

  /** The link gave up this dial (closed, reconfigured, replaced): close it, report nothing. */
  abandon(): void {
    this.settled = true;
    this.connection.close();
  }

  private settle(result: DialResult): void {
    if (this.settled) return;
    this.settled = true;
    this.done(result);
  }

  private onMessage(message: WireMessage): void {
    if (this.settled) return;
    const { localId, peer, version } = this.settings;
    const saslStep = this.learnerAuth.onMessage(message);
    if (saslStep !== undefined) {
      if (saslStep === 'handled') return;
      if ('fail' in saslStep) this.giveUp(saslStep.fail);
      else this.connection.sendMessage(saslStep);
      return;
    }
    if (message.kind === 'welcome') {
      const echoed = timingSafeEqual(this.token, message.token);
      if (message.fromId !== peer || message.toId !== localId || !echoed
        || message.version !== version) {
        const detail = `welcome from ${message.fromId} for ${message.toId} at ${message.version}`;
        this.connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
        this.settle({ kind: 'failed', detail });
        return;
      }
      const unauthenticated = this.learnerAuth.atWelcome();
      if (unauthenticated !== undefined) {
        this.giveUp(unauthenticated);
        return;
      }
      this.connection.clearDeadline();
      this.settle({ kind: 'welcomed', connection: this.connection });
      return;
    }
    if (message.kind === 'refuse' && message.refusal === 'callBack' && localId < peer) {
      // Our dial only told the higher id we want a link; its own dial is the one kept.
      this.connection.close();
      this.settle({ kind: 'callBack' });
      return;
    }
    if (message.kind === 'refuse' && message.refusal === 'badVersion'
      && version > tcpPeerVersionMin) {
      // An older release refuses every version but its own, whatever its detail says: try the
      // next one down, until tcpPeerVersionMin.
      this.connection.close();
      this.settle({ kind: 'downgrade', version: version - 1 });
      return;
    }
    const detail = message.kind === 'refuse' ? `refused: ${message.refusal} ${message.detail}` : '';
    if (message.kind === 'refuse') this.settings.logger.warn({ peer, detail }, 'peer refused us');
    this.connection.close();
    this.settle({ kind: 'failed', detail: detail || `unexpected ${message.kind} in handshake` });
  }

  /** This end gives up a dial the peer answered wrongly (quorum SASL): tell it, log it. */
  private giveUp(detail: string): void {
    this.settings.logger.warn({ peer: this.settings.peer, detail }, 'peer handshake abandoned');
    this.connection.close({ kind: 'goodbye', cause: { reason: 'error', detail } });
    this.settle({ kind: 'failed', detail });
  }
}
