// When a client connection may read more requests: the rules that bound the memory one client
// can make the server hold. Replies a client does not read pile up in its socket; requests it
// pipelines pile up in its queue. Pure rules here, applied by client-connection.ts.

/** The limits one server applies to each of its client connections. */
export interface ThrottleLimits {
  /**
   * Above this many bytes of unsent replies (in the socket, or answered and waiting in the
   * request queue behind an earlier one) the connection stops reading and handing over
   * requests; it goes on once they are sent. corral's `client.sendQueueBytesThrottle`.
   */
  sendQueueBytesThrottle: number;
  /**
   * Unsent replies beyond this many bytes close the connection at once (a reply into an empty
   * send queue is always allowed, whatever its size). corral's `client.sendQueueBytesMax`.
   */
  sendQueueBytesMax: number;
  /**
   * ZooKeeper's globalOutstandingLimit: while the server has more requests than this in flight
   * (handed over, not yet answered), a connection with any of its own in flight stops reading.
   * A connection that holds this many itself (requests read but not yet handed over included)
   * stops reading too: beyond it, only what one chunk of its bytes already held.
   */
  outstandingRequestsMax: number;
}

/** What a connection holds now. */
export interface ConnectionLoad {
  /** Bytes of replies not yet handed to the kernel. */
  unsentBytes: number;
  /** This connection's requests handed over and not yet answered. */
  requestsInFlight: number;
  /** This connection's requests read from the socket and not yet handed over. */
  requestsHeld: number;
  /** Every connection's requests in flight, this one's included. */
  serverRequestsInFlight: number;
}

/** True while the connection must not hand over another request: its replies wait unsent. */
export function sendQueueFull(unsentBytes: number, limits: ThrottleLimits): boolean {
  return unsentBytes > limits.sendQueueBytesThrottle;
}

/** True when a reply of `replyBytes` on top of `unsentBytes` must close the connection. */
export function sendQueueOverflows(
  unsentBytes: number,
  replyBytes: number,
  limits: ThrottleLimits,
): boolean {
  return unsentBytes > 0 && unsentBytes + replyBytes > limits.sendQueueBytesMax;
}

/**
 * True while the connection's socket must not be read: its replies wait unsent, it holds as
 * many requests as the server allows in flight, or the server is over that limit while this
 * connection has requests of its own in flight (ZooKeeper's shouldThrottle: a connection with
 * nothing in flight may still send one request, so a busy server still hears new clients).
 */
export function readingPaused(load: ConnectionLoad, limits: ThrottleLimits): boolean {
  if (sendQueueFull(load.unsentBytes, limits)) return true;
  const own = load.requestsInFlight + load.requestsHeld;
  if (own >= limits.outstandingRequestsMax) return true;
  return load.serverRequestsInFlight > limits.outstandingRequestsMax && own > 0;
}

/**
 * The requests every connection of one server has in flight. Each connection reports its own
 * count as it changes (`report`) and takes it back as it closes, so the sum stays exact.
 */
export class ServerRequestsInFlight {
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Replaces a connection's earlier count with its current one; returns the current one. */
  report(previous: number, current: number): number {
    this.total += current - previous;
    return current;
  }
}
