// The parents session actors are created under, so that sessions share actor systems: XState
// gives every root actor a system of its own (a registry, a scheduler, inspection, a score of
// closures), which per session cost more than the session's own machine state. A system is
// shared by at most sessionsPerSystemMax sessions, because XState cancels a stopping actor's
// timers by scanning every timer of its system: one system for all would make each session
// that ends cost a pass over every other session.

import { createActor, fromTransition, type AnyActorRef, type EventObject } from 'xstate';
import type { SessionActor, SessionClock } from './sessions.js';

/** Sessions per actor system: its overhead shared this many ways, its stop scan this long. */
export const sessionsPerSystemMax = 256;

export interface SessionParentsOptions {
  clock: NonNullable<SessionClock>;
  inspect?: NonNullable<Parameters<typeof createActor>[1]>['inspect'];
}

interface Slot {
  ref: AnyActorRef;
  sessions: number;
}

export class SessionParents {
  private readonly slots = new Set<Slot>();
  private current: Slot | undefined;
  private readonly slotOf = new Map<bigint, Slot>();

  constructor(private readonly options: SessionParentsOptions) {}

  /** Actor systems in use. */
  get systemCount(): number {
    return this.slots.size;
  }

  /** The parent to create a new session's actor under. */
  take(sessionId: bigint): AnyActorRef {
    let slot = this.current;
    if (slot === undefined || slot.sessions >= sessionsPerSystemMax) {
      slot = this.roomiest() ?? this.create();
      this.current = slot;
    }
    slot.sessions++;
    this.slotOf.set(sessionId, slot);
    return slot.ref;
  }

  /** Stops a session's actor; a parent left without sessions (and not filling) goes too. */
  stop(sessionId: bigint, actor: SessionActor): void {
    // XState's public stop() is for root actors; a child is stopped as its parent would.
    (actor as unknown as { _stop(): void })._stop();
    const slot = this.slotOf.get(sessionId);
    if (slot === undefined) return;
    this.slotOf.delete(sessionId);
    slot.sessions--;
    if (slot.sessions === 0 && slot !== this.current) {
      this.slots.delete(slot);
      slot.ref.stop();
    }
  }

  stopAll(): void {
    for (const slot of this.slots) slot.ref.stop();
    this.slots.clear();
    this.slotOf.clear();
    this.current = undefined;
  }

  /** A parent at most half full, so a freed system is reused before a new one is made. */
  private roomiest(): Slot | undefined {
    for (const slot of this.slots) if (slot.sessions <= sessionsPerSystemMax / 2) return slot;
    return undefined;
  }

  private create(): Slot {
    const { clock, inspect } = this.options;
    const ref = createActor(sessionParent, {
      clock,
      ...(inspect === undefined ? {} : { inspect }),
    }).start();
    const slot = { ref, sessions: 0 };
    this.slots.add(slot);
    return slot;
  }
}

/**
 * A session actors' parent: it keeps nothing and ignores a session's completion; a session's
 * failure (XState relays it to the parent instead of reporting it) it throws again, which fails
 * it as a root actor, and XState reports that as an unhandled error as it did the session's: an
 * invariant still stops the server, or fails the simulator's seed.
 */
const sessionParent = fromTransition((state: null, event: EventObject) => {
  if (event.type.startsWith('xstate.error.actor.')) throw (event as { error?: unknown }).error;
  return state;
}, null);
