// One TCP connection speaking ZooKeeper's client protocol: the connect handshake, pipelined
// requests matched to replies by xid, watch notifications, pings and session close. It is the
// base of corral's TypeScript client and the benchmarks, so it keeps no state beyond the wire.

import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { createNanoEvents, type Unsubscribe } from 'nanoevents';
import { Xid } from '../protocol/constants.js';
import { ConnectionLossError, SessionExpiredError } from '../protocol/errors.js';
import { JuteReader, JuteWriter } from '../protocol/jute.js';
import {
  readConnectResponse,
  writeConnectRequest,
  type ReplyHeader,
  type WatcherEvent,
} from '../protocol/records.js';
import { encodeRequest, opcodeOf, type ClientRequest } from '../protocol/requests.js';
import {
  readReplyHeader,
  readResponseBody,
  readWatcherEvent,
  type ResponseBody,
} from '../protocol/responses.js';
import { FrameDecoder, FrameError } from './frame-decoder.js';

/** ZooKeeper's default jute.maxbuffer plus room for the reply header and stat. */
/** The request shape WireConnection sends (benchmarks build them by hand). */
export type { ClientRequest } from '../protocol/requests.js';

export const frameBytesMaxDefault = 0xfffff + 1024;

type Resolve = (reply: Reply) => void;
type Reject = (error: Error) => void;

/** FIFO of requests awaiting replies, in parallel arrays so a request costs no entry object. */
class PendingQueue {
  private xids: number[] = [];
  private opcodes: number[] = [];
  private resolves: Resolve[] = [];
  private rejects: Reject[] = [];
  private head = 0;

  get size(): number {
    return this.xids.length - this.head;
  }

  push(xid: number, opcode: number, resolve: Resolve, reject: Reject): void {
    this.xids.push(xid);
    this.opcodes.push(opcode);
    this.resolves.push(resolve);
    this.rejects.push(reject);
  }

  peekXid(): number | undefined {
    return this.size === 0 ? undefined : this.xids[this.head];
  }

  peekOpcode(): number {
    return this.opcodes[this.head] as number;
  }

  /** Removes the head and returns its resolver. */
  shift(): Resolve {
    const resolve = this.resolves[this.head] as Resolve;
    this.head++;
    if (this.head === this.xids.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.xids.length) this.compact();
    return resolve;
  }

  rejectAll(error: Error): void {
    const rejects = this.rejects.slice(this.head);
    this.clear();
    for (const reject of rejects) reject(error);
  }

  private clear(): void {
    this.xids.length = this.opcodes.length = this.resolves.length = this.rejects.length = 0;
    this.head = 0;
  }

  private compact(): void {
    this.xids.splice(0, this.head);
    this.opcodes.splice(0, this.head);
    this.resolves.splice(0, this.head);
    this.rejects.splice(0, this.head);
    this.head = 0;
  }
}

export interface Reply {
  header: ReplyHeader;
  /** `{ kind: 'none' }` whenever header.err ≠ 0: ZooKeeper sends no body with an error. */
  body: ResponseBody;
}

export interface WireConnectionOptions {
  host: string;
  port: number;
  /** Requested session timeout; also the limit on the TCP connect plus handshake by default. */
  timeoutMs: number;
  handshakeTimeoutMs?: number;
  sessionId?: bigint;
  password?: Buffer;
  lastZxidSeen?: number;
  readOnly?: boolean;
  frameBytesMax?: number;
  /** Ping when nothing was sent for this long; default a third of the negotiated timeout, 0 off. */
  pingIntervalMs?: number;
  /** Speak TLS: ca, cert, key and servername as tls.connect takes them. */
  tls?: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'servername'>;
}

interface WireEvents {
  notification: (event: WatcherEvent, zxid: number) => void;
  close: (cause: Error | undefined) => void;
}

/** The ping timer ticks this often per ping interval (see pingIfIdle). */
const pingTicksPerInterval = 4;

const noBody: ResponseBody = Object.freeze({ kind: 'none' }) as ResponseBody;

export class WireConnection {
  /** Highest zxid a reply carried; a reconnect sends it so the server never goes back in time. */
  lastZxid: number;
  lastReceivedAtMs = performance.now(); // last frame's arrival: a host can spot a silent server
  private readonly emitter = createNanoEvents<WireEvents>();
  private readonly pending = new PendingQueue();
  private readonly pings = new PendingQueue();
  private readonly auths = new PendingQueue();
  private readonly setWatches = new PendingQueue();
  private nextXid = 1;
  /** Set by every send; the ping timer's quarter-interval ticks clear it. */
  private sentSinceTick = false;
  /** The socket is corked until the next tick (corkUntilNextTick). */
  private corked = false;
  private idleTicks = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private closedCause: Error | undefined | null = null;
  private closedPromise: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    decoder: FrameDecoder,
    readonly sessionId: bigint,
    readonly password: Buffer,
    readonly negotiatedTimeoutMs: number,
    readonly readOnly: boolean,
    lastZxidSeen: number,
    pingIntervalMs: number,
  ) {
    this.lastZxid = lastZxidSeen;
    decoder.onFrame = (frame) => this.handleFrame(frame);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    // A frame or decoding error destroys the socket with that error: keep it as the cause.
    socket.on('error', (error) => {
      if (this.closedCause === null) this.closedCause = error;
    });
    socket.on('close', () => this.handleClose());
    if (pingIntervalMs > 0) {
      const tickMs = Math.max(1, Math.floor(pingIntervalMs / pingTicksPerInterval));
      this.pingTimer = setInterval(() => this.pingIfIdle(), tickMs);
      this.pingTimer.unref();
    }
  }

  /** Connects and performs the handshake; rejects with SessionExpiredError on timeout 0. */
  static open(options: WireConnectionOptions): Promise<WireConnection> {
    const frameBytesMax = options.frameBytesMax ?? frameBytesMaxDefault;
    return new Promise((resolve, reject) => {
      const socket = options.tls === undefined
        ? connect({ host: options.host, port: options.port, noDelay: true })
        : connectTls({
          host: options.host,
          port: options.port,
          ...options.tls,
          // SNI takes a name, never an address; the certificate is checked against the host.
          servername: options.tls.servername ?? (isIP(options.host) ? '' : options.host),
        });
      socket.setNoDelay(true);
      const connected = options.tls === undefined ? 'connect' : 'secureConnect';
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const limitMs = options.handshakeTimeoutMs ?? options.timeoutMs;
      const timer = setTimeout(() => fail(new ConnectionLossError('handshake timed out')), limitMs);
      const decoder = new FrameDecoder(frameBytesMax, (frame) => {
        clearTimeout(timer);
        const response = readConnectResponse(new JuteReader(frame));
        if (response.timeout <= 0) return fail(new SessionExpiredError());
        const pingIntervalMs = options.pingIntervalMs ?? Math.floor(response.timeout / 3);
        const connection = new WireConnection(socket, decoder, response.sessionId,
          response.password, response.timeout, response.readOnly,
          options.lastZxidSeen ?? 0, pingIntervalMs);
        socket.off('close', onEarlyClose);
        resolve(connection);
      });
      const onEarlyClose = (): void => fail(new ConnectionLossError('closed during handshake'));
      socket.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk);
        } catch (error) {
          // Before the handshake this rejects open(); after it, the close handler fails requests.
          socket.destroy(error as Error);
          clearTimeout(timer);
          reject(error as Error);
        }
      });
      socket.on('error', () => {}); // the close event that follows carries the outcome
      socket.once('close', onEarlyClose);
      socket.once(connected, () => socket.write(connectFrame(options)));
    });
  }

  /** True once the socket is gone (requests then fail with ConnectionLossError). */
  get closed(): boolean {
    return this.closedCause !== null;
  }

  /** Sends a request; resolves with the reply even when header.err ≠ 0 (callers decide);
   * `onReply` runs as the reply is read, before a watch event right behind it is handled. */
  request(request: ClientRequest, onReply?: (reply: Reply) => void): Promise<Reply> {
    if (this.closing || this.closed) {
      return Promise.reject(new ConnectionLossError('connection closed'));
    }
    const xid = specialXid(request.kind) ?? this.takeXid();
    const queue = this.queueForXid(xid);
    return new Promise<Reply>((resolve, reject) => {
      const settle: Resolve = onReply ? (reply) => (onReply(reply), resolve(reply)) : resolve;
      queue.push(xid, opcodeOf(request), settle, reject);
      this.sentSinceTick = true;
      this.corkUntilNextTick();
      this.socket.write(encodeRequest(xid, request));
    });
  }

  /**
   * Requests sent in one run of the event loop (callers answering a batch of replies) leave in
   * one writev instead of a write each: the benchmark's load generator shares the machine with
   * the server it measures, and a syscall per request was most of its CPU time.
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /** Watch events (xid -1); the zxid is the triggering txn's where the server sends it. */
  onNotification(listener: (event: WatcherEvent, zxid: number) => void): Unsubscribe {
    return this.emitter.on('notification', listener);
  }

  /** Called once when the socket is gone; cause is undefined after close() or destroy(). */
  onClose(listener: (cause: Error | undefined) => void): Unsubscribe {
    return this.emitter.on('close', listener);
  }

  /** Ends the session (closeSession, then its reply), then the socket. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return this.closedPromise;
    const reply = this.request({ kind: 'closeSession' });
    this.closing = true;
    try {
      await reply;
    } catch {
      // The server may drop the connection as it closes the session: nothing left to do.
    }
    this.socket.end();
    return this.closedPromise;
  }

  /** Drops the socket without closing the session, as a client that lost its network would. */
  destroy(cause?: Error): void {
    if (this.closedCause === null && cause !== undefined) this.closedCause = cause;
    this.closing = true;
    this.socket.destroy();
  }

  private takeXid(): number {
    const xid = this.nextXid;
    this.nextXid = xid === 0x7fffffff ? 1 : xid + 1;
    return xid;
  }

  private handleFrame(frame: Buffer): void {
    this.lastReceivedAtMs = performance.now();
    const reader = new JuteReader(frame);
    const header = readReplyHeader(reader);
    if (header.xid === Xid.notification) {
      this.emitter.emit('notification', readWatcherEvent(reader), header.zxid);
      return;
    }
    const queue = this.queueForXid(header.xid);
    if (queue.peekXid() !== header.xid) {
      throw new FrameError(`reply xid ${header.xid}, expected ${String(queue.peekXid())}`);
    }
    // Decode before dequeuing: a malformed body then fails this request with the connection.
    const body = header.err === 0 ? readResponseBody(queue.peekOpcode(), reader) : noBody;
    const resolve = queue.shift();
    // As ZooKeeper's own client: ping and auth replies do not advance lastZxid.
    if (header.zxid > 0 && queue !== this.pings && queue !== this.auths) {
      this.lastZxid = header.zxid;
    }
    resolve({ header, body });
  }

  private queueForXid(xid: number): PendingQueue {
    if (xid === Xid.ping) return this.pings;
    if (xid === Xid.auth) return this.auths;
    if (xid === Xid.setWatches) return this.setWatches;
    return this.pending;
  }

  /**
   * Pings once nothing was sent for about a ping interval, as ZooKeeper's client does (it counts
   * from the last send). Checking in quarter intervals keeps the gap between sends, and so between
   * replies, near one interval: a whole-interval check could leave two intervals between sends
   * (a request just after a check, then an idle one), which is the host's read timeout.
   */
  private pingIfIdle(): void {
    if (this.sentSinceTick) {
      this.sentSinceTick = false;
      this.idleTicks = 0;
      return;
    }
    this.idleTicks++;
    if (this.idleTicks >= pingTicksPerInterval - 1 && !this.closing) {
      this.idleTicks = 0;
      this.request({ kind: 'ping' }).catch(() => {});
    }
  }

  private handleClose(): void {
    if (this.closedCause === null) this.closedCause = undefined;
    clearInterval(this.pingTimer);
    const loss = new ConnectionLossError(
      this.closedCause === undefined ? 'connection closed' : this.closedCause.message,
    );
    for (const queue of [this.pending, this.pings, this.auths, this.setWatches]) {
      queue.rejectAll(loss);
    }
    this.emitter.emit('close', this.closedCause);
  }
}

/** The reserved xids ZooKeeper clients use outside the normal sequence (ClientCnxn's). */
function specialXid(kind: ClientRequest['kind']): number | undefined {
  if (kind === 'ping') return Xid.ping;
  if (kind === 'auth') return Xid.auth;
  if (kind === 'setWatches') return Xid.setWatches;
  return undefined;
}

function connectFrame(options: WireConnectionOptions): Buffer {
  const writer = new JuteWriter(64);
  writeConnectRequest(writer, {
    protocolVersion: 0,
    lastZxidSeen: options.lastZxidSeen ?? 0,
    timeout: options.timeoutMs,
    sessionId: options.sessionId ?? 0n,
    password: options.password ?? Buffer.alloc(16),
    readOnly: options.readOnly ?? false,
  });
  return writer.frame();
}
