// Sites for a chaos run on one machine: `--sites a,a,a,b,b,b,c,c,c` puts replica N in the Nth
// site named, and the proxy mesh shapes each link as a wide-area one between two sites and as a
// local one inside a site. The faults a run across sites adds: a site cut off from the others
// (both ways) and a whole site killed, each healed after a while as the other faults are.
import { unshapedLink, type LinkShape } from './link-shaper.js';

export interface SiteShaping {
  /** One site name per replica, replica 1 first. */
  sites: readonly string[];
  wan: LinkShape;
  lan: LinkShape;
}

const sitePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Parses `--sites`: one name per replica, at least two distinct. */
export function parseSites(value: string): string[] {
  const sites = value.split(',').map((site) => site.trim());
  for (const site of sites) {
    if (!sitePattern.test(site)) {
      throw new Error(`invalid --sites "${value}": "${site}" is not a site name`);
    }
  }
  if (new Set(sites).size < 2) {
    throw new Error(`invalid --sites "${value}": name at least two sites, one per replica`);
  }
  return sites;
}

/** Megabits per second as the bytes per millisecond a link carries; 0 means no limit. */
export function bandwidthOfMbit(mbit: number): number {
  return mbit <= 0 ? Infinity : (mbit * 1_000_000) / 8 / 1000;
}

/** The shape of the link from replica `from` to replica `to` (ids from 1). */
export function linkShapeOf(shaping: SiteShaping | undefined) {
  return (from: number, to: number): LinkShape => {
    if (shaping === undefined) return unshapedLink;
    const fromSite = shaping.sites[from - 1];
    const toSite = shaping.sites[to - 1];
    return fromSite === toSite ? shaping.lan : shaping.wan;
  };
}

/** The replicas of each site, by site name, in replica order. */
export function replicasBySite(sites: readonly string[]): Map<string, number[]> {
  const bySite = new Map<string, number[]>();
  sites.forEach((site, index) => bySite.set(site, [...(bySite.get(site) ?? []), index + 1]));
  return bySite;
}

/** The connect string form that tags each server with its site (`host:port@site`). */
export function siteConnectString(
  host: string,
  clientPorts: ReadonlyMap<number, number>,
  sites: readonly string[],
): string {
  return [...clientPorts].map(([id, port]) => `${host}:${port}@${sites[id - 1]}`).join(',');
}
