// The reason a TLS server's handshake with a connecting peer failed, fit for a log line.
import type { TLSSocket } from 'node:tls';

/**
 * Why an accepted peer (or client) failed the handshake. Node checks a client certificate only once
 * the handshake is done and, refusing it, closes the socket, which reports a bare "socket hang up";
 * the verification error it found is left in the socket's authorizationError.
 */
export function acceptFailure(error: Error, socket: TLSSocket): string {
  // Typed as an Error, but Node stores the OpenSSL verification code there as a string.
  const reason: unknown = socket.authorizationError;
  if (reason === undefined || reason === null) return error.message;
  return `certificate not trusted (${reason instanceof Error ? reason.message : String(reason)})`;
}
