// How long a replica waits before redialing a peer: exponential in the failed attempts, capped,
// with jitter so replicas that lost each other at the same moment do not redial in lockstep.
// Pure (randomness comes in as an argument) so its bounds have a table test.

export interface ReconnectBackoff {
  reconnectBackoffMsBase: number;
  reconnectBackoffMsMax: number;
}

/**
 * "Equal jitter": a delay in [ceiling / 2, ceiling], where ceiling = min(max, base · 2^attempt).
 * Never zero, so a peer that refuses at once cannot be redialed in a tight loop; never above
 * reconnectBackoffMsMax. `random` returns a number in [0, 1).
 */
export function reconnectDelayMs(
  attempt: number,
  backoff: ReconnectBackoff,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const ceilingMs = Math.min(
    backoff.reconnectBackoffMsMax,
    backoff.reconnectBackoffMsBase * 2 ** exponent,
  );
  const drawn = random();
  const jitter = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0;
  return Math.max(1, Math.round(ceilingMs / 2 + (jitter * ceilingMs) / 2));
}
