// ZooKeeper's connect string (`h1:2181,h2:2182/optional/chroot`) and the chroot arithmetic every
// request path and every result path goes through, kept in one place so no path escapes it.
// corral's client also reads a site tag per server (`h1:2181@eu-west`), see parseServer.

import { BadArgumentsError } from '../protocol/errors.js';
import type { ServerAddress } from '../machines/client-connection.js';

export const defaultClientPort = 2181;

/** A site name: what `@site` in a connect string and the `site` client option accept. */
const sitePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Longer names are a mistake (a pasted path or host list), not a site. */
export const siteNameLengthMax = 64;

export interface ConnectString {
  servers: ServerAddress[];
  /** '' when absent; otherwise an absolute path without a trailing slash. */
  chroot: string;
}

export function parseConnectString(text: string): ConnectString {
  // As ZooKeeper's ConnectStringParser: the chroot starts at the first '/', so a site tag
  // (which cannot hold a '/') is never read from a chroot, and '@' in a chroot stays a path.
  const slash = text.indexOf('/');
  const hostList = slash === -1 ? text : text.slice(0, slash);
  let chroot = slash === -1 ? '' : text.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot !== '') validatePath(chroot);
  const servers = hostList
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseServer);
  if (servers.length === 0) throw new BadArgumentsError(`no servers in '${text}'`);
  return { servers, chroot };
}

/** Throws BadArgumentsError unless `site` is a usable site name; `where` names its source. */
export function validateSite(site: string, where: string): void {
  if (site === '') throw new BadArgumentsError(`empty site in ${where}`);
  if (site.length > siteNameLengthMax) {
    throw new BadArgumentsError(`site in ${where} is longer than ${siteNameLengthMax} characters`);
  }
  if (!sitePattern.test(site)) {
    throw new BadArgumentsError(
      `bad site '${site}' in ${where}: letters, digits, '.', '_' and '-' only, ` +
        'starting with a letter or digit');
  }
}

/**
 * `host[:port][@site]`, with `[v6-literal]` for IPv6 hosts. '@' appears in no host name and no
 * IPv6 literal (brackets close before it), so the tag reads unambiguously; ZooKeeper's own
 * clients reject a tagged entry (its port is not a number), so tags are for corral's client.
 */
function parseServer(entry: string): ServerAddress {
  const at = entry.indexOf('@');
  const address = at === -1 ? entry : entry.slice(0, at);
  const site = at === -1 ? undefined : entry.slice(at + 1);
  if (site !== undefined) {
    if (site.includes('@')) throw new BadArgumentsError(`more than one '@' in '${entry}'`);
    validateSite(site, `'${entry}'`);
  }
  const { host, port } = parseHostAndPort(address, entry);
  return site === undefined ? { host, port } : { host, port, site };
}

function parseHostAndPort(address: string, entry: string): { host: string; port: number } {
  if (address.startsWith('[')) {
    // [::1]:2181 for IPv6 literals (NetUtils.getIPV6HostAndPort's rules).
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
    if (bracketed === null) {
      throw new BadArgumentsError(`bad IPv6 address in '${entry}': expected [address] or ` +
        '[address]:port');
    }
    return { host: bracketed[1] as string, port: parsePort(bracketed[2], entry) };
  }
  // Otherwise the last colon separates the port.
  const colon = address.lastIndexOf(':');
  const host = colon === -1 ? address : address.slice(0, colon);
  if (host === '') throw new BadArgumentsError(`no host in '${entry}'`);
  return { host, port: parsePort(colon === -1 ? undefined : address.slice(colon + 1), entry) };
}

function parsePort(text: string | undefined, entry: string): number {
  if (text === undefined) return defaultClientPort;
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new BadArgumentsError(`bad port in '${entry}'`);
  }
  return port;
}

/** ZooKeeper's PathUtils.validatePath, as the client checks before sending. */
export function validatePath(path: string, sequential = false): void {
  const fail = (reason: string): never => {
    throw new BadArgumentsError(`invalid path '${path}': ${reason}`, path);
  };
  if (typeof path !== 'string' || path.length === 0) fail('empty');
  if (!path.startsWith('/')) fail('must start with /');
  if (path.length === 1) return;
  if (path.endsWith('/') && !sequential) fail('must not end with /');
  for (const segment of path.slice(1).split('/')) {
    if (segment === '' && !(sequential && path.endsWith('/'))) fail('empty segment');
    if (segment === '.' || segment === '..') fail('relative segment');
  }
  if (/[\u0000\ud800-\uf8ff\ufff0-\uffff]/.test(path)) fail('invalid character');
}

/** The server-side path for a client path. */
export function prependChroot(chroot: string, path: string): string {
  if (chroot === '') return path;
  return path === '/' ? chroot : chroot + path;
}

/** The client path for a server path (paths outside the chroot are returned unchanged). */
export function stripChroot(chroot: string, path: string): string {
  if (chroot === '') return path;
  if (path === chroot) return '/';
  return path.startsWith(`${chroot}/`) ? path.slice(chroot.length) : path;
}

/** Joins a parent and a child name: join('/', 'a') is '/a', join('/a', 'b') is '/a/b'. */
export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The parent of a path ('/' for top-level nodes). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The last segment of a path. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
