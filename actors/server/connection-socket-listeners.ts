// The listeners that carry a socket's events to its client connection. They are shared by every
// connection (four closures fewer each) and find their connection on the socket itself.

import type { ClientSocket } from './connection-host.js';

/** What the listeners call on the connection a socket carries. */
export interface SocketEventsTarget {
  /** Bytes from the socket. */
  receive(chunk: Buffer): void;
  /** The socket closed. */
  socketGone(): void;
  /** The socket failed (a reset, say); it closes next. */
  socketFailed(): void;
  /** The replies waiting unsent went out. */
  handOver(): void;
}

const connectionOfSocket = Symbol('corral.clientConnection');

interface SocketWithConnection {
  [connectionOfSocket]?: SocketEventsTarget;
}

/** Routes the socket's data, error, close and drain events to `connection`. */
export function listenOnSocket(socket: ClientSocket, connection: SocketEventsTarget): void {
  (socket as SocketWithConnection)[connectionOfSocket] = connection;
  socket.on('data', receiveOnSocket);
  socket.on('error', failOnSocket);
  socket.on('close', closeOnSocket);
  socket.on('drain', handOverOnSocket);
}

// Listeners called with the socket as `this`.
function receiveOnSocket(this: SocketWithConnection, chunk: Buffer): void {
  this[connectionOfSocket]?.receive(chunk);
}

function closeOnSocket(this: SocketWithConnection): void {
  this[connectionOfSocket]?.socketGone();
}

function failOnSocket(this: SocketWithConnection): void {
  this[connectionOfSocket]?.socketFailed();
}

/** The replies waiting unsent went out: hand over what was held back, read again. */
function handOverOnSocket(this: SocketWithConnection): void {
  this[connectionOfSocket]?.handOver();
}
