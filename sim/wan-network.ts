// The simulated network with time in it: replicas sit in sites, and each pair of sites has a
// latency, a seeded jitter and a bandwidth. An item queued on a link becomes deliverable only once
// simulated time reaches its arrival: the link's serialisation of the bytes before it, then the
// latency. Links stay FIFO, as TCP keeps them. Without a layout the plain MemoryNetwork is used,
// so a seed that runs on one site replays exactly as before.
import type { ServerId } from '../protocol/peer.js';
import { MemoryNetwork, NetworkBusyError, type PendingLink } from '../transport/memory.js';
import { SeededRandom } from './random.js';

/** One direction between two sites (or inside one). */
export interface LinkTiming {
  latencyMs: number;
  /** Added to each item's latency, drawn uniformly from [0, jitterMs). */
  jitterMs: number;
  /** Bytes the link carries per millisecond; Infinity for no serialisation delay. */
  bandwidthBytesPerMs: number;
}

/** Where each replica is and how its site reaches the others. */
export interface WanLayout {
  /** The site of a replica; undefined for an id outside the layout (it reaches all at once). */
  siteOf(id: ServerId): string | undefined;
  /** The timing from `fromSite` to `toSite` (the same site: the local network). */
  link(fromSite: string, toSite: string): LinkTiming;
}

export interface WanNetworkOptions {
  layout: WanLayout;
  /** The simulated time items depart and arrive by (the cluster's true clock). */
  now: () => number;
  seed: number;
}

interface InFlight {
  arrivalMs: number;
  /** The order items were queued in, across links: ties in arrival go by it. */
  sequence: number;
  jitterMs: number;
  /** A frame's bytes when the link crosses sites (counted on delivery), else 0. */
  crossSiteBytes: number;
}

const deliveriesMaxDefault = 1_000_000;
const instant: LinkTiming = { latencyMs: 0, jitterMs: 0, bandwidthBytesPerMs: Infinity };

function linkKey(from: ServerId, to: ServerId): string {
  return `${from}->${to}`;
}

export class WanNetwork extends MemoryNetwork {
  /** Frame bytes that crossed from one site to another, counted when delivered. */
  crossSiteBytes = 0;
  /** The arrival of each item still queued per link, in queue order (see reconcile). */
  private readonly inFlight = new Map<string, InFlight[]>();
  /** When each link finishes serialising what it was given. */
  private readonly busyUntilMs = new Map<string, number>();
  private readonly jitter: SeededRandom;
  private sequenceCounter = 0;

  constructor(private readonly wan: WanNetworkOptions) {
    super();
    // A generator of its own: drawing jitter moves nothing in the run's schedule.
    this.jitter = new SeededRandom((wan.seed ^ 0x3a11_7e57) >>> 0);
    this.on('queued', (from, to) => this.onQueued(from, to));
  }

  /** The timing between two replicas' sites. */
  timing(from: ServerId, to: ServerId): LinkTiming {
    const fromSite = this.wan.layout.siteOf(from);
    const toSite = this.wan.layout.siteOf(to);
    if (fromSite === undefined || toSite === undefined) return instant;
    return this.wan.layout.link(fromSite, toSite);
  }

  /** When the head of `from`→`to` arrives; undefined when nothing is queued there. */
  headArrivalMs(from: ServerId, to: ServerId): number | undefined {
    const real = super.pendingLinks().find((link) => link.from === from && link.to === to);
    if (real === undefined) return undefined;
    return this.reconcile(real)[0]?.arrivalMs ?? this.wan.now();
  }

  override transmit(from: ServerId, to: ServerId, frame: Uint8Array): void {
    const lostBefore = this.statistics.framesLost;
    super.transmit(from, to, frame);
    // Every way a frame is not queued counts it lost: otherwise it is the link's newest item.
    if (this.statistics.framesLost !== lostBefore) return;
    const queue = this.inFlight.get(linkKey(from, to));
    const frameItem = queue?.[queue.length - 1];
    if (queue === undefined || frameItem === undefined) return;
    const timing = this.timing(from, to);
    const now = this.wan.now();
    const key = linkKey(from, to);
    const startMs = Math.max(now, this.busyUntilMs.get(key) ?? now);
    const sentMs = startMs + frame.byteLength / timing.bandwidthBytesPerMs;
    this.busyUntilMs.set(key, sentMs);
    const before = queue[queue.length - 2]?.arrivalMs ?? now;
    frameItem.arrivalMs = Math.max(before, sentMs + timing.latencyMs + frameItem.jitterMs);
    frameItem.crossSiteBytes = this.isCrossSite(from, to) ? frame.byteLength : 0;
  }

  /** Links whose head has arrived, in a stable order (what a seeded scheduler picks from). */
  override pendingLinks(): PendingLink[] {
    const now = this.wan.now();
    return super.pendingLinks().filter((link) => {
      const head = this.reconcile(link)[0];
      return head === undefined || head.arrivalMs <= now;
    });
  }

  /** Delivers up to `count` items of `from`→`to` that have arrived. */
  override deliver(from: ServerId, to: ServerId, count = 1): number {
    let delivered = 0;
    const now = this.wan.now();
    while (delivered < count) {
      const arrival = this.headArrivalMs(from, to);
      if (arrival === undefined || arrival > now) break;
      this.deliverOne(from, to);
      delivered += 1;
    }
    return delivered;
  }

  /** Delivers what has arrived (and what that causes, if it arrives at once), by arrival. */
  override deliverAll(
    deliveriesMax = deliveriesMaxDefault,
    accepts: (to: ServerId) => boolean = () => true,
  ): number {
    let delivered = 0;
    for (;;) {
      const next = this.earliestArrived(accepts);
      if (next === undefined) return delivered;
      if (delivered >= deliveriesMax) throw new NetworkBusyError(deliveriesMax);
      this.deliverOne(next.from, next.to);
      delivered += 1;
    }
  }

  override deliverNext(accepts: (to: ServerId) => boolean = () => true): boolean {
    const next = this.earliestArrived(accepts);
    if (next === undefined) return false;
    this.deliverOne(next.from, next.to);
    return true;
  }

  /** The earliest arrival still in flight to a receiver `accepts` takes (the next time due). */
  nextArrivalMs(accepts: (to: ServerId) => boolean = () => true): number | undefined {
    let earliest: number | undefined;
    for (const link of super.pendingLinks()) {
      if (!accepts(link.to)) continue;
      const head = this.reconcile(link)[0];
      if (head !== undefined && (earliest === undefined || head.arrivalMs < earliest)) {
        earliest = head.arrivalMs;
      }
    }
    return earliest;
  }

  private earliestArrived(accepts: (to: ServerId) => boolean): PendingLink | undefined {
    const now = this.wan.now();
    let best: { link: PendingLink; head: InFlight } | undefined;
    for (const link of super.pendingLinks()) {
      if (!accepts(link.to)) continue;
      const head = this.reconcile(link)[0];
      if (head === undefined || head.arrivalMs > now) continue;
      if (best === undefined || head.arrivalMs < best.head.arrivalMs ||
        (head.arrivalMs === best.head.arrivalMs && head.sequence < best.head.sequence)) {
        best = { link, head };
      }
    }
    return best?.link;
  }

  private deliverOne(from: ServerId, to: ServerId): void {
    const key = linkKey(from, to);
    this.crossSiteBytes += this.inFlight.get(key)?.shift()?.crossSiteBytes ?? 0;
    super.deliver(from, to, 1);
  }

  private onQueued(from: ServerId, to: ServerId): void {
    const key = linkKey(from, to);
    let queue = this.inFlight.get(key);
    if (queue === undefined) {
      queue = [];
      this.inFlight.set(key, queue);
    }
    const timing = this.timing(from, to);
    const jitterMs = timing.jitterMs > 0 ? this.jitter.next() * timing.jitterMs : 0;
    const now = this.wan.now();
    const before = queue[queue.length - 1]?.arrivalMs ?? now;
    const arrivalMs = Math.max(before, now + timing.latencyMs + jitterMs);
    this.sequenceCounter += 1;
    queue.push({ arrivalMs, sequence: this.sequenceCounter, jitterMs, crossSiteBytes: 0 });
  }

  /**
   * The in-flight record of a link, trimmed to what the link really holds. A broken connection
   * or a crash discards queued frames without telling anyone; the ones left (connection notices)
   * keep the latest arrivals, which keeps the link FIFO and never lets an item arrive early.
   */
  private reconcile(link: PendingLink): InFlight[] {
    const key = linkKey(link.from, link.to);
    const queue = this.inFlight.get(key) ?? [];
    if (queue.length > link.queued) queue.splice(0, queue.length - link.queued);
    return queue;
  }

  private isCrossSite(from: ServerId, to: ServerId): boolean {
    const fromSite = this.wan.layout.siteOf(from);
    const toSite = this.wan.layout.siteOf(to);
    return fromSite !== undefined && toSite !== undefined && fromSite !== toSite;
  }
}
