// The knobs and reports of the TCP peer transport (transport/tcp-peer.ts): its options with
// their defaults, the statistics and link states tests and status pages read, and the one error
// it throws — when the quorum port cannot be listened on.
import type { SecureContextOptions } from 'node:tls';
import type { ServerId } from '../protocol/peer.js';
import type { PeerAuthenticator } from './tcp-peer-sasl.js';
import type { PeerTlsOptions } from './tcp-peer-tls.js';
import type { LinkState, Transport } from './transport.js';

export interface TcpPeerAddress {
  host: string;
  port: number;
}

/** Structurally a subset of pino's Logger, so the server's logger can be passed as is. */
export interface TcpTransportLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface TcpTransportOptions {
  localId: ServerId;
  /** Where peers dial this replica (its quorum port). Port 0 asks the kernel for one. */
  listen: TcpPeerAddress;
  /** Every other replica's quorum address, read at each dial (a test may fill it late). */
  peers: ReadonlyMap<ServerId, TcpPeerAddress>;
  /** The largest frame a user may send or receive; a bigger one closes that link. */
  frameBytesMax?: number;
  /** Bytes buffered per link for a slow reader before the link closes with `overflow`. */
  sendQueueBytesMax?: number;
  reconnectBackoffMsBase?: number;
  reconnectBackoffMsMax?: number;
  /** From dial (or accept) to a completed handshake; also how long a lower id awaits a call. */
  handshakeTimeoutMs?: number;
  /** Accepted connections whose hello is not yet believed; more are closed on accept. */
  handshakingMax?: number;
  logger?: TcpTransportLogger;
  /** Quorum TLS (sslQuorum, portUnification); plaintext when left out. */
  tls?: PeerTlsOptions;
  /** Quorum SASL (quorum.auth.enableSasl and its require settings); none when left out. */
  peerAuth?: PeerAuthenticator;
  /** Jitter for reconnect backoff; [0, 1). Production passes nothing and gets Math.random. */
  random?: () => number;
}

export interface TcpTransportStatistics {
  dialAttempts: number;
  framesSent: number;
  framesReceived: number;
  /**
   * Sent to nobody (unknown id, too large, over the queue limit) or waiting for a dial that
   * failed. Frames already in a socket's queue when its link broke are not counted.
   */
  framesLost: number;
  /** Connections refused before a link: accepted ones over handshakingMax, a hello that was not
   * verified, a bad hello, a dialer quorum SASL did not authenticate (when required); and
   * (either direction) a TLS handshake our side failed. */
  handshakesRefused: number;
}

export type TcpLinkStateName = 'idle' | 'dialing' | 'awaitingCallBack' | 'backoff' | 'connected';

export interface TcpLinkState extends LinkState {
  state: TcpLinkStateName;
  /** Who dialed the live connection: this replica (outbound) or the peer (inbound). */
  direction: 'outbound' | 'inbound' | undefined;
  queuedBytes: number;
}

export interface TcpTransport extends Transport {
  /** The address actually listened on (the kernel's port when asked for port 0). */
  readonly address: TcpPeerAddress;
  readonly statistics: TcpTransportStatistics;
  linkState(peer: ServerId): TcpLinkState;
  /** The quorum certificate files changed: new connections use this material. */
  setSecureContext(options: SecureContextOptions): void;
}

/** The quorum port could not be listened on (in use, bad address); the replica cannot start. */
export class TcpListenError extends Error {
  constructor(readonly address: TcpPeerAddress, cause: Error) {
    super(`cannot listen for peers on ${address.host}:${address.port}: ${cause.message}`, {
      cause,
    });
    this.name = 'TcpListenError';
  }
}

export const tcpTransportDefaults = {
  frameBytesMax: 16 * 1024 * 1024,
  sendQueueBytesMax: 64 * 1024 * 1024,
  reconnectBackoffMsBase: 100,
  reconnectBackoffMsMax: 5_000,
  handshakeTimeoutMs: 5_000,
  handshakingMax: 32,
};

export const silentLogger: TcpTransportLogger = { debug() {}, info() {}, warn() {} };

export type TcpTransportSettings = typeof tcpTransportDefaults;

/** Defaults for what was not given; an explicit `undefined` does not replace a default. */
export function resolveSettings(options: TcpTransportOptions): TcpTransportSettings {
  const given: Partial<TcpTransportSettings> = {};
  for (const key of Object.keys(tcpTransportDefaults) as Array<keyof TcpTransportSettings>) {
    const value = options[key];
    if (value !== undefined) given[key] = value;
  }
  return { ...tcpTransportDefaults, ...given };
}
