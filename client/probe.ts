// The client's probes. The read-write probe (ZooKeeper's ClientCnxn.pingRwServer): while
// connected to a read-only server, ask another server `isro` on a connection of its own; `rw`
// means it serves the quorum and the client should move there. The site probe asks the same of
// an own-site server while the client is served elsewhere. Bounded by a timeout, as ZooKeeper's
// 1 s read.

import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ServerAddress } from '../machines/client-connection.js';
import { ConnectionLossError } from '../protocol/errors.js';
import type { ClientTlsOptions } from './types.js';

/** ClientCnxn sets a 1 s socket timeout on the probe. */
export const probeTimeoutMs = 1_000;
/** `rw` or `ro` (and a newline from some servers): anything longer is not an answer. */
const answerBytesMax = 64;
/** `srvr` prints a dozen short lines; more is not a `srvr` answer. */
const serverStatusBytesMax = 4_096;

/** Resolves with the server's answer to `isro`, trimmed; rejects when it gives none in time. */
export function probeReadWrite(
  server: ServerAddress,
  tls: ClientTlsOptions | undefined,
  signal: AbortSignal,
): Promise<string> {
  return askFourLetterWord(server, 'isro', answerBytesMax, tls, signal);
}

/**
 * Whether a server of the client's own site serves the quorum: 'rw', 'ro' (read-only) or 'null'
 * (not serving). `isro` answers that exactly, but ZooKeeper and corral whitelist it only with
 * readonlymode.enabled; otherwise `srvr`, which every whitelist allows (zkServer.sh status needs
 * it), says it in its Mode line.
 */
export async function probeServing(
  server: ServerAddress,
  tls: ClientTlsOptions | undefined,
  signal: AbortSignal,
): Promise<string> {
  const answer = await askFourLetterWord(server, 'isro', answerBytesMax, tls, signal)
    .catch((error: unknown) => {
      // A whitelist refusal longer than an answer is still a refusal: ask srvr instead.
      if (error instanceof ConnectionLossError && error.message === notAnAnswer) return '';
      throw error;
    });
  if (answer === 'rw' || answer === 'ro' || answer === 'null') return answer;
  const status = await askFourLetterWord(server, 'srvr', serverStatusBytesMax, tls, signal);
  const mode = /^Mode: (\S+)/m.exec(status)?.[1];
  if (mode === undefined) return 'null';
  return mode === 'read-only' ? 'ro' : 'rw';
}

const notAnAnswer = 'not a four-letter-word answer';

/** Sends `word` on a connection of its own; resolves with the answer, trimmed. */
function askFourLetterWord(
  server: ServerAddress,
  word: string,
  bytesMax: number,
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
    const timer = setTimeout(() => finish(new ConnectionLossError(`no answer to ${word}`)),
      probeTimeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.length > bytesMax) finish(new ConnectionLossError(notAnAnswer));
    });
    socket.on('end', () => finish());
    socket.on('error', (error) => finish(error));
  });
}
