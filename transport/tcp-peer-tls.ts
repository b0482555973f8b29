// Quorum TLS for the peer transport (ZooKeeper's sslQuorum): mutual TLS on every peer socket,
// dialed and accepted, with port unification (a quorum port that also takes plaintext peers, for
// a rolling switch to TLS) and a secure context that can be replaced when the certificate files
// change. The peer protocol above it is the same bytes either way.
import { connect, isIP, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as connectTls,
  createSecureContext,
  createServer as createTlsServer,
  type SecureContext,
  type SecureContextOptions,
  type Server as TlsServer,
} from 'node:tls';
import type { TcpPeerAddress } from './tcp-peer-options.js';
import { replayingStream } from './tls/replaying-stream.js';
import { acceptFailure } from './tls/accept-failure.js';

/** The first byte of a TLS record that carries a handshake: every ClientHello starts with it. */
const tlsHandshakeRecordType = 0x16;

export interface PeerTlsOptions {
  /** Key, certificate and trust (CA) for both ends of every peer connection. */
  secureContext: SecureContextOptions;
  /** sslQuorum: dial peers over TLS. */
  dialTls: boolean;
  /** portUnification: accept plaintext peers beside TLS ones (otherwise TLS only, with dialTls;
   * plaintext only without it). */
  portUnification: boolean;
  /** ssl.quorum.hostnameVerification: a dialer checks the peer's certificate names its host. */
  hostnameVerification: boolean;
  /** How long a unified port waits for a peer's first byte to tell TLS from plaintext. */
  detectionTimeoutMs: number;
}

/** Makes and accepts peer sockets, plain or TLS as configured. */
export class PeerSockets {
  private context: SecureContext | undefined;
  /** Never listens: accepted sockets are handed to it, so it runs the server side of TLS and
   * refuses a peer whose certificate the trust store does not vouch for. */
  private readonly tlsServer: TlsServer | undefined;

  /**
   * `ready` gets each accepted socket to speak the peer protocol over (TLS ones once their
   * handshake succeeded); `refused` hears why one was turned away before that, and why a dialed
   * peer failed our side of the TLS handshake (its certificate, most often).
   */
  constructor(
    private readonly tls: PeerTlsOptions | undefined,
    private readonly ready: (socket: Socket) => void,
    private readonly refused: (remote: string | undefined, detail: string) => void,
  ) {
    if (tls === undefined) return;
    this.context = createSecureContext(tls.secureContext);
    this.tlsServer = createTlsServer({
      ...tls.secureContext,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: tls.detectionTimeoutMs,
    });
    this.tlsServer.on('secureConnection', (socket) => this.ready(socket));
    this.tlsServer.on('tlsClientError', (error, socket) =>
      this.refused(socket.remoteAddress, `TLS: ${acceptFailure(error, socket)}`),
    );
  }

  /** Certificate files changed: new connections (both ways) use the new material. */
  setSecureContext(options: SecureContextOptions): void {
    this.context = createSecureContext(options);
    this.tlsServer?.setSecureContext(options);
  }

  dial(address: TcpPeerAddress): Socket {
    const tls = this.tls;
    if (tls === undefined || !tls.dialTls) {
      return connect({ host: address.host, port: address.port });
    }
    const socket = connectTls({
      host: address.host,
      port: address.port,
      secureContext: this.context,
      ...(isIP(address.host) === 0 ? { servername: address.host } : {}),
      rejectUnauthorized: true,
      checkServerIdentity: tls.hostnameVerification ? checkServerIdentity : () => undefined,
    });
    // A peer that is down or restarting fails the TCP connect and is redialed quietly; one that
    // answers and then fails the handshake on our side (a certificate the trust store does not
    // vouch for, a name that does not match, plaintext) is refused, and the operator hears it.
    let stage: 'connecting' | 'handshaking' | 'secured' = 'connecting';
    socket.once('connect', () => (stage = 'handshaking'));
    socket.once('secureConnect', () => (stage = 'secured'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A reset mid-handshake is the peer refusing us: its log says why, not ours.
      if (stage !== 'handshaking' || error.code === 'ECONNRESET') return;
      const code = error.code === undefined ? '' : ` (${error.code})`;
      this.refused(`${address.host}:${address.port}`, `TLS: ${error.message}${code}`);
    });
    return socket;
  }

  /** An accepted socket: wrapped in TLS, or handed on as is when plaintext is allowed. */
  accept(accepted: Socket): void {
    const tls = this.tls;
    const tlsServer = this.tlsServer;
    if (tls === undefined || tlsServer === undefined) {
      this.ready(accepted);
      return;
    }
    if (!tls.portUnification) {
      if (tls.dialTls) tlsServer.emit('connection', accepted);
      else this.ready(accepted);
      return;
    }
    // Unified port: the first byte says which, and nothing read is lost.
    const timer = setTimeout(() => {
      accepted.destroy();
      this.refused(accepted.remoteAddress, 'no first byte to tell TLS from plaintext');
    }, tls.detectionTimeoutMs);
    accepted.once('error', () => clearTimeout(timer));
    accepted.once('close', () => clearTimeout(timer));
    accepted.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      accepted.pause();
      if (chunk[0] === tlsHandshakeRecordType) {
        accepted.setNoDelay(true);
        tlsServer.emit('connection', replayingStream(accepted, chunk));
      } else {
        accepted.unshift(chunk);
        this.ready(accepted);
        accepted.resume();
      }
    });
  }
}
