// Server processes the test helpers start, tracked until they exit. A test that fails before its
// stop, or a variable a later test reassigns, must not leave a server running past its test file:
// the setup file (test/support/cleanup-setup.ts) kills whatever is left after each file.
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** Tracks `child` until it exits. */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** SIGKILLs every tracked child still running; resolves once each has exited. */
export async function killLeftoverChildren(): Promise<number> {
  const left = [...running].filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(left.map((child) => new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
  return left.length;
}
