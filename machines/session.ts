// The server-side ZooKeeper session as a pure XState machine: it decides when a session expires,
// which connection it belongs to, and when the host must close a connection; the host (actors/,
// sim/) supplies the effects with `.provide()` and drives it with the events below.
import { assign, setup, type SnapshotFrom } from 'xstate';
import { negotiateSessionTimeout, type SessionTimeoutLimits } from './rules.js';
import { notProvided } from './effects.js';

/** The host's handle for one client connection (socket); unique for the host's lifetime. */
export type ConnectionId = number;

/** Why the host is asked to submit a closeSession txn. */
export type SessionCloseReason = 'expired' | 'closeRequested';

export interface SessionInput {
  sessionId: bigint;
  /** The timeout the client asked for in its ConnectRequest. */
  requestedTimeoutMs: number;
  limits: SessionTimeoutLimits;
  /**
   * The connection whose ConnectRequest created the session, or null for a session that already
   * exists with no client attached (recovered from the tree, or learned from the leader).
   */
  connectionId: ConnectionId | null;
  /**
   * Whether this replica decides the session's expiry: the leader does (and a standalone
   * server); a follower or observer only tracks it, and learns of expiry from the leader's
   * closeSession txn. Defaults to true.
   */
  expiresHere?: boolean;
  /**
   * Added to the timeout before the session expires: a host that passes on at most one touch
   * per `graceMs` may have seen a packet up to that long after the last touch it sent. Default 0.
   */
  graceMs?: number;
}

export interface SessionContext {
  sessionId: bigint;
  /** Negotiated timeout: what the ConnectResponse carries and what the expiry timer waits. */
  timeoutMs: number;
  /** The connection currently attached to the session; null while no client is attached. */
  connectionId: ConnectionId | null;
  /** See SessionInput.expiresHere. */
  expiresHere: boolean;
  /** See SessionInput.graceMs. */
  graceMs: number;
}

/** Events, namespaced by their source. Every client event names the connection it came from. */
export type SessionEvent =
  /** The handshake on this connection was answered: a new session, or a reconnect to this one. */
  | { type: 'client.connected'; connectionId: ConnectionId }
  /** Any packet (request or ping) arrived on this connection. */
  | { type: 'client.touch'; connectionId: ConnectionId }
  /** This connection's socket closed; the session lives on until its timeout. */
  | { type: 'client.disconnected'; connectionId: ConnectionId }
  /** The client sent closeSession on this connection. */
  | { type: 'client.close'; connectionId: ConnectionId }
  /** The closeSession txn for this session was applied to the data tree (ephemerals gone). */
  | { type: 'tree.sessionClosed' }
  /** A learner reported traffic for this session (its client is connected to another replica). */
  | { type: 'peer.touch' }
  /**
   * This replica became (or stopped being) the one that expires sessions: a new leader gives
   * every session a full timeout from now, as ZooKeeper's new leader's session tracker does.
   */
  | { type: 'replica.expiryOwner'; expiresHere: boolean };

/**
 * Carried by every state in which the session is over or about to be: a client reconnecting now
 * must be answered with timeout 0 (ZooKeeper's "session expired") and not attached.
 */
export const sessionEndedTag = 'ended';

function currentConnection(context: SessionContext): ConnectionId {
  if (context.connectionId === null) {
    throw new Error('session machine: no connection attached (a guard should have caught it)');
  }
  return context.connectionId;
}

// The connection to close is whichever is attached when the action runs (before any assign that
// follows it in the same transition).
const closeAttachedConnection = {
  type: 'closeConnection',
  params: ({ context }: { context: SessionContext }) => ({
    connectionId: currentConnection(context),
  }),
} as const;

/**
 * Once the closeSession txn is applied the session is over; a client still attached learns it by
 * the host closing its connection (and a reconnect is then answered "expired").
 */
function endAfterCloseApplied(target: 'expired' | 'closed') {
  return [
    { guard: 'hasConnection', target, actions: closeAttachedConnection },
    { target },
  ] as const;
}

export const sessionMachine = setup({
  types: {} as {
    context: SessionContext;
    events: SessionEvent;
    input: SessionInput;
    tags: typeof sessionEndedTag;
  },
  actions: {
    /** Submit a closeSession txn for this session (leader-owned; forwarded by followers). */
    requestSessionClose: notProvided<{ reason: SessionCloseReason }>(
      'session',
      'requestSessionClose',
    ),
    /** Close this connection once everything already queued on it has been written. */
    closeConnection: notProvided<{ connectionId: ConnectionId }>('session', 'closeConnection'),
    /** The session expired and its closeSession txn is applied: forget it, log, count it. */
    notifyExpired: notProvided('session', 'notifyExpired'),
    /** The client closed the session and its closeSession txn is applied. */
    notifyClosed: notProvided('session', 'notifyClosed'),
    attachConnection: assign({
      connectionId: ({ event }) => ('connectionId' in event ? event.connectionId : null),
    }),
    detachConnection: assign({ connectionId: null }),
    recordExpiryOwner: assign({
      expiresHere: ({ event, context }) =>
        event.type === 'replica.expiryOwner' ? event.expiresHere : context.expiresHere,
    }),
  },
  guards: {
    /** Did the event come from the attached connection, not a stale one it replaced? */
    isCurrentConnection: ({ context, event }) =>
      'connectionId' in event && event.connectionId === context.connectionId,
    hasConnection: ({ context }) => context.connectionId !== null,
    hasNoConnection: ({ context }) => context.connectionId === null,
    /** Only the replica that owns expiry (the leader) ends a session whose timer ran out. */
    expiresHere: ({ context }) => context.expiresHere,
    /** Is a client taking the session over on a new socket while the old one is still open? */
    isReplacingConnection: ({ context, event }) =>
      context.connectionId !== null &&
      'connectionId' in event &&
      event.connectionId !== context.connectionId,
  },
  delays: {
    /** ZooKeeper expires a session when no packet arrives within its negotiated timeout. */
    sessionTimeout: ({ context }) => context.timeoutMs + context.graceMs,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    sessionId: input.sessionId,
    timeoutMs: negotiateSessionTimeout(input.requestedTimeoutMs, input.limits),
    connectionId: input.connectionId,
    expiresHere: input.expiresHere ?? true,
    graceMs: input.graceMs ?? 0,
  }),
  initial: 'handshake',
  states: {
    // The createSession txn is in flight; the creating connection awaits its ConnectResponse.
    // If that client goes (or none was attached: a recovered session) the session lives on
    // without it, so it still expires unless a client reconnects.
    handshake: {
      always: { guard: 'hasNoConnection', target: 'live.disconnected' },
      after: {
        sessionTimeout: {
          guard: 'expiresHere',
          target: 'expiring',
          actions: { type: 'requestSessionClose', params: { reason: 'expired' } },
        },
      },
      on: {
        'client.connected': { guard: 'isCurrentConnection', target: 'live' },
        'client.disconnected': { guard: 'isCurrentConnection', actions: 'detachConnection' },
        // Another replica (the leader) may close the session first, e.g. on its own expiry.
        // A connection is always attached here (see `always`).
        'tree.sessionClosed': { target: 'expired', actions: closeAttachedConnection },
        'replica.expiryOwner': {
          target: 'handshake',
          reenter: true,
          actions: 'recordExpiryOwner',
        },
      },
    },
    // The expiry timer belongs to `live` as a whole: a socket closing does not restart it, any
    // packet does (re-entering `live`), exactly as ZooKeeper's session tracker touches sessions.
    // On a replica that does not own expiry the timer runs out without effect.
    live: {
      initial: 'active',
      after: {
        sessionTimeout: {
          guard: 'expiresHere',
          target: 'expiring',
          actions: { type: 'requestSessionClose', params: { reason: 'expired' } },
        },
      },
      on: {
        'client.touch': { guard: 'isCurrentConnection', target: '.active', reenter: true },
        // Traffic on another replica (reported in a learner's ping) keeps the session alive.
        'peer.touch': [
          { guard: 'hasConnection', target: '.active', reenter: true },
          { target: '.disconnected', reenter: true },
        ],
        'replica.expiryOwner': [
          {
            guard: 'hasConnection',
            target: '.active',
            reenter: true,
            actions: 'recordExpiryOwner',
          },
          { target: '.disconnected', reenter: true, actions: 'recordExpiryOwner' },
        ],
        // A reconnect (even while the old socket looks open) moves the session to the new
        // connection; ZooKeeper closes the old one so the client sees one ordered stream.
        'client.connected': [
          {
            guard: 'isReplacingConnection',
            target: '.active',
            reenter: true,
            actions: [closeAttachedConnection, 'attachConnection'],
          },
          { target: '.active', reenter: true, actions: 'attachConnection' },
        ],
        'client.close': {
          guard: 'isCurrentConnection',
          target: 'closing',
          actions: { type: 'requestSessionClose', params: { reason: 'closeRequested' } },
        },
        'tree.sessionClosed': endAfterCloseApplied('expired'),
      },
      states: {
        active: {
          on: {
            'client.disconnected': {
              guard: 'isCurrentConnection',
              target: 'disconnected',
              actions: 'detachConnection',
            },
          },
        },
        disconnected: {},
      },
    },
    // closeSession txn submitted because the timer fired. Packets no longer keep it alive, and a
    // reconnect is refused (tag), as in ZooKeeper once a session is marked closing.
    expiring: {
      tags: [sessionEndedTag],
      on: {
        'client.disconnected': { guard: 'isCurrentConnection', actions: 'detachConnection' },
        // Only now are the ephemerals gone, so only now may the client learn of the expiry.
        'tree.sessionClosed': endAfterCloseApplied('expired'),
      },
    },
    // closeSession txn submitted at the client's request; the host answers that request before
    // it runs closeConnection.
    closing: {
      tags: [sessionEndedTag],
      on: {
        'client.disconnected': { guard: 'isCurrentConnection', actions: 'detachConnection' },
        'tree.sessionClosed': endAfterCloseApplied('closed'),
      },
    },
    expired: { type: 'final', tags: [sessionEndedTag], entry: 'notifyExpired' },
    closed: { type: 'final', tags: [sessionEndedTag], entry: 'notifyClosed' },
  },
});

export type SessionSnapshot = SnapshotFrom<typeof sessionMachine>;

/**
 * What the host checks when a client reconnects with this session id: true means answer the
 * ConnectRequest with timeout 0 (session expired) and do not send `client.connected`.
 */
export function isSessionEnded(snapshot: SessionSnapshot): boolean {
  return snapshot.status === 'done' || snapshot.hasTag(sessionEndedTag);
}
