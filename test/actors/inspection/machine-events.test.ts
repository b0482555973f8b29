// The machine event hub over real XState actors (a small parent machine invoking a child, and
// the server's own session table): nothing kept while nobody listens, the ring buffer's bound
// and resumption, a slow listener's bounded queue, gap and resynchronisation, and the records'
// shape (protocol/machine-stream.ts).
import { describe, expect, it } from 'vitest';
import { createActor, setup, SimulatedClock, type AnyStateMachine } from 'xstate';
import { MachineEventHub, type StreamSink } from '../../../actors/inspection/machine-events.js';
import { SessionTable } from '../../../actors/server/sessions.js';
import type {
  StreamMessage,
  StreamRecord,
  StreamStateValue,
} from '../../../protocol/machine-stream.js';
import { expectStreamMessage } from './stream-format.js';

const child = setup({}).createMachine({
  id: 'child',
  initial: 'idle',
  states: { idle: { on: { 'child.go': 'busy' } }, busy: { on: { 'child.back': 'idle' } } },
});

const parentMachine = setup({ actors: { child } }).createMachine({
  id: 'parent',
  initial: 'off',
  states: {
    off: { on: { toggle: 'on', noop: {} } },
    on: {
      invoke: { src: 'child', id: 'worker' },
      on: { toggle: 'off', finish: 'finished', noop: {} },
    },
    finished: { type: 'final' },
  },
});

/** A sink that takes `capacity` messages, then says it is full until `open()`ed. */
class TestSink implements StreamSink {
  readonly messages: StreamMessage[] = [];
  private full = false;
  constructor(private capacity = Number.POSITIVE_INFINITY) {}
  write(message: StreamMessage, text: string): boolean {
    expect(JSON.parse(text)).toEqual(message);
    this.messages.push(message);
    if (this.messages.length >= this.capacity) this.full = true;
    return !this.full;
  }
  open(): void {
    this.capacity = Number.POSITIVE_INFINITY;
    this.full = false;
  }
  records(): StreamRecord[] {
    return this.messages.filter((message): message is StreamRecord => message.kind !== 'hello');
  }
}

/** Each actor's state as the records tell it: actor and transition records set it, ended
 * removes it, and a gap starts over (the actor records after it are the whole picture). */
function replay(records: readonly StreamRecord[]): Map<string, StreamStateValue> {
  const states = new Map<string, StreamStateValue>();
  for (const record of records) {
    if (record.kind === 'actor' || record.kind === 'transition') {
      states.set(record.actor, record.state);
    } else if (record.kind === 'ended') states.delete(record.actor);
    else states.clear();
  }
  return states;
}

/** An actor of `machine`, given to the hub as its replica's hosts give theirs, then started. */
function started<Machine extends AnyStateMachine>(hub: MachineEventHub, machine: Machine) {
  const actor = createActor(machine);
  hub.track(actor);
  return actor.start();
}

function hubFor(bufferLimit = 2_000, queueBytesMax?: number) {
  const clock = { ms: 1_000 };
  const hub = new MachineEventHub({
    replica: '7', now: () => clock.ms, bufferLimit,
    ...(queueBytesMax === undefined ? {} : { queueBytesMax }),
  });
  return { hub, clock };
}

describe('machine event hub', () => {
  it('keeps nothing while nobody listens, but knows the live root actors', () => {
    const { hub } = hubFor();
    const actor = started(hub, parentMachine);
    for (let index = 0; index < 1_000; index++) actor.send({ type: 'toggle' });
    actor.send({ type: 'toggle' });
    expect(hub.bufferedCount).toBe(0);
    expect(hub.lastSeq).toBe(0);
    // The parent: the child it invokes in `on` is found when someone listens.
    expect(hub.liveActorCount).toBe(1);
    const sink = new TestSink();
    hub.listen(sink).close();
    expect(sink.records().map((record) => record.kind === 'actor' && record.machine))
      .toEqual(['parent', 'child']);
    actor.stop();
    // Let go of once someone listens again (or by a sweep as more actors start).
    const later = new TestSink();
    hub.listen(later);
    expect(later.records()).toEqual([]);
    expect(hub.liveActorCount).toBe(0);
  });

  it('lets go of actors that ended unwatched as more actors start', () => {
    const { hub } = hubFor();
    for (let index = 0; index < 1_000; index++) started(hub, parentMachine).stop();
    expect(hub.liveActorCount).toBeLessThanOrEqual(256);
  });

  it('sends the hello, each live actor, then every macrostep with its transitions', () => {
    const { hub, clock } = hubFor();
    const actor = started(hub, parentMachine);
    const sink = new TestSink();
    const listener = hub.listen(sink);
    clock.ms = 2_000;
    actor.send({
      type: 'toggle', password: 'hunter2', data: Buffer.from('secret'), zxid: 0x100000001n,
      message: { type: 'proposal', zxid: 5n, txns: [1, 2] }, tags: ['a'],
    } as never);
    actor.send({ type: 'noop' });
    actor.send({ type: 'finish' });
    for (const message of sink.messages) expectStreamMessage(message);
    const [hello, picture, ...rest] = sink.messages;
    expect(hello).toMatchObject({ kind: 'hello', replica: '7', time: 1_000, bufferLimit: 2_000 });
    expect(picture).toMatchObject({ kind: 'actor', machine: 'parent', state: 'off', seq: 1 });
    const parentId = (picture as StreamRecord).actor;
    expect(rest.map((message) => message.kind))
      .toEqual(['actor', 'transition', 'transition', 'ended', 'transition', 'ended']);
    const [childActor, toggled, noop, childEnded, finished, parentEnded] = rest as StreamRecord[];
    expect(childActor).toMatchObject({
      kind: 'actor', machine: 'child', parent: parentId, state: 'idle', seq: 2, time: 2_000,
    });
    expect(toggled).toMatchObject({
      actor: parentId, seq: 3, state: 'on',
      event: {
        type: 'toggle', password: '<redacted>', data: '<redacted 6 bytes>', zxid: '4294967297',
        'message.type': 'proposal', 'message.zxid': '5', 'message.txns.length': 2,
        'tags.length': 1,
      },
      transitions: [{ source: 'parent.off', targets: ['parent.on'] }],
    });
    expect(noop).toMatchObject({ transitions: [{ source: 'parent.on', targets: [] }] });
    expect(childEnded).toMatchObject({ actor: childActor!.actor, status: 'stopped' });
    expect(finished).toMatchObject({ state: 'finished' });
    expect(parentEnded).toMatchObject({ actor: parentId, status: 'done', seq: 7 });
    expect(listener.droppedTotal).toBe(0);
  });

  it('keeps the last bufferLimit records and resumes a listener from them, or says it missed',
    () => {
      const { hub } = hubFor(50);
      const actor = started(hub, parentMachine);
      const first = new TestSink();
      hub.listen(first);
      for (let index = 0; index < 400; index++) actor.send({ type: 'noop' });
      expect(hub.bufferedCount).toBe(50);
      const last = hub.lastSeq;

      const resumed = new TestSink();
      hub.listen(resumed, { since: last - 10 });
      expect(resumed.records().map((record) => record.seq))
        .toEqual(Array.from({ length: 10 }, (_, index) => last - 9 + index));

      const late = new TestSink();
      hub.listen(late, { since: last - 200 });
      const [gap, ...picture] = late.records();
      expect(gap).toMatchObject({ kind: 'gap', dropped: 200, seq: last, actor: '' });
      expect(picture).toEqual([expect.objectContaining({ kind: 'actor', state: 'off' })]);
    });

  it('drops a slow listener\'s records past its byte bound, then sends a gap and every state',
    () => {
      const queueBytesMax = 4_096;
      const { hub } = hubFor(100, queueBytesMax);
      const actor = started(hub, parentMachine);
      const fast = new TestSink();
      hub.listen(fast);
      const slowSink = new TestSink(5);
      const slow = hub.listen(slowSink);
      for (let index = 0; index < 5_000; index++) {
        actor.send({ type: index % 2 === 0 ? 'toggle' : 'noop' });
        expect(slow.queuedBytes).toBeLessThanOrEqual(queueBytesMax);
      }
      // The fast listener missed nothing, in order.
      const fastSeqs = fast.records().map((record) => record.seq);
      expect(fastSeqs.slice(1)).toEqual(fastSeqs.slice(1).map((_, index) => fastSeqs[1]! + index));
      expect(slow.droppedTotal).toBeGreaterThan(4_000);
      expect(slow.queuedBytesPeak).toBeLessThanOrEqual(queueBytesMax);

      slowSink.open();
      slow.drained();
      const records = slowSink.records();
      const gapIndex = records.findIndex((record) => record.kind === 'gap');
      expect(records[gapIndex]).toMatchObject({ dropped: slow.droppedTotal });
      expect(slow.gaps).toBe(1);
      // Every live actor follows the gap, so the picture is whole again.
      const after = records.slice(gapIndex + 1);
      expect(after.filter((record) => record.kind === 'actor')).toHaveLength(hub.liveActorCount);
      actor.send({ type: 'toggle' });
      expect(replay(slowSink.records())).toEqual(replay(fast.records()));
      const parentState = actor.getSnapshot().value;
      expect([...replay(slowSink.records()).values()]).toContainEqual(parentState);
      for (const message of slowSink.messages) expectStreamMessage(message);
    });

  it('stops keeping records when the last listener leaves, and resumes with a gap after', () => {
    const { hub } = hubFor();
    const actor = started(hub, parentMachine);
    const sink = new TestSink();
    const listener = hub.listen(sink);
    actor.send({ type: 'toggle' });
    const seen = hub.lastSeq;
    listener.close();
    expect(hub.bufferedCount).toBe(0);
    actor.send({ type: 'toggle' });
    expect(hub.lastSeq).toBe(seen);
    const again = new TestSink();
    hub.listen(again, { since: seen });
    expect(again.records()[0]).toMatchObject({ kind: 'gap' });
    expect(replay(again.records())).toEqual(new Map([[expect.any(String), 'off']]));
  });

  it('leaves a machine that failed inside a step out of the next picture', () => {
    const fragile = setup({ actions: { explode: () => { throw new Error('boom'); } } })
      .createMachine({ id: 'fragile', initial: 'calm', states: {
        calm: { on: { boom: { actions: 'explode' } } },
      } });
    const { hub } = hubFor();
    const actor = createActor(fragile);
    hub.track(actor);
    actor.subscribe({ error: () => undefined });
    actor.start();
    const steady = started(hub, parentMachine);
    actor.send({ type: 'boom' });
    expect(actor.getSnapshot().status).toBe('error');
    const sink = new TestSink();
    hub.listen(sink);
    expect(sink.records().map((record) => record.kind === 'actor' && record.machine))
      .toEqual(['parent']);
    expect(hub.liveActorCount).toBe(1);
    steady.stop();
  });

  it('labels each session machine with its session id in hex', () => {
    const { hub } = hubFor();
    const sink = new TestSink();
    hub.listen(sink);
    const sessions = new SessionTable(
      { tickTimeMs: 2_000, minSessionTimeoutMs: 4_000, maxSessionTimeoutMs: 40_000 },
      { requestSessionClose: () => undefined, closeConnection: () => undefined,
        ended: () => undefined },
      { trackActor: hub.track, clock: new SimulatedClock(), now: () => 0 },
    );
    sessions.open(0x1_0000_0000_abcdn, 10_000, 3);
    sessions.stopAll();
    const records = sink.records();
    expect(records[0]).toMatchObject({
      kind: 'actor', machine: 'session', label: '0x100000000abcd', state: 'handshake',
    });
    expect(records.at(-1)).toMatchObject({ kind: 'ended', status: 'stopped' });
    for (const message of sink.messages) expectStreamMessage(message);
  });

  describe('summing events that change no state (machineEvents.coalesceMs)', () => {
    function coalescingHub() {
      const clock = { ms: 1_000 };
      const timers: Array<{ at: number; work: () => void }> = [];
      const hub = new MachineEventHub({
        replica: '7', now: () => clock.ms, coalesceMs: 50,
        schedule: (work, delayMs) => { timers.push({ at: clock.ms + delayMs, work }); },
      });
      /** Moves the clock on and runs the timers due by then. */
      const advance = (ms: number): void => {
        clock.ms += ms;
        for (const timer of timers.splice(0)) {
          if (timer.at <= clock.ms) timer.work();
          else timers.push(timer);
        }
      };
      return { hub, clock, advance, timers };
    }

    it('sums one actor\'s events of one type in a window, the first one\'s fields kept', () => {
      const { hub, advance } = coalescingHub();
      const actor = started(hub, parentMachine);
      const sink = new TestSink();
      hub.listen(sink);
      const before = sink.records().length;
      for (let index = 0; index < 500; index++) actor.send({ type: 'noop', n: index } as never);
      // Nothing yet: the window is open.
      expect(sink.records().length).toBe(before);
      advance(50);
      const summed = sink.records().slice(before);
      expect(summed).toHaveLength(1);
      expect(summed[0]).toMatchObject({
        kind: 'transition', event: { type: 'noop', n: 0 }, repeat: 500, state: 'off',
        transitions: [{ source: 'parent.off', targets: [] }],
      });
      for (const message of sink.messages) expectStreamMessage(message);
      // A lone event is a record of its own, without `repeat`.
      actor.send({ type: 'noop' });
      advance(50);
      const lone = sink.records().at(-1)!;
      expect(lone).toMatchObject({ kind: 'transition', event: { type: 'noop' } });
      expect('repeat' in lone).toBe(false);
    });

    it('streams what changes a state after everything held before it, in seq order', () => {
      const { hub, clock } = coalescingHub();
      const actor = started(hub, parentMachine);
      const sink = new TestSink();
      hub.listen(sink);
      actor.send({ type: 'noop' });
      actor.send({ type: 'noop' });
      actor.send({ type: 'toggle' });
      actor.send({ type: 'noop' });
      clock.ms += 60;
      // A new window: the held noop of the last one is streamed before this one's first.
      actor.send({ type: 'noop' });
      actor.send({ type: 'finish' });
      const records = sink.records();
      const transitions = records.filter((record) => record.kind === 'transition');
      expect(transitions.map((record) => [record.event.type, record.repeat, record.state]))
        .toEqual([
          ['noop', 2, 'off'], ['toggle', undefined, 'on'], ['noop', undefined, 'on'],
          ['noop', undefined, 'on'], ['finish', undefined, 'finished'],
        ]);
      expect(records.map((record) => record.seq))
        .toEqual(records.map((_record, index) => records[0]!.seq + index));
      expect(replay(records).size).toBe(0);
    });

    it('keeps separate sums per actor and per event type, in the order they began', () => {
      const { hub, advance } = coalescingHub();
      const first = started(hub, parentMachine);
      const second = started(hub, parentMachine);
      const sink = new TestSink();
      hub.listen(sink);
      const before = sink.records().length;
      for (let index = 0; index < 3; index++) {
        second.send({ type: 'noop' });
        first.send({ type: 'noop' });
        first.send({ type: 'unknown.event' } as never);
      }
      advance(50);
      const ids = sink.records().slice(0, before).map((record) => record.actor);
      const summed = sink.records().slice(before)
        .filter((record) => record.kind === 'transition');
      expect(summed.map((record) => [record.actor, record.event.type, record.repeat]))
        .toEqual([[ids[1], 'noop', 3], [ids[0], 'noop', 3], [ids[0], 'unknown.event', 3]]);
      // An event no transition takes is held too: it changed nothing.
      expect(summed[2]).toMatchObject({ transitions: [] });
    });

    it('holds nothing once nobody listens, and a trace hub (no window) never sums', () => {
      const { hub, timers } = coalescingHub();
      const actor = started(hub, parentMachine);
      const listener = hub.listen(new TestSink());
      actor.send({ type: 'noop' });
      listener.close();
      for (const timer of timers) timer.work();
      const later = new TestSink();
      hub.listen(later);
      expect(later.records().filter((record) => record.kind === 'transition')).toEqual([]);

      const { hub: traceHub } = hubFor();
      const traced = started(traceHub, parentMachine);
      const sink = new TestSink();
      traceHub.listen(sink);
      for (let index = 0; index < 3; index++) traced.send({ type: 'noop' });
      expect(sink.records().filter((record) => record.kind === 'transition')).toHaveLength(3);
    });
  });
});
