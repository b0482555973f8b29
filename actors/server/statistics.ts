// Counters the four-letter words and metrics report: packets, request latency (min/avg/max as
// ZooKeeper's ServerStats keeps them), per connection and per server, resettable by crst/srst.

export class LatencyTracker {
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = 0;
  private total = 0;
  private count = 0;
  last = 0;

  record(latencyMs: number): void {
    this.last = latencyMs;
    this.minimum = Math.min(this.minimum, latencyMs);
    this.maximum = Math.max(this.maximum, latencyMs);
    this.total += latencyMs;
    this.count++;
  }

  get minMs(): number {
    return this.count === 0 ? 0 : this.minimum;
  }

  get maxMs(): number {
    return this.maximum;
  }

  get avgMs(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.minimum = Number.POSITIVE_INFINITY;
    this.maximum = 0;
    this.total = 0;
    this.count = 0;
    this.last = 0;
  }
}

/** ZooKeeper's BufferStats: the last, smallest and largest size seen, -1 before the first. */
export class BufferSizeTracker {
  lastBytes = -1;
  minBytes = -1;
  maxBytes = -1;

  record(bytes: number): void {
    this.lastBytes = bytes;
    this.minBytes = this.minBytes === -1 ? bytes : Math.min(this.minBytes, bytes);
    this.maxBytes = Math.max(this.maxBytes, bytes);
  }

  reset(): void {
    this.lastBytes = -1;
    this.minBytes = -1;
    this.maxBytes = -1;
  }
}

export class ServerStatistics {
  packetsReceived = 0;
  packetsSent = 0;
  authFailedCount = 0;
  /** Txns whose stamped tree digest differed from this replica's (digest_mismatches_count). */
  digestMismatches = 0;
  readonly latency = new LatencyTracker();
  /** Sizes of replies and notifications without the 4-byte length (ZooKeeper counts what its
   * sendResponse serializes; the connect response, sent around it, is not counted). */
  readonly clientResponseSizes = new BufferSizeTracker();

  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.authFailedCount = 0;
    this.latency.reset();
    this.clientResponseSizes.reset();
  }
}
