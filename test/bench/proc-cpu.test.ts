// The scale benchmark's quiet wait (bench/proc-cpu.ts) against real processes: a child spinning
// on a core is never quiet, a child sleeping is quiet within one window, and a PID that cannot
// exist has no CPU time.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { processCpuMs, waitQuiet } from '../../bench/proc-cpu.js';

const children: ChildProcess[] = [];

function child(code: string): ChildProcess {
  const started = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(started);
  return started;
}

afterEach(() => {
  for (const started of children.splice(0)) started.kill('SIGKILL');
});

describe('process CPU time and the quiet wait (bench/proc-cpu.ts)', () => {
  it('counts the CPU this process spends', () => {
    const before = processCpuMs(process.pid)!;
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    expect(spins).toBeGreaterThan(0);
    // Ticks of 10 ms: 300 ms of spinning shows as at least 200 ms even on a loaded machine.
    expect(processCpuMs(process.pid)! - before).toBeGreaterThanOrEqual(200);
    expect(processCpuMs(2 ** 22 + 1)).toBeUndefined();
  });

  it('is not quiet while a process spins, and quiet once one only sleeps', async () => {
    const spinning = child('const end = Date.now() + 20000; while (Date.now() < end);');
    const options = { windowMs: 500, busyShareMax: 0.05, timeoutMs: 1600 };
    expect(await waitQuiet(spinning.pid!, options)).toBe(false);
    const sleeping = child('setTimeout(() => undefined, 20000);');
    // Let it start (loading node is busy), then it uses nothing.
    await new Promise((done) => setTimeout(done, 1000));
    expect(await waitQuiet(sleeping.pid!, { ...options, timeoutMs: 5000 })).toBe(true);
  }, 20_000);
});
