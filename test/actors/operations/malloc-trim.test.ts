import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../../actors/operations/heap-compaction.js';
import { canTrimMalloc, trimMalloc } from '../../../actors/operations/malloc-trim.js';

const mebibyte = 1024 * 1024;

function rssAnonBytes(): number {
  const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (match === null) throw new Error('/proc/self/status has no RssAnon line');
  return Number(match[1]) * 1024;
}

/** glibc's version when this process runs on glibc (process.report says), else undefined. */
function glibcVersion(): string | undefined {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime;
}

describe('giving the C heap\'s free pages back', () => {
  it('is available wherever the C library is glibc', () => {
    expect(canTrimMalloc()).toBe(process.platform === 'linux' && glibcVersion() !== undefined);
  });

  it.skipIf(!canTrimMalloc())('releases what a burst of buffers freed between buffers still held',
    async () => {
      // Buffers of a few KiB come from malloc's heap, as a server's request buffers do; one in
      // sixteen is kept, so no free stretch reaches the heap's top and free() gives nothing back.
      const kept: Buffer[] = [];
      let burst: Buffer[] = [];
      for (let index = 0; index < 24_000; index++) {
        const buffer = Buffer.allocUnsafeSlow(4000).fill(index % 251);
        if (index % 16 === 0) kept.push(buffer);
        else burst.push(buffer);
      }
      burst = [];
      expect(burst).toHaveLength(0);
      expect(compactHeap()).toBe(true);
      // V8 frees the collected buffers' memory on a background thread.
      await new Promise((done) => setTimeout(done, 500));
      const before = rssAnonBytes();
      expect(trimMalloc()).toBe(true);
      const after = rssAnonBytes();
      // 22,500 buffers of 4000 B freed: some 86 MiB, most of it in whole free pages.
      expect(before - after).toBeGreaterThan(40 * mebibyte);
      expect(kept).toHaveLength(1500);
      expect(kept.every((buffer, at) => buffer[3999] === (at * 16) % 251)).toBe(true);
    });
});
