// The client side of a ZooKeeper session as a pure XState machine: which server to try next, how
// long to back off, when a lost connection means a lost session, and what the host must tell the
// application. The socket (openConnection, closeSession), timers and randomness come from the host.
import { assign, setup, type SnapshotFrom } from 'xstate';
import { notProvided, notProvidedActor } from './effects.js';

const machineName = 'client connection';

/** One entry of the connect string, in the (host-shuffled) order the machine tries them. */
export interface ServerAddress {
  host: string;
  port: number;
}

/** What the host reports after a successful handshake (ZooKeeper's ConnectResponse). */
export interface SessionEstablished {
  sessionId: bigint;
  password: Buffer;
  negotiatedTimeoutMs: number;
  readOnly: boolean;
}

/** What the host's openConnection actor is asked to do: connect, then handshake. */
export interface OpenConnectionInput {
  server: ServerAddress;
  /** 0n for a new session; the live session's id when reconnecting. */
  sessionId: bigint;
  password: Buffer | null;
  requestedTimeoutMs: number;
  canBeReadOnly: boolean;
}

/** The states an application sees (ZooKeeper's KeeperState, Curator's ConnectionState). */
export type ClientConnectionState =
  | 'connecting'
  | 'connected'
  | 'connectedReadOnly'
  | 'suspended'
  | 'expired'
  | 'closed'
  | 'authFailed';

export interface ClientConnectionInput {
  /** Already shuffled by the host (its randomness), as ZooKeeper's StaticHostProvider does. */
  servers: ServerAddress[];
  requestedTimeoutMs: number;
  canBeReadOnly: boolean;
  reconnectBackoffMsBase: number;
  reconnectBackoffMsMax: number;
  /** How long close() waits for the server to confirm closeSession before dropping the socket. */
  closeTimeoutMs: number;
}

export interface ClientConnectionContext extends ClientConnectionInput {
  serverIndex: number;
  /** Failed attempts since the last successful handshake; drives the backoff. */
  failedAttempts: number;
  sessionId: bigint;
  password: Buffer | null;
  negotiatedTimeoutMs: number;
  readOnly: boolean;
  /** How long the server had been silent when the connection was lost (see sessionTimeout). */
  silentMsAtLoss: number;
}

export type ClientConnectionEvent =
  /**
   * The socket of the established connection closed (or the host declared it dead). `silentMs`:
   * how long before this no frame had come from the server (0 when unknown).
   */
  | { type: 'connection.lost'; silentMs?: number }
  /** A server reported the session expired (reply error or notification state). */
  | { type: 'session.expired' }
  /** The server rejected credentials (auth reply AuthFailed). */
  | { type: 'authentication.failed' }
  /** The application called close(). */
  | { type: 'client.close' };

/** The host's error for "the server answered the handshake with timeout 0". */
export function isSessionExpiredError(error: unknown): boolean {
  return (error as { code?: number } | null)?.code === -112;
}

/** Exponential backoff per full pass over the server list, capped (a pure rule). */
export function reconnectBackoffMs(context: ClientConnectionContext): number {
  const passes = Math.floor(context.failedAttempts / Math.max(1, context.servers.length));
  const backoff = context.reconnectBackoffMsBase * 2 ** Math.min(passes, 20);
  return Math.min(backoff, context.reconnectBackoffMsMax);
}

/**
 * How long a suspended client waits before reporting its session expired: the session timeout
 * counted from the last frame the server sent, not from when the loss was noticed. The server
 * last heard from us no later than that frame, so it may expire the session a timeout after it;
 * counting from the (later) loss would leave a lock holder believing it holds the lock while
 * another process already does. A pure rule.
 */
export function sessionTimeoutRemainingMs(context: ClientConnectionContext): number {
  return Math.max(0, context.negotiatedTimeoutMs - context.silentMsAtLoss);
}

const report = (state: ClientConnectionState) =>
  ({ type: 'reportState', params: { state } }) as const;

/**
 * Tries servers in turn until one answers the handshake. Shared by `connecting` (no session yet)
 * and `suspended` (the session may still live, so the reconnect carries its id and password).
 */
function reconnectLoop() {
  return {
    initial: 'opening',
    states: {
      opening: {
        invoke: {
          id: 'openConnection',
          src: 'openConnection',
          input: ({ context }: { context: ClientConnectionContext }): OpenConnectionInput => ({
            server: context.servers[context.serverIndex] as ServerAddress,
            sessionId: context.sessionId,
            password: context.password,
            requestedTimeoutMs: context.requestedTimeoutMs,
            canBeReadOnly: context.canBeReadOnly,
          }),
          onDone: { target: '#clientConnection.connected', actions: 'recordSession' },
          onError: [
            { guard: 'isSessionExpired', target: '#clientConnection.expired' },
            { target: 'waiting', actions: 'advanceServer' },
          ],
        },
      },
      waiting: { after: { reconnectBackoff: { target: 'opening' } } },
    },
  } as const;
}

export const clientConnectionMachine = setup({
  types: {} as {
    context: ClientConnectionContext;
    events: ClientConnectionEvent;
    input: ClientConnectionInput;
  },
  actors: {
    /** Connect a socket to input.server and complete the handshake; rejects on any failure. */
    openConnection: notProvidedActor<OpenConnectionInput, SessionEstablished>(
      machineName,
      'openConnection',
    ),
    /** Send closeSession on the established connection and wait for its reply (or loss). */
    closeSession: notProvidedActor<void, void>(machineName, 'closeSession'),
  },
  actions: {
    /** Tell the application (events, waiting requests, recipes) the state changed. */
    reportState: notProvided<{ state: ClientConnectionState }>(machineName, 'reportState'),
    /** After a handshake: re-send auth, then setWatches2, before any queued request. */
    restoreSession: notProvided(machineName, 'restoreSession'),
    /** Drop the socket without closing the session (used when expiring locally). */
    dropConnection: notProvided(machineName, 'dropConnection'),
    recordSession: assign(({ event }) => {
      const established = (event as unknown as { output: SessionEstablished }).output;
      return {
        sessionId: established.sessionId,
        password: established.password,
        negotiatedTimeoutMs: established.negotiatedTimeoutMs,
        readOnly: established.readOnly,
        failedAttempts: 0,
      };
    }),
    advanceServer: assign(({ context }) => ({
      serverIndex: (context.serverIndex + 1) % context.servers.length,
      failedAttempts: context.failedAttempts + 1,
    })),
    /**
     * As ZooKeeper's client: after a loss, reconnect to the next server first (the one just lost
     * may be dead or frozen, and a handshake with it would spend the session's remaining time).
     */
    recordLoss: assign(({ context, event }) => ({
      serverIndex: (context.serverIndex + 1) % context.servers.length,
      silentMsAtLoss: Math.max(0, (event as { silentMs?: number }).silentMs ?? 0),
    })),
  },
  guards: {
    isSessionExpired: ({ event }) => isSessionExpiredError((event as { error?: unknown }).error),
    isReadOnly: ({ context }) => context.readOnly,
  },
  delays: {
    reconnectBackoff: ({ context }) => reconnectBackoffMs(context),
    /**
     * Disconnected for a whole session timeout since the server's last frame: the server may have
     * expired the session by now, so report it lost instead of waiting for a reconnect to say so.
     */
    sessionTimeout: ({ context }) => sessionTimeoutRemainingMs(context),
    /** A server that does not confirm closeSession in time is left to expire the session. */
    closeTimeout: ({ context }) => context.closeTimeoutMs,
  },
}).createMachine({
  id: 'clientConnection',
  context: ({ input }) => ({
    ...input,
    serverIndex: 0,
    failedAttempts: 0,
    sessionId: 0n,
    password: null,
    negotiatedTimeoutMs: input.requestedTimeoutMs,
    readOnly: false,
    silentMsAtLoss: 0,
  }),
  initial: 'connecting',
  states: {
    connecting: {
      entry: report('connecting'),
      on: { 'client.close': { target: 'closed' } },
      ...reconnectLoop(),
    },
    connected: {
      initial: 'choosing',
      entry: 'restoreSession',
      on: {
        'connection.lost': { target: 'suspended', actions: 'recordLoss' },
        'session.expired': { target: 'expired', actions: 'dropConnection' },
        // Credentials are only ever checked on an established connection.
        'authentication.failed': { target: 'authFailed', actions: 'dropConnection' },
        'client.close': { target: 'closing' },
      },
      states: {
        choosing: {
          always: [{ guard: 'isReadOnly', target: 'readOnly' }, { target: 'readWrite' }],
        },
        readWrite: { entry: report('connected') },
        // A read-only server (partitioned from its quorum) serves reads; writes fail NotReadOnly.
        readOnly: { entry: report('connectedReadOnly') },
      },
    },
    suspended: {
      entry: report('suspended'),
      after: { sessionTimeout: { target: 'expired' } },
      on: { 'client.close': { target: 'closed' } },
      ...reconnectLoop(),
    },
    closing: {
      invoke: { id: 'closeSession', src: 'closeSession', onDone: 'closed', onError: 'closed' },
      on: { 'connection.lost': { target: 'closed' } },
      // A frozen or unreachable server never answers: close() must still end promptly.
      after: { closeTimeout: { target: 'closed' } },
    },
    expired: { type: 'final', entry: report('expired') },
    closed: { type: 'final', entry: report('closed') },
    authFailed: { type: 'final', entry: report('authFailed') },
  },
});

export type ClientConnectionSnapshot = SnapshotFrom<typeof clientConnectionMachine>;
