// `corral dashboard`'s server without a browser: its event-stream parser (fed one character at a
// time), the figures it derives (commit lag within one epoch), the trace header check (exit 2 on
// a file that is not a trace), and its live mode against a replica's stream served over real
// HTTP: the picture a late browser gets, resuming with Last-Event-ID, a restarted replica's
// picture replacing the old one, a browser that never reads being dropped (the dashboard's memory
// stays bounded), at most 16 browsers, and Host/Origin refusals.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse }
  from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SseParser, type ServerSentEvent } from '../../../cli/dashboard/sse.js';
import { streamFigures } from '../../../cli/dashboard/figures.js';
import { readTraceHeader, TraceFileError } from '../../../cli/dashboard/trace-file.js';
import { startDashboard, type RunningDashboard } from '../../../cli/dashboard/server.js';
import { browserQueueBytesMax, browsersMax } from '../../../cli/dashboard/browsers.js';
import type { DashboardMessage, StreamMessage } from '../../../protocol/machine-stream.js';
import { corralMain } from '../../support/corral.js';

const run = promisify(execFile);

describe('dashboard: the event-stream parser', () => {
  const stream = 'retry: 10\n: a comment\nid: 7\ndata: {"a":1}\n\r\ndata: line one\r' +
    'data: line two\r\rdata\n\nevent: named\ndata: x\n\n';
  const expected: ServerSentEvent[] = [
    { id: '7', event: 'message', data: '{"a":1}' },
    { id: '7', event: 'message', data: 'line one\nline two' },
    { id: '7', event: 'message', data: '' },
    { id: '7', event: 'named', data: 'x' },
  ];

  it.each([['whole', stream.length], ['one character at a time', 1], ['in threes', 3]])(
    'reads ids, joined data lines and CR/LF/CRLF endings fed %s', (_, size) => {
      const events: ServerSentEvent[] = [];
      const parser = new SseParser((event) => events.push(event));
      for (let start = 0; start < stream.length; start += size) {
        parser.push(stream.slice(start, start + size));
      }
      expect(events).toEqual(expected);
    });

  it('refuses an event that grows without end', () => {
    const parser = new SseParser(() => undefined);
    const line = `data: ${'x'.repeat(1 << 20)}\n`;
    expect(() => {
      for (let index = 0; index < 40; index += 1) parser.push(line);
    }).toThrow(/passed/);
  });
});

describe('dashboard: figures from the admin servers', () => {
  const leader = { address: 'a:1', role: 'leader', zxid: 0x1_0000_0009, leaderUptimeMs: 500 };
  it.each([
    ['a follower 3 behind in the same epoch', { role: 'follower', zxid: 0x1_0000_0006 }, 3],
    ['an observer level with the leader', { role: 'observer', zxid: 0x1_0000_0009 }, 0],
    ['a follower of an older epoch (syncing)', { role: 'follower', zxid: 0x0_0000_0020 },
      undefined],
  ])('%s has commit lag %s', (_, replica, lag) => {
    const [, figures] = streamFigures([{ replica: '1', figures: leader },
      { replica: '2', figures: { address: 'b:2', ...replica } }], 10_000);
    expect(figures?.commitLag).toBe(lag);
    expect(figures?.lastZxid).toBe(`0x${replica.zxid.toString(16)}`);
  });

  it('gives the leader its epoch, lag 0 and when its election ended; a down replica its role',
    () => {
      const [first, second] = streamFigures([{ replica: '1', figures: leader },
        { replica: '2', figures: { address: 'b:2', role: 'down' } }], 10_000);
      expect(first).toEqual({ kind: 'figures', replica: '1', address: 'a:1', time: 10_000,
        role: 'leader', epoch: 1, lastZxid: '0x100000009', commitLag: 0,
        electionEndedAt: 9_500 });
      expect(second).toEqual({ kind: 'figures', replica: '2', address: 'b:2', time: 10_000,
        role: 'down' });
    });
});

describe('dashboard: trace files', () => {
  const directory = mkdtempSync(join(tmpdir(), 'corral-dashboard-trace-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  };
  const header = { kind: 'trace', version: 1, seed: 7, flags: ['--seed', '7'], replicas: ['1'] };

  it.each([
    ['a file with no line', 'nothing', /no header line/],
    ['a first line that is not JSON', 'hello\n{}\n', /not JSON/],
    ['another JSON file', '{"kind":"hello"}\n', /not a trace header/],
    ['a trace of another version', `${JSON.stringify({ ...header, version: 99 })}\n`,
      /version 99/],
  ])('refuses %s', (name, text, message) => {
    expect(() => readTraceHeader(file(name.replaceAll(' ', '-'), text)))
      .toThrow(TraceFileError);
    expect(() => readTraceHeader(file(name.replaceAll(' ', '-'), text))).toThrow(message);
  });

  it('reads a trace header', () => {
    expect(readTraceHeader(file('good', `${JSON.stringify(header)}\n`))).toEqual(header);
  });

  it('corral dashboard --trace exits 2 naming a file that is not a trace', async () => {
    const failed = await run(process.execPath, [corralMain, 'dashboard', '--trace',
      file('bad', '{"not":"a trace"}\n'), '--port', '0'], { timeout: 20_000 })
      .then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/corral dashboard: .*bad is not a corral trace/);
  }, 20_000);
});

/** A replica's machine stream served over real HTTP, as its admin server serves it. */
class ReplicaStream {
  readonly server: Server;
  readonly lastEventIds: Array<string | undefined> = [];
  private readonly open = new Set<ServerResponse>();
  constructor(private readonly first: (since: string | undefined) => StreamMessage[]) {
    this.server = createServer((incoming, response) => {
      // The dashboard also polls server_stats and monitor here; those are not this test's.
      if (incoming.url !== '/commands/machine_events') {
        response.writeHead(404).end();
        return;
      }
      const since = incoming.headers['last-event-id'] as string | undefined;
      this.lastEventIds.push(since);
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const message of this.first(since)) this.send(response, message);
      this.open.add(response);
      response.once('close', () => this.open.delete(response));
    });
  }
  async listen(port = 0): Promise<number> {
    await new Promise<void>((done) => this.server.listen(port, '127.0.0.1', done));
    return (this.server.address() as { port: number }).port;
  }
  send(response: ServerResponse, message: StreamMessage): void {
    const id = 'seq' in message ? `id: ${message.seq}\n` : '';
    response.write(`${id}data: ${JSON.stringify(message)}\n\n`);
  }
  broadcast(message: StreamMessage): void {
    for (const response of this.open) this.send(response, message);
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}

const hello = (replica: string): StreamMessage => ({ kind: 'hello', version: 1, replica,
  time: 1, bufferLimit: 100, machines: { replica: { id: 'replica' } } });
const actor = (seq: number, id: string, state: string): StreamMessage => ({ kind: 'actor', seq,
  time: seq, replica: '1', actor: id, machine: 'session', state });

/** Reads a dashboard's /events, collecting messages, until closed. */
function readEvents(url: string, messages: DashboardMessage[]): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(`${url}events`, (response) => {
      const parser = new SseParser((event) =>
        messages.push(JSON.parse(event.data) as DashboardMessage));
      response.setEncoding('utf8');
      response.on('data', (text: string) => parser.push(text));
      resolve(response);
    }).on('error', reject).end();
  });
}

async function until(check: () => boolean, timeoutMs: number, what: () => string):
  Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

describe('dashboard: live mode over a replica stream', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(stream: ReplicaStream, port?: number): Promise<RunningDashboard> {
    const replicaPort = await stream.listen(port);
    cleanups.push(() => stream.close());
    const dashboard = await startDashboard({ source: { mode: 'live',
      servers: [{ host: '127.0.0.1', port: replicaPort }] }, host: '127.0.0.1', port: 0,
    historyLimit: 100 });
    cleanups.push(() => dashboard.close());
    return dashboard;
  }

  it('gives a late browser the picture, resumes with Last-Event-ID, and replaces a restarted ' +
    "replica's actors", async () => {
    const stream = new ReplicaStream(() => [hello('1'), actor(1, 'a', 'open'),
      actor(2, 'b', 'open')]);
    const dashboard = await start(stream);
    const early: DashboardMessage[] = [];
    const earlyReader = await readEvents(dashboard.url, early);
    cleanups.push(() => void earlyReader.destroy());
    await until(() => early.some((m) => m.kind === 'actor' && m.actor === 'b'), 5_000,
      () => JSON.stringify(early));
    stream.broadcast({ kind: 'transition', seq: 3, time: 3, replica: '1', actor: 'a',
      event: { type: 'session.expire' }, transitions: [{ source: 's.open', targets: ['s.x'] }],
      state: 'expired' });
    stream.broadcast({ kind: 'ended', seq: 4, time: 4, replica: '1', actor: 'b',
      status: 'done' });
    await until(() => early.some((m) => m.kind === 'ended'), 5_000, () => JSON.stringify(early));
    const late: DashboardMessage[] = [];
    const lateReader = await readEvents(dashboard.url, late);
    cleanups.push(() => void lateReader.destroy());
    await until(() => late.some((m) => m.kind === 'source'), 5_000, () => JSON.stringify(late));
    expect(late.filter((m) => m.kind !== 'figures').slice(0, 3)).toEqual([hello('1'),
      { ...actor(3, 'a', 'expired') }, { kind: 'source', replica: '1',
        address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), connected: true }]);

    // The replica's connection drops while it keeps running: the dashboard resumes after seq 4.
    stream.server.closeAllConnections();
    await until(() => stream.lastEventIds.length === 2, 5_000, () => 'no reconnect');
    expect(stream.lastEventIds).toEqual([undefined, '4']);
  }, 20_000);

  it('drops a restarted replica\'s old actors: a gap, then its new picture', async () => {
    let incarnation = 1;
    const stream = new ReplicaStream(() => incarnation === 1
      ? [hello('1'), actor(40, 'old', 'open')]
      : [hello('1'), actor(5, 'new', 'open')]);
    const dashboard = await start(stream);
    const seen: DashboardMessage[] = [];
    const seenReader = await readEvents(dashboard.url, seen);
    cleanups.push(() => void seenReader.destroy());
    await until(() => seen.some((m) => m.kind === 'actor'), 5_000, () => JSON.stringify(seen));
    // SIGKILL as the dashboard sees it: the port refuses, then a new process answers on it.
    const port = (stream.server.address() as { port: number }).port;
    await stream.close();
    await new Promise((done) => setTimeout(done, 600));
    incarnation = 2;
    await stream.listen(port);
    await until(() => seen.some((m) => m.kind === 'actor' && m.actor === 'new'), 10_000,
      () => JSON.stringify(seen));
    const after = seen.slice(seen.findLastIndex((m) => m.kind === 'source' && !m.connected));
    expect(after.filter((m) => m.kind !== 'figures').map((m) => m.kind))
      .toEqual(['source', 'source', 'hello', 'gap', 'actor']);
    expect(stream.lastEventIds.at(-1)).toBeUndefined();
    const late: DashboardMessage[] = [];
    const lateReader = await readEvents(dashboard.url, late);
    cleanups.push(() => void lateReader.destroy());
    await until(() => late.some((m) => m.kind === 'source'), 5_000, () => JSON.stringify(late));
    expect(late.filter((m) => m.kind === 'actor').map((m) => 'actor' in m && m.actor))
      .toEqual(['new']);
  }, 20_000);

  it('drops a browser that never reads, keeping its queue bounded, and serves 16 at most',
    async () => {
      const stream = new ReplicaStream(() => [hello('1')]);
      const dashboard = await start(stream);
      await until(() => stream.lastEventIds.length > 0, 5_000, () => 'no connection');
      // A browser that sends its request and then never reads a byte.
      const stalled = connect({ host: '127.0.0.1', port: dashboard.port });
      cleanups.push(() => void stalled.destroy());
      stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      stalled.pause();
      await until(() => dashboard.browsers.count === 1, 5_000, () => 'not connected');
      const blob = 'x'.repeat(16 * 1024);
      const rounds = 3 * browserQueueBytesMax / blob.length;
      for (let seq = 1; seq <= rounds; seq += 1) {
        stream.broadcast({ kind: 'transition', seq, time: seq, replica: '1', actor: 'a',
          event: { type: 'peer.proposal', blob }, transitions: [], state: 'open' });
        if (seq % 64 === 0) await new Promise((done) => setImmediate(done));
      }
      stream.broadcast(actor(rounds + 1, 'marker', 'open'));
      await until(() => dashboard.browsers.dropped === 1, 10_000,
        () => `dropped ${dashboard.browsers.dropped}`);
      expect(dashboard.browsers.count).toBe(0);
      // Once the dashboard has read the whole stream, every browser that reads is kept. One that
      // connects while the dashboard still relays the burst may be dropped like any slow reader
      // (this process reads for both); it comes back as an EventSource does after `retry:` and
      // is given the picture, marker included.
      const marker: DashboardMessage[] = [];
      const seesMarker = () => marker.some((m) => m.kind === 'actor' && m.actor === 'marker');
      let reconnects = 0;
      for (;;) {
        const markerReader = await readEvents(dashboard.url, marker);
        cleanups.push(() => void markerReader.destroy());
        let closed = false;
        markerReader.once('close', () => { closed = true; });
        await until(() => seesMarker() || closed, 10_000, () => 'no marker');
        if (seesMarker()) break;
        reconnects += 1;
        expect(reconnects).toBeLessThan(5);
      }
      const readers = await Promise.all(Array.from({ length: browsersMax - 1 },
        () => readEvents(dashboard.url, [])));
      cleanups.push(() => readers.forEach((reader) => reader.destroy()));
      expect(dashboard.browsers.count).toBe(browsersMax);
      const refused = await readEvents(dashboard.url, []);
      expect(refused.statusCode).toBe(503);
    }, 30_000);

  it.each([
    ['a DNS-rebinding Host', 403, { Host: 'evil.example:8090' }],
    ['a cross-origin page', 403, { Origin: 'http://evil.example' }],
    ['a cross-site fetch', 403, { 'Sec-Fetch-Site': 'cross-site' }],
    ['its own page', 200, { 'Sec-Fetch-Site': 'same-origin' }],
  ])('answers %s with %i', async (_, status, headers) => {
    const dashboard = await start(new ReplicaStream(() => [hello('1')]));
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${dashboard.url}api/info`, { headers }, resolve).on('error', reject).end();
    });
    answer.resume();
    expect(answer.statusCode).toBe(status);
  });
});
