// The one interface replicas move peer frames through, with an implementation per world: memory
// (tests and the simulator, transport/memory.ts) and TCP (production). A connection behaves like
// TCP: FIFO while it lasts, and a lost frame breaks it, which both ends learn as `disconnected`.
import type { ServerId } from '../protocol/peer.js';

/** Why a connection to a peer (or the whole transport) ended. */
export type CloseReason =
  /** This end closed the transport. */
  | 'closed'
  /** The peer closed its transport, or crashed. */
  | 'peerClosed'
  /** A frame on the connection was lost (network fault or partition), so it was torn down. */
  | 'frameLost'
  /** The connection was reset without a lost frame (injected fault, or a socket reset). */
  | 'reset'
  /** The receiver fell too far behind; the sender gave up rather than buffer without bound. */
  | 'overflow'
  /** A protocol or I/O error, e.g. a malformed frame or a refused handshake. */
  | 'error';

export interface CloseCause {
  reason: CloseReason;
  detail?: string;
}

/** Listeners a host registers; each is called from the transport's delivery, never from send. */
export interface TransportEvents {
  /** One complete frame from `from`, in the order `from` sent it on this connection. */
  frame: (from: ServerId, frame: Uint8Array) => void;
  /** A connection to `peer` was established; frames may now flow both ways. */
  connected: (peer: ServerId) => void;
  /** The connection to `peer` ended; frames in flight on it are lost. */
  disconnected: (peer: ServerId, cause: CloseCause) => void;
}

export type TransportEventName = keyof TransportEvents;

/** How the link to one peer stands, for a sender that paces itself (a streaming sync). */
export interface LinkState {
  /** 'connected' while frames can flow; other names are the transport's own. */
  state: string;
  /** Bytes sent and not yet taken by the link. */
  queuedBytes: number;
}

export interface Transport {
  /** This replica's server id: the name peers know it by. */
  readonly localId: ServerId;
  /**
   * Queues a frame for `to`, connecting first if needed. Never throws for network reasons and
   * never calls a listener: a frame that cannot be delivered breaks the connection, reported
   * later through `disconnected`.
   */
  send(to: ServerId, frame: Uint8Array): void;
  /** The link to `peer` as it stands now. */
  linkState(peer: ServerId): LinkState;
  /**
   * The peer wire version the live link to `peer` speaks (undefined when not connected). A link
   * to a replica of the previous release speaks 4, and the host refuses reconfig while any does.
   */
  peerVersion(peer: ServerId): number | undefined;
  /** Registers a listener; returns the function that removes it. */
  on<Name extends TransportEventName>(name: Name, listener: TransportEvents[Name]): () => void;
  /** Closes every connection; peers see `peerClosed`, this end hears nothing more. */
  close(cause?: CloseCause): void;
}
