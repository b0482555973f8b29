// The order a client with a site tries servers in: its own site first, then servers whose site
// is unknown (untagged), then other sites; each group shuffled as ZooKeeper's StaticHostProvider
// shuffles the whole list, so clients of one site spread over that site's servers.

import type { ServerAddress } from '../machines/client-connection.js';

export interface SiteOrder {
  servers: ServerAddress[];
  /** How many of `servers` (at its head) are of the client's own site. */
  siteServerCount: number;
}

/**
 * Untagged servers come after the own site and before other sites: an operator who tags
 * servers at all tags the remote ones it knows of, so an untagged server is as likely near as
 * far, and a known-remote one is known to cost a wide-area round trip.
 */
export function orderServersBySite(
  servers: readonly ServerAddress[],
  site: string | undefined,
  random: () => number,
): SiteOrder {
  // Without a site: the single shuffle the client has always done (and the same draws).
  if (site === undefined) return { servers: shuffle(servers, random), siteServerCount: 0 };
  const own = shuffle(servers.filter((server) => server.site === site), random);
  const untagged = shuffle(servers.filter((server) => server.site === undefined), random);
  const others = shuffle(
    servers.filter((server) => server.site !== undefined && server.site !== site),
    random,
  );
  return { servers: [...own, ...untagged, ...others], siteServerCount: own.length };
}

/** Fisher–Yates with the host's random source. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}
