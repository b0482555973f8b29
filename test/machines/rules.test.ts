// Table tests for the pure protocol rules the machines call.
import { describe, expect, it } from 'vitest';
import { readOnlyGraceMs } from '../../machines/read-only.js';
import { negotiateSessionTimeout, sessionTimeoutBounds } from '../../machines/rules.js';

type NegotiationRow = [number, number, number | undefined, number | undefined, number];

describe('negotiateSessionTimeout', () => {
  it.each<NegotiationRow>([
    // requested ms, tickTime ms, min ms, max ms (undefined: ZooKeeper's default), negotiated ms
    [30_000, 2_000, undefined, undefined, 30_000],
    [1_000, 2_000, undefined, undefined, 4_000],
    [4_000, 2_000, undefined, undefined, 4_000],
    [40_000, 2_000, undefined, undefined, 40_000],
    [90_000, 2_000, undefined, undefined, 40_000],
    [0, 2_000, undefined, undefined, 4_000],
    [-5, 2_000, undefined, undefined, 4_000],
    [Number.NaN, 2_000, undefined, undefined, 4_000],
    [5_000, 2_000, 10_000, undefined, 10_000],
    [50_000, 2_000, undefined, 20_000, 20_000],
    [7_000, 100, 6_000, 8_000, 7_000],
    [7_000.9, 100, 6_000, 8_000, 7_000],
    [9_000, 100, 6_000, 6_000, 6_000],
  ])(
    'negotiates %s ms (tickTime %s, min %s, max %s) to %s ms',
    (requestedMs, tickTimeMs, minMs, maxMs, expected) => {
      const limits = { tickTimeMs, minSessionTimeoutMs: minMs, maxSessionTimeoutMs: maxMs };
      expect(negotiateSessionTimeout(requestedMs, limits)).toBe(expected);
    },
  );

  it.each([
    { tickTimeMs: 0, minMs: undefined, maxMs: undefined },
    { tickTimeMs: 2_000, minMs: 50_000, maxMs: undefined },
    { tickTimeMs: 2_000, minMs: 10_000, maxMs: 5_000 },
    { tickTimeMs: 2_000, minMs: -1, maxMs: undefined },
  ])('rejects misconfigured limits (tickTime $tickTimeMs, min $minMs, max $maxMs)', (limits) => {
    const resolved = {
      tickTimeMs: limits.tickTimeMs,
      minSessionTimeoutMs: limits.minMs,
      maxSessionTimeoutMs: limits.maxMs,
    };
    expect(() => sessionTimeoutBounds(resolved)).toThrow();
  });
});

describe('readOnlyGraceMs', () => {
  it.each<[number, number]>([
    // tickTime ms, grace ms (QuorumPeer sleeps max(2000, tickTime) before serving read-only)
    [1, 2000],
    [200, 2000],
    [2000, 2000],
    [2001, 2001],
    [3000, 3000],
    [60_000, 60_000],
  ])('waits max(2000, tickTime %s ms) = %s ms', (tickMs, expected) => {
    expect(readOnlyGraceMs(tickMs)).toBe(expected);
  });
});
