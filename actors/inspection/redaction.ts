// What the inspector must never show: machine events and contexts carry session passwords
// (createSession txns, connect requests), znode data and auth packets (as bytes), SASL tokens and
// digest ids (an unsalted SHA-1 of user:password, open to offline guessing). Every byte array is
// replaced by its length, secret-named fields by a marker, and the hash of a digest id removed.

export const redactedMarker = '<redacted>';

/** Fields whose value is a secret whatever its type. */
const secretKeys: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'secret',
  'token',
  'credentials',
  'superDigest',
  'digestUsers',
]);

/** Node's Buffer.toJSON shape, which JSON.stringify (and our serialiser) produce first. */
function bufferJsonLength(value: object): number | undefined {
  const candidate = value as { type?: unknown; data?: unknown };
  return candidate.type === 'Buffer' && Array.isArray(candidate.data)
    ? candidate.data.length
    : undefined;
}

/**
 * A Uint8Array that is not a Buffer serialises as `{"0": 12, "1": 7, ...}`: an object whose keys
 * are exactly 0..n-1 with byte values. Seen after an earlier JSON pass (the package's own).
 */
function indexedBytesLength(value: object): number | undefined {
  const keys = Object.keys(value);
  if (keys.length === 0 || keys[0] !== '0') return undefined;
  const record = value as Record<string, unknown>;
  for (let index = 0; index < keys.length; index++) {
    const byte = record[keys[index]!];
    const isByte = typeof byte === 'number' && Number.isInteger(byte) && byte >= 0 && byte < 256;
    if (keys[index] !== String(index) || !isByte) return undefined;
  }
  return keys.length;
}

/** The byte count of anything that holds bytes, else undefined. */
export function byteLengthOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  if (Array.isArray(value)) return undefined;
  return bufferJsonLength(value) ?? indexedBytesLength(value);
}

function isDigestId(value: unknown): value is { scheme: 'digest'; id: string } {
  const candidate = value as { scheme?: unknown; id?: unknown } | null;
  return typeof value === 'object' && value !== null && candidate!.scheme === 'digest' &&
    typeof candidate!.id === 'string';
}

/**
 * A JSON.stringify replacer (also for safe-stable-stringify): bytes become `<redacted N bytes>`,
 * a secret field `<redacted>`, a digest id `user:<redacted>`. It sees each value after its
 * toJSON, so a Buffer arrives as `{type: 'Buffer', data}`.
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  // Already redacted by an earlier pass (a snapshot's context is redacted twice).
  if (typeof value === 'string' && value.startsWith('<redacted')) return value;
  const bytes = byteLengthOf(value);
  if (bytes !== undefined) return `<redacted ${bytes} bytes>`;
  if (secretKeys.has(key)) return redactedMarker;
  if (isDigestId(value)) {
    const user = value.id.slice(0, Math.max(0, value.id.indexOf(':')));
    return { ...value, id: `${user}:${redactedMarker}` };
  }
  return value;
}

/**
 * A machine's definition as @statelyai/inspect sends it: its config already stringified, with
 * any context written into the machine. Parsed, redacted and stringified again; text that is not
 * JSON is dropped rather than passed on unread.
 */
export function redactDefinition(definition: string): string {
  try {
    return JSON.stringify(JSON.parse(definition), redactSecrets);
  } catch {
    return JSON.stringify({ id: redactedMarker });
  }
}
