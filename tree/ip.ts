// IP addresses and CIDR expressions for the `ip` ACL scheme, parsed the way ZooKeeper's
// IPAuthenticationProvider parses them (numbers as Java's Integer.parseInt reads them), with
// the IPv6 support ZooKeeper 3.9 added; 3.8 understands IPv4 only.

/** Java's Integer.parseInt in the given radix: optional sign, digits only, int32 range. */
export function parseJavaInt(text: string, radix: 10 | 16 = 10): number | undefined {
  const pattern = radix === 10 ? /^[+-]?[0-9]+$/ : /^[+-]?[0-9a-fA-F]+$/;
  if (!pattern.test(text)) return undefined;
  const value = parseInt(text, radix);
  if (value > 2147483647 || value < -2147483648) return undefined;
  return value;
}

function parseIpv4(address: string): Uint8Array | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index++) {
    const value = parseJavaInt(parts[index] ?? '');
    if (value === undefined || value < 0 || value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

function parseIpv6Segments(bytes: Uint8Array, start: number, segments: string[]): boolean {
  let offset = start;
  for (const segment of segments) {
    if (segment.length === 0 || segment.length > 4) return false;
    const value = parseJavaInt(segment, 16);
    if (value === undefined) return false;
    bytes[offset++] = (value >> 8) & 0xff;
    bytes[offset++] = value & 0xff;
  }
  return true;
}

function parseIpv6(address: string): Uint8Array | undefined {
  const halves = address.split('::');
  let head: string[] = [];
  let tail: string[] = [];
  if (halves.length === 1) {
    head = address.split(':');
    if (head.length !== 8) return undefined;
  } else if (halves.length === 2) {
    if (halves[0] !== '') head = (halves[0] ?? '').split(':');
    if (halves[1] !== '') tail = (halves[1] ?? '').split(':');
    if (head.length + tail.length >= 8) return undefined;
  } else {
    return undefined;
  }
  const bytes = new Uint8Array(16);
  if (!parseIpv6Segments(bytes, 0, head)) return undefined;
  if (!parseIpv6Segments(bytes, 16 - tail.length * 2, tail)) return undefined;
  return bytes;
}

/** The address bytes (4 or 16), or undefined. A ':' makes it IPv6, else a '.' makes it IPv4. */
export function parseIpAddress(address: string): Uint8Array | undefined {
  if (address.includes(':')) return parseIpv6(address);
  if (address.includes('.')) return parseIpv4(address);
  return undefined;
}

/** An ACL expression "address" or "address/bits" parsed into bytes and prefix length. */
function parseIpExpression(expression: string): { bytes: Uint8Array; bits: number } | undefined {
  const slash = expression.indexOf('/');
  const address = slash < 0 ? expression : expression.slice(0, slash);
  const bytes = parseIpAddress(address);
  if (bytes === undefined) return undefined;
  if (slash < 0) return { bytes, bits: bytes.length * 8 };
  const bits = parseJavaInt(expression.slice(slash + 1));
  if (bits === undefined || bits < 0 || bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

export function isValidIpExpression(expression: string): boolean {
  return parseIpExpression(expression) !== undefined;
}

function maskAfter(bytes: Uint8Array, bits: number): void {
  let index = bits >> 3;
  let keep = ~((1 << (8 - (bits % 8))) - 1) & 0xff;
  for (; index < bytes.length; index++) {
    bytes[index] = (bytes[index] ?? 0) & keep;
    keep = 0;
  }
}

/** Whether the client address `id` falls in the ACL expression (exact address or CIDR). */
export function ipMatches(id: string, expression: string): boolean {
  const parsed = parseIpExpression(expression);
  if (parsed === undefined) return false;
  const remote = parseIpAddress(id);
  if (remote === undefined || remote.length !== parsed.bytes.length) return false;
  maskAfter(parsed.bytes, parsed.bits);
  maskAfter(remote, parsed.bits);
  for (let index = 0; index < remote.length; index++) {
    if (remote[index] !== parsed.bytes[index]) return false;
  }
  return true;
}
