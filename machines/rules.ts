// Pure protocol rules the machines' guards and context builders call, kept apart so each rule has
// a table test (the etcd-io/raft habit) and the machines stay readable.

/** Server limits that bound a client's requested session timeout, as zoo.cfg names them. */
export interface SessionTimeoutLimits {
  tickTimeMs: number;
  /** zoo.cfg minSessionTimeout; ZooKeeper's default is 2 × tickTime. */
  minSessionTimeoutMs?: number;
  /** zoo.cfg maxSessionTimeout; ZooKeeper's default is 20 × tickTime. */
  maxSessionTimeoutMs?: number;
}

/**
 * The timeout a new session gets, as ZooKeeper negotiates it: the client's request clamped into
 * [minSessionTimeout, maxSessionTimeout]. The result goes back in the ConnectResponse, and the
 * session expires when no packet arrives within it.
 */
export function negotiateSessionTimeout(
  requestedTimeoutMs: number,
  limits: SessionTimeoutLimits,
): number {
  const { minimumMs, maximumMs } = sessionTimeoutBounds(limits);
  if (!Number.isFinite(requestedTimeoutMs) || requestedTimeoutMs < minimumMs) return minimumMs;
  if (requestedTimeoutMs > maximumMs) return maximumMs;
  return Math.trunc(requestedTimeoutMs);
}

/** The effective bounds, with ZooKeeper's defaults filled in; a misconfiguration is a bug. */
export function sessionTimeoutBounds(limits: SessionTimeoutLimits): {
  minimumMs: number;
  maximumMs: number;
} {
  assertPositiveInteger(limits.tickTimeMs, 'tickTimeMs');
  const minimumMs = limits.minSessionTimeoutMs ?? 2 * limits.tickTimeMs;
  const maximumMs = limits.maxSessionTimeoutMs ?? 20 * limits.tickTimeMs;
  assertPositiveInteger(minimumMs, 'minSessionTimeoutMs');
  assertPositiveInteger(maximumMs, 'maxSessionTimeoutMs');
  if (minimumMs > maximumMs) {
    throw new Error(
      `minSessionTimeoutMs (${minimumMs}) must not exceed maxSessionTimeoutMs (${maximumMs})`,
    );
  }
  return { minimumMs, maximumMs };
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}
