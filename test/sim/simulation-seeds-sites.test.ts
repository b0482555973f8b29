// Tree broadcast in npm test's simulator slice: replicas with sites (site.N), so the leader sends
// PROPOSAL, COMMIT, INFORM and SYNC once per remote site through a relay there, under every
// fault the simulator injects (crashes of relays and leaders, partitions, lost and slow links).
// More seeds: `npm run sim -- --replicas 5 --sites a,a,b,b,b --seeds 1000` (observers:
// `--observers 2` and a site for each).
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
