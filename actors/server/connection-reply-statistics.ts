// What a client connection records as each reply goes out: its latency, sizes and the last
// operation, xid and zxid that `cons` shows, kept per connection and per server as ZooKeeper's
// ServerStats and ServerMetrics keep them. Separate from client-connection.ts, which moves bytes.

import type { LatencyTracker, ServerStatistics } from './statistics.js';
import { frameHead, type Frame } from '../../protocol/frame-parts.js';

/** Operations whose failure is an error txn, which ZooKeeper's statistics name `NA`. */
const errorTxnOperations = new Set(['CREA', 'DELE', 'SETD', 'SETA', 'CHEC', 'RECO']);
/** Replies to requests that carry a txn (ZooKeeper's updatelatency; all others readlatency). */
const txnOperations = new Set([...errorTxnOperations, 'MULT', 'CLOS', 'NA']);

/**
 * CLOCK_MONOTONIC in milliseconds, as Java's System.nanoTime (ZooKeeper's Time.currentElapsedTime,
 * which stamps a connection's last response, `cons`'s lresp): the same origin as the JVM's, so
 * tools that compare lresp across servers or with the host's clock read corral alike.
 */
const monotonicOriginMs = Number(process.hrtime.bigint() / 1_000_000n) - performance.now();

/** Milliseconds on the host's monotonic clock (see monotonicOriginMs). */
export function elapsedTimeMs(): number {
  return Math.floor(monotonicOriginMs + performance.now());
}

/** The per-connection figures a reply updates (ClientConnection's public fields). */
export interface ReplyFigures {
  lastOperation: string;
  lastCxid: number;
  lastZxid: number;
  lastResponseAtMs: number;
  readonly latency: LatencyTracker;
}

/** A reply went out `latencyMs` after its request arrived: counts it for the connection and
 * the server. */
export function recordReply(
  figures: ReplyFigures,
  statistics: ServerStatistics,
  latencyMs: number,
  frame: Frame,
  operation: string | undefined,
): void {
  figures.latency.record(latencyMs);
  statistics.latency.record(latencyMs);
  figures.lastResponseAtMs = elapsedTimeMs();
  statistics.clientResponseSizes.record(frame.length - 4);
  statistics.metrics.counters.response_bytes += frame.length - 4;
  if (operation !== undefined) {
    noteReplyHeader(figures, operation, frame);
    const { summaries } = statistics.metrics;
    const latency = txnOperations.has(operation) ? summaries.updatelatency
      : summaries.readlatency;
    latency.observe(latencyMs);
  }
}

/**
 * Records the reply to a request as ZooKeeper's updateStatsForResponse does: its operation,
 * xid (not the special negative ones) and zxid, read from the reply header (after the 4-byte
 * length: xid, zxid, err). A write refused with an error went through as an error txn, which
 * ZooKeeper's FinalRequestProcessor reports as `NA`.
 */
export function noteReplyHeader(figures: ReplyFigures, operation: string, reply: Frame): void {
  const frame = frameHead(reply);
  const xid = frame.readInt32BE(4);
  if (xid >= 0) figures.lastCxid = xid;
  // Two 32-bit reads: a BigInt per reply is measurable on the write path.
  figures.lastZxid = frame.readInt32BE(8) * 0x1_0000_0000 + frame.readUInt32BE(12);
  const err = frame.readInt32BE(16);
  figures.lastOperation = err !== 0 && errorTxnOperations.has(operation) ? 'NA' : operation;
}
