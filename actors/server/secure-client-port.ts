// The secure client port (ZooKeeper's secureClientPort on NettyServerCnxnFactory): a TLS
// listener whose connections become ordinary client connections once the handshake is done and
// the client's certificate passed ssl.clientAuth, carrying the x509 id of that certificate. With
// client.portUnification the plaintext port hands over sockets that open with a TLS handshake.

import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { acceptFailure } from '../../transport/tls/accept-failure.js';
import type { Logger } from 'pino';
import type { Id } from '../../protocol/records.js';
import {
  certificateSubjectName,
  loadSecureContextOptions,
  tlsHandshakeRecordType,
  TlsFileWatcher,
  type TlsSettings,
} from '../../transport/tls/index.js';

export interface SecureClientPortOptions {
  settings: TlsSettings;
  /** Reload the stores when their files change (client.certReload). */
  reload: boolean;
  /** A handshake not done by then is dropped (ZooKeeper's sessionless connection limit). */
  handshakeTimeoutMs: number;
  logger: Logger;
  /** The subject that is also the super user (X509AuthenticationProvider.superUser). */
  superUser: string | undefined;
  /** A client passed the handshake: make it a client connection holding `ids`. */
  accept: (socket: TLSSocket, ids: Id[]) => void;
  /**
   * A client was turned away: its handshake failed (`handshakeFailed`: an error, a timeout, an
   * untrusted certificate) or its certificate could not be made an x509 id.
   */
  refused?: (handshakeFailed: boolean) => void;
}

export class SecureClientPort {
  private readonly server: Server;
  private readonly watcher: TlsFileWatcher | undefined;

  constructor(private readonly options: SecureClientPortOptions) {
    const { settings, logger } = options;
    const clientAuth = settings.clientAuth;
    this.server = createServer(
      {
        ...loadSecureContextOptions(settings),
        requestCert: clientAuth !== 'none',
        // need: the handshake itself refuses a missing or untrusted certificate. want: checked
        // after it (verify), since an absent certificate is allowed there.
        rejectUnauthorized: clientAuth === 'need',
        handshakeTimeout: options.handshakeTimeoutMs,
      },
      (socket) => this.verify(socket),
    );
    this.server.on('tlsClientError', (error, socket) => {
      options.refused?.(true);
      logger.info({ address: socket.remoteAddress, error: acceptFailure(error, socket) },
        'TLS handshake with a client failed');
    });
    this.watcher = options.reload
      ? new TlsFileWatcher(settings, {
        reloaded: (contextOptions) => {
          this.server.setSecureContext(contextOptions);
          logger.info('client TLS key and trust stores reloaded');
        },
        failed: (error) => logger.warn({ error: error.message },
          'client TLS stores changed but could not be loaded; the previous ones stay in force'),
      })
      : undefined;
  }

  /**
   * NettyServerCnxnFactory.CertificateVerifier: a certificate the trust store does not vouch for
   * closes the connection even when ssl.clientAuth=want (Java's trust manager fails the
   * handshake); a trusted one earns `x509:<subject>` (and `super:<subject>` for the super user).
   */
  private verify(socket: TLSSocket): void {
    const certificate = socket.getPeerCertificate();
    const presented = certificate !== null && certificate.raw !== undefined;
    if (presented && !socket.authorized) {
      this.options.logger.info(
        { address: socket.remoteAddress, error: String(socket.authorizationError) },
        'client certificate not trusted');
      this.options.refused?.(true);
      socket.destroy();
      return;
    }
    if (!presented) {
      if (this.options.settings.clientAuth === 'need') {
        this.options.refused?.(true);
        socket.destroy();
        return;
      }
      this.options.accept(socket, []);
      return;
    }
    let subject: string;
    try {
      subject = certificateSubjectName(certificate.raw);
    } catch (error) {
      this.options.logger.info({ address: socket.remoteAddress, error: String(error) },
        'client certificate subject unreadable');
      this.options.refused?.(false);
      socket.destroy();
      return;
    }
    const ids: Id[] = [];
    if (subject === this.options.superUser) ids.push({ scheme: 'super', id: subject });
    ids.push({ scheme: 'x509', id: subject });
    this.options.logger.debug({ address: socket.remoteAddress, subject }, 'x509 client');
    this.options.accept(socket, ids);
  }

  async listen(port: number, address: string): Promise<{ address: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') throw new Error('listener has no port');
    return { address: bound.address, port: bound.port };
  }

  /** A plaintext port's socket whose first byte opened a TLS handshake: serve it here. */
  takeOver(socket: Socket): void {
    this.server.emit('connection', socket);
  }

  async close(): Promise<void> {
    this.watcher?.close();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * client.portUnification (NettyServerCnxnFactory.DualModeSslHandler): waits for the socket's
 * first byte and hands the socket to `tls` when it opens a TLS record (0x16), to `plain`
 * otherwise, with that byte put back. A socket silent for `timeoutMs` is closed.
 */
export function detectTls(
  socket: Socket,
  timeoutMs: number,
  tls: (socket: Socket) => void,
  plain: (socket: Socket) => void,
): void {
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('error', () => socket.destroy());
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.pause();
    socket.unshift(chunk);
    if (chunk[0] === tlsHandshakeRecordType) {
      tls(socket);
    } else {
      plain(socket);
      socket.resume();
    }
  });
}
