// `corral sim --seed N --trace-out FILE`: the run as the dashboard replays it. One machine event
// hub per replica (production's, actors/inspection/machine-events.ts) watches every actor of each
// incarnation of that replica; its records, all replicas' in the order they happened, go to the
// file one JSON line each, renumbered by one seq for the whole trace and stamped with simulated
// time, with the simulator's marks (faults, client operations, the violation) among them.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { AnyActorRef } from 'xstate';
import { MachineEventHub } from '../actors/inspection/machine-events.js';
import {
  machineStreamVersion,
  type StreamMessage,
  type TraceHeader,
  type TraceMark,
} from '../protocol/machine-stream.js';
import type { ServerId } from '../protocol/peer.js';

/** Lines a trace holds at most by default: past it records stop, and a mark says so. */
export const traceLinesMaxDefault = 200_000;

export interface MachineTraceOptions {
  seed: number;
  /** The `corral sim` flags that reproduce the run. */
  flags: string[];
  replicas: readonly ServerId[];
  /** Simulated milliseconds (the cluster's true time). */
  now: () => number;
  /** Takes one line (without its newline). */
  write: (line: string) => void;
  linesMax?: number;
}

/** What a simulation is told of a trace: each replica's actor tracker, and marks. */
export interface SimTrace {
  trackerFor(id: ServerId): (actor: AnyActorRef) => void;
  mark(mark: TraceMark['mark'], text: string, replica?: ServerId): void;
}

export class MachineTrace implements SimTrace {
  private readonly hubs = new Map<ServerId, MachineEventHub>();
  private readonly linesMax: number;
  private seq = 0;
  /** Lines written so far (header and hellos included). */
  lines = 0;
  /** The cap was reached: records and marks stop, but for the violations and the end. */
  cut = false;

  constructor(private readonly options: MachineTraceOptions) {
    this.linesMax = options.linesMax ?? traceLinesMaxDefault;
    const header: TraceHeader = {
      kind: 'trace', version: machineStreamVersion, seed: options.seed, flags: options.flags,
      replicas: options.replicas.map(String),
    };
    this.writeLine(JSON.stringify(header));
    for (const id of options.replicas) {
      const hub = new MachineEventHub({ replica: String(id), now: options.now });
      this.hubs.set(id, hub);
      hub.listen({ write: (message, text) => this.take(message, text) });
    }
  }

  trackerFor(id: ServerId): (actor: AnyActorRef) => void {
    const hub = this.hubs.get(id);
    if (hub === undefined) throw new Error(`trace: replica ${id} is not in the trace`);
    return hub.track;
  }

  mark(mark: TraceMark['mark'], text: string, replica?: ServerId): void {
    if (this.cut && mark !== 'violation' && mark !== 'end') return;
    this.seq++;
    const line: TraceMark = {
      kind: 'mark', seq: this.seq, time: this.options.now(), mark, text,
      ...(replica === undefined ? {} : { replica: String(replica) }),
    };
    this.writeLine(JSON.stringify(line));
    if (mark !== 'violation' && mark !== 'end') this.checkCap();
  }

  /** The violations that ended the run, each a mark, then the end with every replica's state. */
  finish(violations: readonly string[], states: Record<string, unknown>): void {
    for (const violation of violations) this.mark('violation', violation);
    const shown = Object.entries(states)
      .map(([id, state]) => `replica ${id} ${JSON.stringify(state)}`).join('; ');
    this.mark('end', `run ended after ${this.options.now()} ms: ${shown || 'no replica running'}`);
  }

  /** A hub's message: a hello as it is, a record under the trace's own seq. */
  private take(message: StreamMessage, text: string): boolean {
    if (message.kind === 'hello') {
      this.writeLine(text);
      return true;
    }
    if (this.cut) return true;
    this.seq++;
    this.writeLine(JSON.stringify({ ...message, seq: this.seq }));
    this.checkCap();
    return true;
  }

  private checkCap(): void {
    if (this.lines < this.linesMax) return;
    this.cut = true;
    this.mark('end', `records stop here: the trace reached its cap of ${this.linesMax} lines ` +
      '(--trace-lines-max); the run went on');
  }

  private writeLine(line: string): void {
    this.lines++;
    this.options.write(line);
  }
}

/** Lines to a file, written in blocks (the simulator is synchronous: so is this). */
export class TraceFile {
  private readonly descriptor: number;
  private pending: string[] = [];
  private pendingChars = 0;
  lines = 0;

  constructor(path: string) {
    this.descriptor = openSync(path, 'w');
  }

  readonly write = (line: string): void => {
    this.pending.push(line);
    this.lines++;
    this.pendingChars += line.length;
    if (this.pendingChars > 256 * 1024) this.flush();
  };

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.descriptor, `${this.pending.join('\n')}\n`);
    this.pending = [];
    this.pendingChars = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.descriptor);
  }
}
