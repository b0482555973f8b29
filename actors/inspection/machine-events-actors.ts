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
  /** Its actors in `live` (itself too), so that they go when it does. */
  members: Set<AnyActorRef>;
}

/** An actor system inspected while someone listens, and the tracked roots that run in it. */
interface InspectedSystem {
  subscription: Subscription;
  roots: number;
}

/** Roots tracked between two sweeps for actors that ended unwatched (see sweep). */
const sweepEveryRoots = 256;

export class TrackedActors {
  /** Machine actors alive now, by actor ref, in the order they started. */
  readonly live = new Map<object, LiveActor>();
  private readonly roots = new Map<AnyActorRef, Root>();
  /**
   * Systems inspected now, each once: the session machines of a server share one system (their
   * table's), so one subscription sees them all.
   */
  private readonly systems = new Map<object, InspectedSystem>();
  private numbered = 0;
  private tracked = 0;
  private watching = false;

  constructor(private readonly observe: (event: InspectionEvent) => void) {}

  /** A root actor, just created: its machines are streamed while someone listens. */
  track(actor: AnyActorRef): void {
    if (this.roots.has(actor)) return;
    if (++this.tracked % sweepEveryRoots === 0) this.sweep();
    this.roots.set(actor, { members: new Set() });
    this.add(actor, actor);
    this.addDescendants(actor, actor);
    if (this.watching) this.inspectSystemOf(actor);
  }

  private inspectSystemOf(actor: AnyActorRef): void {
    const system = actor.system as AnyActorRef['system'] & object;
    const inspected = this.systems.get(system);
    if (inspected !== undefined) inspected.roots++;
    else this.systems.set(system, { subscription: system.inspect(this.observe), roots: 1 });
  }

  /** A root let go: its system stays inspected while another tracked root runs in it. */
  private forgetSystemOf(actor: AnyActorRef): void {
    const system = actor.system as AnyActorRef['system'] & object;
    const inspected = this.systems.get(system);
    if (inspected === undefined || --inspected.roots > 0) return;
    inspected.subscription.unsubscribe();
    this.systems.delete(system);
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
    if (!this.watching) for (const actor of this.roots.keys()) this.inspectSystemOf(actor);
    this.watching = true;
    for (const actor of this.roots.keys()) this.addDescendants(actor, actor);
  }

  /** Nobody listens: no system is inspected. */
  stopWatching(): void {
    this.watching = false;
    for (const inspected of this.systems.values()) inspected.subscription.unsubscribe();
    this.systems.clear();
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
      if (isActive(actor)) continue;
      this.roots.delete(actor);
      if (this.watching) this.forgetSystemOf(actor);
    }
  }
}

function isActive(actor: AnyActorRef): boolean {
  return (actor.getSnapshot() as { status: string }).status === 'active';
}
