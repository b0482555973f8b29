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
    // Spin until Node's own account (getrusage) says 300 ms of CPU were spent, however long a
    // loaded machine makes that take (bounded): wall time alone is not CPU time there.
    const usageBefore = process.cpuUsage();
    const deadline = performance.now() + 10_000;
    let spentMs = 0;
    while (spentMs < 300 && performance.now() < deadline) {
      const usage = process.cpuUsage(usageBefore);
      spentMs = (usage.user + usage.system) / 1000;
    }
    expect(spentMs).toBeGreaterThanOrEqual(300);
    // /proc counts in ticks of 10 ms: 300 ms shows as at least 250.
    expect(processCpuMs(process.pid)! - before).toBeGreaterThanOrEqual(250);
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
