// Which `x509` ACL ids ZooKeeper accepts: X509AuthenticationProvider.isValid asks whether Java's
// X500Principal parses the id (RFC 2253/1779 text: RDNs split by `,` or `;`, AVAs by `+`,
// `keyword=value` with a known keyword or an OID). Checked case by case against Java 17.

/** Keywords Java's X500Name parser knows (AVAKeyword), compared without case. */
const keywords = new Set([
  'CN', 'C', 'L', 'S', 'ST', 'O', 'OU', 'T', 'IP', 'STREET', 'DC', 'DNQUALIFIER', 'DNQ',
  'SURNAME', 'GIVENNAME', 'INITIALS', 'GENERATION', 'EMAIL', 'EMAILADDRESS', 'UID',
  'SERIALNUMBER',
]);

const oid = /^(OID\.)?\d+(\.\d+)+$/i;

/** True when `new X500Principal(text)` would not throw. The empty name is valid. */
export function isValidX500Name(text: string): boolean {
  if (text.trim() === '') return true;
  const attributes = splitUnescaped(text, new Set([',', ';', '+']));
  if (attributes === undefined) return false;
  return attributes.every(isValidAttribute);
}

function isValidAttribute(attribute: string): boolean {
  const equals = attribute.indexOf('=');
  if (equals === -1) return false;
  const keyword = attribute.slice(0, equals).trim();
  if (!keywords.has(keyword.toUpperCase()) && !oid.test(keyword)) return false;
  const value = attribute.slice(equals + 1).trim();
  if (value.startsWith('#')) return isDerHex(value.slice(1));
  if (value.startsWith('"')) return value.length >= 2 && value.endsWith('"');
  // Unescaped, these can only end or separate a value; a lone trailing backslash escapes nothing.
  for (let index = 0; index < value.length; index++) {
    const char = value[index]!;
    if (char === '\\') index++;
    else if (char === '<' || char === '>' || char === '"') return false;
  }
  return !/(^|[^\\])(\\\\)*\\$/.test(value);
}

/**
 * Splits at separators that are neither escaped nor inside quotes; undefined when a quote is
 * left open or a piece is empty (`CN=a,,O=b`, `CN=a,`).
 */
function splitUnescaped(text: string, separators: ReadonlySet<string>): string[] | undefined {
  const pieces: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[index + 1]!;
      index++;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (!quoted && separators.has(char)) {
      pieces.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  pieces.push(current);
  if (quoted || pieces.some((piece) => piece.trim() === '')) return undefined;
  return pieces;
}

/** `#` and hex digits must be exactly one DER element (tag, length, contents). */
function isDerHex(hex: string): boolean {
  if (hex.length < 4 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex)) return false;
  const bytes = Buffer.from(hex, 'hex');
  let length = bytes[1]!;
  let start = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || bytes.length < 2 + count) return false;
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + bytes[2 + index]!;
    start += count;
  }
  return start + length === bytes.length;
}
