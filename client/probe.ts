// The client's read-write probe (ZooKeeper's ClientCnxn.pingRwServer): while connected to a
// read-only server, ask another server `isro` on a connection of its own; `rw` means it serves
// the quorum and the client should move there. Bounded by a timeout, as ZooKeeper's 1 s read.

import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ServerAddress } from '../machines/client-connection.js';
import { ConnectionLossError } from '../protocol/errors.js';
import type { ClientTlsOptions } from './types.js';

/** ClientCnxn sets a 1 s socket timeout on the probe. */
export const probeTimeoutMs = 1_000;
/** `rw` or `ro` (and a newline from some servers): anything longer is not an answer. */
const answerBytesMax = 64;

/** Resolves with the server's answer to `isro`, trimmed; rejects when it gives none in time. */
export function probeReadWrite(
  server: ServerAddress,
  tls: ClientTlsOptions | undefined,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls === undefined
      ? connect({ host: server.host, port: server.port })
      : connectTls({
        host: server.host,
        port: server.port,
        ...tls,
        servername: tls.servername ?? (isIP(server.host) ? '' : server.host),
      });
    let answer = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve(answer.trim());
      else reject(error);
    };
    const onAbort = (): void => finish(new ConnectionLossError('probe abandoned'));
    const timer = setTimeout(() => finish(new ConnectionLossError('no answer to isro')),
      probeTimeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => socket.end('isro'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.length > answerBytesMax) finish(new ConnectionLossError('not an isro answer'));
    });
    socket.on('end', () => finish());
    socket.on('error', (error) => finish(error));
  });
}
