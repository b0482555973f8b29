// What a client connection proves about itself: `auth` packets (digest), SASL DIGEST-MD5
// exchanges (opcode 102) and ZooKeeper's enforce.auth.enabled check before any other request.
// Answers go on the connection's queue in order with its other replies, with zxid 0 as
// ZooKeeper answers auth and sasl packets outside its pipeline.

import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import type { Id } from '../../protocol/records.js';
import type { AuthRequest, SaslRequest } from '../../protocol/requests.js';
import { encodeReply, type ResponseBody } from '../../protocol/responses.js';
import type { ServerConfig } from '../config/config.js';
import { digestAuthIds } from './auth/digest.js';
import { DigestMd5Server, saslAuthIds } from './auth/sasl-digest-md5.js';
import { SaslAuthenticationError } from './auth/sasl-errors.js';
import type { ClientConnection } from './client-connection.js';
import { reply } from './replies.js';

export class ClientAuthentication {
  /** SASL exchanges under way, by connection id. */
  private readonly saslServers = new Map<number, DigestMd5Server>();

  constructor(
    private readonly settings: ServerConfig,
    private readonly logger: Logger,
    private readonly randomBytes: (count: number) => Buffer,
    /** Closes the connection once what is queued on it has been written. */
    private readonly closeConnection: (connectionId: number) => void,
  ) {}

  /** `auth` packets: digest (and ZooKeeper's ip scheme, which needs no packet). */
  authenticate(connection: ClientConnection, xid: number, request: AuthRequest): void {
    let ids: Id[] | undefined;
    if (request.scheme === 'digest') {
      try {
        ids = digestAuthIds(request.auth, this.settings.superDigest);
      } catch {
        ids = undefined;
      }
    }
    if (ids === undefined) {
      // ZooKeeper answers AuthFailed and closes the connection.
      connection.queue.pushRead(() => reply(xid, 0, ErrorCode.authFailed));
      this.closeConnection(connection.id);
      return;
    }
    connection.addAuthIds(ids);
    // ZooKeeper answers auth (and sasl) packets outside the pipeline, with zxid 0.
    connection.queue.pushRead(() => reply(xid, 0, 0));
  }

  /**
   * AuthenticationHelper.enforceAuthentication: with enforce.auth.enabled, a connection must hold
   * an id of one of enforce.auth.schemes before any request but auth and sasl packets.
   */
  isAuthenticatedEnough(connection: ClientConnection): boolean {
    if (!this.settings.enforceAuthEnabled) return true;
    const schemes = this.settings.enforceAuthSchemes;
    return connection.auth.ids.some((id) => schemes.includes(id.scheme));
  }

  /** ZooKeeper answers SessionClosedRequireSaslAuth (zxid 0) and closes the connection; the
   * session lives on until it expires. */
  refuseUnauthenticated(connection: ClientConnection, xid: number): void {
    this.logger.warn({ connection: connection.id,
      schemes: connection.auth.ids.map((id) => id.scheme) },
    'request from a connection not authenticated by an enforced scheme; closing it');
    connection.queue.pushRead(() => reply(xid, 0, ErrorCode.sessionClosedRequireSaslAuth));
    this.closeConnection(connection.id);
  }

  /** One step of a SASL DIGEST-MD5 exchange (opcode 102). */
  saslStep(connection: ClientConnection, xid: number, request: SaslRequest): void {
    if (this.settings.jaasFile === undefined) {
      // No SASL login configured: ZooKeeper answers OK with a null token and authenticates no one.
      connection.queue.pushRead(() => reply(xid, 0, 0, { kind: 'token', token: null }));
      return;
    }
    let server = this.saslServers.get(connection.id);
    if (server === undefined) {
      server = new DigestMd5Server({ users: this.settings.digestUsers,
        randomBytes: this.randomBytes });
      this.saslServers.set(connection.id, server);
    }
    let body: ResponseBody;
    try {
      const evaluation = server.evaluate(request.token);
      body = { kind: 'token', token: evaluation.challenge };
      if (evaluation.complete && evaluation.authorizationId !== undefined) {
        connection.addAuthIds(saslAuthIds(evaluation.authorizationId, undefined));
        this.saslServers.delete(connection.id);
      }
    } catch (error) {
      if (!(error instanceof SaslAuthenticationError)) throw error;
      this.logger.warn({ connection: connection.id, error: error.message }, 'SASL failed');
      this.saslServers.delete(connection.id);
      // ZooKeeper's failed SASL reply still carries a (null) token, then the connection closes.
      connection.queue.pushRead(() =>
        encodeReply(
          { xid, zxid: 0, err: ErrorCode.authFailed },
          { kind: 'token', token: null },
          true,
        ),
      );
      this.closeConnection(connection.id);
      return;
    }
    connection.queue.pushRead(() => reply(xid, 0, 0, body));
  }

  /** The connection is gone: any SASL exchange it had under way with it. */
  connectionClosed(connectionId: number): void {
    this.saslServers.delete(connectionId);
  }
}
