// A replica's machine event stream (protocol/machine-stream.ts): fed by XState's inspection of
// every actor the replica runs (its replica machine and the election it invokes, one session
// machine per session), it turns each macrostep into one transition record for whoever listens
// — the admin server's /commands/machine_events, a simulator trace. While nobody listens no
// actor is inspected at all (machine-events-actors.ts): each root actor is tracked once, and
// nothing is serialised or buffered. While someone listens, the last records stay in a ring
// buffer for a listener that resumes, and each listener's queue is bounded
// (machine-events-listener.ts).
import type { AnyActorRef, InspectionEvent } from 'xstate';
import {
  machineStreamVersion,
  type StreamActor,
  type StreamGap,
  type StreamHello,
  type StreamMessage,
  type StreamRecord,
  type StreamTransition,
} from '../../protocol/machine-stream.js';
import { TrackedActors, type LiveActor } from './machine-events-actors.js';
import {
  labelOf,
  machineDefinitions,
  stateValueOf,
  streamEventOf,
  transitionOf,
} from './machine-events-records.js';
import {
  StreamListener,
  listenerQueueBytesDefault,
  type ListenerSource,
  type StreamSink,
} from './machine-events-listener.js';

export { StreamListener, type StreamSink } from './machine-events-listener.js';

export interface MachineEventHubOptions {
  /** The server id as a string, or "standalone". */
  replica: string;
  /** Milliseconds for each record: the wall clock, or a simulator's clock. */
  now?: () => number;
  /** Records kept for a listener that resumes (`?since=` / Last-Event-ID). */
  bufferLimit?: number;
  /** Each listener's queue, in bytes, before its records are dropped. */
  queueBytesMax?: number;
  /**
   * Milliseconds over which events that change no state are summed (see `hold`); 0 streams every
   * event as its own record, as a simulator trace does.
   */
  coalesceMs?: number;
  /** Runs `work` after `delayMs` (the wall clock's timers by default): ends a coalescing window
   * that no later event closes. */
  schedule?: (work: () => void, delayMs: number) => void;
}

export const machineEventsBufferDefault = 2_000;
/** A live stream's coalescing window: what a dashboard repaints at, and the listeners' batch. */
export const machineEventsCoalesceMsDefault = 50;
/** Transitions of one macrostep kept for its record (an eventless loop is cut short). */
const transitionsPerStepMax = 64;

interface Buffered {
  message: StreamRecord;
  text: string;
}

/** Events that changed no state, held for the window: one record for all of one actor's
 * events of one type (the first one's fields, and how many there were). */
interface Held {
  record: Omit<StreamTransition, 'seq'>;
  count: number;
}

type Entry = { message: StreamMessage; text: string };

export class MachineEventHub implements ListenerSource {
  readonly replica: string;
  readonly bufferLimit: number;
  private readonly queueBytesMax: number;
  private readonly now: () => number;
  private readonly actors = new TrackedActors((event) => this.observe(event));
  private readonly listeners = new Set<StreamListener>();
  private seq = 0;
  /** The ring buffer: `ringSize` records from `ringStart`, oldest first. */
  private readonly ring: Array<Buffered | undefined>;
  private ringStart = 0;
  private ringSize = 0;
  private readonly coalesceMs: number;
  private readonly schedule: (work: () => void, delayMs: number) => void;
  /** Held records by actor and event type, in the order their first event came. */
  private readonly held = new Map<string, Held>();
  /** When the window of the held records began. */
  private heldSince = 0;
  /** Counts windows, so a timer of a window already closed does nothing. */
  private window = 0;

  constructor(options: MachineEventHubOptions) {
    this.replica = options.replica;
    this.bufferLimit = Math.max(1, options.bufferLimit ?? machineEventsBufferDefault);
    this.queueBytesMax = options.queueBytesMax ?? listenerQueueBytesDefault;
    this.now = options.now ?? Date.now;
    this.ring = new Array<Buffered | undefined>(this.bufferLimit);
    this.coalesceMs = Math.max(0, options.coalesceMs ?? 0);
    this.schedule = options.schedule ??
      ((work, delayMs) => { setTimeout(work, delayMs).unref(); });
  }

  /** Give every root actor of this replica (each `createActor`) as it is created, before it
   * starts; its children are found from it. */
  readonly track = (actor: AnyActorRef): void => this.actors.track(actor);

  /** An inspected system's event (only while someone listens). Never throws. */
  private observe(event: InspectionEvent): void {
    if (this.listeners.size === 0) return;
    try {
      if (event.type === '@xstate.actor') {
        this.actors.created(event.actorRef as AnyActorRef);
      } else if (event.type === '@xstate.microstep') {
        const actor = this.actors.live.get(event.actorRef);
        if (actor === undefined) return;
        for (const transition of event._transitions) {
          if (actor.pending.length >= transitionsPerStepMax) break;
          actor.pending.push(transitionOf(transition));
        }
      } else if (event.type === '@xstate.snapshot') {
        this.snapshotTaken(event.actorRef, event.event, event.snapshot);
      }
    } catch {
      // Inspection is an onlooker: whatever it cannot show, the actor's step goes on.
    }
  }

  /** Listeners connected now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Records held in the ring buffer now (none while nobody listens). */
  get bufferedCount(): number {
    return this.ringSize;
  }

  /** Actors alive now. */
  get liveActorCount(): number {
    return this.actors.live.size;
  }

  /** The seq of the newest record. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * A new listener: it is sent the hello, then either the records after `since` (when the ring
   * buffer still holds them all) or a gap and every live actor's state (when `since` is given
   * but older than the buffer), or without `since` every live actor's state; then each record.
   */
  listen(sink: StreamSink, options: { since?: number; queueBytesMax?: number } = {}):
    StreamListener {
    if (this.listeners.size === 0) this.beginListening();
    this.releaseHeld();
    const listener = new StreamListener(sink, this, options.queueBytesMax ?? this.queueBytesMax);
    this.listeners.add(listener);
    const since = options.since;
    const start: Entry[] = [this.hello()];
    if (since === undefined) start.push(...this.picture());
    else if (this.canResume(since)) start.push(...this.bufferedAfter(since));
    else start.push(...this.resynchronization(Math.max(0, this.seq - since)));
    listener.offerPicture(start);
    return listener;
  }

  removeListener(listener: StreamListener): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0) return;
    // Nobody listens: nothing is kept for anyone.
    this.actors.stopWatching();
    this.held.clear();
    this.window++;
    this.ring.fill(undefined);
    this.ringStart = 0;
    this.ringSize = 0;
    for (const actor of this.actors.live.values()) actor.pending = [];
  }

  /** A gap of `dropped` records, then every live actor's actor record. */
  resynchronization(dropped: number): Entry[] {
    const gap: StreamGap = {
      kind: 'gap', seq: this.seq, time: this.now(), replica: this.replica, actor: '', dropped,
    };
    return [{ message: gap, text: JSON.stringify(gap) }, ...this.picture()];
  }

  private hello(): Entry {
    const hello: StreamHello = {
      kind: 'hello',
      version: machineStreamVersion,
      replica: this.replica,
      time: this.now(),
      bufferLimit: this.bufferLimit,
      machines: machineDefinitions(),
    };
    return { message: hello, text: JSON.stringify(hello) };
  }

  /**
   * Listening begins after a stretch nobody watched: what the actors did then is not in any
   * record, so seq moves on by one (a resuming listener sees it missed something) and every
   * live actor counts as announced (a new listener is given its state).
   */
  private beginListening(): void {
    this.seq++;
    this.actors.startWatching();
    for (const actor of this.actors.live.values()) {
      actor.announced = true;
      actor.pending = [];
    }
  }

  /** Every live actor's state now, as actor records at the current seq. */
  private picture(): Entry[] {
    const entries: Entry[] = [];
    for (const [ref, actor] of this.actors.live) {
      const snapshot = actor.ref.getSnapshot() as {
        status: string; value: unknown; context: unknown;
      };
      // A machine that threw inside a transition ends without a snapshot event.
      if (snapshot.status !== 'active') {
        this.actors.ended(ref);
        continue;
      }
      const record = this.actorRecord(actor, snapshot, this.seq);
      entries.push({ message: record, text: JSON.stringify(record) });
    }
    return entries;
  }

  private canResume(since: number): boolean {
    const oldest = this.ringSize > 0 ? this.ring[this.ringStart]!.message.seq : this.seq + 1;
    return since >= oldest - 1 && since <= this.seq;
  }

  private bufferedAfter(since: number): Entry[] {
    const entries: Entry[] = [];
    for (let index = 0; index < this.ringSize; index++) {
      const buffered = this.ring[(this.ringStart + index) % this.bufferLimit]!;
      if (buffered.message.seq > since) entries.push(buffered);
    }
    return entries;
  }

  private snapshotTaken(ref: object, event: { type: string }, snapshot: unknown): void {
    const actor = this.actors.live.get(ref);
    if (actor === undefined) return;
    const { status, value, context } = snapshot as {
      status: string; value: unknown; context: unknown;
    };
    const transitions = actor.pending;
    actor.pending = [];
    if (actor.announced && status === 'active' && this.coalesceMs > 0 &&
      transitions.every((transition) => transition.targets.length === 0)) {
      this.hold(actor, event, transitions, value);
      return;
    }
    // What changes a state is streamed after everything held before it, in order.
    this.releaseHeld();
    if (!actor.announced) {
      actor.announced = true;
      this.publish(this.actorRecord(actor, { value, context }, this.seq + 1));
    } else if (status !== 'stopped') {
      this.publish({
        kind: 'transition', seq: this.seq + 1, time: this.now(), replica: this.replica,
        actor: actor.id,
        event: streamEventOf(event), transitions, state: stateValueOf(value),
      });
    }
    if (status === 'active') return;
    this.actors.ended(ref);
    this.publish({
      kind: 'ended', seq: this.seq + 1, time: this.now(), replica: this.replica, actor: actor.id,
      status: status === 'done' ? 'done' : status === 'error' ? 'error' : 'stopped',
    });
  }

  private actorRecord(
    actor: LiveActor,
    snapshot: { value: unknown; context: unknown },
    seq: number,
  ): StreamActor {
    const label = labelOf(actor.machine, snapshot.context, this.replica);
    return {
      kind: 'actor', seq, time: this.now(), replica: this.replica, actor: actor.id,
      machine: actor.machine,
      ...(actor.parent === undefined ? {} : { parent: actor.parent }),
      ...(label === undefined ? {} : { label }),
      state: stateValueOf(snapshot.value),
    };
  }

  /**
   * An event that changed no state (no transition, or only targetless ones, e.g. a leader's
   * acks): under load these are nearly all of the events, and each would cost a record, its
   * text, its bytes and a reader's parse, while showing nothing new on a chart. Within one
   * window they are summed per actor and event type into one record with `repeat`; a record
   * that changes a state releases them first, so every chart still sees its states in order.
   */
  private hold(
    actor: LiveActor,
    event: { type: string },
    transitions: StreamTransition['transitions'],
    value: unknown,
  ): void {
    const now = this.now();
    if (this.held.size > 0 && now - this.heldSince >= this.coalesceMs) this.releaseHeld();
    const key = `${actor.id} ${event.type}`;
    const held = this.held.get(key);
    if (held !== undefined) {
      held.count++;
      return;
    }
    if (this.held.size === 0) {
      this.heldSince = now;
      const window = ++this.window;
      this.schedule(() => {
        if (this.window === window) this.releaseHeld();
      }, this.coalesceMs);
    }
    this.held.set(key, {
      record: {
        kind: 'transition', time: now, replica: this.replica, actor: actor.id,
        event: streamEventOf(event), transitions, state: stateValueOf(value),
      },
      count: 1,
    });
  }

  /** Streams the held records, the window's first events first. */
  private releaseHeld(): void {
    if (this.held.size === 0) return;
    this.window++;
    const held = [...this.held.values()];
    this.held.clear();
    for (const { record, count } of held) {
      this.publish({ ...record, seq: this.seq + 1, ...(count > 1 ? { repeat: count } : {}) });
    }
  }

  /** The next record of the stream: numbered, kept in the ring buffer, offered to each. */
  private publish(message: StreamRecord): void {
    this.seq = message.seq;
    const text = JSON.stringify(message);
    const slot = (this.ringStart + this.ringSize) % this.bufferLimit;
    this.ring[slot] = { message, text };
    if (this.ringSize < this.bufferLimit) this.ringSize++;
    else this.ringStart = (this.ringStart + 1) % this.bufferLimit;
    for (const listener of this.listeners) listener.offer(message, text);
  }
}
