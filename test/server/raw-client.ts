// A raw ZooKeeper wire client for server tests: one TCP socket, the protocol codecs, and every
// frame kept in arrival order (replies and watch events), so tests can send exact (even broken)
// bytes and assert what came back, and in which order. Not a real client: no reconnect, no pings.

import { connect, type Socket } from 'node:net';
import { OpCode } from '../../protocol/constants.js';
import { JuteReader, JuteWriter } from '../../protocol/jute.js';
import {
  readConnectResponse,
  writeConnectRequest,
  type ConnectResponse,
  type ReplyHeader,
  type WatcherEvent,
} from '../../protocol/records.js';
import { encodeRequest, opcodeOf, type ClientRequest } from '../../protocol/requests.js';
import {
  readReplyHeader,
  readResponseBody,
  readWatcherEvent,
  type ResponseBody,
} from '../../protocol/responses.js';
import { FrameDecoder } from '../../transport/frame-decoder.js';

export type Received =
  | { kind: 'reply'; header: ReplyHeader; body: ResponseBody }
  | { kind: 'event'; event: WatcherEvent };

export interface HandshakeOptions {
  sessionId?: bigint;
  password?: Buffer;
  timeoutMs?: number;
  lastZxidSeen?: number;
  /** The ConnectRequest's readOnly flag: the client accepts a read-only server. */
  readOnly?: boolean;
  /** Sent instead of the ConnectRequest built from the options above (broken handshakes). */
  connectFrame?: Buffer;
}

/** How long a test waits for any one frame before it calls the server silent. */
const frameWaitMsDefault = 5000;

export class RawClient {
  /** Every frame after the handshake, decoded, in arrival order. */
  readonly received: Received[] = [];
  private readonly frames: Buffer[] = [];
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private readonly opcodes = new Map<number, number>();
  private readonly wakers = new Set<() => void>();
  private handshakeDone = false;
  private cursor = 0;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wakeAll();
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if (this.handshakeDone) this.decode(frame);
        else this.frames.push(frame);
      }
      this.wakeAll();
    });
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Opens a socket and completes a handshake; throws unless a session was granted. */
  static async session(
    port: number,
    options: HandshakeOptions = {},
    host = '127.0.0.1',
  ): Promise<RawClient> {
    const client = await RawClient.open(port, host);
    const response = await client.handshake(options);
    if (response === 'closed' || response.timeout === 0) {
      client.destroy();
      throw new Error(`no session: ${JSON.stringify(response, bigintJson)}`);
    }
    return client;
  }

  write(bytes: Buffer | Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends a ConnectRequest; resolves with the ConnectResponse, or 'closed' on a hang-up. */
  async handshake(options: HandshakeOptions = {}): Promise<ConnectResponse | 'closed'> {
    const writer = new JuteWriter(64);
    writeConnectRequest(writer, {
      protocolVersion: 0,
      lastZxidSeen: options.lastZxidSeen ?? 0,
      timeout: options.timeoutMs ?? 30_000,
      sessionId: options.sessionId ?? 0n,
      password: options.password ?? Buffer.alloc(16),
      readOnly: options.readOnly ?? false,
    });
    this.write(options.connectFrame ?? writer.frame());
    const frame = await this.until(() => this.frames.shift(), frameWaitMsDefault);
    if (frame === undefined) return 'closed';
    this.handshakeDone = true;
    for (const rest of this.frames.splice(0)) this.decode(rest);
    return readConnectResponse(new JuteReader(frame));
  }

  /** Sends a request without waiting (pipelining). */
  send(xid: number, request: ClientRequest): void {
    this.opcodes.set(xid, opcodeOf(request));
    this.write(encodeRequest(xid, request));
  }

  /** Sends a request and waits for the reply with its xid. */
  async call(xid: number, request: ClientRequest, timeoutMs = frameWaitMsDefault) {
    this.send(xid, request);
    return this.replyTo(xid, timeoutMs);
  }

  /** Waits for the reply with this xid (consuming nothing). Throws if the server goes quiet. */
  async replyTo(xid: number, timeoutMs = frameWaitMsDefault) {
    const found = await this.until(() => this.find(xid), timeoutMs);
    if (found === undefined) throw new Error(`no reply to xid ${xid} (closed: ${this.closed})`);
    return found;
  }

  /** The next received entry after the previous `next()`, in arrival order. */
  async next(timeoutMs = frameWaitMsDefault): Promise<Received | undefined> {
    const entry = await this.until(() => this.received[this.cursor], timeoutMs);
    if (entry !== undefined) this.cursor++;
    return entry;
  }

  events(): WatcherEvent[] {
    return this.received.flatMap((entry) => (entry.kind === 'event' ? [entry.event] : []));
  }

  /** Waits until `count` watch events have arrived; returns them all. */
  async waitForEvents(count: number, timeoutMs = frameWaitMsDefault): Promise<WatcherEvent[]> {
    await this.until(() => (this.events().length >= count ? true : undefined), timeoutMs);
    return this.events();
  }

  /** True once the server has closed the socket, false if it is still open after the wait. */
  async waitClosed(timeoutMs = frameWaitMsDefault): Promise<boolean> {
    await this.until(() => (this.closed ? true : undefined), timeoutMs);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private find(xid: number) {
    for (const entry of this.received) {
      if (entry.kind === 'reply' && entry.header.xid === xid) return entry;
    }
    return undefined;
  }

  private decode(frame: Buffer): void {
    const reader = new JuteReader(frame);
    const header = readReplyHeader(reader);
    if (header.xid === -1) {
      this.received.push({ kind: 'event', event: readWatcherEvent(reader) });
      return;
    }
    const opcode = header.xid === -2 ? OpCode.ping : this.opcodes.get(header.xid);
    const body = header.err === 0 && opcode !== undefined ? readResponseBody(opcode, reader) : none;
    this.received.push({ kind: 'reply', header, body });
  }

  /** Polls `probe` on every frame or close until it yields a value, or the time is up. */
  private async until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return probe();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.wakers.add(wake);
      });
    }
  }
}

const none: ResponseBody = { kind: 'none' };

export function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Resident set size of a process in kB, from /proc (Linux). */
export async function residentKb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
