// The knobs and reports of the TCP peer transport (transport/tcp-peer.ts): its options with
// their defaults, the statistics and link states tests and status pages read, and the one error
// it throws — when the quorum port cannot be listened on.
import type { SecureContextOptions } from 'node:tls';
import type { ServerId } from '../protocol/peer.js';
import type { PeerAuthenticator } from './tcp-peer-sasl.js';
import type { PeerTlsOptions } from './tcp-peer-tls.js';
import type { LinkState, Transport } from './transport.js';
import { tcpPeerVersion, tcpPeerVersionMin } from './tcp-peer-wire.js';

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
  /**
   * Every other replica's quorum address, read at each dial (a test may fill it late); after a
   * reconfig the host replaces it with setPeers.
   */
  peers: ReadonlyMap<ServerId, TcpPeerAddress>;
  /**
   * Where this replica tells acceptors it listens (sent after a version 5 hello), so one that
   * does not know this id yet can verify and call it back. Defaults to the address listened on;
   * a replica listening on a wildcard address (0.0.0.0) must name a reachable one.
   */
  advertise?: TcpPeerAddress;
  /**
   * The newest wire version this replica speaks (tcpPeerVersionMin to tcpPeerVersion): it dials
   * at this version and accepts hellos from tcpPeerVersionMin up to it. 4 behaves exactly as the
   * previous release, for rolling-upgrade tests.
   */
  versionMax?: number;
  /**
   * Dynamic membership (reconfigEnabled): believe a version 5 hello from an id outside `peers`
   * once the replica at its advertised address vouches for it, as ZooKeeper's leader takes
   * learners of any id — a replica joining by reconfig dials the members before they know it.
   */
  acceptJoining?: boolean;
  /** Ids outside `peers` linked, being verified or being called back at once; more are busy. */
  joiningMax?: number;
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
  /** Ids outside the configuration linked, being verified or being called back, now. */
  readonly joiningLinks: number;
}

export type TcpLinkStateName = 'idle' | 'dialing' | 'awaitingCallBack' | 'backoff' | 'connected';

export interface TcpLinkState extends LinkState {
  state: TcpLinkStateName;
  /** Who dialed the live connection: this replica (outbound) or the peer (inbound). */
  direction: 'outbound' | 'inbound' | undefined;
  queuedBytes: number;
  /** The wire version of the live connection (undefined when not connected). */
  version: number | undefined;
  /** The peer is outside the configuration (joining by reconfig), reached at its advertised
   * address until setPeers names it or the link ends. */
  joining: boolean;
}

export interface TcpTransport extends Transport {
  /** The address actually listened on (the kernel's port when asked for port 0). */
  readonly address: TcpPeerAddress;
  readonly statistics: TcpTransportStatistics;
  linkState(peer: ServerId): TcpLinkState;
  /** The quorum certificate files changed: new connections use this material. */
  setSecureContext(options: SecureContextOptions): void;
  /**
   * The configuration changed (a reconfig committed): a removed id's link closes ('closed',
   * 'removed from the configuration') and its hellos are refused as an unknown id's — with
   * acceptJoining it may still link as a joining replica, as any id outside the configuration
   * may (so a removed replica can be added back); a new id may be dialed; a changed address
   * closes the link, and the next send dials the new one. Takes a copy of `peers`.
   * Disconnections are reported from a microtask, never from inside this call.
   */
  setPeers(peers: ReadonlyMap<ServerId, TcpPeerAddress>): void;
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

export const tcpTransportDefaults: {
  frameBytesMax: number;
  sendQueueBytesMax: number;
  reconnectBackoffMsBase: number;
  reconnectBackoffMsMax: number;
  handshakeTimeoutMs: number;
  handshakingMax: number;
  versionMax: number;
  acceptJoining: boolean;
  joiningMax: number;
} = {
  frameBytesMax: 16 * 1024 * 1024,
  sendQueueBytesMax: 64 * 1024 * 1024,
  reconnectBackoffMsBase: 100,
  reconnectBackoffMsMax: 5_000,
  handshakeTimeoutMs: 5_000,
  handshakingMax: 32,
  versionMax: tcpPeerVersion,
  acceptJoining: false,
  joiningMax: 8,
};

export const silentLogger: TcpTransportLogger = { debug() {}, info() {}, warn() {} };

export type TcpTransportSettings = typeof tcpTransportDefaults;

/** Defaults for what was not given; an explicit `undefined` does not replace a default. */
export function resolveSettings(options: TcpTransportOptions): TcpTransportSettings {
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(tcpTransportDefaults) as Array<keyof TcpTransportSettings>) {
    const value = options[key];
    if (value !== undefined) given[key] = value;
  }
  const settings = { ...tcpTransportDefaults, ...given } as TcpTransportSettings;
  const { versionMax, joiningMax } = settings;
  if (!Number.isInteger(versionMax) || versionMax < tcpPeerVersionMin
    || versionMax > tcpPeerVersion) {
    const range = `[${tcpPeerVersionMin}, ${tcpPeerVersion}]`;
    throw new RangeError(`versionMax ${versionMax} outside ${range}`);
  }
  if (!Number.isInteger(joiningMax) || joiningMax < 0) {
    throw new RangeError(`bad joiningMax ${joiningMax}`);
  }
  return settings;
}

export function sameAddress(first: TcpPeerAddress, second: TcpPeerAddress): boolean {
  return first.host === second.host && first.port === second.port;
}
