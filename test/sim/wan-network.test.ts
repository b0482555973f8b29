// The simulator's WAN link model: an item waits for its link's latency (and jitter), bytes queue
// behind the link's bandwidth, each link stays FIFO, a seed names one set of arrivals, and a
// cluster across three sites elects, commits and counts the bytes that cross sites.
import { describe, expect, it } from 'vitest';
import { Cluster, createTxnBody } from '../../sim/cluster.js';
import { siteAssignment, wanLayoutForSeed, wanLayoutOf } from '../../sim/wan-layouts.js';
import { WanNetwork, type LinkTiming } from '../../sim/wan-network.js';

/** Replicas 1 and 2 in site a, 3 in site b, `timing` between the sites; a clock to move. */
function createWan(timing: LinkTiming, seed = 1) {
  const clock = { nowMs: 0 };
  const layout = wanLayoutOf(new Map([[1, 'a'], [2, 'a'], [3, 'b']]), () => timing);
  const network = new WanNetwork({ layout, now: () => clock.nowMs, seed });
  const log: Array<{ atMs: number; line: string }> = [];
  for (const id of [1, 2, 3]) {
    const transport = network.transport(id);
    transport.on('frame', (from, frame) =>
      log.push({ atMs: clock.nowMs, line: `${id}<-${from} ${Buffer.from(frame).toString()}` }));
  }
  const send = (from: number, to: number, text: string) =>
    network.transmit(from, to, Buffer.from(text));
  /** Moves time 1 ms at a time up to `untilMs`, delivering whatever has arrived. */
  const runUntil = (untilMs: number) => {
    for (; clock.nowMs <= untilMs; clock.nowMs += 1) network.deliverAll();
    clock.nowMs = untilMs;
  };
  return { network, clock, log, send, runUntil };
}

const wan40: LinkTiming = { latencyMs: 40, jitterMs: 0, bandwidthBytesPerMs: Infinity };

describe('simulated WAN links', () => {
  it('delivers inside a site at once and across sites after the latency (40 ms)', () => {
    const { network, log, send, runUntil } = createWan(wan40);
    send(1, 2, 'local');
    send(1, 3, 'remote');
    expect(network.deliverAll()).toBeGreaterThan(0);
    expect(log.map((entry) => entry.line)).toEqual(['2<-1 local']);
    expect(network.pendingLinks().some((link) => link.to === 3)).toBe(false);
    runUntil(39);
    expect(log).toHaveLength(1);
    runUntil(45);
    expect(log[1]).toEqual({ atMs: 40, line: '3<-1 remote' });
  });

  it('queues bytes behind the bandwidth (3 x 100 B at 10 B/ms + 5 ms: 15, 25, 35 ms)', () => {
    const { log, send, runUntil } = createWan({
      latencyMs: 5, jitterMs: 0, bandwidthBytesPerMs: 10,
    });
    for (const name of ['a', 'b', 'c']) send(1, 3, name.repeat(100));
    runUntil(60);
    expect(log.map((entry) => entry.atMs)).toEqual([15, 25, 35]);
  });

  it('keeps each link FIFO under jitter, each item at least the latency late (50 frames)', () => {
    const { log, send, clock, runUntil } = createWan({
      latencyMs: 20, jitterMs: 30, bandwidthBytesPerMs: Infinity,
    });
    const sentAt = new Map<string, number>();
    for (let index = 0; index < 50; index++) {
      clock.nowMs = index;
      sentAt.set(`f${index}`, index);
      send(2, 3, `f${index}`);
    }
    runUntil(200);
    const texts = log.map((entry) => entry.line.split(' ')[1]!);
    expect(texts).toEqual([...sentAt.keys()]);
    for (const entry of log) {
      expect(entry.atMs - sentAt.get(entry.line.split(' ')[1]!)!).toBeGreaterThanOrEqual(20);
    }
    // The jitter is really drawn: arrivals are not all exactly 20 ms after sending.
    const delays = log.map((entry) => entry.atMs - sentAt.get(entry.line.split(' ')[1]!)!);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('draws the same arrivals for the same seed and others for another (seeds 7, 7, 8)', () => {
    const arrivals = (seed: number) => {
      const { log, send, runUntil } = createWan({
        latencyMs: 10, jitterMs: 25, bandwidthBytesPerMs: 50,
      }, seed);
      for (let index = 0; index < 20; index++) send(1, 3, 'x'.repeat(10 * (index + 1)));
      runUntil(300);
      return log.map((entry) => entry.atMs);
    };
    expect(arrivals(7)).toEqual(arrivals(7));
    expect(arrivals(8)).not.toEqual(arrivals(7));
  });

  it('splits members into sites in id order (5 over 3: 2+2+1; 9 over 3: 3+3+3)', () => {
    const count = (members: number[]) => {
      const sizes = new Map<string, number>();
      for (const site of siteAssignment(members, 3).values()) {
        sizes.set(site, (sizes.get(site) ?? 0) + 1);
      }
      return [...sizes.values()];
    };
    expect(count([1, 2, 3, 4, 5])).toEqual([2, 2, 1]);
    expect(count([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([3, 3, 3]);
    const layout = wanLayoutForSeed([1, 2, 3, 4, 5], 3, 11);
    expect(layout.describe()).toBe(wanLayoutForSeed([1, 2, 3, 4, 5], 3, 11).describe());
    expect(layout.link('sitea', 'siteb')).toEqual(layout.link('siteb', 'sitea'));
    expect(layout.link('sitea', 'sitea').latencyMs).toBe(0);
  });

  it('elects and commits across three sites, counting the bytes that cross (2+2+1)', async () => {
    const members = [1, 2, 3, 4, 5];
    const layout = wanLayoutOf(siteAssignment(members, 3), () => ({
      latencyMs: 40, jitterMs: 5, bandwidthBytesPerMs: 1_000,
    }));
    const cluster = new Cluster({
      voters: members, seed: 3, wan: layout, timing: { initLimitTicks: 20, syncLimitTicks: 10 },
    });
    await cluster.startAll();
    const leaderId = await cluster.stabilize();
    await cluster.openSession();
    // The session's own commit needs a round trip to another site: time must pass.
    await cluster.run(1_000);
    const before = cluster.wan!.crossSiteBytes;
    const committedBefore = cluster.ledger.size;
    for (let index = 0; index < 5; index++) cluster.submit(createTxnBody(`/wan${index}`), leaderId);
    // Nothing crosses a site within one instant: a commit needs simulated time.
    await cluster.settle();
    expect(cluster.ledger.size).toBe(committedBefore);
    await cluster.run(1_000);
    expect(cluster.ledger.size).toBe(committedBefore + 5);
    expect(cluster.wan!.crossSiteBytes).toBeGreaterThan(before);
    expect(cluster.checkInvariants()).toEqual([]);
  });
});
