// The scale benchmark's /proc reader against this test process's own /proc/self/status: the
// shares add up to the resident set as Linux accounts it, and touching fresh memory (in a
// process started for it) shows up in the anonymous share. Also the refusal of a status text without the lines it needs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProcStatus, readProcessMemory } from '../../bench/proc-memory.js';
import { projectRoot } from '../support/corral.js';

const mebibyte = 2 ** 20;

describe('proc memory (bench/proc-memory.ts)', () => {
  it('reads VmRSS and its file, anonymous and shmem shares from /proc/self/status', () => {
    const memory = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(memory.rssBytes).toBeGreaterThan(10 * mebibyte);
    expect(memory.rssAnonBytes).toBeGreaterThan(0);
    expect(memory.rssFileBytes).toBeGreaterThan(0);
    // Linux counts VmRSS as the sum of the three shares, each in whole kB.
    expect(memory.rssAnonBytes + memory.rssFileBytes + memory.rssShmemBytes)
      .toBe(memory.rssBytes);
    expect(memory.peakRssBytes).toBeGreaterThanOrEqual(memory.rssBytes);
    expect(memory.rssBytes % 1024).toBe(0);
  });

  it('sees 64 MiB of freshly written memory in the anonymous share', () => {
    // In a process of its own: this worker runs test file after test file, and memory an
    // earlier file freed may still be resident, so an allocation here need not grow RSS.
    const reader = pathToFileURL(join(projectRoot, 'dist', 'bench', 'proc-memory.js')).href;
    const script = `
      const { readProcessMemory } = await import(${JSON.stringify(reader)});
      const before = readProcessMemory('self');
      const block = Buffer.allocUnsafeSlow(64 * 2 ** 20);
      block.fill(0x5a);
      const after = readProcessMemory('self');
      console.log(JSON.stringify({ last: block[block.length - 1],
        anon: after.rssAnonBytes - before.rssAnonBytes, rss: after.rssBytes - before.rssBytes }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 });
    expect(child.status, child.stderr).toBe(0);
    const grown = JSON.parse(child.stdout) as { last: number; anon: number; rss: number };
    expect(grown.last).toBe(0x5a);
    expect(grown.anon).toBeGreaterThan(56 * mebibyte);
    expect(grown.rss).toBeGreaterThan(56 * mebibyte);
  });

  it('reads this process by its PID too, and refuses a PID that cannot exist', () => {
    const byPid = readProcessMemory(process.pid);
    expect(byPid.rssBytes).toBeGreaterThan(10 * mebibyte);
    expect(byPid.rssAnonBytes + byPid.rssFileBytes + byPid.rssShmemBytes).toBe(byPid.rssBytes);
    // PIDs never exceed pid_max, at most 2^22 on Linux.
    expect(() => readProcessMemory(2 ** 22 + 1)).toThrow(/ENOENT/);
  });

  it.each(['VmRSS', 'RssFile', 'RssAnon', 'RssShmem', 'VmHWM'])(
    'refuses a status text without its %s line', (field) => {
      const text = readFileSync('/proc/self/status', 'utf8').split('\n')
        .filter((line) => !line.startsWith(`${field}:`)).join('\n');
      expect(() => parseProcStatus(text)).toThrow(field);
    });
});
