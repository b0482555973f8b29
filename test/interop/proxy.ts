// A loopback TCP relay in front of a server, so a test can cut a client's connection without the
// client closing its session (node-zookeeper-client only ever closes a session on purpose) and
// later let it reconnect on the same port, to the same server or (retarget) another replica.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../support/ports.js';

export interface Relay {
  port: number;
  /** Stops listening and drops every relayed connection. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  /** Relays connections made from now on to another server port. */
  retarget(port: number): void;
}

export async function startRelay(initialTargetPort: number): Promise<Relay> {
  let targetPort = initialTargetPort;
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = async (): Promise<void> => {
    server = createServer((incoming) => {
      const outgoing = connect({ host: '127.0.0.1', port: targetPort });
      for (const socket of [incoming, outgoing]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      incoming.pipe(outgoing).pipe(incoming);
      incoming.on('close', () => outgoing.destroy());
      outgoing.on('close', () => incoming.destroy());
    });
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  };
  await listen();
  return {
    port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    resume: listen,
    retarget: (port) => {
      targetPort = port;
    },
  };
}
