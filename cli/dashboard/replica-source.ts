// One replica as the dashboard follows it: a client of its admin server's machine event stream
// (/commands/machine_events) that keeps the replica's latest hello and every live actor's latest
// state, so a browser that arrives late is given the whole picture at once, and that reconnects
// with a growing backoff (resuming with Last-Event-ID) when the replica goes down or restarts.
import type { IncomingMessage } from 'node:http';
import { adminRequest, type AdminAddress } from '../admin-client.js';
import {
  machineStreamVersion,
  type StreamActor,
  type StreamGap,
  type StreamHello,
  type StreamMessage,
  type StreamRecord,
  type StreamSourceState,
} from '../../protocol/machine-stream.js';
import { SseParser } from './sse.js';

/** Reconnect delays: doubling from the first to the last, reset by a connection that works. */
export const reconnectBackoffMsMin = 250;
export const reconnectBackoffMsMax = 2_000;
/** How long a replica may leave the response's headers unsent before the attempt is dropped;
 * once streaming, its heartbeats (every ~15 s) keep the connection from looking silent. */
const connectTimeoutMs = 3_000;
const streamSilenceMsMax = 40_000;
/**
 * How long a replica that has not told its id (no hello, no configuration: it is not up yet) is
 * kept from the page. The page draws a card per id it hears of, so a replica named by its
 * address first and by its id a second later would show twice; one that stays silent this long
 * is shown under its address, as down.
 */
export const unnamedQuietMs = 10_000;
/** Live actors kept per replica: far above what a replica runs (one per session plus a few). */
export const liveActorsMax = 100_000;

export interface ReplicaSourceOptions {
  address: AdminAddress;
  /** admin.commandURL, `/commands` unless the replica was configured otherwise. */
  commandUrl: string;
  /** Every message for the browsers, in order. */
  deliver: (message: StreamMessage | StreamSourceState) => void;
  /** The replica's id when the caller knows it (the ensemble that runs the dashboard does). */
  replica?: string | undefined;
}

export class ReplicaSource {
  readonly addressText: string;
  private hello: StreamHello | undefined;
  private learnedId: string | undefined;
  private readonly actors = new Map<string, StreamActor>();
  private lastSeq: number | undefined;
  /** After a hello: the next record tells whether the replica resumed where it left off. */
  private checkContinuity = false;
  /** Whether the process that sent lastSeq may still be there to resume from. A refused
   * connection means nothing listens on the port: that process is gone, and a seq of the one
   * started in its place must not be taken for its own. */
  private resumable = false;
  /** This connection asked to resume (it sent Last-Event-ID). */
  private resuming = false;
  private connected = false;
  private lastError: string | undefined;
  private response: IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failuresInRow = 0;
  private stopped = false;
  private readonly startedAtMs = Date.now();

  constructor(private readonly options: ReplicaSourceOptions) {
    const { host, port } = options.address;
    this.learnedId = options.replica;
    this.addressText = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** The replica's id from its hello, else as its admin server's configuration gave it, else
   * its address. */
  get replica(): string {
    return this.hello?.replica ?? this.learnedId ?? this.addressText;
  }

  /** Whether the id is known (from a hello or the configuration). */
  get knowsId(): boolean {
    return this.hello !== undefined || this.learnedId !== undefined;
  }

  /** Whether the page is told of this replica yet (see unnamedQuietMs). */
  get shown(): boolean {
    return this.knowsId || Date.now() - this.startedAtMs >= unnamedQuietMs;
  }

  /** The id a replica whose stream has not spoken yet has, from its `configuration`. */
  learnId(id: string): void {
    if (this.knowsId) return;
    this.learnedId = id;
    this.options.deliver(this.sourceState());
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.response?.destroy();
  }

  /** What a browser that connects now is sent first for this replica (figures aside). */
  snapshot(): Array<StreamMessage | StreamSourceState> {
    const messages: Array<StreamMessage | StreamSourceState> = [];
    if (this.hello !== undefined) messages.push(this.hello);
    messages.push(...this.actors.values());
    if (this.shown) messages.push(this.sourceState());
    return messages;
  }

  sourceState(): StreamSourceState {
    return {
      kind: 'source',
      replica: this.replica,
      address: this.addressText,
      connected: this.connected,
      ...(this.lastError === undefined ? {} : { error: this.lastError }),
    };
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const path = `${this.options.commandUrl.replace(/\/+$/, '')}/machine_events`;
    let response: IncomingMessage;
    try {
      response = await adminRequest({ address: this.options.address, path,
        timeoutMs: connectTimeoutMs, headers: this.requestHeaders() });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.resumable = false;
      this.failed(error instanceof Error ? error.message : String(error));
      return;
    }
    const type = String(response.headers['content-type'] ?? '');
    if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
      response.resume();
      this.failed(`${path} answered HTTP ${response.statusCode} ${type}`.trim());
      return;
    }
    if (this.stopped) {
      response.destroy();
      return;
    }
    this.response = response;
    response.socket.setTimeout(streamSilenceMsMax, () => response.destroy());
    this.read(response);
  }

  private requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    this.resuming = this.resumable && this.lastSeq !== undefined;
    if (this.resuming) headers['Last-Event-ID'] = String(this.lastSeq);
    return headers;
  }

  private read(response: IncomingMessage): void {
    const parser = new SseParser((event) => {
      // Every event is one record, whatever its name; heartbeats are comments, never events.
      this.take(JSON.parse(event.data) as StreamMessage);
    });
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      try {
        parser.push(text);
      } catch (error) {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    let ended = false;
    const finish = (why: string): void => {
      if (ended) return;
      ended = true;
      this.response = undefined;
      this.failed(why);
    };
    response.once('end', () => finish('the stream ended'));
    response.once('error', (error) => finish(error.message));
    response.once('close', () => finish('the connection closed'));
  }

  /** Applies one record to the kept picture and passes it on. */
  private take(message: StreamMessage): void {
    if (message.kind === 'hello') {
      if (message.version !== machineStreamVersion) {
        throw new Error(`machine stream version ${String(message.version)} is not ` +
          `${machineStreamVersion}`);
      }
      if (this.hello !== undefined && this.hello.replica !== message.replica) this.actors.clear();
      this.hello = message;
      this.checkContinuity = true;
      this.markConnected();
      this.options.deliver(message);
      return;
    }
    this.markConnected();
    if (this.checkContinuity) {
      this.checkContinuity = false;
      this.restartIfDiscontinuous(message);
    }
    this.lastSeq = message.seq;
    this.resumable = true;
    this.apply(message);
    this.options.deliver(message);
  }

  /**
   * A replica that restarted (its seq began again) or could not resume from Last-Event-ID sends
   * its live actors afresh after its hello; the actors kept from before are then stale. A gap
   * record tells the browsers to drop theirs too, as they would for a gap of the replica's own.
   */
  private restartIfDiscontinuous(first: StreamRecord): void {
    if (this.lastSeq === undefined || first.kind === 'gap') return;
    if (this.resuming && first.seq === this.lastSeq + 1) return;
    this.actors.clear();
    const gap: StreamGap = { kind: 'gap', seq: first.seq - 1, time: first.time,
      replica: first.replica, actor: '', dropped: 0 };
    this.options.deliver(gap);
  }

  private apply(record: StreamRecord): void {
    switch (record.kind) {
      case 'actor':
        if (this.actors.has(record.actor) || this.actors.size < liveActorsMax) {
          this.actors.set(record.actor, record);
        }
        return;
      case 'transition': {
        const actor = this.actors.get(record.actor);
        if (actor !== undefined) {
          this.actors.set(record.actor, { ...actor, seq: record.seq, time: record.time,
            state: record.state });
        }
        return;
      }
      case 'ended':
        this.actors.delete(record.actor);
        return;
      case 'gap':
        // Every live actor's record follows a gap: the kept ones may have ended meanwhile.
        this.actors.clear();
        return;
    }
  }

  private markConnected(): void {
    this.failuresInRow = 0;
    if (this.connected) return;
    this.connected = true;
    this.lastError = undefined;
    if (this.shown) this.options.deliver(this.sourceState());
  }

  private failed(why: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.lastError = why;
    const news = wasConnected || this.failuresInRow === 0;
    if (news && this.shown) this.options.deliver(this.sourceState());
    if (this.stopped) return;
    this.failuresInRow += 1;
    const delayMs = Math.min(reconnectBackoffMsMax,
      reconnectBackoffMsMin * 2 ** Math.min(this.failuresInRow - 1, 10));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delayMs);
  }
}
