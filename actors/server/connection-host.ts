// What a client connection needs from around it: the socket it reads and writes (node's or the
// simulator's), the timers its deadlines run on, and what its host shares with it; and two small
// readings of the wire it makes (a pure read, a client's address as ZooKeeper shows it).

import { OpCode } from '../../protocol/constants.js';
import type { ServerRequestsInFlight, ThrottleLimits } from './connection-throttle.js';
import type { RequestQueue } from './request-queue.js';

/**
 * The socket methods a connection uses: node's net.Socket has them unchanged, and so does the
 * simulator's in-memory socket (transport/memory-client-socket.ts). Listeners are called with
 * the socket as `this`, as an EventEmitter calls them.
 */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Bytes written and not yet handed to the kernel (or, in memory, to the peer). */
  readonly writableLength: number;
  /** A write that leaves more than this buffered returns false, and 'drain' follows. */
  readonly writableHighWaterMark: number;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  /** Said once what was written is all handed on, after a write returned false. */
  on(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  write(chunk: Buffer): unknown;
  end(): unknown;
  end(chunk: Buffer | string): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  cork(): void;
  uncork(): void;
  setNoDelay(noDelay?: boolean): unknown;
}

/** Timers a connection's deadlines run on: the system's, or the simulator's clock. */
export interface ConnectionClock {
  setTimeout(work: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The system's timers, unreferenced: a connection's deadline never keeps a process alive. */
export const systemConnectionClock: ConnectionClock = {
  setTimeout: (work, delayMs) => setTimeout(work, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Builds a connection's reply queue (the simulator passes deliberately broken variants). */
export type RequestQueueFactory = (...queue: ConstructorParameters<typeof RequestQueue>) =>
  RequestQueue;

/**
 * What the host around a connection provides: its timers, the count of requests in flight it
 * shares with the server's other connections and, optionally, its reply queue.
 */
export interface ConnectionHost {
  clock: ConnectionClock;
  requestsInFlight?: ServerRequestsInFlight;
  requestQueue?: RequestQueueFactory;
  /** Runs work after the current turn (a large frame's chunks); setImmediate by default. */
  nextTurn?: (work: () => void) => void;
}

export interface ConnectionLimits extends ThrottleLimits {
  frameBytesMax: number;
}

/** Requests answered from the tree alone, changing nothing (opcode after the 4-byte xid). */
const pureReadOpcodes: ReadonlySet<number> = new Set([
  OpCode.exists,
  OpCode.getData,
  OpCode.getACL,
  OpCode.getChildren,
  OpCode.getChildren2,
  OpCode.ping,
  OpCode.multiRead,
  OpCode.getEphemerals,
  OpCode.getAllChildrenNumber,
  OpCode.whoAmI,
]);

export function isPureRead(frame: Buffer): boolean {
  return frame.length >= 8 && pureReadOpcodes.has(frame.readInt32BE(4));
}

/** IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d; ZooKeeper shows a.b.c.d. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Whether a normalised address is this machine's (Java's InetAddress.isLoopbackAddress). */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
