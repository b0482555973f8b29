// The client side of a ZooKeeper session as a pure XState machine: which server to try next, how
// long to back off, when a lost connection means a lost session, when a read-only connection
// should move to a read-write server or back to a server of its own site, and what the host must
// tell the application. The sockets (openConnection, closeSession, the probes), timers and
// randomness come from the host.
import { assign, setup, type SnapshotFrom } from 'xstate';
import { notProvided, notProvidedActor } from './effects.js';
import {
  awayFromSiteState,
  nextServerIndex,
  serverAfterLoss,
  siteProbeIntervalMsDefault,
} from './client-connection-site.js';

export { nextServerIndex, serverAfterLoss, siteProbeIntervalMsDefault };

const machineName = 'client connection';

/** One entry of the connect string, in the (host-shuffled) order the machine tries them. */
export interface ServerAddress {
  host: string;
  port: number;
  /** The site the connect string tags it with (`host:port@site`); absent when untagged. */
  site?: string;
}

/** What the host reports after a successful handshake (ZooKeeper's ConnectResponse). */
export interface SessionEstablished {
  sessionId: bigint;
  password: Buffer;
  negotiatedTimeoutMs: number;
  readOnly: boolean;
}

/** ZooKeeper's client probes for a read-write server first after 100 ms, then ever less often. */
export const readWriteProbeMsMin = 100;
/** … doubling the wait after each probe, up to a minute (ClientCnxn's max ping-rw timeout). */
export const readWriteProbeMsMax = 60_000;

/** What the host's probeServer actor is asked: the server's answer to `isro` ('rw' or 'ro'). */
export interface ProbeServerInput {
  server: ServerAddress;
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
  /**
   * How many servers at the head of `servers` are of the client's own site (0, the default, for
   * a client without a site): the host orders own site, then untagged, then other sites.
   */
  siteServerCount?: number;
  /** The wait between rounds of asking own-site servers while connected elsewhere. */
  siteProbeIntervalMs?: number;
}

export interface ClientConnectionContext extends ClientConnectionInput {
  serverIndex: number;
  /** Failed attempts since the last successful handshake; drives the backoff. */
  failedAttempts: number;
  sessionId: bigint;
  password: Buffer | null;
  negotiatedTimeoutMs: number;
  readOnly: boolean;
  /**
   * True once a read-write server accepted a session (ZooKeeper's seenRwServerBefore). Until
   * then the session is a read-only server's local one: a reconnect asks for a new session
   * (id 0), and no server can expire it.
   */
  seenReadWriteServer: boolean;
  /** The server the next read-write probe asks. */
  probeIndex: number;
  /** The wait before the next probe while connected read-only (doubles, see readWriteProbe). */
  readWriteProbeMs: number;
  /** How long the server had been silent when the connection was lost (see sessionTimeout). */
  silentMsAtLoss: number;
  siteServerCount: number;
  siteProbeIntervalMs: number;
  /** The own-site server the next site probe asks. */
  siteProbeIndex: number;
  /** With a site: the server whose loss began this reconnect, tried last; otherwise -1. */
  lostServerIndex: number;
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

/**
 * The server a read-write probe asks after the one at `index`: the next in the list, never the
 * read-only server the client is connected to (unless it is the only one). A pure rule.
 */
export function nextProbeIndex(index: number, serverIndex: number, serverCount: number): number {
  if (serverCount <= 1) return 0;
  const next = (index + 1) % serverCount;
  return next === serverIndex ? (next + 1) % serverCount : next;
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
            // ClientCnxn.primeConnection: a read-only server's local session is not carried on.
            sessionId: context.seenReadWriteServer ? context.sessionId : 0n,
            password: context.seenReadWriteServer ? context.password : null,
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
    /** Ask input.server `isro` on a connection of its own; resolves with the answer's text. */
    probeServer: notProvidedActor<ProbeServerInput, string>(machineName, 'probeServer'),
    /** Ask an own-site server whether it serves the quorum: 'rw', 'ro' or anything else. */
    probeSiteServer: notProvidedActor<ProbeServerInput, string>(machineName, 'probeSiteServer'),
  },
  actions: {
    /** Tell the application (events, waiting requests, recipes) the state changed. */
    reportState: notProvided<{ state: ClientConnectionState }>(machineName, 'reportState'),
    /** After a handshake: re-send auth, then setWatches2, before any queued request. */
    restoreSession: notProvided(machineName, 'restoreSession'),
    /** Drop the socket without closing the session (used when expiring locally). */
    dropConnection: notProvided(machineName, 'dropConnection'),
    recordSession: assign(({ context, event }) => {
      const established = (event as unknown as { output: SessionEstablished }).output;
      return {
        sessionId: established.sessionId,
        password: established.password,
        negotiatedTimeoutMs: established.negotiatedTimeoutMs,
        readOnly: established.readOnly,
        seenReadWriteServer: context.seenReadWriteServer || !established.readOnly,
        failedAttempts: 0,
        lostServerIndex: -1,
      };
    }),
    startReadWriteSearch: assign(({ context }) => ({
      probeIndex: nextProbeIndex(context.serverIndex, context.serverIndex, context.servers.length),
    })),
    /** ClientCnxn.pingRwServer: the next probe asks the next server, after twice the wait. */
    advanceProbe: assign(({ context }) => ({
      probeIndex: nextProbeIndex(context.probeIndex, context.serverIndex, context.servers.length),
      readWriteProbeMs: Math.min(2 * context.readWriteProbeMs, readWriteProbeMsMax),
    })),
    /** A read-write server answered: reconnect to it next (RWServerFoundException). */
    moveToReadWriteServer: assign(({ context }) => ({
      serverIndex: context.probeIndex,
      readWriteProbeMs: readWriteProbeMsMin,
      silentMsAtLoss: 0,
    })),
    advanceServer: assign(({ context }) => ({
      serverIndex: nextServerIndex(
        context.serverIndex, context.lostServerIndex, context.servers.length),
      failedAttempts: context.failedAttempts + 1,
    })),
    /**
     * As ZooKeeper's client: after a loss, reconnect to the next server first (the one just lost
     * may be dead or frozen, and a handshake with it would spend the session's remaining time);
     * with a site, own-site servers first and the lost one last (serverAfterLoss).
     */
    recordLoss: assign(({ context, event }) => ({
      serverIndex: serverAfterLoss(
        context.serverIndex, context.servers.length, context.siteServerCount),
      lostServerIndex: context.siteServerCount > 0 ? context.serverIndex : -1,
      silentMsAtLoss: Math.max(0, (event as { silentMs?: number }).silentMs ?? 0),
    })),
    startSiteSearch: assign({ siteProbeIndex: 0 }),
    advanceSiteProbe: assign(({ context }) => ({
      siteProbeIndex: (context.siteProbeIndex + 1) % Math.max(1, context.siteServerCount),
    })),
    /**
     * An own-site server serves the quorum: reconnect to it with the session, as ZooKeeper's
     * client moves when rebalancing after a reconfig (drop the socket, reconnect, setWatches).
     */
    moveToSiteServer: assign(({ context }) => ({
      serverIndex: context.siteProbeIndex,
      silentMsAtLoss: 0,
    })),
  },
  guards: {
    isSessionExpired: ({ event }) => isSessionExpiredError((event as { error?: unknown }).error),
    isReadOnly: ({ context }) => context.readOnly,
    /** A read-only server's local session is nobody's to expire (the client reconnects anew). */
    holdsSession: ({ context }) => context.seenReadWriteServer,
    isReadWriteAnswer: ({ event }) => (event as { output?: unknown }).output === 'rw',
    /** Connected to a server outside the own site while the list has own-site servers. */
    isAwayFromSite: ({ context }) =>
      context.siteServerCount > 0 && context.serverIndex >= context.siteServerCount,
    /** The probe just answered was the round's last own-site server. */
    isLastSiteServer: ({ context }) => context.siteProbeIndex >= context.siteServerCount - 1,
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
    readWriteProbe: ({ context }) => context.readWriteProbeMs,
    siteProbe: ({ context }) => context.siteProbeIntervalMs,
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
    seenReadWriteServer: false,
    probeIndex: 0,
    readWriteProbeMs: readWriteProbeMsMin,
    silentMsAtLoss: 0,
    siteServerCount: Math.min(input.siteServerCount ?? 0, input.servers.length),
    siteProbeIntervalMs: input.siteProbeIntervalMs ?? siteProbeIntervalMsDefault,
    siteProbeIndex: 0,
    lostServerIndex: -1,
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
          always: [
            { guard: 'isReadOnly', target: 'readOnly' },
            { guard: 'isAwayFromSite', target: 'awayFromSite' },
            { target: 'readWrite' },
          ],
        },
        readWrite: { entry: report('connected') },
        awayFromSite: awayFromSiteState(),
        // A read-only server (partitioned from its quorum) serves reads; writes fail NotReadOnly.
        // Meanwhile other servers are asked `isro`; one answering `rw` takes the client over.
        readOnly: {
          entry: [report('connectedReadOnly'), 'startReadWriteSearch'],
          initial: 'waiting',
          states: {
            waiting: { after: { readWriteProbe: { target: 'probing' } } },
            probing: {
              invoke: {
                id: 'probeServer',
                src: 'probeServer',
                input: ({ context }): ProbeServerInput => ({
                  server: context.servers[context.probeIndex] as ServerAddress,
                }),
                onDone: [
                  {
                    guard: 'isReadWriteAnswer',
                    target: '#clientConnection.suspended',
                    actions: ['moveToReadWriteServer', 'dropConnection'],
                  },
                  { target: 'waiting', actions: 'advanceProbe' },
                ],
                onError: { target: 'waiting', actions: 'advanceProbe' },
              },
            },
          },
        },
      },
    },
    suspended: {
      entry: report('suspended'),
      after: { sessionTimeout: { guard: 'holdsSession', target: 'expired' } },
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
