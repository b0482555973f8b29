// One client TCP connection: frames in, replies and notifications out, in order. It knows the
// wire, not ZooKeeper's rules: the server decides what each frame means. A malformed frame
// closes this connection only.

import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError } from '../../transport/frame-decoder.js';
import type { Id } from '../../protocol/records.js';
import type { AuthContext } from '../../protocol/txn.js';
import { ipId } from './auth/ip.js';
import { javaSetOrder } from './auth/java-set-order.js';
import { RequestQueue } from './request-queue.js';
import { LatencyTracker, type ServerStatistics } from './statistics.js';

export interface ConnectionHandler {
  /** A four-letter word arrived as the connection's first bytes: answer text, then close. */
  fourLetterWord(connection: ClientConnection, word: string, argument: Buffer): string | undefined;
  /** A whole frame arrived (the connect request first, then requests). */
  frame(connection: ClientConnection, frame: Buffer): void;
  closed(connection: ClientConnection): void;
}

export interface ConnectionLimits {
  frameBytesMax: number;
  /** Above this many queued requests the socket stops being read (backpressure). */
  outstandingRequestsMax: number;
}

let nextConnectionId = 1;

/** Operations whose failure is an error txn, which ZooKeeper's statistics name `NA`. */
const errorTxnOperations = new Set(['CREA', 'DELE', 'SETD', 'SETA', 'CHEC', 'RECO']);

export class ClientConnection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedAt = Date.now();
  readonly queue: RequestQueue;
  /** The session this connection carries once the handshake is done. */
  sessionId: bigint | undefined;
  /** The identities this connection authenticated (ZooKeeper keeps auth per connection). */
  /** The connection's ids in ZooKeeper's order (see addAuthIds). */
  readonly auth: AuthContext;
  /** The same ids in the order they were added, from which ZooKeeper's order follows. */
  private readonly authAdded: Id[];
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
  private sawFirstFrame = false;
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly handler: ConnectionHandler,
    private readonly limits: ConnectionLimits,
    private readonly statistics: ServerStatistics,
  ) {
    this.remoteAddress = normaliseAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.authAdded = [ipId(socket.remoteAddress ?? '')];
    this.auth = { ids: [...this.authAdded], superUser: false };
    this.decoder = new FrameDecoder(limits.frameBytesMax);
    this.queue = new RequestQueue(
      (frame) => this.send(frame),
      (latencyMs, frame, operation) => {
        this.latency.record(latencyMs);
        this.statistics.latency.record(latencyMs);
        this.lastResponseAtMs = Date.now();
        this.statistics.clientResponseSizes.record(frame.length - 4);
        if (operation !== undefined) this.noteReply(operation, frame);
      },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** 1 while the socket is being read, 0 while paused (ZooKeeper's interest set in `cons`). */
  get interestOps(): number {
    return this.paused || this.closing ? 0 : 1;
  }

  resetStatistics(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.lastOperation = 'NA';
    this.lastCxid = -1;
    this.lastZxid = -1;
    this.latency.reset();
  }

  /**
   * Records the reply to a request as ZooKeeper's updateStatsForResponse does: its operation,
   * xid (not the special negative ones) and zxid, read from the reply header (after the 4-byte
   * length: xid, zxid, err). A write refused with an error went through as an error txn, which
   * ZooKeeper's FinalRequestProcessor reports as `NA`.
   */
  noteReply(operation: string, frame: Buffer): void {
    const xid = frame.readInt32BE(4);
    if (xid >= 0) this.lastCxid = xid;
    this.lastZxid = Number(frame.readBigInt64BE(8));
    const err = frame.readInt32BE(16);
    this.lastOperation = err !== 0 && errorTxnOperations.has(operation) ? 'NA' : operation;
  }

  get isOpen(): boolean {
    return !this.closing;
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    if (!this.sawFirstFrame && this.decoder.bufferedBytes + chunk.length >= 4) {
      const buffered = this.decoder.peek(this.decoder.bufferedBytes) ?? Buffer.alloc(0);
      const head = Buffer.concat([buffered, chunk]);
      const word = head.subarray(0, 4).toString('latin1');
      const answer = this.handler.fourLetterWord(this, word, head.subarray(4));
      if (answer !== undefined) {
        // ZooKeeper counts a four-letter word as one packet in and one out (server-wide; the
        // connection's own counters go with it).
        this.statistics.packetsReceived++;
        this.statistics.packetsSent++;
        this.closing = true;
        this.socket.end(answer);
        this.handler.closed(this);
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
    for (const frame of frames) {
      if (this.closing) return;
      this.sawFirstFrame = true;
      this.packetsReceived++;
      this.statistics.packetsReceived++;
      this.handler.frame(this, frame);
    }
    this.applyBackpressure();
  }

  private applyBackpressure(): void {
    const busy = this.queue.length >= this.limits.outstandingRequestsMax;
    if (busy && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!busy && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** A watch notification: sent as any frame, and counted among the response sizes. */
  notify(frame: Buffer): void {
    if (this.closing) return;
    this.statistics.clientResponseSizes.record(frame.length - 4);
    this.send(frame);
  }

  send(frame: Buffer): void {
    if (this.closing) return;
    this.packetsSent++;
    this.statistics.packetsSent++;
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
    this.socket.write(frame);
    if (this.paused) this.applyBackpressure();
  }

  /** Sends a last frame (if any) and closes. */
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
  }

  close(lastFrame?: Buffer): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.clear();
    if (lastFrame !== undefined) this.socket.end(lastFrame);
    else this.socket.end();
    // A client that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.handler.closed(this);
  }
}

/** IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d; ZooKeeper shows a.b.c.d. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
