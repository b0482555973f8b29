// Free loopback ports for test servers, below the kernel's ephemeral range and from a block of
// their own per vitest worker (bench/ports.ts says why): parallel test files never collide, and a
// server stopped and started again finds its port still free.

import { reservedPorts } from '../../bench/ports.js';

export async function freePort(): Promise<number> {
  const [port] = await reservedPorts(1);
  return port!;
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  return reservedPorts(count);
}
