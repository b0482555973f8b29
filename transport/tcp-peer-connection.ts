// One TCP socket between two replicas, below the meaning of its messages: it frames and unframes
// wire messages, bounds what it buffers for a slow reader (respecting write()'s return value and
// 'drain'), and reports how the socket ended as a CloseCause. transport/tcp-peer.ts decides what
// the messages mean (handshake, data) and which connection a pair of replicas keeps.
import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import {
  decodeWireMessage,
  encodeWireMessage,
  wireBodyBytesMax,
  type WireMessage,
} from './tcp-peer-wire.js';
import type { CloseCause } from './transport.js';

export interface PeerConnectionHandlers {
  message(message: WireMessage): void;
  /**
   * The connection ended without this end calling close(): the peer left (goodbye, FIN, reset)
   * or sent something unreadable. Called at most once, and never after close().
   */
  end(cause: CloseCause): void;
}

export interface PeerConnectionLimits {
  frameBytesMax: number;
  sendQueueBytesMax: number;
}

/** How long a closed socket may wait for the peer to read our last frame and FIN back. */
const closeLingerMs = 1_000;
const keepAliveInitialDelayMs = 10_000;
/** Event-loop stalls a handshake deadline forgives before it expires anyway. */
const deadlineStallsForgivenMax = 3;
/** Sent frames are dequeued by index; the array is compacted once this many are consumed. */
const queueCompactAfter = 1_024;

export class PeerConnection {
  private readonly decoder: FrameDecoder;
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  /** write() returned false: wait for 'drain' before writing again. */
  private blocked = false;
  /** Writes are corked until the event loop's next check phase: one writev for a burst. */
  private corked = false;
  private finished = false;
  private socketError: Error | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** Part frames of a user frame whose closing data frame has not arrived yet. */
  private parts: Buffer[] = [];
  private partsBytes = 0;

  /**
   * `handshakeFrameBytesMax` caps what is read before openFrames(): until the handshake is
   * believed, a peer cannot make this end buffer more than one handshake frame.
   */
  constructor(
    private readonly socket: Socket,
    private readonly limits: PeerConnectionLimits,
    public handlers: PeerConnectionHandlers,
    handshakeFrameBytesMax: number,
  ) {
    this.decoder = new FrameDecoder(handshakeFrameBytesMax);
    socket.setNoDelay(true);
    // Zab's pings notice a silent peer; keepalive also ends a link whose peer host vanished
    // while nothing was being sent, instead of leaving it half-open.
    socket.setKeepAlive(true, keepAliveInitialDelayMs);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.flush());
    socket.on('error', (error) => {
      this.socketError ??= error;
    });
    socket.on('end', () => this.finish({ reason: 'peerClosed', detail: 'ended without goodbye' }));
    socket.on('close', () => {
      const error = this.socketError;
      this.finish(error === undefined ? { reason: 'peerClosed' } : causeOfSocketError(error));
    });
  }

  /**
   * A handshake step that needs a larger (still small) frame than the first: the SASL response
   * a verified dialer sends. Never narrows, and never past what openFrames() allows.
   */
  widenHandshakeFrames(bytesMax: number): void {
    const widened = Math.max(this.decoder.frameBytesMax, bytesMax);
    this.decoder.frameBytesMax = Math.min(widened, wireBodyBytesMax(this.limits.frameBytesMax));
  }

  /** The handshake is believed: frames up to the configured limit may arrive from here. */
  openFrames(): void {
    this.decoder.frameBytesMax = wireBodyBytesMax(this.limits.frameBytesMax);
  }

  /** Where the socket comes from, for logs. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Bytes accepted but not yet handed to the kernel: ours plus the socket's own buffer. */
  get queuedBytes(): number {
    return this.finished ? 0 : this.queueBytes + this.socket.writableLength;
  }

  /**
   * Writes an encoded wire frame, or queues it while the socket is backed up. Returns false,
   * queuing nothing, when that would pass sendQueueBytesMax: the caller closes with `overflow`.
   */
  send(bytes: Buffer): boolean {
    if (this.finished) return true;
    if (!this.blocked) {
      this.cork();
      if (!this.socket.write(bytes)) this.blocked = true;
      return true;
    }
    if (this.queuedBytes + bytes.length > this.limits.sendQueueBytesMax) return false;
    this.queue.push(bytes);
    this.queueBytes += bytes.length;
    return true;
  }

  /**
   * Writes the wire frames of one user frame (encodeData), all or none: false, queuing nothing,
   * when the queued ones would pass sendQueueBytesMax.
   */
  sendPieces(pieces: readonly Buffer[]): boolean {
    if (this.finished) return true;
    if (this.blocked) {
      const bytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
      if (this.queuedBytes + bytes > this.limits.sendQueueBytesMax) return false;
    }
    for (const piece of pieces) {
      if (this.blocked) {
        this.queue.push(piece);
        this.queueBytes += piece.length;
      } else {
        this.cork();
        if (!this.socket.write(piece)) this.blocked = true;
      }
    }
    return true;
  }

  /**
   * A leader sends a PROPOSAL (and later a COMMIT) per request to every follower; corking them
   * until the I/O phase ends turns a burst into one system call per peer instead of one each.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      if (!this.socket.destroyed) this.socket.uncork();
    });
  }

  sendMessage(message: WireMessage): boolean {
    return this.send(encodeWireMessage(message));
  }

  /**
   * Calls `onExpire` unless clearDeadline() or close() comes first (handshake timeouts). A timer
   * that fires late means this process stalled (GC, a long synchronous task) and the peer's
   * answer may sit unread, so the peer gets its full time again — a bounded number of times.
   */
  startDeadline(timeoutMs: number, onExpire: () => void, stallsForgiven = 0): void {
    this.clearDeadline();
    const armedAtMs = performance.now();
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      if (this.finished) return;
      const latenessMs = performance.now() - armedAtMs - timeoutMs;
      if (latenessMs > timeoutMs / 4 && stallsForgiven < deadlineStallsForgivenMax) {
        this.startDeadline(timeoutMs, onExpire, stallsForgiven + 1);
      } else {
        onExpire();
      }
    }, timeoutMs);
  }

  clearDeadline(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /**
   * Ends the connection from this end; handlers hear nothing more. `last` (a goodbye or a
   * refusal) is sent first unless the socket is backed up — a peer that is not reading would
   * not get it anyway, and waiting for it would be the unbounded buffering we refuse.
   */
  close(last?: WireMessage): void {
    if (this.finished) return;
    this.finished = true;
    this.release(last === undefined || this.blocked ? undefined : encodeWireMessage(last));
  }

  private release(last: Buffer | undefined): void {
    this.clearDeadline();
    this.queue = [];
    this.queueHead = 0;
    this.queueBytes = 0;
    if (last === undefined || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    this.socket.end(last);
    // The socket closes when the peer FINs back; a peer that never does cannot hold it open.
    const linger = setTimeout(() => this.socket.destroy(), closeLingerMs);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
    this.socket.unref();
  }

  private flush(): void {
    if (this.finished) return;
    this.blocked = false;
    while (!this.blocked && this.queueHead < this.queue.length) {
      const bytes = this.queue[this.queueHead] as Buffer;
      this.queueHead += 1;
      this.queueBytes -= bytes.length;
      if (!this.socket.write(bytes)) this.blocked = true;
    }
    if (this.queueHead >= this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead >= queueCompactAfter) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private receive(chunk: Buffer): void {
    if (this.finished) return;
    this.decoder.append(chunk);
    // One frame at a time: a handler may widen the frame limit (openFrames) after a handshake
    // frame, and the frames behind it in the same chunk must be read under the new limit.
    for (;;) {
      if (this.finished) return;
      let body: Buffer | undefined;
      try {
        body = this.decoder.next();
      } catch (error) {
        if (!(error instanceof FrameTooLargeError)) throw error;
        this.fail({ reason: 'error', detail: error.message });
        return;
      }
      if (body === undefined) return;
      const decoded = decodeWireMessage(body);
      if (!decoded.ok) {
        this.fail({ reason: 'error', detail: decoded.error.message });
        return;
      }
      const message = this.assemble(decoded.message);
      if (message === 'fail') return;
      if (message === undefined) continue;
      if (message.kind === 'goodbye') {
        this.finish(message.cause);
        return;
      }
      this.handlers.message(message);
    }
  }

  /**
   * Keeps part frames until the data frame that ends them, then hands on the whole user frame.
   * Undefined while parts gather; 'fail' once the connection failed (too large, or a part not
   * followed by data).
   */
  private assemble(message: WireMessage): WireMessage | undefined | 'fail' {
    if (message.kind !== 'part' && message.kind !== 'data') {
      if (this.parts.length === 0 || message.kind === 'goodbye') return message;
      this.fail({ reason: 'error', detail: `${message.kind} frame inside a parted frame` });
      return 'fail';
    }
    if (this.parts.length === 0 && message.kind === 'data') return message;
    this.partsBytes += message.frame.length;
    if (this.partsBytes > this.limits.frameBytesMax) {
      const detail = `parted frame of more than ${this.limits.frameBytesMax} bytes`;
      this.fail({ reason: 'error', detail });
      return 'fail';
    }
    this.parts.push(message.frame);
    if (message.kind === 'part') return undefined;
    const frame = Buffer.concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    return { kind: 'data', frame };
  }

  /** This end found the stream unreadable: tell the peer why, then report it. */
  private fail(cause: CloseCause): void {
    this.close({ kind: 'goodbye', cause });
    this.handlers.end(cause);
  }

  private finish(cause: CloseCause): void {
    if (this.finished) return;
    this.finished = true;
    this.release(undefined);
    this.handlers.end(cause);
  }
}

function causeOfSocketError(error: Error): CloseCause {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') return { reason: 'reset', detail: code };
  return { reason: 'error', detail: error.message };
}
