// When `corral ensemble` restarts a replica that exited: exponential backoff that starts over once
// a replica has stayed up a while, and a budget of restarts per window after which a crash loop
// is reported instead of retried for ever. Pure, so the schedule is a table test.

export const restartPolicy = {
  backoffMsInitial: 500,
  backoffMsMax: 10_000,
  /** A replica that stayed up this long is healthy again: its next failure waits the minimum. */
  stableUptimeMs: 30_000,
  /** More restarts than this within restartWindowMs, and the replica is given up on. */
  restartsMax: 10,
  restartWindowMs: 5 * 60_000,
} as const;

export interface RestartHistory {
  /** Failures since the replica last stayed up stableUptimeMs; sets the backoff. */
  failuresInRow: number;
  /** When each restart within the window was scheduled to run, oldest first. */
  restartsAtMs: readonly number[];
}

export const freshRestartHistory: RestartHistory = { failuresInRow: 0, restartsAtMs: [] };

export type RestartDecision =
  | { action: 'restart'; delayMs: number; history: RestartHistory }
  | { action: 'giveUp'; history: RestartHistory };

/** The wait before the n-th restart in a row (n from 1): 500 ms, doubling, at most 10 s. */
export function restartBackoffMs(failuresInRow: number): number {
  const doublings = Math.max(0, failuresInRow - 1);
  // Past 2^5 the cap has been reached; stopping there keeps the arithmetic small.
  const delayMs = restartPolicy.backoffMsInitial * 2 ** Math.min(doublings, 5);
  return Math.min(delayMs, restartPolicy.backoffMsMax);
}

/** What to do about a replica that exited at `exitAtMs` after running for `uptimeMs`. */
export function decideRestart(
  history: RestartHistory,
  exit: { exitAtMs: number; uptimeMs: number },
): RestartDecision {
  const failuresInRow = exit.uptimeMs >= restartPolicy.stableUptimeMs
    ? 1
    : history.failuresInRow + 1;
  const recent = history.restartsAtMs.filter(
    (restartAtMs) => exit.exitAtMs - restartAtMs < restartPolicy.restartWindowMs,
  );
  if (recent.length >= restartPolicy.restartsMax) {
    return { action: 'giveUp', history: { failuresInRow, restartsAtMs: recent } };
  }
  const delayMs = restartBackoffMs(failuresInRow);
  return {
    action: 'restart',
    delayMs,
    history: { failuresInRow, restartsAtMs: [...recent, exit.exitAtMs + delayMs] },
  };
}
