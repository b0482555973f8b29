// Tree broadcast in npm test's simulator slice: replicas with sites (site.N), so the leader sends
// PROPOSAL, COMMIT, INFORM and SYNC once per remote site through a relay there, under every
// fault the simulator injects (crashes of relays and leaders, partitions, lost and slow links).
// More seeds: `npm run sim -- --replicas 5 --sites a,a,b,b,b --seeds 1000` (observers:
// `--observers 2` and a site for each). An even seed's relayed followers ACK the leader
// directly, an odd seed's through their relay (treeBroadcastDirectAcks, sim/simulation.ts).
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/simulation.js';
import { runSeeds, seedRange } from './simulation-support.js';

const twoSites = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'b' };
const threeSites = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c' };

describe('deterministic simulation, tree broadcast', () => {
  it('relays through a replica of the remote site (5 voters, a,a,b,b,b, seed 3)', async () => {
    const frames = new Map<string, number>();
    const result = await runSimulation({
      seed: 3,
      voters: 5,
      sites: twoSites,
      trace: (line) => {
        const kind = /→\d+ (RELAYPLAN|RELAYACKS|RELAYED|RELAY)\b/.exec(line)?.[1];
        if (kind !== undefined) frames.set(kind, (frames.get(kind) ?? 0) + 1);
      },
    });
    expect(result.violations).toEqual([]);
    expect(frames.get('RELAYPLAN') ?? 0).toBeGreaterThan(0);
    expect(frames.get('RELAY') ?? 0).toBeGreaterThan(0);
    expect(frames.get('RELAYED') ?? 0).toBeGreaterThan(0);
    expect(frames.get('RELAYACKS') ?? 0).toBeGreaterThan(0);
  }, 60_000);

  it('runs both ACK paths: direct on even seeds, batched through the relay on odd ones',
    async () => {
      const failures: string[] = [];
      const plans = new Map<number, { direct: number; batched: number }>();
      for (const seed of [3, 4]) {
        const counts = { direct: 0, batched: 0 };
        const result = await runSimulation({
          seed, voters: 5, sites: twoSites,
          trace: (line) => {
            if (!/→\d+ RELAYPLAN via \d+/.test(line)) return;
            if (line.includes('ACKs direct')) counts.direct += 1;
            else counts.batched += 1;
          },
        });
        failures.push(...result.violations.map((violation) => `seed ${seed}: ${violation}`));
        plans.set(seed, counts);
      }
      expect(failures).toEqual([]);
      expect(plans.get(3)).toMatchObject({ direct: 0 });
      expect(plans.get(3)!.batched).toBeGreaterThan(0);
      expect(plans.get(4)).toMatchObject({ batched: 0 });
      expect(plans.get(4)!.direct).toBeGreaterThan(0);
    }, 60_000);

  it('relays INFORM to remote observers (3 voters, 2 observers, seeds 1..6)', async () => {
    let relayedInforms = 0;
    const slice = { failures: [] as string[] };
    for (let seed = 1; seed <= 6; seed++) {
      const result = await runSimulation({
        seed, voters: 3, observers: 2, sites: { 1: 'a', 2: 'b', 3: 'a', 4: 'b', 5: 'b' },
        trace: (line) => {
          if (/→\d+ RELAYED from \d+ INFORM/.test(line)) relayedInforms += 1;
        },
      });
      slice.failures.push(...result.violations.map((violation) => `seed ${seed}: ${violation}`));
    }
    expect(slice.failures).toEqual([]);
    expect(relayedInforms).toBeGreaterThan(0);
  }, 120_000);

  it('keeps every invariant (5 voters, sites a,a,b,b,b, seeds 1..16)', async () => {
    const slice = await runSeeds(seedRange(1, 16), { voters: 5, sites: twoSites });
    expect(slice.failures).toEqual([]);
    expect(slice.operations).toBeGreaterThan(30);
  }, 120_000);

  it('syncs a learner from a follower of its site (2+2+1 across a WAN, seeds 12 and 28)',
    async () => {
      // Each seed sends a replica that needs a SNAP to a follower of its own site (SNAPFROM),
      // which serves its tree; the learner then syncs with the leader from that snapshot on.
      const failures: string[] = [];
      let served = 0;
      for (const seed of [12, 28]) {
        const sources = new Map<number, number>();
        const result = await runSimulation({
          seed,
          wan: 'sites221',
          trace: (line) => {
            const told = /(\d+)→(\d+) SNAPFROM (\d+)/.exec(line);
            if (told !== null) sources.set(Number(told[2]), Number(told[3]));
            const snap = /(\d+)→(\d+) SNAP 0x/.exec(line);
            if (snap !== null && sources.get(Number(snap[2])) === Number(snap[1])) served += 1;
          },
        });
        failures.push(...result.violations.map((violation) => `seed ${seed}: ${violation}`));
      }
      expect(failures).toEqual([]);
      expect(served).toBeGreaterThanOrEqual(2);
    }, 120_000);

  it('keeps every invariant (5 voters, sites a,a,b,b,c, seeds 101..110)', async () => {
    const slice = await runSeeds(seedRange(101, 10), { voters: 5, sites: threeSites });
    expect(slice.failures).toEqual([]);
  }, 120_000);
});
