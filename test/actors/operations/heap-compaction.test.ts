import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compactHeap, shouldCompact } from '../../../actors/operations/heap-compaction.js';

const mebibyte = 1024 * 1024;

describe('heap compaction when idle', () => {
  it.each([
    { utilization: 0.001, grownMiB: 200, expected: true },
    { utilization: 0.001, grownMiB: 32, expected: true },
    { utilization: 0.001, grownMiB: 31, expected: false },
    { utilization: 0.001, grownMiB: -50, expected: false },
    { utilization: 0.05, grownMiB: 200, expected: false },
    { utilization: 0.9, grownMiB: 500, expected: false },
  ])('utilization $utilization, heap grown $grownMiB MiB: compacts $expected',
    ({ utilization, grownMiB, expected }) => {
      const heapBytesAfterCompaction = 100 * mebibyte;
      expect(shouldCompact({ utilization, heapBytesAfterCompaction,
        heapBytes: heapBytesAfterCompaction + grownMiB * mebibyte })).toBe(expected);
    });

  it('gives back the pages a burst of garbage left, keeping what is still referenced', () => {
    // A burst as a server sees one: many short-lived objects, one in a hundred kept, so every
    // page V8 filled keeps a few live objects and an ordinary collection frees few pages.
    const kept: string[] = [];
    let burst: object[] = [];
    for (let index = 0; index < 1_500_000; index++) {
      const request = { path: `/bench/p${index % 1000}/n${index}`, index, reply: [index] };
      if (index % 100 === 0) kept.push(request.path);
      burst.push(request);
      if (burst.length === 100_000) burst = [];
    }
    burst = [];
    const before = getHeapStatistics().total_heap_size;
    expect(compactHeap()).toBe(true);
    const after = getHeapStatistics().total_heap_size;
    expect(before - after).toBeGreaterThan(32 * mebibyte);
    expect(kept).toHaveLength(15_000);
    expect(kept[14_999]).toBe('/bench/p900/n1499900');
  });
});
