// A server process's CPU time as Linux reports it in /proc/<pid>/stat (all its threads: V8's
// or the JVM's GC and compiler threads too), and a wait until the process has gone quiet. The
// scale benchmark's latency rows wait so before measuring: creating 100k znodes ends with a
// snapshot (both systems take one every snapCount = 100,000 txns, ZooKeeper a little earlier),
// JIT compilation and garbage collection, and a stall measured while those run is not the
// stall of the request under test.

import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every common platform). */
const ticksPerSecond = 100;

/** CPU time (user + system) of the process so far, in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing paren.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return ((user + system) * 1000) / ticksPerSecond;
}

export interface QuietOptions {
  /** The window CPU use is judged over. */
  windowMs: number;
  /** At most this share of one core over the window counts as quiet. */
  busyShareMax: number;
  /** Give up (resolve false) after this long. */
  timeoutMs: number;
}

export const quietDefaults: QuietOptions = { windowMs: 1000, busyShareMax: 0.05,
  timeoutMs: 30_000 };

/**
 * Resolves true once the process used at most `busyShareMax` of a core over the last
 * `windowMs`, false when `timeoutMs` passed first (or the process is gone).
 */
export async function waitQuiet(pid: number, options: QuietOptions = quietDefaults):
  Promise<boolean> {
  const deadline = performance.now() + options.timeoutMs;
  let before = processCpuMs(pid);
  while (before !== undefined && performance.now() < deadline) {
    await new Promise((done) => setTimeout(done, options.windowMs));
    const after = processCpuMs(pid);
    if (after === undefined) return false;
    if (after - before <= options.busyShareMax * options.windowMs) return true;
    before = after;
  }
  return false;
}
