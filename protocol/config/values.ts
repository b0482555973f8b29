// Value parsers for configuration: each turns one zoo.cfg (or flag) value into its typed form, or
// fails with what it expected, so the caller can raise a ConfigError naming the key and the value.
// The `server.N` line and `myid` parsers live here too: they read one value each, as ZooKeeper's
// QuorumServer and QuorumPeerConfig.setupMyId do.

/** A configuration value or combination that cannot run; the message names the key and value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

export type PeerType = 'participant' | 'observer';

/** What a value parser saw wrong; turned into a ConfigError that names the key. */
export class ValueProblem extends Error {}

export type ValueParser = (value: string) => unknown;

const integerMaximum = 2 ** 31 - 1;

export function parseInteger(value: string, minimum: number, expectation: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new ValueProblem(expectation);
  const parsed = Number(value);
  if (parsed < minimum || parsed > integerMaximum) throw new ValueProblem(expectation);
  return parsed;
}

export const valueParsers = {
  positiveInteger: (value: string) => parseInteger(value, 1, 'expected a positive integer'),
  integer: (value: string) => parseInteger(value, -integerMaximum - 1, 'expected an integer'),
  nonNegativeInteger: (value: string) =>
    parseInteger(value, 0, 'expected a non-negative integer'),
  port: (value: string) => {
    const port = parseInteger(value, 1, 'expected a port number 1-65535');
    if (port > 65535) throw new ValueProblem('expected a port number 1-65535');
    return port;
  },
  /** ZooKeeper's -1 means "derive from tickTime"; undefined here means the same. */
  sessionTimeout: (value: string) =>
    value.trim() === '-1'
      ? undefined
      : parseInteger(value, 1, 'expected a positive number of milliseconds or -1'),
  boolean: (value: string) => {
    // QuorumPeerConfig.parseBoolean: case-insensitive, anything else is an error.
    const lower = value.toLowerCase();
    if (lower !== 'true' && lower !== 'false') throw new ValueProblem('expected true or false');
    return lower === 'true';
  },
  text: (value: string) => {
    if (value === '') throw new ValueProblem('expected a non-empty value');
    return value;
  },
  superDigest: (value: string) => {
    if (!/^[^:\s]+:[A-Za-z0-9+/]{27}=$/.test(value)) {
      throw new ValueProblem('expected user:<base64 of a 20-byte SHA-1 digest>');
    }
    return value;
  },
  whitelist: (value: string) => {
    const words = value.split(',').map((word) => word.trim()).filter((word) => word !== '');
    const bad = words.find((word) => word !== '*' && !/^[a-z]{4}$/.test(word));
    if (bad !== undefined) throw new ValueProblem(`"${bad}" is not a four-letter word or *`);
    return words;
  },
  peerType: (value: string) => {
    const lower = value.toLowerCase();
    if (lower !== 'participant' && lower !== 'observer') {
      throw new ValueProblem('expected participant or observer');
    }
    return lower as PeerType;
  },
  /** leaderServes: ZooKeeper serves unless the value is exactly `no`; corral wants yes or no. */
  yesNo: (value: string) => {
    const lower = value.toLowerCase();
    if (lower !== 'yes' && lower !== 'no') throw new ValueProblem('expected yes or no');
    return lower === 'yes';
  },
  electionAlgorithm: (value: string) => {
    // Only fast leader election (3) exists since ZooKeeper 3.6; corral has no other.
    if (value !== '3') throw new ValueProblem('only 3 (fast leader election) is supported');
    return undefined;
  },
} satisfies Record<string, ValueParser>;

/** Runs a parser and turns its complaint into a ConfigError naming key, value and place. */
export function parseValue<T>(
  parse: (value: string) => T,
  key: string,
  value: string,
  where?: string,
): T {
  try {
    return parse(value);
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    const place = where === undefined ? '' : ` (${where})`;
    throw new ConfigError(`invalid ${key} "${value}": ${error.message}${place}`, key);
  }
}

/** A replica's own id (myid, --myid): ZooKeeper's admin guide's 1-255 (at most 254 with
 * extended types), as the id is the top byte of the session ids the replica hands out. */
export function serverId(value: string): number {
  const id = parseInteger(value, 1, 'expected a server id 1-255');
  if (id > 255) throw new ValueProblem('expected a server id 1-255');
  return id;
}

/** A site's name is at most this long: enough for a region and zone, short in every report. */
export const siteNameLengthMax = 64;

/**
 * `site.N=NAME`'s value: 1–64 of [A-Za-z0-9._-], so a name reads the same in a zoo.cfg line, a
 * `srvr` line, a mntr value and a connect string, with nothing to quote or escape in any of them.
 */
export function siteName(value: string): string {
  const allowed = /^[A-Za-z0-9._-]+$/.test(value);
  if (!allowed || value.length > siteNameLengthMax) {
    throw new ValueProblem(`expected a site name of 1-${siteNameLengthMax} characters ` +
      'A-Z a-z 0-9 . _ -');
  }
  return value;
}

/** One `server.N` line: where replica N listens for the leader (quorum) and for votes. */
export interface QuorumServerAddress {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  peerType: PeerType;
  /** From the optional `;[clientHost:]clientPort` part; ZooKeeper's default host is 0.0.0.0. */
  client?: { host: string; port: number };
}

const serverFormat =
  'expected host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]';

/** Splits `host:port...`, keeping a bracketed IPv6 host whole, as QuorumServer does. */
function splitHostAndPorts(text: string): string[] | undefined {
  if (!text.startsWith('[')) return text.split(':');
  const close = text.indexOf(']:');
  if (close < 0) return undefined;
  return [text.slice(1, close), ...text.slice(close + 2).split(':')];
}

/**
 * An id naming a member (server.N, weight.N, a group's members, site.N): any positive integer,
 * as ZooKeeper's QuorumServer takes any long. Only a replica's own id is held to 1-255
 * (serverId); a reconfig may name a member no corral replica can be, and then it never joins.
 */
export function memberId(value: string): number {
  return parseInteger(value, 1, 'expected a positive server id');
}

/** Parses `server.N` per ZooKeeper's QuorumServer forms (one address; no `|` multi-address). */
export function parseQuorumServer(key: string, value: string, where?: string): QuorumServerAddress {
  const id = parseValue(memberId, key, key.slice('server.'.length), where);
  const fail = (): never => {
    const place = where === undefined ? '' : ` (${where})`;
    throw new ConfigError(`invalid ${key} "${value}": ${serverFormat}${place}`, key);
  };
  const [serverPart = '', clientPart, ...extra] = value.split(';');
  const parts = splitHostAndPorts(serverPart);
  if (extra.length > 0 || parts === undefined || parts.length < 3 || parts.length > 4) fail();
  const [host = '', quorumText = '', electionText = '', typeText] = parts ?? [];
  const portOf = (text: string): number => {
    try {
      return valueParsers.port(text);
    } catch {
      return fail();
    }
  };
  if (host === '') fail();
  const address: QuorumServerAddress = {
    id,
    host,
    quorumPort: portOf(quorumText),
    electionPort: portOf(electionText),
    peerType:
      typeText === undefined
        ? 'participant'
        : parseValue(valueParsers.peerType, key, typeText, where),
  };
  if (clientPart !== undefined) {
    const clientParts = splitHostAndPorts(clientPart);
    if (clientParts === undefined || clientParts.length > 2) fail();
    const [first = '', second] = clientParts ?? [];
    address.client =
      second === undefined
        ? { host: '0.0.0.0', port: portOf(first) }
        : { host: first === '' ? fail() : first, port: portOf(second) };
  }
  return address;
}

/**
 * Reads a `myid` file's text: its first line holds this replica's server id. Surrounding
 * whitespace (a trailing newline, blank lines before it) is ignored, as ZooKeeper does.
 */
export function parseMyId(text: string, sourceName: string): number {
  const firstLine = (text.trimStart().split(/\r?\n/)[0] ?? '').trim();
  return parseValue(serverId, 'myid', firstLine, sourceName);
}
