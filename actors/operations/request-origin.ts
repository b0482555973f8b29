// Which HTTP requests an operator surface (the admin server, the inspect bridge) accepts from a
// browser. A page the operator visits can reach a loopback port two ways: under its own DNS name
// re-pointed at 127.0.0.1 (DNS rebinding: the Host header then names the attacker's domain), or
// cross-origin (the browser then says so in Origin and Sec-Fetch-Site). Both are refused here.
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** A Host header split into its name (lowercase, IPv6 brackets removed) and port. */
export interface HostHeader {
  name: string;
  port: string | undefined;
}

const hostHeaderPattern = /^(\[[0-9a-f:.%]+\]|[^\s:/?#[\]@]+)(?::(\d{1,5}))?$/i;

export function parseHostHeader(value: string): HostHeader | undefined {
  const match = hostHeaderPattern.exec(value.trim());
  if (match === null) return undefined;
  const name = match[1]!.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  return { name, port: match[2] };
}

/**
 * The names a server answers to beyond IP addresses and localhost: the address it is bound to
 * when that is a name, and this machine's host name (how an operator on another machine reaches
 * it when it listens on every interface).
 */
export function answeredNames(bindAddress: string): string[] {
  const names = [hostname().toLowerCase()];
  if (isIP(bindAddress) === 0) names.push(bindAddress.toLowerCase().replace(/\.$/, ''));
  return names;
}

/**
 * Whether a Host name cannot come from DNS rebinding: an IP address (a rebinding page is reached
 * under its own DNS name, never under an address), `localhost` and its subdomains (resolved
 * locally by browsers, RFC 6761), or a name the server was configured with.
 */
export function isAnsweredHost(name: string, names: readonly string[]): boolean {
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return names.includes(name);
}

/** The request headers the checks read (Node's IncomingHttpHeaders has them lowercased). */
export interface OriginHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  'sec-fetch-site'?: string | string[] | undefined;
}

/**
 * Why a request is refused as foreign, or undefined when it is accepted: its Host must be an
 * answered name; a browser's Origin, when sent, must be the very origin the request went to
 * (same scheme-less host and port as Host), and Sec-Fetch-Site must not say another site sent
 * it (browsers send it without Origin on plain GET navigations and images). A request with no
 * Host header (HTTP/1.0 tools) comes from no browser and is accepted.
 */
export function foreignRequestProblem(
  headers: OriginHeaders,
  names: readonly string[],
): string | undefined {
  if (headers.host === undefined) return undefined;
  const host = parseHostHeader(headers.host);
  if (host === undefined) return `malformed Host header ${JSON.stringify(headers.host)}`;
  if (!isAnsweredHost(host.name, names)) {
    return `Host ${host.name} is not a name this server answers to`;
  }
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `a ${site} request`;
  if (headers.origin === undefined) return undefined;
  return originProblem(headers.origin, host);
}

function originProblem(origin: string, host: HostHeader): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `Origin ${origin} is not an origin this server serves`;
  }
  const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const port = url.port === '' ? defaultPort : url.port;
  const isWeb = url.protocol === 'http:' || url.protocol === 'https:';
  if (!isWeb || name !== host.name || port !== (host.port ?? defaultPort)) {
    return `Origin ${origin} is not an origin this server serves`;
  }
  return undefined;
}
