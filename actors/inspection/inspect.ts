// Live inspection for `corral server --inspect`: every actor the server creates reports its
// events and snapshots through @statelyai/inspect to the Stately inspector in a browser. Either a
// small loopback bridge is served here (open its page), or events go to a bridge already running.
// The bridge answers only its own origin, under names DNS rebinding cannot forge, and only with
// the random token printed in its URL; what it streams has its secrets redacted (redaction.ts).
// Inspection is a debugging aid: if it cannot start it logs and the server runs on without it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import safeStableStringify from 'safe-stable-stringify';
import type { InspectionEvent } from 'xstate';
import { answeredNames, foreignRequestProblem } from '../operations/request-origin.js';
import { bridgePage, bridgePageHeaders } from './bridge-page.js';
import { redactDefinition, redactSecrets } from './redaction.js';

export interface InspectionOptions {
  enabled: boolean;
  /** ws:// URL of an inspector bridge already running; when set, no bridge is served here. */
  url?: string;
  /** Interface of the bridge served here; loopback unless the operator says otherwise. */
  host?: string;
  /** Port of the bridge served here (HTTP page and websocket on the same port); 0 picks one. */
  port?: number;
  /** Where problems and the page address go; standard error by default. */
  log?: (message: string) => void;
}

export interface Inspection {
  /** Pass to every `createActor(..., { inspect })`; undefined when inspection is off. */
  inspect?: (event: InspectionEvent) => void;
  /** The page to open in a browser (with its token) once the bridge listens; undefined when no
   * bridge is served here or it could not start. */
  ready: Promise<string | undefined>;
  /** Closes the bridge or the outgoing connection; safe to call more than once. */
  stop(): void;
}

export const inspectHostDefault = '127.0.0.1';
/** Not 8080, the port of @statelyai/inspect's own bridge and of ZooKeeper's AdminServer. */
export const inspectPortDefault = 8082;
/** Events kept for a browser that connects late (the package's own default depth). */
export const bufferedEventsMax = 200;
export const browsersMax = 8;
export const reconnectDelayMs = 5_000;
/** The query parameter carrying the bridge's token, on the page's URL and the websocket's. */
export const tokenParameter = 'token';
const tokenBytes = 24;
/** Snapshots hold the machine itself; deeper levels add nothing a person can read. */
const serializationDepthMax = 10;

type WebSocketModule = typeof import('ws');
type WebSocketServer = InstanceType<WebSocketModule['WebSocketServer']>;
type WebSocketClient = InstanceType<WebSocketModule['WebSocket']>;
const webSocketOpen = 1;

/** Pass the stringified event on; the transport differs between serving and forwarding. */
interface EventSink {
  send(text: string): void;
  close(): void;
}

/** Session ids and zxids as strings (the browser would round 64-bit numbers), then redacted;
 * the package hands a machine's definition over as a string already. */
function forInspector(this: unknown, key: string, value: unknown): unknown {
  const holder = this as { type?: unknown } | undefined;
  const isDefinition = key === 'definition' && holder?.type === '@xstate.actor';
  if (isDefinition && typeof value === 'string') return redactDefinition(value);
  return redactSecrets(key, typeof value === 'bigint' ? value.toString() : value);
}

/**
 * The package and its WebSocket stack (isomorphic-ws, partysocket, superjson) are loaded only
 * here, when inspection is on: loading them took some 50-90 ms of CPU, a sixth of a server's
 * startup, for every server whether it inspected or not.
 */
export async function createInspection(options: InspectionOptions): Promise<Inspection> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const off: Inspection = { ready: Promise.resolve(undefined), stop() {} };
  if (!options.enabled) return off;
  try {
    const { createInspector } = await import('@statelyai/inspect');
    const webSocket = createRequire(import.meta.url)('ws') as WebSocketModule;
    const served = options.url === undefined ? serveBridge(webSocket, options, log) : undefined;
    const sink = served?.sink ?? forwardTo(webSocket, options.url ?? '', log);
    const stringify = safeStableStringify.configure({
      bigint: true,
      circularValue: '[Circular]',
      maximumDepth: serializationDepthMax,
    });
    // The inspector converts and sends each event later, on a zero timeout: nothing thrown there
    // may reach the process, so sending is guarded here rather than around `inspect`.
    const inspector = createInspector(
      {
        send(event: StatelyInspectionEvent) {
          try {
            const text = stringify(event, forInspector);
            if (text !== undefined) sink.send(text);
          } catch (error) {
            log(`inspect: dropped an event: ${String(error)}`);
          }
        },
      },
      { serializationDepthLimit: serializationDepthMax },
    );
    return {
      inspect: (event) => inspector.inspect.next?.(withReadableSnapshot(event)),
      ready: served?.ready ?? Promise.resolve(undefined),
      stop: () => sink.close(),
    };
  } catch (error) {
    log(`inspect: could not start, continuing without inspection: ${String(error)}`);
    return off;
  }
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const [left, right] = [Buffer.from(given), Buffer.from(token)];
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why a request to the bridge is refused (status and reason), or undefined to serve it. */
function refusal(
  request: IncomingMessage,
  names: readonly string[],
  token: string,
): { status: 401 | 403; reason: string } | undefined {
  const foreign = foreignRequestProblem(request.headers, names);
  if (foreign !== undefined) return { status: 403, reason: foreign };
  const url = new URL(request.url ?? '/', 'http://bridge');
  if (!sameToken(url.searchParams.get(tokenParameter), token)) {
    return { status: 401, reason: 'a missing or wrong token' };
  }
  return undefined;
}

function refuseUpgrade(socket: Duplex, status: 401 | 403): void {
  const text = status === 401 ? 'Unauthorized' : 'Forbidden';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The URL printed for the operator: an unspecified bind address is opened on loopback. */
function pageAddress(host: string, port: number, token: string): string {
  const shown = host === '0.0.0.0' || host === '::' ? inspectHostDefault : host;
  const name = isIP(shown) === 6 ? `[${shown}]` : shown;
  return `http://${name}:${port}/?${tokenParameter}=${token}`;
}

/**
 * Serves the bridge page and pushes every event to the browsers connected, replaying the last
 * few to late ones. The page and the websocket both need the token and an answered Host; a
 * browser's Origin must be the bridge's own (the page's), as it is for the page served here.
 */
function serveBridge(
  webSocket: WebSocketModule,
  options: InspectionOptions,
  log: (message: string) => void,
): { sink: EventSink; ready: Promise<string | undefined> } {
  const host = options.host ?? inspectHostDefault;
  const token = randomBytes(tokenBytes).toString('base64url');
  const names = answeredNames(host);
  const recent: string[] = [];
  let failed = false;

  const httpServer = createServer((request, response) => {
    const refused = refusal(request, names, token);
    if (refused !== undefined) {
      response.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8' });
      return response.end(`refused: ${refused.reason}\n`);
    }
    response.writeHead(200, bridgePageHeaders);
    response.end(bridgePage(tokenParameter));
  });
  // Browsers only listen: what they send is ignored, and the payload limit keeps it small.
  const browsers: WebSocketServer = new webSocket.WebSocketServer({
    noServer: true,
    maxPayload: 1_024,
  });
  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusal(request, names, token);
    if (refused !== undefined) return refuseUpgrade(socket, refused.status);
    browsers.handleUpgrade(request, socket, head, (browser) => {
      browsers.emit('connection', browser, request);
    });
  });
  let announce: (url: string | undefined) => void = () => {};
  const ready = new Promise<string | undefined>((resolve) => (announce = resolve));
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    log(`inspect: bridge on ${host}:${options.port ?? inspectPortDefault} failed, continuing ` +
      `without inspection: ${error.message}`);
    browsers.close();
    httpServer.close();
    announce(undefined);
  };
  httpServer.on('error', fail);
  browsers.on('error', fail);
  browsers.on('connection', (browser: WebSocketClient) => {
    browser.on('error', () => browser.close());
    if (browsers.clients.size > browsersMax) return browser.close();
    for (const text of recent) browser.send(text);
  });
  httpServer.listen(options.port ?? inspectPortDefault, host, () => {
    const bound = httpServer.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
    const url = pageAddress(host, port, token);
    if (!isLoopback(host)) log(`inspect: warning, bridge reachable beyond this machine on ${host}`);
    log(`inspect: open ${url} to watch the machines`);
    announce(url);
  });

  const sink: EventSink = {
    send(text) {
      if (failed) return;
      recent.push(text);
      if (recent.length > bufferedEventsMax) recent.shift();
      for (const browser of browsers.clients) {
        if (browser.readyState === webSocketOpen) browser.send(text);
      }
    },
    close() {
      failed = true;
      announce(undefined);
      for (const browser of browsers.clients) browser.close();
      browsers.close();
      httpServer.close();
    },
  };
  return { sink, ready };
}

/**
 * Sends events to a bridge already running (e.g. @statelyai/inspect/server in another process).
 * Holds the last few while disconnected and retries on a timer that never keeps the process up.
 */
function forwardTo(
  webSocket: WebSocketModule,
  url: string,
  log: (message: string) => void,
): EventSink {
  const pending: string[] = [];
  let socket: WebSocketClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  let warned = false;

  const connect = () => {
    retry = undefined;
    const candidate = new webSocket.WebSocket(url);
    socket = candidate;
    candidate.on('open', () => {
      warned = false;
      for (const text of pending.splice(0)) candidate.send(text);
    });
    candidate.on('error', (error) => {
      if (!warned) log(`inspect: cannot reach ${url} (${error.message}); retrying`);
      warned = true;
    });
    candidate.on('close', () => {
      if (stopped || retry !== undefined) return;
      retry = setTimeout(connect, reconnectDelayMs);
      retry.unref();
    });
  };
  connect();

  return {
    send(text) {
      if (socket?.readyState === webSocketOpen) return socket.send(text);
      pending.push(text);
      if (pending.length > bufferedEventsMax) pending.shift();
    },
    close() {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      socket?.close();
    },
  };
}

// The package serialises snapshot events itself (bigints as numbers) before our adapter sees
// them, so their context is made JSON-exact first. This runs inside the actor: it must not throw.
function withReadableSnapshot(event: InspectionEvent): InspectionEvent {
  if (event.type !== '@xstate.snapshot') return event;
  const snapshot = event.snapshot as { context?: unknown };
  if (snapshot.context === undefined) return event;
  try {
    const context = JSON.parse(JSON.stringify(snapshot.context, forInspector) ?? 'null');
    return { ...event, snapshot: Object.assign({}, event.snapshot, { context }) };
  } catch {
    // A context JSON cannot hold (a cycle): let the package's own safe serialiser handle it.
    return event;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
