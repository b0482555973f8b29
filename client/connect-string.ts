// ZooKeeper's connect string (`h1:2181,h2:2182/optional/chroot`) and the chroot arithmetic every
// request path and every result path goes through, kept in one place so no path escapes it.

import { BadArgumentsError } from '../protocol/errors.js';
import type { ServerAddress } from '../machines/client-connection.js';

export const defaultClientPort = 2181;

export interface ConnectString {
  servers: ServerAddress[];
  /** '' when absent; otherwise an absolute path without a trailing slash. */
  chroot: string;
}

export function parseConnectString(text: string): ConnectString {
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

function parseServer(entry: string): ServerAddress {
  // [::1]:2181 for IPv6 literals; otherwise the last colon separates the port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) {
    return { host: bracketed[1] as string, port: Number(bracketed[2] ?? defaultClientPort) };
  }
  const colon = entry.lastIndexOf(':');
  if (colon === -1) return { host: entry, port: defaultClientPort };
  const port = Number(entry.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new BadArgumentsError(`bad port in '${entry}'`);
  }
  return { host: entry.slice(0, colon), port };
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
