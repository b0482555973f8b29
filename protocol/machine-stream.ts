// The machine event stream: what a replica's admin server streams at /commands/machine_events
// (server-sent events, one record per `data:` line, the record's seq as the event id), what
// `corral sim --trace-out FILE` writes (one record per line, after a TraceHeader), and what the
// dashboard reads from either. Records are plain JSON: 64-bit values (session ids, zxids) travel
// as strings, since a browser would round them, and secrets are redacted before they are written.
//
// A listener learns a replica's machines from its hello (each catalogue machine's definition, as
// `corral machines` exports it), then every live actor's current state (actor records), then
// each transition as it is taken. A listener that falls behind is told how much it missed (gap)
// and is given every live actor's state again, so its picture is whole once more.

/** Bumped when a record changes shape; a reader refuses a version it does not know. */
export const machineStreamVersion = 1;

/** A state value as XState gives it: a leaf state's name, or a map of region to value. */
export type StreamStateValue = string | { [region: string]: StreamStateValue };

/** What is shown of an event: its type, and its scalar fields (redacted, bigints as strings). */
export interface StreamEvent {
  type: string;
  [field: string]: string | number | boolean | null;
}

/** The first record of a replica's stream. */
export interface StreamHello {
  kind: 'hello';
  version: typeof machineStreamVersion;
  /** The replica's server id ("1", "2", …), or "standalone". */
  replica: string;
  time: number;
  /** Records the replica keeps for a listener that connects late (the stream's ring buffer). */
  bufferLimit: number;
  /** Each machine's definition by catalogue name ('replica', 'election', 'session', …), as
   * `machineDefinitionJson` writes it: the same JSON `corral machines` exports. */
  machines: Record<string, unknown>;
}

/** Fields every record after the hello carries. */
interface StreamRecordBase {
  /** Increases by one per record of this replica's stream; a listener notices loss by it. */
  seq: number;
  /** Milliseconds: wall clock in a server, simulated time in a simulator trace. */
  time: number;
  replica: string;
  /** The actor's id within its replica: numbered by the replica's stream as actors start (XState's
   * own session ids repeat, since every session machine is an actor system of its own). */
  actor: string;
}

/** An actor and its state now: sent when it starts, and for every live actor after a hello or a
 * gap. */
export interface StreamActor extends StreamRecordBase {
  kind: 'actor';
  /** Catalogue name of its machine, or the machine's id when it is not in the catalogue. */
  machine: string;
  /** The actor that spawned or invoked it (the election's parent is the replica machine). */
  parent?: string;
  /** What a person recognises it by: a session's id in hex, a replica's "replica 2". */
  label?: string;
  state: StreamStateValue;
}

/** One macrostep of an actor: the event it took, the transitions it took, the state after. */
export interface StreamTransition extends StreamRecordBase {
  kind: 'transition';
  event: StreamEvent;
  /** Each transition taken: the id of its source state node and of its targets (state node ids
   * as in the definition, e.g. "replica.looking"); empty for an event that changed nothing. */
  transitions: { source: string; targets: string[] }[];
  state: StreamStateValue;
  /** How many events of this type the actor took in a row of at most the replica's coalescing
   * window (machineEvents.coalesceMs) without changing state; absent for one. `event` is the
   * first one's. A simulator trace never sums. */
  repeat?: number;
}

/** An actor has stopped (done, stopped by its parent, or failed). */
export interface StreamEnded extends StreamRecordBase {
  kind: 'ended';
  status: 'done' | 'stopped' | 'error';
}

/** This listener missed `dropped` records (it read too slowly, or connected after they left the
 * buffer); actor records of every live actor follow. `actor` is empty. */
export interface StreamGap extends StreamRecordBase {
  kind: 'gap';
  dropped: number;
}

export type StreamRecord = StreamActor | StreamTransition | StreamEnded | StreamGap;
export type StreamMessage = StreamHello | StreamRecord;

/** The first line of a simulator trace file; the hello of each replica follows, then records,
 * with simulator marks among them. */
export interface TraceHeader {
  kind: 'trace';
  version: typeof machineStreamVersion;
  seed: number;
  /** The `corral sim` flags that reproduce the run. */
  flags: string[];
  replicas: string[];
}

/** A simulator fact between machine records: a fault injected, a client operation, or the
 * violation that ended the run (the dashboard can jump to it). */
export interface TraceMark {
  kind: 'mark';
  seq: number;
  time: number;
  mark: 'fault' | 'client' | 'violation' | 'end';
  text: string;
  replica?: string;
}

export type TraceLine = TraceHeader | StreamHello | StreamRecord | TraceMark;

/** What the dashboard's server adds for its page, once a second per replica, from the replica's
 * admin `server_stats` and `monitor` commands: the ensemble's figures beside its machines. */
export interface StreamFigures {
  kind: 'figures';
  replica: string;
  /** The admin address the figures came from (host:port). */
  address: string;
  time: number;
  /** leader, follower, observer, standalone, read-only, `down` (no answer) or `not serving`. */
  role: string;
  epoch?: number;
  /** The last zxid applied, in hex ("0x100000004"). */
  lastZxid?: string;
  /** A follower's distance behind the leader's last zxid, in txns (same epoch only). */
  commitLag?: number;
  connections?: number;
  outstandingRequests?: number;
  avgLatencyMs?: number;
  uptimeMs?: number;
  /** When this replica's last election ended (wall clock ms), if it tells. */
  electionEndedAt?: number;
}

/** What the dashboard's page reads from its server's `/events`: every replica's messages, and
 * figures; `source` says whether a replica's own stream is connected. */
export interface StreamSourceState {
  kind: 'source';
  replica: string;
  address: string;
  connected: boolean;
  error?: string;
}

export type DashboardMessage = StreamMessage | StreamFigures | StreamSourceState | TraceMark;
