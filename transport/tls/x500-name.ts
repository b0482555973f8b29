// A certificate's subject as Java's X500Principal.getName() prints it (RFC 2253): ZooKeeper's
// X509AuthenticationProvider uses that text as the client's `x509` id, so ACLs written for
// Apache ZooKeeper (`x509:CN=alice,O=example`) name the same clients here. Read from the DER.

/** One DER element: its tag, and where its contents lie in the buffer. */
interface DerElement {
  tag: number;
  start: number;
  end: number;
  /** The whole element (tag and length included). */
  bytes: Buffer;
}

/** Malformed DER where a certificate was expected. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

function readElement(der: Buffer, offset: number): DerElement {
  if (offset + 2 > der.length) throw new DerError('truncated DER element');
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4 || start + lengthBytes > der.length) {
      throw new DerError('bad DER length');
    }
    length = 0;
    for (let index = 0; index < lengthBytes; index++) length = length * 256 + der[start + index]!;
    start += lengthBytes;
  }
  const end = start + length;
  if (end > der.length) throw new DerError('DER element runs past its container');
  return { tag, start, end, bytes: der.subarray(offset, end) };
}

function children(der: Buffer, element: DerElement): DerElement[] {
  const found: DerElement[] = [];
  for (let offset = element.start; offset < element.end;) {
    const child = readElement(der, offset);
    found.push(child);
    offset = child.end;
  }
  return found;
}

/** The subject Name of a DER certificate (Certificate → TBSCertificate → subject). */
export function certificateSubject(certificateDer: Buffer): Buffer {
  const certificate = readElement(certificateDer, 0);
  const tbs = children(certificateDer, certificate)[0];
  if (tbs === undefined) throw new DerError('certificate without TBSCertificate');
  const fields = children(certificateDer, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject.
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[first + 4];
  if (subject === undefined || subject.tag !== 0x30) {
    throw new DerError('certificate lacks subject');
  }
  return subject.bytes;
}

/** Attribute types X500Principal's RFC 2253 form names by keyword; others print as OIDs. */
const rfc2253Keywords: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

/** X500Principal.getName(): RDNs last to first, `,` between them, `+` inside one. */
export function formatRfc2253(nameDer: Buffer): string {
  const name = readElement(nameDer, 0);
  const rdns = children(nameDer, name).map((rdn) =>
    children(nameDer, rdn).map((ava) => formatAttribute(nameDer, ava)).join('+'));
  return rdns.reverse().join(',');
}

/** The x509 id ZooKeeper gives a client presenting this certificate. */
export function certificateSubjectName(certificateDer: Buffer): string {
  return formatRfc2253(certificateSubject(certificateDer));
}

function formatAttribute(der: Buffer, ava: DerElement): string {
  const [type, value] = children(der, ava);
  if (type === undefined || value === undefined || type.tag !== 0x06) {
    throw new DerError('bad AttributeTypeAndValue');
  }
  const oid = decodeOid(der.subarray(type.start, type.end));
  const keyword = rfc2253Keywords.get(oid);
  const text = keyword === undefined ? undefined : decodeString(value.tag,
    der.subarray(value.start, value.end));
  // RFC 2253 §2.4: a dotted type, or a value with no string form, is `#` and the BER in hex.
  if (keyword === undefined || text === undefined) return `${oid}=#${value.bytes.toString('hex')}`;
  return `${keyword}=${escapeValue(text)}`;
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** The string types DerValue.isDerString accepts, decoded as Java's getAsString does. */
function decodeString(tag: number, bytes: Buffer): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
      return bytes.toString('latin1');
    case 0x14: // T61String
    case 0x1b: // GeneralString
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16 big-endian
      return Buffer.from(bytes).swap16().toString('utf16le');
    default:
      return undefined;
  }
}

/** Characters AVA.toRFC2253String puts a backslash before wherever they appear. */
const escaped = new Set([',', '=', '+', '<', '>', '#', ';', '"', '\\']);

function escapeValue(text: string): string {
  let out = '';
  for (const char of text) {
    if (escaped.has(char)) out += `\\${char}`;
    else if (char === '\u0000') out += '\\00';
    else out += char;
  }
  // Leading and trailing spaces (and carriage returns) are escaped too.
  const lead = /^[ \r]*/.exec(out)![0].length;
  const trail = /[ \r]*$/.exec(out.slice(lead))![0].length;
  const middle = out.slice(lead, out.length - trail);
  const escapeEach = (part: string): string => [...part].map((char) => `\\${char}`).join('');
  return escapeEach(out.slice(0, lead)) + middle + escapeEach(out.slice(out.length - trail));
}
