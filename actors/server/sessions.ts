// The session table of a live server: one XState session actor per session (machines/session),
// wired to the host's effects. The actor decides expiry and which connection owns the session;
// this file turns its actions into txns and connection closes. On an ensemble's learners it also
// remembers which sessions its clients used, for the next PING reply to the leader.
// Every session runs the one machine provided here (its effects read the session id from the
// machine's context), in actor systems shared by many sessions (session-parents.ts), and every
// session's expiry timer sits in one ExpiryWheel of tickTime buckets: a session costs its actor
// and a few table entries, not a machine, an actor system and a timer of its own.

import { createActor, type Actor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { isSessionEnded, sessionMachine, type SessionCloseReason } from '../../machines/session.js';
import type { SessionTimeoutLimits } from '../../machines/rules.js';
import type { SessionTouch } from '../../protocol/peer.js';
import { ExpiryWheel } from './expiry-wheel.js';
import { SessionParents } from './session-parents.js';

export interface SessionEffects {
  /** Submit a closeSession txn for the session. */
  requestSessionClose(sessionId: bigint, reason: SessionCloseReason): void;
  /** Close a connection once what is queued on it has been written. */
  closeConnection(connectionId: number): void;
  /** The session is over (its closeSession txn was applied). */
  ended(sessionId: bigint, reason: 'expired' | 'closed'): void;
}

export type SessionActor = Actor<typeof sessionMachine>;

/** The clock XState's timers run on: the system's by default, a SimulatedClock in the sim. */
export type SessionClock = NonNullable<Parameters<typeof createActor>[1]>['clock'];

export interface SessionTableOptions {
  inspect?: (event: InspectionEvent) => void;
  /** Told of each session machine's actor as it is created (the machine event stream's hub). */
  trackActor?: (actor: AnyActorRef) => void;
  clock?: SessionClock;
  /** Milliseconds now, for touch throttling (the simulator passes its clock's). */
  now?: () => number;
  /**
   * Whether touches are kept for drainTouches: only a learner reports them (its PING to the
   * leader). A standalone server or the leader never drains them, so keeping them would cost
   * every session an entry held until it ends. Always by default.
   */
  recordsTouches?: () => boolean;
}

export class SessionTable {
  private readonly actors = new Map<bigint, SessionActor>();
  /**
   * The wheel bucket each session's expiry was last moved to by a touch from its connection. A
   * touch that would land in the same bucket changes nothing (ZooKeeper's ExpiryQueue.update
   * returns early the same way), so it skips the machine: a busy session costs a transition
   * and a reschedule once per tick, not once per request.
   */
  private readonly touchedBucket = new Map<bigint, number>();
  /** Sessions used on this server since drainTouches last ran (LearnerSessionTracker). */
  private touched = new Map<bigint, SessionTouch>();
  /**
   * The leader's record of which replica holds each session's connection (ZooKeeper's session
   * owner): set when a session is created, revalidated or reattached, checked on every write.
   */
  private readonly owners = new Map<bigint, number>();

  private readonly inspect: ((event: InspectionEvent) => void) | undefined;
  private readonly trackActor: ((actor: AnyActorRef) => void) | undefined;
  private readonly now: () => number;
  private readonly recordsTouches: () => boolean;
  /** ZooKeeper's session ExpiryQueue: the clock every session actor's timer runs on. */
  readonly wheel: ExpiryWheel;
  /**
   * The session machine with this table's effects, built once: `provide` builds a whole new
   * machine (its state-node tree), which per session was most of a session's memory.
   */
  private readonly machine: typeof sessionMachine;
  /** The parents session actors share actor systems under. */
  readonly parents: SessionParents;

  constructor(
    private readonly limits: SessionTimeoutLimits,
    private readonly effects: SessionEffects,
    options: SessionTableOptions = {},
  ) {
    this.inspect = options.inspect;
    this.trackActor = options.trackActor;
    this.recordsTouches = options.recordsTouches ?? (() => true);
    // The wheel must read the clock its timer runs on: a SimulatedClock given without `now` is
    // read directly rather than the wall clock.
    const clockNow = (options.clock as { now?: () => number } | undefined)?.now;
    this.now = options.now ??
      (clockNow === undefined ? Date.now : () => clockNow.call(options.clock));
    this.wheel = new ExpiryWheel(limits.tickTimeMs, this.now, options.clock);
    this.parents = new SessionParents({
      clock: this.wheel.clock,
      ...(this.inspect === undefined ? {} : { inspect: this.inspect }),
    });
    this.machine = sessionMachine.provide({
      actions: {
        requestSessionClose: ({ context }, params) =>
          this.effects.requestSessionClose(context.sessionId, params.reason),
        closeConnection: (_arguments, params) => this.effects.closeConnection(params.connectionId),
        notifyExpired: ({ context }) => this.finish(context.sessionId, 'expired'),
        notifyClosed: ({ context }) => this.finish(context.sessionId, 'closed'),
      },
    });
  }

  get size(): number {
    return this.actors.size;
  }

  /** How many sessions' machines are in each top-level state (read by the metrics on demand). */
  stateCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const actor of this.actors.values()) {
      const value = actor.getSnapshot().value;
      const state = typeof value === 'string' ? value : Object.keys(value)[0] ?? 'unknown';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    return counts;
  }

  ids(): IterableIterator<bigint> {
    return this.actors.keys();
  }

  get(sessionId: bigint): SessionActor | undefined {
    return this.actors.get(sessionId);
  }

  has(sessionId: bigint): boolean {
    return this.actors.has(sessionId);
  }

  /**
   * Starts the machine of a session being created on `connectionId`; returns its timeout.
   * `expiresHere` is false on a follower or observer: the leader decides expiry.
   */
  open(
    sessionId: bigint,
    requestedTimeoutMs: number,
    connectionId: number | null,
    expiresHere = true,
  ): number {
    const actor = createActor(this.machine, {
      input: { sessionId, requestedTimeoutMs, limits: this.limits, connectionId, expiresHere },
      parent: this.parents.take(sessionId),
    });
    this.actors.set(sessionId, actor);
    this.trackActor?.(actor);
    actor.start();
    return actor.getSnapshot().context.timeoutMs;
  }

  /** Sessions recovered from persisted state have no connection until a client returns. */
  restore(sessionId: bigint, timeoutMs: number, expiresHere = true): void {
    this.open(sessionId, timeoutMs, null, expiresHere);
  }

  /** A new leader expires sessions from now on (each gets a full timeout); a learner does not. */
  setExpiryOwner(sessionId: bigint, expiresHere: boolean): void {
    this.actors.get(sessionId)?.send({ type: 'replica.expiryOwner', expiresHere });
  }

  /** The leader heard (in a learner's PING) that the session's client is active there. */
  touchRemote(sessionId: bigint): void {
    this.actors.get(sessionId)?.send({ type: 'peer.touch' });
  }

  /**
   * Forgets a session without effects: a replica whose tree was rebuilt (TRUNC, SNAP) or that
   * was handed no createSession for it keeps exactly the sessions its tree holds.
   */
  drop(sessionId: bigint): void {
    const actor = this.actors.get(sessionId);
    this.owners.delete(sessionId);
    this.actors.delete(sessionId);
    this.touchedBucket.delete(sessionId);
    this.touched.delete(sessionId);
    if (actor !== undefined) this.parents.stop(sessionId, actor);
  }

  /** The sessions used here since the last call, for a learner's PING reply. */
  drainTouches(): SessionTouch[] {
    const touches = [...this.touched.values()];
    if (touches.length > 0) this.touched = new Map();
    return touches;
  }

  private recordTouch(sessionId: bigint): void {
    if (this.touched.has(sessionId) || !this.recordsTouches()) return;
    const timeoutMs = this.timeoutOf(sessionId);
    if (timeoutMs > 0) this.touched.set(sessionId, { sessionId, timeoutMs });
  }

  private finish(sessionId: bigint, reason: 'expired' | 'closed'): void {
    const actor = this.actors.get(sessionId);
    this.owners.delete(sessionId);
    this.actors.delete(sessionId);
    this.touchedBucket.delete(sessionId);
    this.touched.delete(sessionId);
    // Stop after the current transition finishes, not inside it.
    queueMicrotask(() => {
      if (actor !== undefined) this.parents.stop(sessionId, actor);
    });
    this.effects.ended(sessionId, reason);
  }

  /** True when the session may take a new connection (it exists and is not ending). */
  isLive(sessionId: bigint): boolean {
    const actor = this.actors.get(sessionId);
    return actor !== undefined && !isSessionEnded(actor.getSnapshot());
  }

  timeoutOf(sessionId: bigint): number {
    return this.actors.get(sessionId)?.getSnapshot().context.timeoutMs ?? 0;
  }

  connectionOf(sessionId: bigint): number | null {
    return this.actors.get(sessionId)?.getSnapshot().context.connectionId ?? null;
  }

  connected(sessionId: bigint, connectionId: number): void {
    this.recordTouch(sessionId);
    const actor = this.actors.get(sessionId);
    if (actor === undefined) return;
    actor.send({ type: 'client.connected', connectionId });
    this.noteBucket(sessionId, actor, connectionId);
  }

  touch(sessionId: bigint, connectionId: number): void {
    this.recordTouch(sessionId);
    const actor = this.actors.get(sessionId);
    if (actor === undefined) return;
    const { context } = actor.getSnapshot();
    const current = context.connectionId === connectionId;
    if (current && this.touchedBucket.get(sessionId) === this.wheel.bucketFor(context.timeoutMs)) {
      return;
    }
    actor.send({ type: 'client.touch', connectionId });
    this.noteBucket(sessionId, actor, connectionId);
  }

  /**
   * Remembers the bucket a touch from the attached connection moved the expiry to; a touch the
   * machine refused (a stale connection, a session ending) moved nothing and is not remembered.
   */
  private noteBucket(sessionId: bigint, actor: SessionActor, connectionId: number): void {
    const snapshot = actor.getSnapshot();
    if (snapshot.context.connectionId !== connectionId || !snapshot.matches('live')) {
      this.touchedBucket.delete(sessionId);
      return;
    }
    this.touchedBucket.set(sessionId, this.wheel.bucketFor(snapshot.context.timeoutMs));
  }

  disconnected(sessionId: bigint, connectionId: number): void {
    this.actors.get(sessionId)?.send({ type: 'client.disconnected', connectionId });
  }

  close(sessionId: bigint, connectionId: number): void {
    this.actors.get(sessionId)?.send({ type: 'client.close', connectionId });
  }

  /** The closeSession txn was applied (whoever asked for it). */
  closedInTree(sessionId: bigint): void {
    this.actors.get(sessionId)?.send({ type: 'tree.sessionClosed' });
  }

  /** The session's connection is now on replica `owner` (created, revalidated, reattached). */
  setOwner(sessionId: bigint, owner: number): void {
    this.owners.set(sessionId, owner);
  }

  /**
   * ZooKeeper's checkSession, for a write `owner` forwards: false when the session's connection
   * has moved to another replica since (SessionMoved). A session this leader has no owner for
   * yet (it was elected after the session moved last) belongs to the first that writes for it.
   * Housekeeping and unknown sessions are not this check's concern.
   */
  claimOwner(sessionId: bigint, owner: number): boolean {
    // A session this table does not hold has no connection anywhere to move from.
    if (!this.actors.has(sessionId)) return true;
    const known = this.owners.get(sessionId);
    if (known === undefined) this.owners.set(sessionId, owner);
    return known === undefined || known === owner;
  }

  /** A new leader learns the owners again (ZooKeeper's new leader starts with none). */
  forgetOwners(): void {
    this.owners.clear();
  }

  stopAll(): void {
    this.owners.clear();
    for (const [sessionId, actor] of this.actors) this.parents.stop(sessionId, actor);
    this.parents.stopAll();
    this.actors.clear();
    this.touchedBucket.clear();
    this.wheel.clear();
  }
}

