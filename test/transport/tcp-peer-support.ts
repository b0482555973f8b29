// Shared by the TCP peer transport tests: a loopback cluster whose events and logs are recorded
// as lines, bounded waits on real time, and raw sockets that speak (or break) the wire format.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import {
  createTcpTransport,
  type TcpPeerAddress,
  type TcpTransport,
  type TcpTransportLogger,
  type TcpTransportOptions,
} from '../../transport/tcp-peer.js';
import {
  decodeWireMessage,
  encodeHello,
  encodeWireMessage,
  helloTokenBytes,
  tcpPeerVersion,
  type WireMessage,
} from '../../transport/tcp-peer-wire.js';

export const loopback = '127.0.0.1';

export type Overrides = Partial<Omit<TcpTransportOptions, 'localId' | 'peers' | 'logger'>>;

/** Polls `done` every few milliseconds for at most `timeoutMs`. */
export async function waitFor(done: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** A logger that keeps `level message {fields}` lines, so a test can see why a link closed. */
export function recordingLogger(lines: string[]): TcpTransportLogger {
  const record = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return { debug: record('debug'), info: record('info'), warn: record('warn') };
}

/** Transports on kernel-chosen loopback ports, each event recorded as `2 frame 1 text`. */
export class Cluster {
  readonly peers = new Map<number, TcpPeerAddress>();
  readonly transports = new Map<number, TcpTransport>();
  readonly lines: string[] = [];
  readonly logs = new Map<number, string[]>();

  /**
   * Starts `id` where `peers` (the cluster's own map, which every start fills) says it listens,
   * or on a fresh port. A replica given a map of its own knows only what that map holds.
   */
  async start(
    id: number,
    overrides: Overrides = {},
    peers: Map<number, TcpPeerAddress> = this.peers,
  ): Promise<TcpTransport> {
    const logs = this.logs.get(id) ?? [];
    this.logs.set(id, logs);
    const transport = await createTcpTransport({
      localId: id,
      listen: this.peers.get(id) ?? { host: loopback, port: 0 },
      peers,
      reconnectBackoffMsBase: 10,
      reconnectBackoffMsMax: 100,
      handshakeTimeoutMs: 1_000,
      random: () => 0.5,
      logger: recordingLogger(logs),
      ...overrides,
    });
    this.peers.set(id, transport.address);
    this.transports.set(id, transport);
    transport.on('frame', (from, frame) =>
      this.lines.push(`${id} frame ${from} ${Buffer.from(frame).toString()}`),
    );
    transport.on('connected', (peer) => this.lines.push(`${id} connected ${peer}`));
    transport.on('disconnected', (peer, cause) =>
      this.lines.push(`${id} disconnected ${peer} ${cause.reason}`),
    );
    return transport;
  }

  transport(id: number): TcpTransport {
    const transport = this.transports.get(id);
    if (transport === undefined) throw new Error(`no transport ${id}`);
    return transport;
  }

  send(from: number, to: number, text: string): void {
    this.transport(from).send(to, Buffer.from(text));
  }

  /**
   * Sends `text` until it arrives, at most `timeoutMs`. A frame sent while a dial is under way
   * is lost with that dial when it fails (as on memory): a replica's protocol resends, so the
   * test does too.
   */
  async sendUntilReceived(from: number, to: number, text: string, timeoutMs: number) {
    const line = `${to} frame ${from} ${text}`;
    const deadline = Date.now() + timeoutMs;
    while (!this.has(line)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${line}`);
      this.send(from, to, text);
      await waitFor(() => this.has(line), line, 1_000).catch(() => undefined);
    }
  }

  count(line: string): number {
    return this.lines.filter((candidate) => candidate === line).length;
  }

  has(line: string): boolean {
    return this.lines.includes(line);
  }

  close(): void {
    for (const transport of this.transports.values()) transport.close();
  }
}

/** A raw client socket with every wire message it receives decoded, and when it closed. */
export class RawPeer {
  readonly received: WireMessage[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1024 * 1024);

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const body of this.decoder.push(chunk)) {
        const decoded = decodeWireMessage(body);
        if (decoded.ok) this.received.push(decoded.message);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async dial(address: TcpPeerAddress): Promise<RawPeer> {
    const socket = connect({ host: address.host, port: address.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /**
   * A hello with a fresh token (returned), as a dialer — or a stranger claiming an id — sends;
   * from version 5 followed by the address it advertises (by default one nobody listens on).
   */
  hello(
    fromId: number,
    toId: number,
    version = tcpPeerVersion,
    advertised: TcpPeerAddress = { host: loopback, port: 1 },
  ): Buffer {
    const token = randomBytes(helloTokenBytes);
    this.socket.write(encodeHello({ version, fromId, toId, token }, advertised));
    return token;
  }
}

/**
 * A replica that completes the handshake as `id` and then stops reading, as a follower stuck in
 * a long GC pause or a full disk would: the sender's bytes pile up in the kernel, then in it.
 */
export async function startStalledPeer(id: number): Promise<{
  server: Server;
  address: TcpPeerAddress;
  sockets: Socket[];
}> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    const decoder = new FrameDecoder(1024 * 1024);
    const onData = (chunk: Buffer) => {
      const [body] = decoder.push(chunk);
      if (body === undefined) return;
      const decoded = decodeWireMessage(body);
      if (!decoded.ok || decoded.message.kind !== 'hello') return;
      socket.off('data', onData);
      const { fromId, token, version } = decoded.message;
      const welcome = { version, fromId: id, toId: fromId, token };
      socket.write(encodeWireMessage({ kind: 'welcome', ...welcome }));
      socket.pause();
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, address: { host: loopback, port: address.port }, sockets };
}
