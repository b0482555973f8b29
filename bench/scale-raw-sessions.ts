// Many ZooKeeper sessions held as cheaply as a client can: one socket each, the connect
// handshake and the few requests the scale benchmark needs written by hand (ZooKeeper's jute
// layout: connect request, ping, getData with a watch), one shared ping timer. What the sessions
// row and the herd row measure is the server's cost per session, so the client keeps no more
// than a socket, a frame decoder and a counter per session.

import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../client/frame-decoder.js';

/** The opcodes and special xids of ZooKeeper's client protocol that these sessions use. */
const opcodeGetData = 4;
const opcodePing = 11;
const xidNotification = -1;
const xidPing = -2;
const passwordBytes = 16;
const frameBytesMax = 1 << 20;

/** The connect request: protocol version, last zxid seen, timeout, session id, password, r/o. */
function connectFrame(timeoutMs: number): Buffer {
  const frame = Buffer.alloc(4 + 4 + 8 + 4 + 8 + 4 + passwordBytes + 1);
  let offset = frame.writeInt32BE(frame.length - 4, 0);
  offset = frame.writeInt32BE(0, offset);
  offset = frame.writeBigInt64BE(0n, offset);
  offset = frame.writeInt32BE(timeoutMs, offset);
  offset = frame.writeBigInt64BE(0n, offset);
  offset = frame.writeInt32BE(passwordBytes, offset);
  frame.writeUInt8(0, offset + passwordBytes);
  return frame;
}

const pingFrame = (() => {
  const frame = Buffer.alloc(12);
  frame.writeInt32BE(8, 0);
  frame.writeInt32BE(xidPing, 4);
  frame.writeInt32BE(opcodePing, 8);
  return frame;
})();

/** getData(path, watch) with the given xid. */
function getDataFrame(xid: number, path: string, watch: boolean): Buffer {
  const pathBytes = Buffer.from(path, 'utf8');
  const frame = Buffer.alloc(4 + 8 + 4 + pathBytes.length + 1);
  let offset = frame.writeInt32BE(frame.length - 4, 0);
  offset = frame.writeInt32BE(xid, offset);
  offset = frame.writeInt32BE(opcodeGetData, offset);
  offset = frame.writeInt32BE(pathBytes.length, offset);
  offset += pathBytes.copy(frame, offset);
  frame.writeUInt8(watch ? 1 : 0, offset);
  return frame;
}

/** A wall-clock instant in ms that two threads of this process compare alike. */
export function nowAbsoluteMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface RawSessionPoolOptions {
  host: string;
  port: number;
  /** Requested session timeout; pings go out every third of it. */
  timeoutMs: number;
  /** Handshakes in flight at once while opening. */
  openWindow: number;
  /** How long one handshake may take before the whole open fails. */
  handshakeTimeoutMs: number;
}

export interface OpenFigures {
  sessions: number;
  startedAtMs: number;
  endedAtMs: number;
}

/** Sessions over raw sockets; every socket error fails the pool (the benchmark then stops). */
export class RawSessionPool {
  private readonly sockets: Socket[] = [];
  private pingTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private closing = false;
  private repliesAwaited = 0;
  private onAllReplied: (() => void) | undefined;
  notifications = 0;
  lastNotificationAtMs = 0;

  constructor(private readonly options: RawSessionPoolOptions) {}

  /** Opens `count` sessions, `openWindow` handshakes at a time. */
  async open(count: number): Promise<OpenFigures> {
    const startedAtMs = nowAbsoluteMs();
    // Pinging starts now: opening 10k sessions on a loaded machine can outlast a session timeout.
    const intervalMs = Math.max(1, Math.floor(this.options.timeoutMs / 3));
    this.pingTimer ??= setInterval(() => this.ping(), intervalMs);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < count) {
        next++;
        this.sockets.push(await this.openOne());
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.openWindow, count) }, lane));
    const endedAtMs = nowAbsoluteMs();
    return { sessions: this.sockets.length, startedAtMs, endedAtMs };
  }

  /** Sets a data watch on `path` from every session; resolves once every reply arrived. */
  watch(path: string): Promise<void> {
    this.throwIfFailed();
    this.repliesAwaited = this.sockets.length;
    const replied = new Promise<void>((done) => (this.onAllReplied = done));
    for (const socket of this.sockets) socket.write(getDataFrame(1, path, true));
    return replied;
  }

  /** Sessions whose socket is still open. */
  get openSessions(): number {
    return this.sockets.filter((socket) => !socket.destroyed).length;
  }

  /** The first socket error or early close, if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  close(): void {
    this.closing = true;
    clearInterval(this.pingTimer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.length = 0;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private ping(): void {
    for (const socket of this.sockets) socket.write(pingFrame);
  }

  private openOne(): Promise<Socket> {
    const { host, port, timeoutMs, handshakeTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      let open = false;
      const timer = setTimeout(() => socket.destroy(new Error('handshake timed out')),
        handshakeTimeoutMs);
      const decoder = new FrameDecoder(frameBytesMax, (frame) => {
        if (open) return this.handleFrame(frame);
        open = true;
        clearTimeout(timer);
        // The connect response's second field is the negotiated timeout; 0 means refused.
        if (frame.readInt32BE(4) <= 0) socket.destroy(new Error('session refused'));
        else resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      socket.once('connect', () => socket.write(connectFrame(timeoutMs)));
      socket.on('error', (error) => {
        clearTimeout(timer);
        this.failure ??= error;
        reject(error);
      });
      socket.on('close', () => {
        if (!open) return reject(new Error('closed during handshake'));
        if (!this.closing) this.failure ??= new Error('the server closed a session');
      });
    });
  }

  private handleFrame(frame: Buffer): void {
    const xid = frame.readInt32BE(0);
    if (xid === xidNotification) {
      this.notifications++;
      this.lastNotificationAtMs = nowAbsoluteMs();
      return;
    }
    if (xid === xidPing) return;
    // The reply header: xid, zxid, err.
    const err = frame.readInt32BE(12);
    if (err !== 0) this.failure ??= new Error(`a watching getData failed with ${err}`);
    if (--this.repliesAwaited === 0) this.onAllReplied?.();
  }
}
