// The in-memory Transport and the simulated network behind it, for tests and the simulator.
// Every connection keeps two FIFO queues (one per direction) that move only when the test or
// the simulator's scheduler says so — never inside send, which would re-enter the sender's
// machine transition. Faults behave as TCP's would: a lost frame breaks the connection.
import { createNanoEvents, type Emitter } from 'nanoevents';
import type { ServerId } from '../protocol/peer.js';
import type {
  CloseCause,
  LinkState,
  Transport,
  TransportEventName,
  TransportEvents,
} from './transport.js';
import { assertNever } from '../protocol/assert.js';
import { tcpPeerVersion } from './tcp-peer-wire.js';

export interface MemoryNetworkOptions {
  /** Items queued on one direction of a connection before the sender gives up (`overflow`). */
  linkItemsMax?: number;
  /**
   * The newest peer wire version each replica speaks (tcp-peer-wire.ts), for a simulated rolling
   * upgrade; a replica not named speaks tcpPeerVersion. A link speaks the lower of its two ends',
   * as the TCP transport's negotiation ends (the dialer steps down to what the acceptor takes).
   */
  versionsMax?: ReadonlyMap<ServerId, number>;
}

/** The memory network's transport: a Transport, plus what the TCP one offers a host. */
export interface MemoryTransport extends Transport {
  /**
   * Does nothing, by design: the simulated network links any two attached replicas, members or
   * joining ones alike, so membership (reconfig) is modelled by the replicas, not the network.
   * It is here so a host can treat both worlds' transports the same.
   */
  setPeers(peers: ReadonlyMap<ServerId, unknown>): void;
}

/** One direction of a connection: what `to` has yet to learn from `from`. */
export interface PendingLink {
  from: ServerId;
  to: ServerId;
  queued: number;
}

export interface MemoryNetworkStatistics {
  framesSent: number;
  framesDelivered: number;
  /** Sent to a peer that could not be reached, or discarded when a connection broke. */
  framesLost: number;
}

/** For a simulator's scheduler: it may schedule a delivery, and must not deliver right away. */
export interface MemoryNetworkEvents {
  queued: (from: ServerId, to: ServerId) => void;
}

type LinkItem = { sequence: number } & (
  | { kind: 'frame'; frame: Uint8Array }
  | { kind: 'connected' }
  | { kind: 'disconnected'; cause: CloseCause }
);

type LinkItemBody = LinkItem extends infer Item
  ? Item extends LinkItem
    ? Omit<Item, 'sequence'>
    : never
  : never;

/** deliverAll went past its limit: the peers never went quiet. */
export class NetworkBusyError extends Error {
  constructor(readonly deliveries: number) {
    super(`memory network: still busy after ${deliveries} deliveries`);
    this.name = 'NetworkBusyError';
  }
}

const linkItemsMaxDefault = 100_000;
const deliveriesMaxDefault = 1_000_000;

function linkKey(from: ServerId, to: ServerId): string {
  return `${from}->${to}`;
}

function pairKey(first: ServerId, second: ServerId): string {
  return first < second ? `${first}-${second}` : `${second}-${first}`;
}

class MemoryNetworkTransport implements MemoryTransport {
  private closed = false;

  constructor(
    readonly localId: ServerId,
    private readonly emitter: Emitter<TransportEvents>,
    private readonly network: MemoryNetwork,
  ) {}

  send(to: ServerId, frame: Uint8Array): void {
    if (!this.closed) this.network.transmit(this.localId, to, frame);
  }

  on<Name extends TransportEventName>(name: Name, listener: TransportEvents[Name]): () => void {
    return this.emitter.on(name, listener);
  }

  linkState(peer: ServerId): LinkState {
    return this.network.linkState(this.localId, peer);
  }

  peerVersion(peer: ServerId): number | undefined {
    return this.network.peerVersion(this.localId, peer);
  }

  setPeers(): void {}

  close(cause: CloseCause = { reason: 'closed' }): void {
    if (this.closed) return;
    this.closed = true;
    this.emitter.events = {};
    this.network.detach(this.localId, cause);
  }
}

export class MemoryNetwork {
  readonly statistics: MemoryNetworkStatistics = {
    framesSent: 0,
    framesDelivered: 0,
    framesLost: 0,
  };
  private readonly emitters = new Map<ServerId, Emitter<TransportEvents>>();
  private readonly links = new Map<string, { from: ServerId; to: ServerId; items: LinkItem[] }>();
  /** Pairs with an established connection. */
  private readonly connections = new Set<string>();
  /** Directions whose frames are lost (partitions). */
  private readonly blockedLinks = new Set<string>();
  private readonly isolated = new Set<ServerId>();
  private readonly events = createNanoEvents<MemoryNetworkEvents>();
  private readonly linkItemsMax: number;
  private readonly versionsMax: Map<ServerId, number>;
  private sequence = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.linkItemsMax = options.linkItemsMax ?? linkItemsMaxDefault;
    this.versionsMax = new Map(options.versionsMax ?? []);
  }

  /**
   * A transport for `id`; after the previous one closed (a crash), this is the restart — with
   * `versionMax`, of another release (a rolling upgrade step).
   */
  transport(id: ServerId, options: { versionMax?: number } = {}): MemoryTransport {
    if (this.emitters.has(id)) throw new Error(`memory network: ${id} is already attached`);
    if (options.versionMax !== undefined) this.versionsMax.set(id, options.versionMax);
    const emitter = createNanoEvents<TransportEvents>();
    this.emitters.set(id, emitter);
    return new MemoryNetworkTransport(id, emitter, this);
  }

  /** The version the connection between two replicas speaks; undefined when there is none. */
  peerVersion(first: ServerId, second: ServerId): number | undefined {
    if (!this.connections.has(pairKey(first, second))) return undefined;
    const versionOf = (id: ServerId) => this.versionsMax.get(id) ?? tcpPeerVersion;
    return Math.min(versionOf(first), versionOf(second));
  }

  on<Name extends keyof MemoryNetworkEvents>(
    name: Name,
    listener: MemoryNetworkEvents[Name],
  ): () => void {
    return this.events.on(name, listener);
  }

  /** The link from `from` to `to`: connected or not, and the frame bytes queued on it. */
  linkState(from: ServerId, to: ServerId): LinkState {
    const state = this.connections.has(pairKey(from, to)) ? 'connected' : 'idle';
    let queuedBytes = 0;
    for (const item of this.links.get(linkKey(from, to))?.items ?? []) {
      if (item.kind === 'frame') queuedBytes += item.frame.byteLength;
    }
    return { state, queuedBytes };
  }

  /** Every direction with something queued, in a stable order (for a seeded scheduler). */
  pendingLinks(): PendingLink[] {
    return [...this.links.values()]
      .filter((link) => link.items.length > 0)
      .map(({ from, to, items }) => ({ from, to, queued: items.length }))
      .sort((first, second) => first.from - second.from || first.to - second.to);
  }

  /** Delivers the next `count` items from `from` to `to`; returns how many were delivered. */
  deliver(from: ServerId, to: ServerId, count = 1): number {
    let delivered = 0;
    while (delivered < count && this.deliverHead(linkKey(from, to))) delivered += 1;
    return delivered;
  }

  /**
   * Delivers everything, including what deliveries cause to be sent, in the order it was sent;
   * links to a receiver `accepts` refuses (a paused process) keep their items. A run past
   * `deliveriesMax` means the peers never go quiet: a bug, so it throws.
   */
  deliverAll(
    deliveriesMax = deliveriesMaxDefault,
    accepts: (to: ServerId) => boolean = () => true,
  ): number {
    let delivered = 0;
    for (;;) {
      const oldest = this.oldestLink(accepts);
      if (oldest === undefined) return delivered;
      if (delivered >= deliveriesMax) throw new NetworkBusyError(deliveriesMax);
      this.deliverHead(oldest);
      delivered += 1;
    }
  }

  /** Delivers the item sent first among the links `accepts` takes; false when none is queued. */
  deliverNext(accepts: (to: ServerId) => boolean = () => true): boolean {
    const oldest = this.oldestLink(accepts);
    return oldest !== undefined && this.deliverHead(oldest);
  }

  private oldestLink(accepts: (to: ServerId) => boolean): string | undefined {
    let oldest: { key: string; sequence: number } | undefined;
    for (const [key, link] of this.links) {
      if (!accepts(link.to)) continue;
      const head = link.items[0];
      if (head !== undefined && (oldest === undefined || head.sequence < oldest.sequence)) {
        oldest = { key, sequence: head.sequence };
      }
    }
    return oldest?.key;
  }

  /** Loses the next frame from `from` to `to`; as on TCP, that breaks the connection. */
  dropNext(from: ServerId, to: ServerId): boolean {
    const link = this.links.get(linkKey(from, to));
    if (link?.items.some((item) => item.kind === 'frame') !== true) return false;
    this.breakConnection(from, to, { reason: 'frameLost' });
    return true;
  }

  /** Resets the connection between two replicas; both ends learn it and frames in flight go. */
  reset(first: ServerId, second: ServerId): void {
    if (this.connections.has(pairKey(first, second))) {
      this.breakConnection(first, second, { reason: 'reset' });
    }
  }

  /**
   * Frames from `first` to `second` (and back, unless one-way) are lost from now on, queued ones
   * included, so the connection breaks when the next one is sent or delivered. No new connection
   * forms while either direction is blocked: TCP's handshake needs both.
   */
  partition(first: ServerId, second: ServerId, direction: 'both' | 'oneWay' = 'both'): void {
    this.blockedLinks.add(linkKey(first, second));
    if (direction === 'both') this.blockedLinks.add(linkKey(second, first));
  }

  /** Cuts `id` off from every replica, present and future, until healed. */
  isolate(id: ServerId): void {
    this.isolated.add(id);
  }

  heal(first: ServerId, second: ServerId): void {
    this.blockedLinks.delete(linkKey(first, second));
    this.blockedLinks.delete(linkKey(second, first));
  }

  healAll(): void {
    this.blockedLinks.clear();
    this.isolated.clear();
  }

  isConnected(first: ServerId, second: ServerId): boolean {
    return this.connections.has(pairKey(first, second));
  }

  /** Called by a transport's send. Queues only; listeners run later, from deliver. */
  transmit(from: ServerId, to: ServerId, frame: Uint8Array): void {
    this.statistics.framesSent += 1;
    if (!this.connections.has(pairKey(from, to))) {
      if (!this.emitters.has(to) || this.isBlocked(from, to) || this.isBlocked(to, from)) {
        this.statistics.framesLost += 1;
        return;
      }
      this.connections.add(pairKey(from, to));
      this.enqueue(from, to, { kind: 'connected' });
      this.enqueue(to, from, { kind: 'connected' });
    }
    if (this.isBlocked(from, to)) {
      this.statistics.framesLost += 1;
      this.breakConnection(from, to, { reason: 'frameLost' });
      return;
    }
    if ((this.links.get(linkKey(from, to))?.items.length ?? 0) >= this.linkItemsMax) {
      this.statistics.framesLost += 1;
      this.breakConnection(from, to, { reason: 'overflow' });
      return;
    }
    // A copy, so a sender reusing its buffer cannot change a frame in flight.
    this.enqueue(from, to, { kind: 'frame', frame: new Uint8Array(frame) });
  }

  /** Called by a transport's close: its peers learn `peerClosed`, it learns nothing more. */
  detach(id: ServerId, cause: CloseCause): void {
    this.emitters.delete(id);
    for (const link of this.links.values()) {
      if (link.to === id) this.discardFrames(link.items.splice(0));
    }
    for (const peer of [...this.connections].flatMap((pair) => peersOf(pair, id))) {
      this.connections.delete(pairKey(id, peer));
      const outgoing = this.links.get(linkKey(id, peer));
      if (outgoing !== undefined) this.discardFrames(outgoing.items.splice(0));
      this.enqueue(id, peer, {
        kind: 'disconnected',
        cause: { reason: 'peerClosed', detail: cause.reason },
      });
    }
  }

  private isBlocked(from: ServerId, to: ServerId): boolean {
    return (
      this.blockedLinks.has(linkKey(from, to)) || this.isolated.has(from) || this.isolated.has(to)
    );
  }

  private enqueue(from: ServerId, to: ServerId, body: LinkItemBody): void {
    const key = linkKey(from, to);
    let link = this.links.get(key);
    if (link === undefined) {
      link = { from, to, items: [] };
      this.links.set(key, link);
    }
    this.sequence += 1;
    link.items.push({ ...body, sequence: this.sequence } as LinkItem);
    this.events.emit('queued', from, to);
  }

  /** Frames in flight both ways are lost; connection notices stay so each end sees them. */
  private breakConnection(first: ServerId, second: ServerId, cause: CloseCause): void {
    this.connections.delete(pairKey(first, second));
    for (const [from, to] of [
      [first, second],
      [second, first],
    ] as const) {
      const link = this.links.get(linkKey(from, to));
      if (link !== undefined) {
        const frames = link.items.filter((item) => item.kind === 'frame');
        link.items = link.items.filter((item) => item.kind !== 'frame');
        this.discardFrames(frames);
      }
      if (this.emitters.has(to)) this.enqueue(from, to, { kind: 'disconnected', cause });
    }
  }

  private discardFrames(items: LinkItem[]): void {
    this.statistics.framesLost += items.filter((item) => item.kind === 'frame').length;
  }

  private deliverHead(key: string): boolean {
    const link = this.links.get(key);
    const item = link?.items.shift();
    if (link === undefined || item === undefined) return false;
    const emitter = this.emitters.get(link.to);
    if (emitter === undefined) return true;
    switch (item.kind) {
      case 'frame':
        if (this.isBlocked(link.from, link.to)) {
          this.statistics.framesLost += 1;
          this.breakConnection(link.from, link.to, { reason: 'frameLost' });
          return true;
        }
        this.statistics.framesDelivered += 1;
        emitter.emit('frame', link.from, item.frame);
        return true;
      case 'connected':
        emitter.emit('connected', link.from);
        return true;
      case 'disconnected':
        emitter.emit('disconnected', link.from, item.cause);
        return true;
      default:
        return assertNever(item);
    }
  }
}

function peersOf(pair: string, id: ServerId): ServerId[] {
  const [first, second] = pair.split('-').map(Number) as [ServerId, ServerId];
  if (first === id) return [second];
  if (second === id) return [first];
  return [];
}

