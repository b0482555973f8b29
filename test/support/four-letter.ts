// Sends a four-letter word to a server's client port (or, with `tls`, its secure client port)
// and returns its whole answer.

import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** What a four-letter word needs to pass a secure client port: the CA, and with
 * ssl.clientAuth=need a client certificate and its key. */
export type FourLetterTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key'>;

export async function fourLetterWord(
  port: number,
  /** The word, or raw bytes (stmk's word with its 8-byte mask). */
  word: string | Buffer,
  timeoutMs = 5000,
  host = '127.0.0.1',
  tls?: FourLetterTls,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls === undefined
      ? connect({ host, port })
      : connectTls({ host, port, ...tls, servername: '' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} on ${port}`));
    }, timeoutMs);
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => socket.write(word));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Polls `srvr` until the server answers with a Mode line. */
export async function waitForServing(
  port: number,
  timeoutMs: number,
  host = '127.0.0.1',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if ((await fourLetterWord(port, 'srvr', 2000, host)).includes('Mode:')) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server on ${port} not serving after ${timeoutMs} ms: ${String(last)}`);
}
