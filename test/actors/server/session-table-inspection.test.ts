// The session table's actors share one XState system; the machine event stream must still see
// each session once: sessions opened before someone listens are announced, those opened after
// too, and each transition is recorded once however many sessions share the system.

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { MachineEventHub, type StreamSink } from '../../../actors/inspection/machine-events.js';
import { SessionTable } from '../../../actors/server/sessions.js';
import type { StreamMessage, StreamRecord } from '../../../protocol/machine-stream.js';

class Sink implements StreamSink {
  readonly records: StreamRecord[] = [];
  write(message: StreamMessage): boolean {
    if (message.kind !== 'hello') this.records.push(message);
    return true;
  }
  open(): void {}
}

describe('session table: one actor system, inspected once (3 sessions)', () => {
  it('announces every session and records each transition once', () => {
    const hub = new MachineEventHub({ replica: 'standalone', now: () => 0 });
    const clock = new SimulatedClock();
    const sessions = new SessionTable(
      { tickTimeMs: 2_000, minSessionTimeoutMs: 4_000, maxSessionTimeoutMs: 40_000 },
      { requestSessionClose: () => undefined, closeConnection: () => undefined,
        ended: () => undefined },
      { trackActor: hub.track, clock, now: () => clock.now() },
    );
    sessions.open(0x11n, 10_000, 1);
    sessions.open(0x12n, 10_000, 2);
    const sink = new Sink();
    hub.listen(sink);
    sessions.open(0x13n, 10_000, 3);
    for (const [sessionId, connectionId] of [[0x11n, 1], [0x12n, 2], [0x13n, 3]] as const) {
      sessions.connected(sessionId, connectionId);
    }
    const announced = sink.records.filter((record) => record.kind === 'actor');
    expect(announced.map((record) => record.kind === 'actor' && record.label).sort())
      .toEqual(['0x11', '0x12', '0x13']);
    const transitions = sink.records.filter((record) => record.kind === 'transition');
    // handshake → live.active, once per session.
    expect(transitions).toHaveLength(3);
    expect(new Set(transitions.map((record) => record.actor)).size).toBe(3);
    sessions.stopAll();
  });
});
