// The dashboard's HTTP server: the page, /api/info, and either /events (live: every replica's
// machine stream and figures, merged, for each browser) or /api/trace (a simulator trace file).
// It answers only requests a browser on this machine sent to it (Host/Origin checked as the
// admin server checks them) and binds loopback unless told otherwise.
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename } from 'node:path';
import {
  answeredNames,
  foreignRequestProblem,
} from '../../actors/operations/request-origin.js';
import type { DashboardMessage } from '../../protocol/machine-stream.js';
import type { AdminAddress } from '../admin-client.js';
import { BrowserHub } from './browsers.js';
import { FiguresPoller } from './figures.js';
import { ReplicaSource } from './replica-source.js';
import { pageDirectory, securityHeaders, serveStatic } from './static-files.js';

export const dashboardDefaults = {
  host: '127.0.0.1',
  port: 8090,
  historyLimit: 5000,
  commandUrl: '/commands',
} as const;

export type DashboardSource =
  | { mode: 'live'; servers: readonly LiveServer[]; commandUrl?: string }
  | { mode: 'trace'; file: string };

/** A replica's admin server, and its id when the caller knows it (`corral ensemble` does). */
export type LiveServer = AdminAddress & { replica?: string };

export interface DashboardOptions {
  source: DashboardSource;
  host: string;
  /** 0 picks a free port (tests); the URL says which. */
  port: number;
  historyLimit: number;
  /** Where the page is; dist/dashboard by default. */
  pageDirectory?: string;
  log?: (line: string) => void;
}

export interface RunningDashboard {
  url: string;
  port: number;
  browsers: BrowserHub;
  close: () => Promise<void>;
}

/** `host:port` as an address is written beside a port (IPv6 in brackets). */
export function addressText(address: AdminAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/** Starts serving; rejects when the port cannot be bound. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const log = options.log ?? (() => undefined);
  const browsers = new BrowserHub(log);
  const live = options.source.mode === 'live' ? startLive(options.source, browsers) : undefined;
  const names = answeredNames(options.host);
  const directory = options.pageDirectory ?? pageDirectory();
  const info = {
    mode: options.source.mode,
    servers: options.source.mode === 'live' ? options.source.servers.map(addressText) : [],
    historyLimit: options.historyLimit,
    ...(options.source.mode === 'trace' ? { trace: basename(options.source.file) } : {}),
  };
  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      if (!response.headersSent) plain(response, 500, String(error));
      else response.destroy();
    }
  });
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const foreign = foreignRequestProblem(request.headers, names);
    if (foreign !== undefined) return plain(response, 403, `Forbidden: ${foreign}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(response, 405, 'only GET is served');
    }
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    const headOnly = request.method === 'HEAD';
    if (path === '/api/info') return json(response, info);
    if (path === '/events' && live !== undefined) {
      browsers.add(response, live.picture());
      return;
    }
    if (path === '/api/trace' && options.source.mode === 'trace') {
      return sendTrace(options.source.file, response, headOnly);
    }
    if (serveStatic(directory, path, response, headOnly)) return;
    plain(response, 404, 'Not Found');
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    live?.stop();
    browsers.close();
    throw error;
  });
  const bound = server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : options.port;
  return {
    url: `http://${addressText({ host: urlHost(options.host), port })}/`,
    port,
    browsers,
    close: () => closeDashboard(server, browsers, live),
  };
}

/** The host a browser is told: loopback when the server binds every address. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

interface Live {
  /** What a browser that connects now is sent first: every replica's whole picture. */
  picture: () => DashboardMessage[];
  stop: () => void;
}

function startLive(source: Extract<DashboardSource, { mode: 'live' }>, browsers: BrowserHub):
  Live {
  const commandUrl = source.commandUrl ?? dashboardDefaults.commandUrl;
  const deliver = (message: DashboardMessage): void => browsers.broadcast(message);
  const replicas = source.servers.map((address) =>
    new ReplicaSource({ address, commandUrl, deliver, replica: address.replica }));
  const figures = new FiguresPoller(
    replicas.map((replica, index) => ({ address: source.servers[index]!,
      replica: () => replica.replica, knowsId: () => replica.knowsId,
      shown: () => replica.shown,
      learnId: (id: string) => replica.learnId(id) })),
    commandUrl,
    deliver,
  );
  for (const replica of replicas) replica.start();
  figures.start();
  return {
    picture: () => {
      const messages: DashboardMessage[] = replicas.flatMap((replica) => replica.snapshot());
      // Figures after the hellos, so the page already knows each replica they name.
      messages.push(...figures.snapshot());
      return messages;
    },
    stop: () => {
      figures.stop();
      for (const replica of replicas) replica.stop();
    },
  };
}

function sendTrace(file: string, response: ServerResponse, headOnly: boolean): void {
  response.writeHead(200, { ...securityHeaders, 'Content-Type': 'application/x-ndjson',
    'Cache-Control': 'no-store' });
  if (headOnly) {
    response.end();
    return;
  }
  createReadStream(file).on('error', () => response.destroy()).pipe(response);
}

function json(response: ServerResponse, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(200, { ...securityHeaders, 'Content-Type': 'application/json',
    'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

async function closeDashboard(server: Server, browsers: BrowserHub, live: Live | undefined):
  Promise<void> {
  live?.stop();
  browsers.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
