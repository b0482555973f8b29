// One client connection: frames in, replies and notifications out, in order. It knows the
// wire, not ZooKeeper's rules: the server decides what each frame means. A malformed frame
// closes this connection only. Its socket is a TCP socket, or the simulator's in-memory one.
// What a client does not read is bounded (connection-throttle.ts): its socket stops being read
// while its replies wait unsent, and it is dropped when they outgrow a hard limit.

import { FrameDecoder, FrameTooLargeError } from '../../transport/frame-decoder.js';
import type { Id } from '../../protocol/records.js';
import type { AuthContext } from '../../protocol/txn.js';
import { ipId } from './auth/ip.js';
import { javaSetOrder } from './auth/java-set-order.js';
import {
  readingPaused,
  sendQueueFull,
  sendQueueOverflows,
  ServerRequestsInFlight,
  type ThrottleLimits,
} from './connection-throttle.js';
import { ConnectionNotifications } from './connection-notifications.js';
import {
  isPureRead,
  normaliseAddress,
  systemConnectionClock,
  type ClientSocket,
  type ConnectionHost,
  type ConnectionLimits,
} from './connection-host.js';
import { OutgoingFrames } from './outgoing-frames.js';
import { RequestQueue } from './request-queue.js';
import { noteReplyHeader, recordReply } from './connection-reply-statistics.js';
import { listenOnSocket } from './connection-socket-listeners.js';
import { LatencyTracker, type ServerStatistics } from './statistics.js';
import type { Frame } from '../../protocol/frame-parts.js';

export {
  normaliseAddress,
  systemConnectionClock,
  type ClientSocket,
  type ConnectionClock,
  type ConnectionHost,
  type ConnectionLimits,
  type RequestQueueFactory,
} from './connection-host.js';

export interface ConnectionHandler {
  /** A four-letter word arrived as the connection's first bytes: answer text, then close. */
  fourLetterWord(connection: ClientConnection, word: string, argument: Buffer): string | undefined;
  /** A whole frame arrived (the connect request first, then requests). */
  frame(connection: ClientConnection, frame: Buffer): void;
  /** The connection is dropped: `unsentBytes` of replies would exceed sendQueueBytesMax. */
  overflowed?(connection: ClientConnection, unsentBytes: number): void;
  closed(connection: ClientConnection): void;
}

let nextConnectionId = 1;

/** A socket a client never drains is destroyed this long after the connection closed. */
const undrainedSocketMs = 1000;

export class ClientConnection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedAt = Date.now();
  readonly queue: RequestQueue;
  /** The session this connection carries once the handshake is done. */
  sessionId: bigint | undefined;
  /** The timer that closes it if no session is made in time (server.ts), until it fires. */
  sessionlessDeadline: unknown;
  /**
   * The identities this connection authenticated (ZooKeeper keeps auth per connection), in
   * ZooKeeper's order (see addAuthIds).
   */
  readonly auth: AuthContext;
  /** The same ids in the order they were added, from which ZooKeeper's order follows. */
  private readonly authAdded: Id[];
  /** A copy of `auth` for the txns of this connection's writes, until the ids change. */
  private writeAuthCopy: AuthContext | undefined;
  /** Set for old clients whose connect request lacked the readOnly byte. */
  oldClient = false;
  packetsReceived = 0;
  packetsSent = 0;
  /** Last request's short name, xid and reply zxid, as `cons` shows them. */
  lastOperation = 'NA';
  lastCxid = -1;
  lastZxid = -1;
  lastResponseAtMs = 0;
  readonly latency = new LatencyTracker();
  private readonly decoder: FrameDecoder;
  private closing = false;
  private paused = false;
  /** A four-letter word of this connection is being answered (see receive). */
  private answeringWord = false;
  private sawFirstFrame = false;
  private corked = false;
  private readonly notifications = new ConnectionNotifications(this);
  /** What goes to the socket, a large frame a chunk per turn (outgoing-frames.ts). */
  private readonly outgoing: OutgoingFrames;
  /** Frames received and not yet handed to the server (see handOver). */
  private readonly held: Buffer[] = [];
  private handingOver = false;
  private readonly serverRequestsInFlight: ServerRequestsInFlight;
  private readonly throttle: ThrottleLimits;
  /** This connection's share of serverRequestsInFlight, as last reported. */
  private requestsInFlightReported = 0;

  constructor(
    private readonly socket: ClientSocket,
    private readonly handler: ConnectionHandler,
    limits: ConnectionLimits,
    private readonly statistics: ServerStatistics,
    private readonly host: ConnectionHost = { clock: systemConnectionClock },
  ) {
    this.remoteAddress = normaliseAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.authAdded = [ipId(socket.remoteAddress ?? '')];
    this.auth = { ids: [...this.authAdded], superUser: false };
    this.decoder = new FrameDecoder(limits.frameBytesMax);
    this.serverRequestsInFlight = host.requestsInFlight ?? new ServerRequestsInFlight();
    // Only a socket holding at least its high-water mark promises a 'drain'; a lower throttle
    // would wait for one that never comes. The limits are used as given when they allow it
    // (one object fewer per connection).
    this.throttle = limits.sendQueueBytesThrottle >= socket.writableHighWaterMark ? limits : {
      ...limits,
      sendQueueBytesThrottle: socket.writableHighWaterMark,
    };
    const createQueue = host.requestQueue ?? ((...queue) => new RequestQueue(...queue));
    this.queue = createQueue(
      (frame) => this.send(frame),
      (latencyMs, frame, operation) =>
        recordReply(this, this.statistics, latencyMs, frame, operation),
      () => this.handOver(),
    );
    this.outgoing = new OutgoingFrames((bytes) => this.writeToSocket(bytes),
      host.nextTurn ?? setImmediate, () => {
        if (!this.closing) this.handOver();
      });
    socket.setNoDelay(true);
    listenOnSocket(socket, this);
  }

  /** Bytes of replies not yet handed to the kernel: in the socket, behind a large frame's
   * chunks, or queued behind another reply. */
  get unsentBytes(): number {
    return this.socket.writableLength + this.outgoing.waitingBytes + this.queue.replyBytesWaiting;
  }

  /** 1 while the socket is being read, 0 while paused (ZooKeeper's interest set in `cons`). */
  get interestOps(): number {
    return this.paused || this.closing || this.answeringWord ? 0 : 1;
  }

  resetStatistics(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.lastOperation = 'NA';
    this.lastCxid = -1;
    this.lastZxid = -1;
    this.latency.reset();
  }

  /** Records the reply to a request as `cons` shows it (connection-reply-statistics.ts). */
  noteReply(operation: string, frame: Frame): void {
    noteReplyHeader(this, operation, frame);
  }

  get isOpen(): boolean {
    return !this.closing;
  }

  /** Bytes from the socket. */
  receive(chunk: Buffer): void {
    if (this.closing) return;
    this.statistics.metrics.counters.bytes_received_count += chunk.length;
    if (!this.sawFirstFrame && this.decoder.bufferedBytes + chunk.length >= 4) {
      const buffered = this.decoder.peek(this.decoder.bufferedBytes) ?? Buffer.alloc(0);
      const head = Buffer.concat([buffered, chunk]);
      const word = head.subarray(0, 4).toString('latin1');
      // While its word is answered, the asking connection shows in `stat` and `cons` as
      // ZooKeeper's does: one packet received, no longer read ([0]).
      this.answeringWord = true;
      this.packetsReceived++;
      const answer = this.handler.fourLetterWord(this, word, head.subarray(4));
      this.answeringWord = false;
      if (answer === undefined) this.packetsReceived--;
      else {
        // ZooKeeper counts a four-letter word as one packet in and one out (server-wide).
        this.statistics.packetsReceived++;
        this.statistics.packetsSent++;
        this.closing = true;
        this.socket.end(answer);
        this.finish();
        return;
      }
    }
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        this.close();
        return;
      }
      throw error;
    }
    if (frames.length > 0) this.sawFirstFrame = true;
    for (const frame of frames) this.held.push(frame);
    this.handOver();
  }

  /**
   * Hands the frames received to the server, in order, but no request that changes state (a
   * write, a sync, an auth) while a read waits behind something that settles only later (a
   * sync, a session moving in): writes are proposed as soon as they are handed over, and one
   * applied before an earlier read of its session has run would show that read a future the
   * session has not reached (ZooKeeper's FIFO order). Reads behind a write need no holding:
   * they run as that write is applied (request-queue.ts). Reads pass: they queue behind the
   * waiting one. Nothing is handed over while the replies already made wait unsent: a client
   * that pipelines without reading gets no more replies made for it than the throttle allows,
   * however many requests one chunk of its bytes held. The queue calls back once it has moved
   * on, the socket once its replies went out.
   */
  handOver(): void {
    if (this.handingOver) return;
    this.handingOver = true;
    let handed = 0;
    try {
      while (handed < this.held.length && !this.closing) {
        const frame = this.held[handed]!;
        if (this.queue.readWaiting && !isPureRead(frame)) break;
        if (sendQueueFull(this.unsentBytes, this.throttle)) break;
        handed++;
        this.packetsReceived++;
        this.statistics.packetsReceived++;
        this.handler.frame(this, frame);
      }
    } finally {
      this.held.splice(0, this.closing ? this.held.length : handed);
      this.handingOver = false;
    }
    if (!this.closing) this.applyBackpressure();
  }

  private applyBackpressure(): void {
    const requestsInFlight = this.queue.length;
    this.requestsInFlightReported = this.serverRequestsInFlight.report(
      this.requestsInFlightReported,
      requestsInFlight,
    );
    const load = {
      unsentBytes: this.unsentBytes,
      requestsInFlight,
      requestsHeld: this.held.length,
      serverRequestsInFlight: this.serverRequestsInFlight.count,
    };
    const busy = readingPaused(load, this.throttle);
    if (busy && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!busy && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** A watch notification sent now, behind any queued before it (setWatches' missed events). */
  notify(frame: Buffer): void {
    if (this.closing) return;
    this.notifications.queue(frame);
    this.notifications.flush();
  }

  /** Queues a notification unwritten (a herd's, see connection-notifications.ts); true when the
   * caller must flush this connection later. */
  queueNotification(frame: Buffer): boolean {
    return !this.closing && this.notifications.queue(frame);
  }

  flushNotifications(): void {
    this.notifications.flush();
  }

  /** The next reply will be encoded over later turns: notifications queued meanwhile follow it. */
  replyPending(): void {
    this.notifications.replyPending();
  }

  /** A reply (or the connect response), behind the notifications it may reveal. */
  send(frame: Frame): void {
    this.notifications.reply(frame);
  }

  /** Writes a frame now (ConnectionNotifications decides when). */
  write(frame: Frame, notification: boolean): void {
    if (this.closing) return;
    if (notification) {
      this.statistics.clientResponseSizes.record(frame.length - 4);
      this.statistics.metrics.counters.watch_bytes += frame.length - 4;
    }
    const unsentBytes = this.unsentBytes;
    if (sendQueueOverflows(unsentBytes, frame.length, this.throttle)) {
      this.overflow(unsentBytes + frame.length);
      return;
    }
    this.packetsSent++;
    this.statistics.packetsSent++;
    this.outgoing.write(frame);
    if (this.paused) this.applyBackpressure();
  }

  private writeToSocket(bytes: Buffer): void {
    // Replies produced in one turn of the event loop (a group commit, a burst of reads) leave
    // in one write instead of one syscall each.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  /**
   * The identities a write of this connection carries in its txn: a copy taken once and shared
   * by its writes until the connection authenticates again (a txn's auth never changes after
   * it was ordered, and nothing changes a txn's auth in place).
   */
  writeAuth(): AuthContext {
    return (this.writeAuthCopy ??= { ids: [...this.auth.ids], superUser: this.auth.superUser });
  }

  /**
   * Adds ids (once each). ZooKeeper holds a connection's ids in a ConcurrentHashMap-backed set,
   * so whoAmI and `auth` ACLs list them in that map's order, which javaSetOrder reproduces.
   */
  addAuthIds(ids: readonly Id[]): void {
    for (const id of ids) {
      const known = this.authAdded.some((held) => held.scheme === id.scheme && held.id === id.id);
      if (!known) this.authAdded.push(id);
      if (id.scheme === 'super') this.auth.superUser = true;
    }
    this.auth.ids.splice(0, this.auth.ids.length, ...javaSetOrder(this.authAdded));
    this.writeAuthCopy = undefined;
  }

  /** The socket closed: nothing more is written to it. */
  socketGone(): void {
    // Closed by the client before this server closed it (ZooKeeper's handleFailedRead).
    if (!this.closing) this.statistics.metrics.counters.connection_drop_count++;
    this.outgoing.clear();
    this.close();
  }

  /**
   * The socket failed (a reset): nothing more is written to it. ZooKeeper closes such a
   * connection for its I/O error without counting a drop (NIO's IOException; Netty's
   * exceptionCaught closes it while the channel is still open).
   */
  socketFailed(): void {
    this.outgoing.clear();
    this.close();
  }

  /** Sends a last frame (if any) and closes. */
  close(lastFrame?: Buffer): void {
    if (this.closing) return;
    this.flushNotifications();
    this.closing = true;
    // After the chunks of a large frame still being written, if any.
    this.outgoing.afterWritten(() => {
      if (lastFrame !== undefined) this.socket.end(lastFrame);
      else this.socket.end();
    });
    // Read (and drop) what the client still sends: a socket closed with unread bytes is reset,
    // and a reset can cost the client the last replies it has not read yet (AuthFailed).
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    // A client that never reads must not keep the socket forever.
    this.host.clock.setTimeout(() => this.socket.destroy(), undrainedSocketMs);
    this.finish();
  }

  /**
   * Drops a client whose unsent replies outgrew sendQueueBytesMax: the socket is destroyed at
   * once, with what it buffered, instead of ended behind bytes the client is not reading.
   */
  private overflow(unsentBytes: number): void {
    if (this.closing) return;
    this.closing = true;
    this.outgoing.clear();
    this.socket.destroy();
    this.handler.overflowed?.(this, unsentBytes);
    this.finish();
  }

  /** Forgets what was queued, gives back its share of the server's requests in flight. */
  private finish(): void {
    this.queue.clear();
    this.notifications.clear();
    this.held.length = 0;
    this.requestsInFlightReported = this.serverRequestsInFlight.report(
      this.requestsInFlightReported,
      0,
    );
    this.handler.closed(this);
  }
}
