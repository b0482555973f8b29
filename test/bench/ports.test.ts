// The ports tests and benchmarks restart servers on: below the kernel's ephemeral range (so no
// outgoing connection can take one while its server is down), distinct, and free when handed out.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { reservedPortRun, reservedPorts } from '../../bench/ports.js';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
  .trim().split(/\s+/)[0]);

describe('reserved ports', () => {
  it('are below the ephemeral range, distinct across calls, and each can be listened on',
  async () => {
    const ports = [...await reservedPorts(20), ...await reservedPorts(20)];
    expect(new Set(ports).size).toBe(40);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[39], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('skips a port someone listens on', async () => {
    // Hold the next ports of this worker's block, then ask: none of the held ones comes back.
    const probe = await reservedPorts(1);
    const held = await Promise.all(Array.from({ length: 5 }, (_, index) => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer> | undefined>((resolve) => {
        server.once('error', () => resolve(undefined));
        server.listen(probe[0]! + 1 + index, '127.0.0.1', () => resolve(server));
      });
    }));
    try {
      const heldPorts = held.flatMap((server, index) =>
        server === undefined ? [] : [probe[0]! + 1 + index]);
      const next = await reservedPorts(3);
      for (const port of next) expect(heldPorts).not.toContain(port);
    } finally {
      await Promise.all(held.map((server) =>
        server === undefined ? undefined : new Promise((resolve) => server.close(resolve))));
    }
  });

  it('hands out runs of consecutive free ports that do not overlap, skipping a held port',
  async () => {
    const first = await reservedPortRun(24);
    const second = await reservedPortRun(24);
    expect(first).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(first, second) + 23).toBeLessThan(ephemeralLow);
    expect(Math.abs(second - first)).toBeGreaterThanOrEqual(24);
    // Hold a port just ahead: the next run must not include it.
    const held = createServer();
    const heldPort = second + 24 + 3;
    const listening = await new Promise<boolean>((resolve) => {
      held.once('error', () => resolve(false));
      held.listen(heldPort, '127.0.0.1', () => resolve(true));
    });
    try {
      const third = await reservedPortRun(24);
      if (listening) expect(heldPort >= third && heldPort < third + 24).toBe(false);
    } finally {
      if (listening) await new Promise((resolve) => held.close(resolve));
    }
  });
});
