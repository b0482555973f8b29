// The `ip` id ZooKeeper adds to every client connection (NIOServerCnxn/NettyServerCnxn add
// `new Id("ip", remoteAddress.getHostAddress())`), printed exactly as Java prints addresses so
// `ip:` ACLs written for Apache ZooKeeper match the same clients here.
import { isIPv4, isIPv6 } from 'node:net';
import type { Id } from '../../../protocol/records.js';

export const ipScheme = 'ip';

/** A remote address that is neither IPv4 nor IPv6 text: the socket layer handed us garbage. */
export class InvalidIpAddressError extends Error {
  constructor(readonly address: string) {
    super(`not an IP address: ${JSON.stringify(address)}`);
    this.name = 'InvalidIpAddressError';
  }
}

const ipv6GroupCount = 8;

/** Parses IPv6 text (with `::`, maybe a trailing dotted IPv4) into its eight 16-bit groups. */
function parseIpv6Groups(text: string): number[] {
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const pieces = part.split(':');
    const last = pieces[pieces.length - 1]!;
    if (!isIPv4(last)) return pieces.map((piece) => Number.parseInt(piece, 16));
    const octets = last.split('.').map(Number);
    const head = pieces.slice(0, -1).map((piece) => Number.parseInt(piece, 16));
    return [...head, (octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
  };
  const doubleColon = text.indexOf('::');
  if (doubleColon === -1) return toGroups(text);
  const head = toGroups(text.slice(0, doubleColon));
  const tail = toGroups(text.slice(doubleColon + 2));
  const zeros = new Array<number>(ipv6GroupCount - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail];
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as dotted IPv4, else undefined. */
function mappedIpv4(groups: readonly number[]): string | undefined {
  const isMapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (!isMapped) return undefined;
  const high = groups[6]!;
  const low = groups[7]!;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The address text ZooKeeper records for a peer. IPv4 stays dotted. Java turns an IPv4-mapped
 * IPv6 peer (what a dual-stack Node listener reports as `::ffff:127.0.0.1`) into an Inet4Address,
 * so it prints `127.0.0.1`. Other IPv6 addresses print as Inet6Address.getHostAddress does: all
 * eight groups, lowercase hex without leading zeros, no `::` compression (`::1` →
 * `0:0:0:0:0:0:0:1`), then any `%zone` suffix unchanged.
 */
export function javaHostAddress(address: string): string {
  if (isIPv4(address)) return address;
  const zoneIndex = address.indexOf('%');
  const bare = zoneIndex === -1 ? address : address.slice(0, zoneIndex);
  const zone = zoneIndex === -1 ? '' : address.slice(zoneIndex);
  if (!isIPv6(bare)) throw new InvalidIpAddressError(address);
  const groups = parseIpv6Groups(bare);
  const ipv4 = mappedIpv4(groups);
  if (ipv4 !== undefined) return ipv4;
  return groups.map((group) => group.toString(16)).join(':') + zone;
}

/** The `ip` id of a connection from `remoteAddress` (Node's `socket.remoteAddress`). */
export function ipId(remoteAddress: string): Id {
  return { scheme: ipScheme, id: javaHostAddress(remoteAddress) };
}
