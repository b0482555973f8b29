// Ports for the servers that tests and benchmarks start, stop and start again on the same port.
//
// A port the kernel hands out for `listen(0)` comes from its ephemeral range, the same range every
// outgoing connection on the machine takes its local port from. Once a server on such a port
// stops, any connect() anywhere (another test file's client, a ZooKeeper JVM dialing its peers)
// may be given that port as its local end, and the server's restart then fails with EADDRINUSE.
// So these ports are taken below the ephemeral range, where no connect() ever lands, from a block
// of their own per vitest worker (parallel test files never probe the same ports), each probed
// free by binding it before it is handed out.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port handed out: above the well-known and most registered service ports. */
const lowestPort = 10_000;
/** Blocks: one per vitest worker id 1..8, and block 0 for a process outside vitest. */
const blockCount = 9;
const ephemeralLowDefault = 32_768;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim()
      .split(/\s+/);
    const parsed = Number(low);
    return Number.isInteger(parsed) && parsed > 0 ? parsed : ephemeralLowDefault;
  } catch {
    return ephemeralLowDefault;
  }
}

interface Block {
  first: number;
  size: number;
  /** Offset of the next port to probe; starts at random, so files that run one after another
   * in the same worker do not begin on the ports the previous one just used. */
  next: number;
}

let block: Block | undefined;

function blockOf(): Block | undefined {
  if (block !== undefined) return block;
  const size = Math.floor((ephemeralLow() - lowestPort) / blockCount);
  // An ephemeral range that starts too low leaves no room: fall back to the kernel's choice.
  if (size < 200) return undefined;
  const worker = Number(process.env['VITEST_POOL_ID'] ?? 0);
  const index = Number.isInteger(worker) && worker > 0 ? ((worker - 1) % (blockCount - 1)) + 1 : 0;
  block = { first: lowestPort + index * size, size, next: Math.floor(Math.random() * size) };
  return block;
}

/** Resolves whether `port` on `host` could be listened on now. */
function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port from the kernel's ephemeral range (the fallback when there is no room below it). */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` distinct ports no one listens on now, and that no outgoing connection can take while
 * a server that used one is down. Distinct across calls in one process until its block wraps.
 */
export async function reservedPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  const own = blockOf();
  if (own === undefined) {
    while (ports.length < count) {
      const port = await kernelPort(host);
      if (!ports.includes(port)) ports.push(port);
    }
    return ports;
  }
  for (let probed = 0; ports.length < count; probed += 1) {
    if (probed >= own.size) {
      throw new Error(`no free port left in ${own.first}..${own.first + own.size - 1}`);
    }
    const port = own.first + own.next;
    own.next = (own.next + 1) % own.size;
    if (await bindable(port, host)) ports.push(port);
  }
  return ports;
}

/**
 * The first of `length` consecutive ports, all free now, from the same block as reservedPorts
 * (for a harness that numbers its servers' ports from one offset, as kazoo's does). Without a
 * block of its own, bases are tried at random below the ephemeral range (anywhere above
 * lowestPort when that range starts too low to hold the run).
 */
export async function reservedPortRun(length: number, host = '127.0.0.1'): Promise<number> {
  const own = blockOf();
  const allFree = async (first: number) => {
    for (let port = first; port < first + length; port++) {
      if (!(await bindable(port, host))) return false;
    }
    return true;
  };
  if (own === undefined || own.size < length) {
    // Below the ephemeral range when it leaves room for the run, else anywhere above lowestPort.
    const below = ephemeralLow() - lowestPort - length;
    const span = below > 0 ? below : 65_536 - lowestPort - length;
    for (let attempt = 0; attempt < 50; attempt++) {
      const first = lowestPort + Math.floor(Math.random() * span);
      if (await allFree(first)) return first;
    }
    throw new Error(`no ${length} consecutive free ports found`);
  }
  for (let probed = 0; probed < own.size; probed++) {
    if (own.next + length > own.size) own.next = 0;
    const first = own.first + own.next;
    if (await allFree(first)) {
      own.next = (own.next + length) % own.size;
      return first;
    }
    own.next = (own.next + 1) % own.size;
  }
  const last = own.first + own.size - 1;
  throw new Error(`no ${length} consecutive free ports in ${own.first}..${last}`);
}
