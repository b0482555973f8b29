// The admin HTTP server (ZooKeeper's JettyAdminServer): GET <commandURL> lists the commands,
// GET <commandURL>/<name> runs one and answers JSON. Session ids and zxids are 64-bit, so they
// are written as JSON numbers from bigints, exactly as ZooKeeper's Jackson output has them.
// A command that changes state runs only for a request from this server's own origin that
// authenticates as ZooKeeper 3.9 asks (request-origin.ts, admin-auth.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { TLSSocket, type SecureContextOptions } from 'node:tls';
import { certificateSubjectName } from '../../transport/tls/index.js';
import { replayingStream } from '../../transport/tls/replaying-stream.js';
import { configure } from 'safe-stable-stringify';
import type { ACL } from '../../protocol/records.js';
import {
  adminCommandNames,
  runAdminCommand,
  type AdminGuard,
  type AdminView,
} from './admin-commands.js';
import { authorizeAdminCommand } from './admin-auth.js';
import { backupCommandNames, type AdminBackup } from './admin-backup.js';
import { answeredNames, foreignRequestProblem } from './request-origin.js';
import {
  machineEventsCommand,
  type MachineEventsEndpoint,
} from '../inspection/machine-events-sse.js';

const stringify = configure({ bigint: true, deterministic: false });

export interface AdminServerOptions {
  address: string;
  port: number;
  /** ZooKeeper's admin.commandURL, `/commands` by default. */
  commandUrl: string;
  /** The server's current figures, read for each request. */
  view: () => AdminView;
  /** The ACL of a znode in the server's tree (undefined when there is none): what an
   * authenticated command's ids are checked against. */
  aclOf: (path: string) => readonly ACL[] | undefined;
  /** DigestAuthenticationProvider.superDigest: its user passes every ACL. */
  superDigest: string | undefined;
  /** HTTPS (ZooKeeper's admin.forceHttps / admin.portUnification, with the quorum's stores). */
  tls?: AdminTls;
  /** The snapshot and restore commands (admin-backup.ts); absent, their names are unknown. */
  backup?: AdminBackup;
  /** GET <commandURL>/machine_events, the machine event stream (machine-events-sse.ts); absent,
   * its name is unknown. */
  machineEvents?: MachineEventsEndpoint;
}

export interface AdminTls {
  secureContext: SecureContextOptions;
  /** HTTPS only; otherwise the port takes both (admin.portUnification). */
  forceHttps: boolean;
  /** admin.needClientAuth: a client certificate the trust store vouches for is required. */
  needClientAuth: boolean;
}

/** The first byte of a TLS handshake record: how a unified port tells HTTPS from HTTP. */
const tlsHandshakeRecordType = 0x16;
const detectionTimeoutMs = 5_000;

export class AdminServerStartError extends Error {
  readonly key = 'admin.serverPort';
  constructor(address: string, port: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `cannot start the admin server on ${address}:${port} (admin.serverPort): ${reason}; ` +
        'choose another admin.serverPort or set admin.enableServer=false',
      { cause },
    );
    this.name = 'AdminServerStartError';
  }
}

function htmlError(response: ServerResponse, status: number, message: string): void {
  const body = `<html><head><title>Error ${status} ${message}</title></head>` +
    `<body><h2>HTTP ERROR ${status} ${message}</h2></body></html>\n`;
  response.writeHead(status, {
    'Content-Type': 'text/html;charset=utf-8',
    'Cache-Control': 'must-revalidate,no-cache,no-store',
  });
  response.end(body);
}

export class AdminServer {
  private readonly http: Server;
  private readonly base: string;
  /** Host names beyond IP addresses and localhost that requests may be addressed to. */
  private readonly names: readonly string[];

  /** HTTPS requests, when configured (fed by `listener` on a unified port). */
  private readonly https: Server | undefined;
  /** What listens on the port: the HTTP or HTTPS server, or the unified port's detector. */
  private readonly listener: Server | NetServer;

  constructor(private readonly options: AdminServerOptions) {
    this.base = options.commandUrl.replace(/\/+$/, '');
    this.names = answeredNames(options.address);
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.handle(request, response);
    this.http = createServer(handler);
    const tls = options.tls;
    this.https = tls === undefined ? undefined : createHttpsServer({
      ...tls.secureContext,
      requestCert: tls.needClientAuth,
      rejectUnauthorized: tls.needClientAuth,
    }, handler);
    for (const server of [this.http, this.https]) {
      if (server === undefined) continue;
      // An admin port is polled by probes: idle sockets and slow requests must not pile up.
      server.keepAliveTimeout = 5000;
      // No bound on a whole request: a restore's body arrives as fast as the restore goes,
      // for minutes when it is large; admin-backup.ts bounds its pauses instead.
      server.requestTimeout = 0;
      server.headersTimeout = 10_000;
    }
    if (tls === undefined || this.https === undefined) this.listener = this.http;
    else if (tls.forceHttps) this.listener = this.https;
    else this.listener = createNetServer((socket) => this.unify(socket));
  }

  /** admin.portUnification: the first byte says HTTPS or HTTP; nothing read is lost. */
  private unify(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), detectionTimeoutMs);
    socket.once('close', () => clearTimeout(timer));
    socket.once('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      const target = chunk[0] === tlsHandshakeRecordType ? this.https : this.http;
      target?.emit('connection', replayingStream(socket, chunk));
    });
  }

  async listen(): Promise<{ address: string; port: number }> {
    const { address, port } = this.options;
    const listener = this.listener;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void =>
        reject(new AdminServerStartError(address, port, error));
      listener.once('error', failed);
      listener.listen(port, address, () => {
        listener.off('error', failed);
        resolve();
      });
    });
    const bound = listener.address();
    if (bound === null || typeof bound === 'string') throw new Error('admin server has no port');
    return { address: bound.address, port: bound.port };
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.handleMachineEvents(request, response)) return;
    if (this.handleBackup(request, response)) return;
    // The other commands are GET commands; ZooKeeper 3.8 has no POST handler (405), and 3.9
    // runs only its POST commands (restore, above) for a POST.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      htmlError(response, 405, `HTTP method ${request.method ?? ''} is not supported by this URL`);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (path === this.base || path === `${this.base}/`) {
      const names = [
        ...adminCommandNames,
        ...(this.options.backup === undefined ? [] : ['restore', 'snapshot']),
        ...(this.options.machineEvents === undefined ? [] : [machineEventsCommand]),
      ].sort();
      const links = names.map((name) =>
        `<a href="${this.base}/${name}">${name}</a>\n<br/>\n`);
      response.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8' });
      response.end(links.join(''));
      return;
    }
    if (!path.startsWith(`${this.base}/`)) {
      htmlError(response, 404, 'Not Found');
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice(this.base.length + 1));
    } catch {
      htmlError(response, 400, 'Bad Request');
      return;
    }
    let body: string;
    let status: number;
    try {
      const result = runAdminCommand(name, this.options.view, url.searchParams,
        this.guard(request));
      status = result.status;
      body = `${stringify(result.body, null, 2) ?? '{}'}\n`;
    } catch (error) {
      htmlError(response, 500, String(error));
      return;
    }
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  /** machine_events, a stream of server-sent events rather than one JSON answer: true when
   * `request` names it and it is being answered. */
  private handleMachineEvents(request: IncomingMessage, response: ServerResponse): boolean {
    const endpoint = this.options.machineEvents;
    if (endpoint === undefined) return false;
    const url = new URL(request.url ?? '/', 'http://admin');
    if (url.pathname !== `${this.base}/${machineEventsCommand}`) return false;
    endpoint.handle(request, response, url, this.names);
    return true;
  }

  /** snapshot and restore, which stream bodies in or out (admin-backup.ts): true when `request`
   * names one of them and it is being answered. */
  private handleBackup(request: IncomingMessage, response: ServerResponse): boolean {
    const backup = this.options.backup;
    if (backup === undefined) return false;
    const url = new URL(request.url ?? '/', 'http://admin');
    if (!url.pathname.startsWith(`${this.base}/`)) return false;
    const name = url.pathname.slice(this.base.length + 1);
    if (!backupCommandNames.has(name)) return false;
    const serving = this.options.view().source.serving;
    backup.handle(name, request, response, url.searchParams, serving, this.guard(request))
      .catch((error: unknown) => {
        if (response.headersSent) response.destroy();
        else htmlError(response, 500, String(error));
      });
    return true;
  }

  /**
   * For a command that changes state: a request sent by a browser from elsewhere (another
   * origin, or a DNS-rebinding name) is refused with 403 before its credentials are looked at;
   * then the Authorization header must satisfy the command's AuthRequest (401, 403 or 500).
   */
  private guard(request: IncomingMessage): AdminGuard {
    return (authRequest) => {
      const foreign = foreignRequestProblem(request.headers, this.names);
      if (foreign !== undefined) return { status: 403, error: `Forbidden: ${foreign}` };
      const outcome = authorizeAdminCommand(request.headers.authorization, authRequest, {
        remoteAddress: request.socket.remoteAddress ?? '',
        x509Subject: clientCertificateSubject(request),
        superDigest: this.options.superDigest,
        aclOf: this.options.aclOf,
      });
      return outcome.allowed ? undefined : { status: outcome.status, error: outcome.error };
    };
  }

  async close(): Promise<void> {
    this.options.machineEvents?.close();
    this.http.closeAllConnections();
    this.https?.closeAllConnections();
    const listener = this.listener;
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** http or https, as the client will reach it (the URL operators are told). */
  get scheme(): 'http' | 'https' {
    return this.options.tls?.forceHttps === true ? 'https' : 'http';
  }
}

/** The subject of a verified client certificate on an HTTPS request, as ZooKeeper names it. */
function clientCertificateSubject(request: IncomingMessage): string | undefined {
  const socket = request.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  if (certificate.raw === undefined) return undefined;
  try {
    return certificateSubjectName(certificate.raw);
  } catch {
    return undefined;
  }
}
