// A reader for the java.util.Properties text format, which is what zoo.cfg really is: ZooKeeper
// loads it with Properties.load, so comments, separators, escapes and line continuations follow
// that format, not an ini or dotenv one.

/** One key/value pair as it appeared in the file (1-based lines of the logical line's start and
 * end, which differ when it continues over several physical lines). */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
  lastLine: number;
}

/**
 * Reads every entry in file order; a key that appears twice appears twice here (the caller decides
 * that the later one wins, as Properties.load does). Values keep Properties' meaning: leading
 * whitespace is skipped, trailing whitespace is kept (ZooKeeper trims it afterwards).
 */
export function readJavaProperties(text: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  const physicalLines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < physicalLines.length; index += 1) {
    const startLine = index + 1;
    let logical = stripLeadingWhitespace(physicalLines[index] ?? '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    // A line ending in an odd number of backslashes continues on the next line, whose leading
    // whitespace is dropped.
    while (endsWithOddBackslashes(logical) && index + 1 < physicalLines.length) {
      index += 1;
      logical = logical.slice(0, -1) + stripLeadingWhitespace(physicalLines[index] ?? '');
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitKeyValue(logical);
    entries.push({ key: unescape(key), value: unescape(value), line: startLine,
      lastLine: index + 1 });
  }
  return entries;
}

function stripLeadingWhitespace(line: string): string {
  return line.replace(/^[ \t\f]+/, '');
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let position = line.length - 1; position >= 0 && line[position] === '\\'; position -= 1) {
    count += 1;
  }
  return count % 2 === 1;
}

/** The key ends at the first unescaped '=', ':' or whitespace; one '=' or ':' may follow it. */
function splitKeyValue(line: string): { key: string; value: string } {
  let position = 0;
  while (position < line.length) {
    const character = line[position];
    if (character === '\\') {
      position += 2;
      continue;
    }
    if (character === '=' || character === ':' || /[ \t\f]/.test(character ?? '')) break;
    position += 1;
  }
  const key = line.slice(0, position);
  let rest = line.slice(position).replace(/^[ \t\f]+/, '');
  if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1);
  return { key, value: stripLeadingWhitespace(rest) };
}

const simpleEscapes: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    return simpleEscapes[escaped] ?? escaped;
  });
}
