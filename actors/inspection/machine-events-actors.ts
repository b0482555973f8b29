// The actors a machine event hub knows: every root actor its replica creates (the replica
// machine, each session machine) and, while someone listens, their children (the election).
// XState's inspection costs every actor that has an observer on each event it takes, even an
// observer that does nothing, so a root's system is inspected only while someone listens;
// otherwise a root costs one map entry, and its children are found from its snapshot when
// listening begins. Actors that ended unwatched are let go by a sweep now and then (a completion
// observer would change how XState reports a machine's errors, so none is attached).
import type { AnyActorRef, InspectionEvent, Subscription } from 'xstate';
import { catalogueNameOf, machineOf } from './machine-events-records.js';

export interface LiveActor {
  /** Its id in the stream: XState's session ids repeat across actor systems (each session's
   * machine is a system of its own), so the hub numbers actors itself. */
  readonly id: string;
  readonly ref: AnyActorRef;
  readonly machine: string;
  readonly parent: string | undefined;
  /** The root actor (createActor) whose system it runs in. */
  readonly root: AnyActorRef;
  /** Its actor record is in the stream since listening began: what follows are transitions. */
  announced: boolean;
  /** Transitions of the macrostep under way (from its microsteps). */
  pending: Array<{ source: string; targets: string[] }>;
}

interface Root {
  /** The system's inspection, while someone listens. */
  subscription: Subscription | undefined;
  /** Its actors in `live` (itself too), so that they go when it does. */
  members: Set<AnyActorRef>;
}

/** Roots tracked between two sweeps for actors that ended unwatched (see sweep). */
const sweepEveryRoots = 256;

export class TrackedActors {
  /** Machine actors alive now, by actor ref, in the order they started. */
  readonly live = new Map<object, LiveActor>();
  private readonly roots = new Map<AnyActorRef, Root>();
  private numbered = 0;
  private tracked = 0;
  private watching = false;

  constructor(private readonly observe: (event: InspectionEvent) => void) {}

  /** A root actor, just created: its machines are streamed while someone listens. */
  track(actor: AnyActorRef): void {
    if (this.roots.has(actor)) return;
    if (++this.tracked % sweepEveryRoots === 0) this.sweep();
    const root: Root = { subscription: undefined, members: new Set() };
    this.roots.set(actor, root);
    this.add(actor, actor);
    this.addDescendants(actor, actor);
    if (this.watching) root.subscription = actor.system.inspect(this.observe);
  }

  /** An actor started in a watched system (its `@xstate.actor` event). */
  created(ref: AnyActorRef): void {
    if (this.live.has(ref)) return;
    const parent = (ref as { _parent?: AnyActorRef })._parent;
    const root = (parent === undefined ? undefined : this.live.get(parent)?.root) ?? ref;
    this.add(ref, root);
  }

  /** The actor stopped, finished or failed. */
  ended(ref: object): void {
    const actor = this.live.get(ref);
    if (actor === undefined) return;
    this.live.delete(ref);
    this.roots.get(actor.root)?.members.delete(actor.ref);
  }

  /** Someone listens: every root's system is inspected, and the children they have are known. */
  startWatching(): void {
    this.sweep();
    this.watching = true;
    for (const [actor, root] of this.roots) {
      root.subscription ??= actor.system.inspect(this.observe);
      this.addDescendants(actor, actor);
    }
  }

  /** Nobody listens: no system is inspected. */
  stopWatching(): void {
    this.watching = false;
    for (const root of this.roots.values()) {
      root.subscription?.unsubscribe();
      root.subscription = undefined;
    }
  }

  private add(ref: AnyActorRef, root: AnyActorRef): void {
    const machine = machineOf(ref);
    if (machine === undefined || this.live.has(ref)) return;
    const parentRef = (ref as { _parent?: AnyActorRef })._parent;
    this.numbered++;
    this.live.set(ref, {
      id: String(this.numbered),
      ref,
      machine: catalogueNameOf(machine),
      parent: parentRef === undefined ? undefined : this.live.get(parentRef)?.id,
      root,
      announced: false,
      pending: [],
    });
    this.roots.get(root)?.members.add(ref);
  }

  /** Children started while nobody watched (an election invoked since), found from snapshots. */
  private addDescendants(actor: AnyActorRef, root: AnyActorRef): void {
    const children = (actor.getSnapshot() as { children?: Record<string, AnyActorRef> }).children;
    for (const child of Object.values(children ?? {})) {
      if (child === undefined) continue;
      this.add(child, root);
      this.addDescendants(child, root);
    }
  }

  /** Lets go of every actor that ended while nobody watched (stopped, done, or failed inside a
   * step, which XState reports by no event), and of their roots. */
  sweep(): void {
    for (const [ref, actor] of this.live) {
      if (!isActive(actor.ref)) this.ended(ref);
    }
    for (const actor of this.roots.keys()) {
      if (!isActive(actor)) this.roots.delete(actor);
    }
  }
}

function isActive(actor: AnyActorRef): boolean {
  return (actor.getSnapshot() as { status: string }).status === 'active';
}
