// The admin HTTP server (ZooKeeper's JettyAdminServer): GET <commandURL> lists the commands,
// GET <commandURL>/<name> runs one and answers JSON. Session ids and zxids are 64-bit, so they
// are written as JSON numbers from bigints, exactly as ZooKeeper's Jackson output has them.
// A command that changes state runs only for a request from this server's own origin that
// authenticates as ZooKeeper 3.9 asks (request-origin.ts, admin-auth.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { configure } from 'safe-stable-stringify';
import type { ACL } from '../../protocol/records.js';
import {
  adminCommandNames,
  runAdminCommand,
  type AdminGuard,
  type AdminView,
} from './admin-commands.js';
import { authorizeAdminCommand } from './admin-auth.js';
import { answeredNames, foreignRequestProblem } from './request-origin.js';

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
}

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

  constructor(private readonly options: AdminServerOptions) {
    this.base = options.commandUrl.replace(/\/+$/, '');
    this.names = answeredNames(options.address);
    this.http = createServer((request, response) => this.handle(request, response));
    // An admin port is polled by probes: idle sockets and slow requests must not pile up.
    this.http.keepAliveTimeout = 5000;
    this.http.requestTimeout = 10_000;
    this.http.headersTimeout = 10_000;
  }

  async listen(): Promise<{ address: string; port: number }> {
    const { address, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(new AdminServerStartError(address, port, error));
      this.http.once('error', failed);
      this.http.listen(port, address, () => {
        this.http.off('error', failed);
        resolve();
      });
    });
    const bound = this.http.address();
    if (bound === null || typeof bound === 'string') throw new Error('admin server has no port');
    return { address: bound.address, port: bound.port };
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    // Every corral command is a GET command; ZooKeeper 3.8 has no POST handler (405), and 3.9
    // runs only its POST commands (restore) for a POST, which corral does not have.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      htmlError(response, 405, `HTTP method ${request.method ?? ''} is not supported by this URL`);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (path === this.base || path === `${this.base}/`) {
      const links = adminCommandNames.map((name) =>
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
        superDigest: this.options.superDigest,
        aclOf: this.options.aclOf,
      });
      return outcome.allowed ? undefined : { status: outcome.status, error: outcome.error };
    };
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
