// A livelock in the simulated cluster: replicas that keep answering each other without simulated
// time passing, as a real process would burn CPU and the network between two replicas. The
// cluster counts deliveries per instant and throws this, which ends the seed as its violation.
import { describePeerMessage, type PeerMessage, type ServerId } from '../protocol/peer.js';
import type { MemoryNetwork } from '../transport/memory.js';

/**
 * Peer deliveries at one simulated instant before the cluster counts as livelocked: replicas
 * that keep answering each other without time passing (a real process would burn CPU and the
 * network between them). A busy instant of a 5-replica cluster takes a few thousand.
 */
export const deliveriesPerInstantMax = 50_000;
/** Messages a livelock report quotes, delivered after the limit was reached. */
const livelockSampleMessages = 12;

/** The cluster stopped making progress at one simulated instant: that seed's violation. */
export class LivelockError extends Error {
  constructor(
    readonly atMs: number,
    readonly sample: readonly string[],
  ) {
    super(
      `livelock: ${deliveriesPerInstantMax} peer deliveries at simulated time ${atMs} ms ` +
        `without time passing; it repeats: ${sample.join('; ')}`,
    );
    this.name = 'LivelockError';
  }
}

/** Peer deliveries at the current simulated instant, against deliveriesPerInstantMax. */
export class InstantDeliveries {
  private delivered = 0;
  /** Set while a livelock's sample is taken: each delivered message, described. */
  private sample: string[] | undefined;

  constructor(
    private readonly network: MemoryNetwork,
    private readonly now: () => number,
  ) {}

  /** Deliveries still allowed at this instant. */
  get left(): number {
    return deliveriesPerInstantMax - this.delivered;
  }

  timePassed(): void {
    this.delivered = 0;
  }

  /** A message a replica received (only kept while a sample is taken). */
  record(from: ServerId, to: ServerId, message: PeerMessage): void {
    this.sample?.push(`${from}→${to} ${describePeerMessage(message)}`);
  }

  /**
   * Counts `delivered`; past the limit, delivers a few more (to receivers `accepts` takes) to
   * quote what the replicas keep saying, and throws LivelockError.
   */
  count(delivered: number, accepts: (to: ServerId) => boolean): void {
    this.delivered += delivered;
    if (this.delivered < deliveriesPerInstantMax) return;
    const sample: string[] = [];
    this.sample = sample;
    try {
      for (let tries = 0; sample.length < livelockSampleMessages && tries < 100; tries++) {
        if (!this.network.deliverNext(accepts)) break;
      }
    } finally {
      this.sample = undefined;
    }
    throw new LivelockError(this.now(), sample);
  }
}
