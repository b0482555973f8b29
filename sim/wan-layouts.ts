// Where the simulator's replicas sit when a seed runs across data centres: the members split into
// sites in id order (5 over 3 sites is 2+2+1), and each pair of sites gets a latency, a jitter
// and a bandwidth drawn from the seed by a generator of its own, so a seed names one layout and
// drawing it moves nothing in the run's schedule. Inside a site the network is instant.
import type { ServerId } from '../protocol/peer.js';
import { SeededRandom } from './random.js';
import type { LinkTiming, WanLayout } from './wan-network.js';

/** Bounds the seed draws each pair of sites from (one-way, in simulated ms and bytes/ms). */
export const wanLinkBounds = {
  latencyMsMin: 10,
  latencyMsMax: 80,
  jitterMsMax: 20,
  /** 100 KB/s to 2 MB/s: a SNAP of the simulator's small trees takes a few ticks at worst. */
  bandwidthBytesPerMsMin: 100,
  bandwidthBytesPerMsMax: 2_000,
};

const localLink: LinkTiming = { latencyMs: 0, jitterMs: 0, bandwidthBytesPerMs: Infinity };

export interface SimWanLayout extends WanLayout {
  readonly sites: readonly string[];
  /** One line for traces and reports: each site's members and each pair's timing. */
  describe(): string;
}

function siteName(index: number): string {
  return `site${String.fromCharCode(97 + index)}`;
}

/** `members` (in id order) split into `siteCount` contiguous sites, the first ones larger. */
export function siteAssignment(
  members: readonly ServerId[],
  siteCount: number,
): Map<ServerId, string> {
  const sorted = [...members].sort((first, second) => first - second);
  const assignment = new Map<ServerId, string>();
  sorted.forEach((id, index) => {
    assignment.set(id, siteName(Math.floor((index * siteCount) / sorted.length)));
  });
  return assignment;
}

/** A layout with the given timings between sites (tests, benches) or drawn from a seed. */
export function wanLayoutOf(
  assignment: ReadonlyMap<ServerId, string>,
  between: (fromSite: string, toSite: string) => LinkTiming,
): SimWanLayout {
  const sites = [...new Set(assignment.values())].sort();
  const timings = new Map<string, LinkTiming>();
  for (const from of sites) {
    for (const to of sites) {
      timings.set(`${from}>${to}`, from === to ? localLink : between(from, to));
    }
  }
  return {
    sites,
    siteOf: (id) => assignment.get(id),
    link: (from, to) => timings.get(`${from}>${to}`) ?? localLink,
    describe: () => {
      const members = sites.map((site) =>
        `${site}=${[...assignment].filter(([, of]) => of === site).map(([id]) => id).join(',')}`);
      const pairs = sites.flatMap((from) => sites.filter((to) => from < to).map((to) => {
        const timing = timings.get(`${from}>${to}`)!;
        return `${from}-${to} ${timing.latencyMs}+${timing.jitterMs}ms ` +
          `${timing.bandwidthBytesPerMs}B/ms`;
      }));
      return `wan ${members.join(' ')}; ${pairs.join('; ')}`;
    },
  };
}

/** The seed's layout for `members` over `siteCount` sites; symmetric timings per pair. */
export function wanLayoutForSeed(
  members: readonly ServerId[],
  siteCount: number,
  seed: number,
): SimWanLayout {
  const random = new SeededRandom((seed ^ 0x0a7e_5175) >>> 0);
  const bounds = wanLinkBounds;
  const drawn = new Map<string, LinkTiming>();
  const between = (from: string, to: string): LinkTiming => {
    const key = from < to ? `${from}-${to}` : `${to}-${from}`;
    let timing = drawn.get(key);
    if (timing === undefined) {
      const span = (min: number, max: number) => min + random.int(max - min + 1);
      timing = {
        latencyMs: span(bounds.latencyMsMin, bounds.latencyMsMax),
        jitterMs: random.int(bounds.jitterMsMax + 1),
        bandwidthBytesPerMs: span(bounds.bandwidthBytesPerMsMin, bounds.bandwidthBytesPerMsMax),
      };
      drawn.set(key, timing);
    }
    return timing;
  };
  return wanLayoutOf(siteAssignment(members, siteCount), between);
}
