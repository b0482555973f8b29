// Live inspection for `corral server --inspect`: every actor the server creates reports its
// events and snapshots through @statelyai/inspect to the Stately inspector in a browser. Either a
// small loopback bridge is served here (open its page), or events go to a bridge already running.
// Inspection is a debugging aid: if it cannot start it logs and the server runs on without it.
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import safeStableStringify from 'safe-stable-stringify';
import type { InspectionEvent } from 'xstate';

export interface InspectionOptions {
  enabled: boolean;
  /** ws:// URL of an inspector bridge already running; when set, no bridge is served here. */
  url?: string;
  /** Interface of the bridge served here; loopback unless the operator says otherwise. */
  host?: string;
  /** Port of the bridge served here (HTTP page and websocket on the same port). */
  port?: number;
  /** Where problems and the page address go; standard error by default. */
  log?: (message: string) => void;
}

export interface Inspection {
  /** Pass to every `createActor(..., { inspect })`; undefined when inspection is off. */
  inspect?: (event: InspectionEvent) => void;
  /** The page to open in a browser, when a bridge is served here. */
  pageUrl?: string;
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
/** Snapshots hold the machine itself; deeper levels add nothing a person can read. */
const serializationDepthMax = 10;
const inspectorPageUrl = 'https://stately.ai/inspect';

/** Minimal shapes of the `ws` package (a dependency of @statelyai/inspect) used below. */
interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface WebSocketServerLike {
  readonly clients: Set<WebSocketLike>;
  on(event: 'connection', listener: (socket: WebSocketLike) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
interface WebSocketModule {
  WebSocket: new (url: string) => WebSocketLike;
  WebSocketServer: new (options: { server: Server; maxPayload: number }) => WebSocketServerLike;
}
const webSocketOpen = 1;

/** Pass the stringified event on; the transport differs between serving and forwarding. */
interface EventSink {
  send(text: string): void;
  close(): void;
}

export function createInspection(options: InspectionOptions): Inspection {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  if (!options.enabled) return { stop() {} };
  try {
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
            const text = stringify(event, bigintsAsStrings);
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
      ...(served ? { pageUrl: served.pageUrl } : {}),
      stop: () => sink.close(),
    };
  } catch (error) {
    log(`inspect: could not start, continuing without inspection: ${String(error)}`);
    return { stop() {} };
  }
}

/**
 * Serves the bridge page (the Stately inspector in an iframe, fed from a websocket) and pushes
 * every event to the browsers connected, replaying the last few to late ones.
 */
function serveBridge(
  webSocket: WebSocketModule,
  options: InspectionOptions,
  log: (message: string) => void,
): { sink: EventSink; pageUrl: string } {
  const host = options.host ?? inspectHostDefault;
  const port = options.port ?? inspectPortDefault;
  const pageUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const recent: string[] = [];
  let failed = false;

  const httpServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(bridgePage());
  });
  // Browsers only listen: what they send is ignored, and the payload limit keeps it small.
  const browsers = new webSocket.WebSocketServer({ server: httpServer, maxPayload: 1_024 });
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    log(`inspect: bridge on ${pageUrl} failed, continuing without inspection: ${error.message}`);
    browsers.close();
    httpServer.close();
  };
  httpServer.on('error', fail);
  browsers.on('error', fail);
  browsers.on('connection', (browser) => {
    browser.on('error', () => browser.close());
    if (browsers.clients.size > browsersMax) return browser.close();
    for (const text of recent) browser.send(text);
  });
  httpServer.listen(port, host, () => {
    if (!isLoopback(host)) log(`inspect: warning, bridge reachable beyond this machine on ${host}`);
    log(`inspect: open ${pageUrl} to watch the machines`);
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
      for (const browser of browsers.clients) browser.close();
      browsers.close();
      httpServer.close();
    },
  };
  return { sink, pageUrl };
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
  let socket: WebSocketLike | undefined;
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

/** Session ids and zxids are 64-bit: as JSON numbers the browser would round them. */
function bigintsAsStrings(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

// The package serialises snapshot events itself (bigints as numbers) before our adapter sees
// them, so their context is made JSON-exact first. This runs inside the actor: it must not throw.
function withReadableSnapshot(event: InspectionEvent): InspectionEvent {
  if (event.type !== '@xstate.snapshot') return event;
  const snapshot = event.snapshot as { context?: unknown };
  if (snapshot.context === undefined) return event;
  try {
    const context = JSON.parse(JSON.stringify(snapshot.context, bigintsAsStrings) ?? 'null');
    return { ...event, snapshot: Object.assign({}, event.snapshot, { context }) };
  } catch {
    // A context JSON cannot hold (a cycle): let the package's own safe serialiser handle it.
    return event;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The page a browser opens: relays websocket messages (from the host that served it) into the
 * Stately inspector iframe once the inspector says it is connected.
 */
function bridgePage(): string {
  return `<!doctype html>
<html>
<head><title>corral — live machines</title>
<style>html, body, iframe { margin: 0; width: 100%; height: 100%; border: 0; }</style></head>
<body>
<iframe id="inspector" src="${inspectorPageUrl}"></iframe>
<script>
  const inspector = document.getElementById('inspector');
  const waiting = [];
  let ready = false;
  const deliver = (event) => inspector.contentWindow.postMessage(event, '*');
  window.addEventListener('message', (message) => {
    if (message.data && message.data.type === '@statelyai.connected') {
      ready = true;
      waiting.splice(0).forEach(deliver);
    }
  });
  new WebSocket('ws://' + location.host).onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) deliver(event); else waiting.push(event);
  };
</script>
</body>
</html>
`;
}
