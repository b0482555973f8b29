// Network faults between real replica processes without root: every replica reaches each peer
// through its own loopback TCP proxy (one per ordered pair), so a pair can be partitioned both
// ways or one way. A partition drops bytes silently — the connection stays open, as with a real
// cut, and the replicas find out by their timeouts; healing resets what was cut mid-stream.
// Each link may also be shaped as a wide-area one (delay and bandwidth: chaos/link-shaper.ts),
// and the bytes each link carried are counted.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { decodeWireMessage } from '../../transport/tcp-peer-wire.js';
import { ShapedDirection, unshapedLink, type LinkShape } from './link-shaper.js';

type Direction = 'both' | 'oneWay';

interface Relay {
  /** The replica that dialed (the proxy's client side). */
  dialer: Socket;
  /** The peer it reaches. */
  upstream: Socket;
  /** Set once a byte was dropped: the stream is broken and is reset on healing. */
  damaged: boolean;
  directions: ShapedDirection[];
}

/** What a proxy asks its mesh about the link between two replicas. */
interface LinkPolicy {
  cut: (from: number, to: number) => boolean;
  shape: (from: number, to: number) => LinkShape;
  carried: (from: number, to: number, bytes: number) => void;
}

/** Ports a proxy draws before it gives up finding one outside the reserved ones. */
const listenAttemptsMax = 100;

/** Bytes of a peer frame's length prefix (transport/tcp-peer-wire.ts). */
const lengthPrefixBytes = 4;
/** More than a hello's frame: what does not read as one by then never will. */
const helloBytesMax = 64;

/**
 * The id a dialer names in its hello (or a verify): null while too few bytes have come,
 * undefined when they are not one (a TLS link, a stranger): the proxy then keeps its own pair.
 */
function dialerIdOf(bytes: Buffer): number | null | undefined {
  if (bytes.length < lengthPrefixBytes) return null;
  const bodyBytes = bytes.readUInt32BE(0);
  if (bodyBytes > helloBytesMax) return undefined;
  if (bytes.length < lengthPrefixBytes + bodyBytes) return null;
  const body = bytes.subarray(lengthPrefixBytes, lengthPrefixBytes + bodyBytes);
  const decoded = decodeWireMessage(body);
  if (!decoded.ok) return undefined;
  const message = decoded.message;
  return message.kind === 'hello' || message.kind === 'verify' ? message.fromId : undefined;
}

/** The proxy replica `from` dials to reach replica `to`. */
class PairProxy {
  readonly relays = new Set<Relay>();
  private server: Server | undefined;
  private readonly refused: Server[] = [];
  port = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    private readonly targetPort: number,
    private readonly policy: LinkPolicy,
    private readonly host: string,
    /** A mesh's proxy reads the dialer's id from its hello (see accept); others keep `from`. */
    private readonly identifyDialer = false,
  ) {}

  /**
   * Listens on a port the kernel picks, but none of `reserved`: the replicas' own ports were
   * only probed free and are bound later, so the kernel may offer one of them again (a proxy on
   * a replica's quorum port sends its peers to the wrong replica, and that one cannot start).
   */
  async listen(reserved: ReadonlySet<number> = new Set()): Promise<number> {
    for (let attempt = 0; attempt < listenAttemptsMax; attempt++) {
      const server = createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, this.host, () => resolve());
      });
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      if (reserved.has(port)) {
        // Kept open until a free one is found, so the kernel does not offer it again.
        this.refused.push(server);
        continue;
      }
      for (const refused of this.refused.splice(0)) refused.close();
      this.server = server;
      this.port = port;
      return port;
    }
    throw new Error(`proxy: no free port outside the replicas' after ${listenAttemptsMax} tries`);
  }

  private accept(dialer: Socket): void {
    const upstream = connect({ host: this.host, port: this.targetPort });
    // A network forwards each segment as it comes; Nagle's algorithm on the proxy's own sockets
    // would hold a small frame (an ACK, a COMMIT) behind an unacknowledged one until the
    // receiver's delayed ACK, tens of ms on loopback, which no WAN link adds.
    dialer.setNoDelay(true);
    upstream.setNoDelay(true);
    const relay: Relay = { dialer, upstream, damaged: false, directions: [] };
    this.relays.add(relay);
    const forward = (source: Socket, sink: Socket, from: number, to: number) => {
      const open = () => {
        if (!this.policy.cut(from, to)) return true;
        relay.damaged = true;
        return false;
      };
      const direction = new ShapedDirection(source, sink, this.policy.shape(from, to),
        (bytes) => this.policy.carried(from, to, bytes), open);
      relay.directions.push(direction);
      return { direction, push: (chunk: Buffer) => { if (open()) direction.push(chunk); } };
    };
    // Which replica dialed is read from its hello, not assumed from the port: a follower dials
    // its peers at the addresses the leader's membership names, which are the leader's proxies
    // (each replica's zoo.cfg names its own), so a proxy may carry another pair's link. Until
    // the hello is read, bytes either way wait (an acceptor sends nothing before it).
    const heldFromDialer: Buffer[] = [];
    const heldFromUpstream: Buffer[] = [];
    type Way = ReturnType<typeof forward>;
    let ways: { toUpstream: Way; toDialer: Way } | undefined;
    const begin = (dialerId: number) => {
      ways = {
        toUpstream: forward(dialer, upstream, dialerId, this.to),
        toDialer: forward(upstream, dialer, this.to, dialerId),
      };
      for (const chunk of heldFromDialer.splice(0)) ways.toUpstream.push(chunk);
      for (const chunk of heldFromUpstream.splice(0)) ways.toDialer.push(chunk);
    };
    if (!this.identifyDialer) begin(this.from);
    dialer.on('data', (chunk: Buffer) => {
      if (ways !== undefined) {
        ways.toUpstream.push(chunk);
        return;
      }
      heldFromDialer.push(chunk);
      const dialerId = dialerIdOf(Buffer.concat(heldFromDialer));
      if (dialerId !== null) begin(dialerId ?? this.from);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (ways !== undefined) ways.toDialer.push(chunk);
      else heldFromUpstream.push(chunk);
    });
    // A clean close passes on as a FIN once the bytes sent before it have arrived; the relay
    // goes when both ways are done. An error ends both at once.
    const end = () => {
      for (const direction of relay.directions) direction.close();
      this.relays.delete(relay);
      dialer.destroy();
      upstream.destroy();
    };
    let finishedWays = 0;
    const wayDone = (sink: Socket) => () => {
      sink.end();
      finishedWays += 1;
      if (finishedWays === 2) end();
    };
    const finish = (way: 'toUpstream' | 'toDialer', sink: Socket) => {
      if (ways === undefined) begin(this.from);
      ways![way].direction.finish(wayDone(sink));
    };
    dialer.on('end', () => finish('toUpstream', upstream));
    upstream.on('end', () => finish('toDialer', dialer));
    dialer.on('close', (hadError) => (hadError ? end() : finish('toUpstream', upstream)));
    upstream.on('close', (hadError) => (hadError ? end() : finish('toDialer', dialer)));
    for (const socket of [dialer, upstream]) socket.on('error', end);
  }

  /** Resets every relay that lost bytes: both ends see the connection break and redial. */
  resetDamaged(): void {
    for (const relay of [...this.relays]) {
      if (!relay.damaged) continue;
      for (const direction of relay.directions) direction.close();
      relay.dialer.destroy();
      relay.upstream.destroy();
      this.relays.delete(relay);
    }
  }

  async close(): Promise<void> {
    for (const refused of this.refused.splice(0)) refused.close();
    for (const relay of this.relays) {
      for (const direction of relay.directions) direction.close();
      relay.dialer.destroy();
      relay.upstream.destroy();
    }
    this.relays.clear();
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else this.server.close(() => resolve());
    });
  }
}

export class ProxyMesh {
  /** Directed cuts: `from→to` bytes are dropped. */
  private readonly cuts = new Set<string>();
  private readonly proxies = new Map<string, PairProxy>();
  /** Bytes each direction carried to its receiver, by `from→to`. */
  private readonly carried = new Map<string, number>();

  private constructor(private readonly shapeOf: (from: number, to: number) => LinkShape) {}

  /**
   * One proxy per ordered pair of replicas, forwarding to each replica's real quorum port;
   * `shape` gives each direction's delay and bandwidth (none by default).
   */
  static async create(
    quorumPorts: ReadonlyMap<number, number>,
    host: string,
    shape: (from: number, to: number) => LinkShape = () => unshapedLink,
    /** Ports the proxies must not take (every port the replicas will bind). */
    reserved: ReadonlySet<number> = new Set(quorumPorts.values()),
  ): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(shape);
    const policy: LinkPolicy = {
      cut: (a, b) => mesh.cuts.has(`${a}→${b}`),
      shape: (a, b) => mesh.shapeOf(a, b),
      carried: (a, b, bytes) => {
        mesh.carried.set(`${a}→${b}`, (mesh.carried.get(`${a}→${b}`) ?? 0) + bytes);
      },
    };
    for (const from of quorumPorts.keys()) {
      for (const [to, port] of quorumPorts) {
        if (from === to) continue;
        const proxy = new PairProxy(from, to, port, policy, host, true);
        await proxy.listen(reserved);
        mesh.proxies.set(`${from}→${to}`, proxy);
      }
    }
    return mesh;
  }

  /** The port replica `from` is configured to reach replica `to` on. */
  portFor(from: number, to: number): number {
    const proxy = this.proxies.get(`${from}→${to}`);
    if (proxy === undefined) throw new Error(`no proxy from ${from} to ${to}`);
    return proxy.port;
  }

  /** Drops traffic between two replicas: both ways, or only from `first` to `second`. */
  partition(first: number, second: number, direction: Direction): void {
    this.cuts.add(`${first}→${second}`);
    if (direction === 'both') this.cuts.add(`${second}→${first}`);
  }

  /** Every replica but `id` loses it, both ways. */
  isolate(id: number, others: readonly number[]): void {
    for (const other of others) if (other !== id) this.partition(id, other, 'both');
  }

  /** Cuts `id` off from every replica outside `site`, both ways (a site's WAN links go). */
  isolateFrom(id: number, site: readonly number[], all: readonly number[]): void {
    for (const other of all) if (!site.includes(other)) this.partition(id, other, 'both');
  }

  healAll(): void {
    this.cuts.clear();
    for (const proxy of this.proxies.values()) proxy.resetDamaged();
  }

  /** Bytes carried from `from` to `to` so far (both proxies of the pair, either dialer). */
  bytesCarried(from: number, to: number): number {
    return this.carried.get(`${from}→${to}`) ?? 0;
  }

  get cutCount(): number {
    return this.cuts.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }
}

/** A single shaped link to `targetPort` (a client reaching a server in another site). */
export interface ShapedProxy {
  readonly port: number;
  /** Bytes carried towards the target and back. */
  bytes(): { toTarget: number; fromTarget: number };
  close(): Promise<void>;
}

export async function createShapedProxy(
  targetPort: number,
  host: string,
  shape: LinkShape,
): Promise<ShapedProxy> {
  const counts = { toTarget: 0, fromTarget: 0 };
  const policy: LinkPolicy = {
    cut: () => false,
    shape: () => shape,
    carried: (from, _to, bytes) => {
      if (from === 0) counts.toTarget += bytes;
      else counts.fromTarget += bytes;
    },
  };
  const proxy = new PairProxy(0, 1, targetPort, policy, host);
  const port = await proxy.listen();
  return { port, bytes: () => ({ ...counts }), close: () => proxy.close() };
}
