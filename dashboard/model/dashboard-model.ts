// The page's whole model, fed one DashboardMessage (live) or trace line (replay) at a time: per
// replica its hello (machine definitions as charts), figures and source state; the history of
// machine records with time travel; the trace's marks. The page only reads it.
import type {
  DashboardMessage,
  StreamFigures,
  StreamHello,
  StreamSourceState,
  TraceHeader,
  TraceLine,
  TraceMark,
} from '../../protocol/machine-stream.js';
import { chartOf, type ChartNode } from './chart.js';
import { History, type HistoryEntry } from './history.js';
import type { World } from './world.js';

export interface DashboardInfo {
  mode: 'live' | 'trace';
  servers: string[];
  historyLimit: number;
  trace?: string;
}

export interface ReplicaInfo {
  id: string;
  hello?: StreamHello;
  /** Charts by catalogue machine name, from the hello's definitions. */
  charts: Map<string, ChartNode>;
  figures?: StreamFigures;
  source?: StreamSourceState;
  /** Its admin address, from figures or source messages. */
  address?: string;
}

/** History kept at most, whatever the server asks: the page must stay responsive. */
export const historyLimitMax = 100_000;
/** Steps of a trace kept: every line of one `corral sim --trace-out` writes by default
 * (--trace-lines-max 200000), so a trace replays from its first step. */
export const traceStepsMax = 250_000;

export class DashboardModel {
  readonly replicas = new Map<string, ReplicaInfo>();
  readonly history: History;
  trace?: TraceHeader;
  /** Marks of a trace (and of a live server that sends them), in order. */
  readonly marks: HistoryEntry[] = [];
  /** Messages that were not understood (a newer server, a broken line). */
  refused = 0;

  /** `checkpointInterval`: entries between time travel's checkpoints (tests make it small). */
  constructor(readonly info: DashboardInfo, checkpointInterval?: number) {
    const limit = Math.min(Math.max(1, Math.floor(info.historyLimit)), historyLimitMax);
    this.history = new History(info.mode === 'trace' ? traceStepsMax : limit, checkpointInterval);
  }

  replica(id: string): ReplicaInfo {
    let replica = this.replicas.get(id);
    if (replica === undefined) {
      replica = { id, charts: new Map() };
      this.replicas.set(id, replica);
    }
    return replica;
  }

  /** Replica ids in a stable order: numerically, then by name. */
  replicaIds(): string[] {
    return [...this.replicas.keys()].sort((a, b) => {
      const numeric = Number(a) - Number(b);
      return Number.isNaN(numeric) || numeric === 0 ? a.localeCompare(b) : numeric;
    });
  }

  apply(message: DashboardMessage | TraceLine): void {
    switch (message.kind) {
      case 'trace':
        this.trace = message;
        for (const id of message.replicas) this.replica(id);
        return;
      case 'hello':
        return this.hello(message);
      case 'figures':
        this.addressed(message.replica, message.address).figures = message;
        return;
      case 'source':
        this.addressed(message.replica, message.address).source = message;
        return;
      case 'mark':
        this.marks.push(this.history.push(message));
        return;
      case 'actor':
      case 'transition':
      case 'ended':
      case 'gap':
        this.replica(message.replica);
        this.history.push(message);
        return;
      default:
        this.refused++;
    }
  }

  /**
   * The replica at `address`. Until a replica's stream has spoken the server may name it by its
   * address; once the same address comes under the replica's id, the stand-in goes.
   */
  private addressed(id: string, address: string): ReplicaInfo {
    const replica = this.replica(id);
    if (address === '') return replica;
    replica.address = address;
    for (const [otherId, other] of this.replicas) {
      if (otherId !== id && (other.address === address || otherId === address)) {
        this.replicas.delete(otherId);
        this.history.live.replicas.delete(otherId);
      }
    }
    return replica;
  }

  private hello(hello: StreamHello): void {
    const replica = this.replica(hello.replica);
    const charts = new Map<string, ChartNode>();
    for (const [name, definition] of Object.entries(hello.machines ?? {})) {
      const chart = chartOf(definition);
      if (chart !== undefined) charts.set(name, chart);
    }
    replica.hello = hello;
    replica.charts = charts;
    // A fresh replica has nothing to forget; one seen before starts its picture over.
    const actors = this.history.live.replicas.get(hello.replica);
    if (actors !== undefined && actors.size > 0) {
      this.history.push({ kind: 'reset', replica: hello.replica, time: hello.time });
    }
  }

  /** The world shown: the live one, or the one after entry `position` while travelling. */
  worldAt(position: number | undefined): World {
    return position === undefined ? this.history.live : this.history.worldAt(position);
  }

  /** The first violation mark, if the trace has one. */
  violation(): { entry: HistoryEntry; mark: TraceMark } | undefined {
    for (const entry of this.marks) {
      const mark = entry.message as TraceMark;
      if (mark.mark === 'violation') return { entry, mark };
    }
    return undefined;
  }
}

/** Parses a trace file's text (JSON lines) into the model; bad lines are counted, not fatal. */
export function loadTrace(model: DashboardModel, text: string, linesMax = 2_000_000): void {
  let count = 0;
  for (const line of text.split('\n')) {
    if (++count > linesMax) break;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      model.apply(JSON.parse(trimmed) as TraceLine);
    } catch {
      model.refused++;
    }
  }
}
