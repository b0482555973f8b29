// The browsers reading the dashboard's /events: each is a server-sent event stream with a bounded
// queue. A browser that reads too slowly for its queue is dropped (its EventSource reconnects and
// is given the whole picture again), so it never holds the replicas' streams back and never makes
// the dashboard's memory grow; and only so many browsers are served at once.
import type { ServerResponse } from 'node:http';
import type { DashboardMessage } from '../../protocol/machine-stream.js';
import { sseFrame } from './sse.js';

/** Browsers served at once; one more is answered 503. */
export const browsersMax = 16;
/** Bytes a browser may leave unread (queued in its socket) before it is dropped. */
export const browserQueueBytesMax = 8 * 1024 * 1024;
/** A comment line this often keeps proxies and the browser from thinking the stream is dead. */
const heartbeatIntervalMs = 15_000;

interface Browser {
  response: ServerResponse;
  /** Bytes written that the socket has not yet sent on. */
  queuedBytes: () => number;
  /** browserQueueBytesMax beyond the first picture, which may be larger on its own. */
  queueBytesMax: number;
}

export class BrowserHub {
  private readonly browsers = new Set<Browser>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Browsers dropped for reading too slowly, for the operator's log and the tests. */
  dropped = 0;

  constructor(private readonly log: (line: string) => void = () => undefined) {
    this.heartbeat = setInterval(() => this.broadcastText(': heartbeat\n\n'), heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get count(): number {
    return this.browsers.size;
  }

  /**
   * Starts an event stream on `response` and sends `first` (the whole picture) before anything
   * else; false, with a 503 sent, when browsersMax are already served.
   */
  add(response: ServerResponse, first: readonly DashboardMessage[]): boolean {
    if (this.browsers.size >= browsersMax) {
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
      response.end(`at most ${browsersMax} browsers are served at once\n`);
      return false;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // Tells the EventSource how soon to come back after a drop.
    response.write('retry: 1000\n\n');
    const socket = response.socket;
    const picture = first.map(sseFrame).join('');
    const browser: Browser = {
      response,
      queuedBytes: () => (socket?.writableLength ?? 0) + response.writableLength,
      queueBytesMax: browserQueueBytesMax + Buffer.byteLength(picture),
    };
    this.browsers.add(browser);
    response.once('close', () => this.browsers.delete(browser));
    response.write(picture);
    return true;
  }

  broadcast(message: DashboardMessage): void {
    if (this.browsers.size === 0) return;
    this.broadcastText(sseFrame(message));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const browser of this.browsers) browser.response.destroy();
    this.browsers.clear();
  }

  private broadcastText(text: string): void {
    for (const browser of this.browsers) this.sendTo(browser, text);
  }

  private sendTo(browser: Browser, text: string): void {
    if (browser.queuedBytes() + Buffer.byteLength(text) > browser.queueBytesMax) {
      this.dropped += 1;
      this.browsers.delete(browser);
      this.log(`dashboard: dropped a browser that left ${browser.queuedBytes()} bytes unread`);
      browser.response.destroy();
      return;
    }
    browser.response.write(text);
  }
}
