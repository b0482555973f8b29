// Quorum SASL on the peer handshake (ZooKeeper's quorum.auth.*): between a verified hello and its
// welcome, an acceptor with SASL enabled challenges the dialer, which answers as ZooKeeper's
// learner (SASL client) to the acceptor's server; the acceptor's last token (DIGEST-MD5's
// rspauth) proves to the dialer that the acceptor knows the password too. Each side refuses a
// peer that does not authenticate only when its `require` setting says so; otherwise the failure
// is logged and the link kept, for a rolling switch. The mechanism comes in through
// PeerAuthenticator (actors/ supplies DIGEST-MD5): the transport only carries tokens.
import type { ServerId } from '../protocol/peer.js';
import type { PeerConnection } from './tcp-peer-connection.js';
import { acceptorSaslFrameBytesMax, type WireMessage } from './tcp-peer-wire.js';

/** The acceptor's side of one exchange (ZooKeeper's SaslQuorumAuthServer). */
export interface PeerAuthServerSession {
  /** The first token for the dialer: DIGEST-MD5's digest-challenge. */
  challenge(): Buffer;
  /** Checks the dialer's answer; returns the last token (rspauth) and who authenticated.
   * Throws when the answer does not authenticate (wrong password, unknown user, garbled). */
  verify(response: Buffer): { token: Buffer; user: string };
}

/** The dialer's side of one exchange (ZooKeeper's SaslQuorumAuthLearner). */
export interface PeerAuthLearnerSession {
  /** The answer to the acceptor's challenge; throws for a challenge it cannot answer. */
  respond(challenge: Buffer): Buffer;
  /** Checks the acceptor's last token; throws unless it proves the acceptor's password. */
  confirm(token: Buffer): void;
}

/** quorum.auth.enableSasl: present means this replica speaks quorum SASL, both ways. */
export interface PeerAuthenticator {
  /** quorum.auth.serverRequireSasl: refuse a dialer that does not authenticate. */
  serverRequired: boolean;
  /** quorum.auth.learnerRequireSasl: drop an acceptor that does not complete the exchange. */
  learnerRequired: boolean;
  serverSession(): PeerAuthServerSession;
  learnerSession(): PeerAuthLearnerSession;
}

export interface PeerAuthLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** How the acceptor's exchange ended. `accept` may still be unauthenticated (not required). */
export type AcceptorAuthOutcome =
  | { kind: 'accept'; user: string | undefined }
  | { kind: 'refuse'; detail: string }
  | { kind: 'error'; detail: string };

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The acceptor's exchange on a connection whose hello was verified: sends the challenge, reads
 * one saslResponse (under a frame limit of one token), and reports the outcome once. On success
 * saslSuccess is already sent, so the caller's welcome follows it. The caller keeps the
 * handshake deadline and closes the connection on `refuse` and `error`.
 */
export function authenticateDialer(
  connection: PeerConnection,
  authenticator: PeerAuthenticator,
  peer: ServerId,
  logger: PeerAuthLogger,
  outcome: (result: AcceptorAuthOutcome) => void,
): void {
  let settled = false;
  const settle = (result: AcceptorAuthOutcome) => {
    if (settled) return;
    settled = true;
    outcome(result);
  };
  const unauthenticated = (why: string) => {
    const fields = { peer, remote: connection.remoteAddress, detail: why };
    if (authenticator.serverRequired) {
      settle({ kind: 'refuse', detail: why });
      return;
    }
    // ZooKeeper keeps such a learner when SASL is not required (a rolling switch), and says so.
    logger.warn({ ...fields, serverRequireSasl: false },
      'peer not authenticated by quorum SASL; kept, since it is not required');
    settle({ kind: 'accept', user: undefined });
  };
  const session = authenticator.serverSession();
  connection.handlers = {
    message: (message) => {
      if (message.kind !== 'saslResponse') {
        settle({ kind: 'error', detail: `${message.kind} instead of a SASL response` });
        return;
      }
      if (message.token.length === 0) {
        unauthenticated('the peer does not speak quorum SASL (quorum.auth.enableSasl=false)');
        return;
      }
      let verified: { token: Buffer; user: string };
      try {
        verified = session.verify(message.token);
      } catch (error) {
        unauthenticated(reasonOf(error));
        return;
      }
      connection.sendMessage({ kind: 'saslSuccess', token: verified.token });
      logger.info({ peer, user: verified.user }, 'peer authenticated by quorum SASL');
      settle({ kind: 'accept', user: verified.user });
    },
    end: (cause) =>
      settle({ kind: 'error', detail: `hung up in SASL: ${cause.detail ?? cause.reason}` }),
  };
  connection.widenHandshakeFrames(acceptorSaslFrameBytesMax);
  connection.sendMessage({ kind: 'saslChallenge', token: session.challenge() });
}

/**
 * The dialer's side of one dial: answers a challenge, checks the acceptor's last token, and at
 * the welcome says whether the link may stand. A dialer without quorum SASL answers a challenge
 * with an empty token, which a serverRequireSasl acceptor refuses.
 */
export class LearnerAuthentication {
  private session: PeerAuthLearnerSession | undefined;
  private step: 'idle' | 'answered' | 'declined' | 'confirmed' = 'idle';
  /** Why the acceptor is not authenticated, once something went wrong. */
  private failure: string | undefined;

  constructor(
    private readonly authenticator: PeerAuthenticator | undefined,
    private readonly peer: ServerId,
    private readonly logger: PeerAuthLogger,
  ) {}

  /**
   * The frame to send for an acceptor's message in the SASL steps, `fail` with a reason for a
   * step the dialer must not go on from, or undefined for a message that is not a SASL step.
   */
  onMessage(message: WireMessage): WireMessage | { fail: string } | 'handled' | undefined {
    if (message.kind === 'saslChallenge') return this.onChallenge(message.token);
    if (message.kind !== 'saslSuccess') return undefined;
    if (this.step !== 'answered' || this.session === undefined) {
      return { fail: 'SASL success without our answer' };
    }
    try {
      this.session.confirm(message.token);
      this.step = 'confirmed';
      this.logger.info({ peer: this.peer }, 'quorum SASL: the peer proved its password');
      return 'handled';
    } catch (error) {
      return this.notAuthenticated(reasonOf(error)) ?? 'handled';
    }
  }

  private onChallenge(challenge: Buffer): WireMessage | { fail: string } {
    if (this.step !== 'idle') return { fail: 'a second SASL challenge' };
    const decline: WireMessage = { kind: 'saslResponse', token: Buffer.alloc(0) };
    if (this.authenticator === undefined) {
      this.step = 'declined';
      return decline;
    }
    this.session = this.authenticator.learnerSession();
    try {
      const token = this.session.respond(challenge);
      this.step = 'answered';
      return { kind: 'saslResponse', token };
    } catch (error) {
      this.step = 'declined';
      return this.notAuthenticated(reasonOf(error)) ?? decline;
    }
  }

  /** Undefined when the welcome may be believed, else why the link must not stand. */
  atWelcome(): string | undefined {
    if (this.authenticator === undefined || this.step === 'confirmed') return undefined;
    const why = this.failure ?? (this.step === 'idle'
      ? 'the peer did not ask for quorum SASL'
      : 'the peer did not accept our quorum SASL authentication');
    return this.notAuthenticated(why)?.fail;
  }

  /** learnerRequireSasl: fail; otherwise note and log once, and go on. */
  private notAuthenticated(why: string): { fail: string } | undefined {
    if (this.authenticator?.learnerRequired === true) {
      return { fail: `quorum SASL required (quorum.auth.learnerRequireSasl): ${why}` };
    }
    if (this.failure === undefined) {
      this.failure = why;
      this.logger.warn({ peer: this.peer, detail: why, learnerRequireSasl: false },
        'quorum SASL did not authenticate the peer; kept, since it is not required');
    }
    return undefined;
  }
}
