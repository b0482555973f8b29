// A reader for JAAS login configuration files (Java's ConfigFile syntax), which ZooKeeper uses to
// hold its SASL DIGEST-MD5 users: the `Server` section's `user_NAME="password"` options. corral
// reads the same file so an existing ZooKeeper deployment's credentials keep working.
import { ConfigError } from './values.js';

export type JaasControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

/** One line of a section: `ClassName flag name="value" ...;`. */
export interface JaasLoginModule {
  className: string;
  flag: JaasControlFlag;
  options: ReadonlyMap<string, string>;
}

type TokenKind = 'word' | 'string' | '{' | '}' | ';' | '=';

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
}

const controlFlags: readonly string[] = ['required', 'requisite', 'sufficient', 'optional'];

/** ZooKeeper's SaslServerCallbackHandler reads every option with this prefix as a user. */
const userOptionPrefix = 'user_';

/** Parses every section, in file order; a section named twice gathers both sets of modules. */
export function parseJaasConfig(
  text: string,
  sourceName: string,
): Map<string, JaasLoginModule[]> {
  const tokens = tokenize(text, sourceName);
  const sections = new Map<string, JaasLoginModule[]>();
  let position = 0;
  const next = (expected: TokenKind, what: string): Token => {
    const token = tokens[position];
    if (token === undefined || token.kind !== expected) {
      const line = token?.line ?? tokens[tokens.length - 1]?.line ?? 1;
      const found = token === undefined ? 'end of file' : `"${token.text}"`;
      throw new ConfigError(
        `JAAS file ${sourceName}:${line}: expected ${what}, found ${found}`,
        'jaasLoginConfig',
      );
    }
    position += 1;
    return token;
  };
  while (position < tokens.length) {
    const name = next('word', 'a section name').text;
    next('{', '"{"');
    const modules = sections.get(name) ?? [];
    while (tokens[position]?.kind !== '}') {
      const className = next('word', 'a login module class name').text;
      const flagToken = next('word', 'required, requisite, sufficient or optional');
      const flag = flagToken.text.toLowerCase();
      if (!controlFlags.includes(flag)) {
        throw new ConfigError(
          `JAAS file ${sourceName}:${flagToken.line}: "${flagToken.text}" is not ` +
            'required, requisite, sufficient or optional',
          'jaasLoginConfig',
        );
      }
      const options = new Map<string, string>();
      while (tokens[position]?.kind !== ';') {
        const option = next('word', 'an option name or ";"').text;
        next('=', '"="');
        const quoted = tokens[position]?.kind === 'string';
        const value = quoted ? next('string', 'a quoted value') : next('word', 'a value');
        options.set(option, value.text);
      }
      next(';', '";"');
      modules.push({ className, flag: flag as JaasControlFlag, options });
    }
    next('}', '"}"');
    // Java requires the ';' after a section's '}'; ZooKeeper's docs always show it, but a missing
    // one is harmless, so it is tolerated.
    if (tokens[position]?.kind === ';') position += 1;
    sections.set(name, modules);
  }
  return sections;
}

/** The SASL users (name → password) of one section, by default ZooKeeper's `Server`. */
export function jaasServerUsers(
  text: string,
  sourceName: string,
  sectionName = 'Server',
): Map<string, string> {
  const section = parseJaasConfig(text, sourceName).get(sectionName);
  if (section === undefined) {
    throw new ConfigError(
      `JAAS file ${sourceName} has no "${sectionName}" section`,
      'jaasLoginConfig',
    );
  }
  const users = new Map<string, string>();
  for (const module of section) {
    for (const [option, value] of module.options) {
      if (!option.startsWith(userOptionPrefix)) continue;
      users.set(option.slice(userOptionPrefix.length), value);
    }
  }
  return users;
}


const punctuation = new Set(['{', '}', ';', '=']);
const stringEscapes: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r' };

/** Splits into tokens, dropping whitespace and `//`, `#` and `/* *\/` comments. */
function tokenize(text: string, sourceName: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let position = 0;
  while (position < text.length) {
    const character = text[position] ?? '';
    const pair = text.slice(position, position + 2);
    if (character === '\n') line += 1;
    if (/\s/.test(character)) {
      position += 1;
    } else if (pair === '//' || character === '#') {
      while (position < text.length && text[position] !== '\n') position += 1;
    } else if (pair === '/*') {
      const end = text.indexOf('*/', position + 2);
      const stop = end < 0 ? text.length : end + 2;
      line += countNewlines(text.slice(position, stop));
      position = stop;
    } else if (punctuation.has(character)) {
      tokens.push({ kind: character as TokenKind, text: character, line });
      position += 1;
    } else if (character === '"') {
      const { value, end } = readQuoted(text, position, line, sourceName);
      tokens.push({ kind: 'string', text: value, line });
      line += countNewlines(text.slice(position, end));
      position = end;
    } else {
      const start = position;
      while (position < text.length && !/[\s{};="]/.test(text[position] ?? '')) position += 1;
      tokens.push({ kind: 'word', text: text.slice(start, position), line });
    }
  }
  return tokens;
}

function readQuoted(
  text: string,
  start: number,
  line: number,
  sourceName: string,
): { value: string; end: number } {
  let value = '';
  for (let position = start + 1; position < text.length; position += 1) {
    const character = text[position] ?? '';
    if (character === '"') return { value, end: position + 1 };
    if (character === '\\' && position + 1 < text.length) {
      position += 1;
      const escaped = text[position] ?? '';
      value += stringEscapes[escaped] ?? escaped;
    } else {
      value += character;
    }
  }
  throw new ConfigError(
    `JAAS file ${sourceName}:${line}: unterminated quoted value`,
    'jaasLoginConfig',
  );
}

function countNewlines(text: string): number {
  return text.split('\n').length - 1;
}
