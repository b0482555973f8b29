// GET <commandURL>/machine_events on the admin server: the replica's machine event stream as
// server-sent events, one record per `data:` line with its seq as the event id, so a browser's
// EventSource resumes with Last-Event-ID. It is guarded as the admin server's state-changing
// commands are (Host and Origin, request-origin.ts), answers loopback peers only unless told
// otherwise, and serves a bounded number of listeners; each one's queue is bounded by the hub.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamMessage } from '../../protocol/machine-stream.js';
import { foreignRequestProblem } from '../operations/request-origin.js';
import type { MachineEventHub, StreamListener } from './machine-events.js';

export const machineEventsCommand = 'machine_events';
export const machineEventListenersDefault = 4;
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
export const heartbeatMsDefault = 15_000;
/** Records wait this long to go out together: a listener is a person watching, and a busy
 * replica takes thousands of steps a second. */
const flushMs = 50;
/** What one batch may hold before the listener counts as behind (its own queue then fills). */
const batchBytesMax = 256 * 1024;
/** What an EventSource waits before it reconnects. */
const reconnectMs = 3_000;

export interface MachineEventsEndpointOptions {
  hub: MachineEventHub;
  /** Streams served at once; one more is answered 503. */
  listenersMax?: number;
  heartbeatMs?: number;
  /** Serve peers beyond this machine too (the admin server may listen on every interface). */
  allowRemote?: boolean;
  /** Each listener's queue, in bytes (the hub's default otherwise). */
  queueBytesMax?: number;
}

/** Whether a peer address is this machine's (IPv4 loopback, also IPv4-mapped, or ::1). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || plain.startsWith('127.');
}

/** One message as an event: its seq as the id (a hello has none), its JSON on one data line. */
export function eventStreamFrame(message: StreamMessage, text: string): string {
  const id = 'seq' in message ? `id: ${message.seq}\n` : '';
  return `${id}data: ${text}\n\n`;
}

function refuse(response: ServerResponse, status: number, error: string): void {
  const body = `${JSON.stringify({ command: machineEventsCommand, error })}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...(status === 503 ? { 'Retry-After': String(reconnectMs / 1000) } : {}),
  });
  response.end(body);
}

/** `?since=SEQ`, else the Last-Event-ID an EventSource sends when it reconnects. */
function sinceOf(request: IncomingMessage, url: URL): number | undefined | 'invalid' {
  const given = url.searchParams.get('since') ?? request.headers['last-event-id'];
  if (given === undefined || given === null || given === '') return undefined;
  const text = Array.isArray(given) ? given[0] ?? '' : given;
  return /^\d{1,15}$/.test(text) ? Number(text) : 'invalid';
}

export class MachineEventsEndpoint {
  private readonly streams = new Set<ServerResponse>();
  private readonly listenersMax: number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: MachineEventsEndpointOptions) {
    this.listenersMax = options.listenersMax ?? machineEventListenersDefault;
    this.heartbeatMs = options.heartbeatMs ?? heartbeatMsDefault;
  }

  get hub(): MachineEventHub {
    return this.options.hub;
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Answers one request for the stream; `names` are the Host names the server answers to. */
  handle(request: IncomingMessage, response: ServerResponse, url: URL, names: readonly string[]):
    void {
    if (request.method !== 'GET') {
      return refuse(response, 405, `HTTP method ${request.method ?? ''} is not supported`);
    }
    const foreign = foreignRequestProblem(request.headers, names);
    if (foreign !== undefined) return refuse(response, 403, `Forbidden: ${foreign}`);
    if (this.options.allowRemote !== true && !isLoopbackPeer(request.socket.remoteAddress)) {
      return refuse(response, 403, 'Forbidden: the machine event stream serves this machine only');
    }
    const since = sinceOf(request, url);
    if (since === 'invalid') return refuse(response, 400, 'since must be a record seq');
    if (this.streams.size >= this.listenersMax) {
      return refuse(response, 503, `at most ${this.listenersMax} listeners at once`);
    }
    this.serve(request, response, since);
  }

  private serve(request: IncomingMessage, response: ServerResponse, since: number | undefined):
    void {
    // The request is complete; the stream itself may stay quiet between heartbeats.
    request.socket.setTimeout(0);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, no-transform',
      'X-Accel-Buffering': 'no',
    });
    response.write(`retry: ${reconnectMs}\n: corral machine events\n\n`);
    this.streams.add(response);
    // Records go out together every flushMs: a system call (and a wake-up of the reader) for
    // each would cost a busy replica more than making them.
    let corked = false;
    const uncork = () => {
      corked = false;
      response.uncork();
    };
    const sink = {
      write: (message: StreamMessage, text: string) => {
        if (!corked) {
          corked = true;
          response.cork();
          setTimeout(uncork, flushMs);
        }
        // Buffered for the batch is not behind: only a batch the socket has not taken is.
        return response.write(eventStreamFrame(message, text)) ||
          response.writableLength < batchBytesMax;
      },
    };
    let listener: StreamListener | undefined;
    const heartbeat = setInterval(() => {
      // A reader that is behind gets nothing more; the queue bound holds.
      if (!response.writableNeedDrain) response.write(': heartbeat\n\n');
    }, this.heartbeatMs);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      this.streams.delete(response);
      listener?.close();
    };
    response.on('close', end);
    response.on('error', end);
    response.on('drain', () => listener?.drained());
    listener = this.options.hub.listen(sink, {
      ...(since === undefined ? {} : { since }),
      ...(this.options.queueBytesMax === undefined
        ? {}
        : { queueBytesMax: this.options.queueBytesMax }),
    });
  }

  /** Ends every stream (the admin server is closing). */
  close(): void {
    for (const response of this.streams) response.end();
    this.streams.clear();
  }
}
