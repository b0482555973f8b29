// zoo.cfg's `site.N=NAME`: the site (data centre, region, zone) server N runs in, corral's own
// key. Sites belong with the membership, as group.N does: they sit beside the server.N lines (in
// zoo.cfg, or in the dynamic file when there is one) and a reconfig carries them. Each
// ConfigError names the key, or the `--site` flag that held the mistake.
import {
  ConfigError,
  parseValue,
  memberId,
  siteName,
  type QuorumServerAddress,
} from '../../protocol/config/values.js';

export interface SitesConfig {
  /** zoo.cfg `site.N` and `--site N=NAME`: server id → its site; a server not named is in none. */
  sites: ReadonlyMap<number, string>;
}

/** True for the keys SiteReader reads. */
export function isSiteKey(key: string): boolean {
  return key.startsWith('site.');
}

/** Gathers site.N lines; a later line for the same key wins, as Properties.load does. */
export class SiteReader {
  private readonly sites = new Map<number, string>();
  private readonly keys = new Map<number, string>();

  read(key: string, value: string, where?: string): void {
    const id = parseValue(memberId, key, key.slice('site.'.length), where);
    // As with group.N: `site.1` twice is one key, but `site.01` beside it names the same server
    // under another spelling, which is a mistake rather than an override.
    const earlier = this.keys.get(id);
    if (earlier !== undefined && earlier !== key) {
      throw new ConfigError(`invalid ${key}: ${earlier} already names site.${id}`, key);
    }
    this.keys.set(id, key);
    this.sites.set(id, parseValue(siteName, key, value, where));
  }

  /** The sites read, undefined when there were no site lines. */
  result(): Map<number, string> | undefined {
    return this.sites.size === 0 ? undefined : this.sites;
  }
}

type Servers = ReadonlyMap<number, QuorumServerAddress>;

/**
 * Every site line must name a server of the ensemble, voter or observer. With no server lines
 * at all the server runs standalone and has no id, so there is nothing for site.N to name: that
 * is refused rather than guessed, and the message says how to name a standalone server's site.
 */
export function checkSites(servers: Servers, sites: ReadonlyMap<number, string>): void {
  for (const id of sites.keys()) {
    const key = `site.${id}`;
    if (servers.size === 0) {
      throw new ConfigError(`invalid ${key}: there are no server.N lines, so this server runs ` +
        `standalone with no id for ${key} to name; to give a standalone server a site, add ` +
        `its one server.${id} line (one line still runs standalone)`, key);
    }
    if (!servers.has(id)) {
      const ids = [...servers.keys()].sort((first, second) => first - second).join(', ');
      throw new ConfigError(`invalid ${key}: server ${id} is not in the ensemble (servers ` +
        `${ids}); a site belongs to a server with a server.${id} line`, key);
    }
  }
}

/** `--site N=NAME` flags, as site.N lines; one flag per id. */
export function parseSiteFlags(specs: readonly string[]): Map<number, string> {
  const sites = new Map<number, string>();
  for (const spec of specs) {
    const fail = (reason: string): never => {
      throw new ConfigError(`invalid --site "${spec}": ${reason}`, '--site');
    };
    const separator = spec.indexOf('=');
    if (separator < 0) fail('expected N=NAME, the server id and its site');
    let id = 0;
    let name = '';
    try {
      id = parseValue(memberId, '--site', spec.slice(0, separator).trim());
      name = parseValue(siteName, '--site', spec.slice(separator + 1).trim());
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      fail(error.message.replace(/^invalid --site /, ''));
    }
    if (sites.has(id)) fail(`server ${id} is given a site twice`);
    sites.set(id, name);
  }
  return sites;
}

/** `site.N=NAME` lines in id order, as /zookeeper/config and the dynamic file hold them. */
export function siteLines(sites: ReadonlyMap<number, string> | undefined): string[] {
  if (sites === undefined) return [];
  return [...sites]
    .sort(([first], [second]) => first - second)
    .map(([id, name]) => `site.${id}=${name}`);
}

/**
 * This server's own site: its myid's, or, for a standalone server run from one server line
 * without a myid, that line's. Undefined when it is in no site.
 */
export function ownSite(
  config: { myId: number | undefined; servers: Servers; sites: ReadonlyMap<number, string> },
): string | undefined {
  if (config.myId !== undefined) return config.sites.get(config.myId);
  const only = config.servers.size === 1 ? [...config.servers.keys()][0] : undefined;
  return only === undefined ? undefined : config.sites.get(only);
}
