// The shell's command-line reading, as zkCli.sh reads it: a line split into words (quoted words
// kept whole, ZooKeeperMain's ARGS_PATTERN), then each command's flags parsed the way Apache
// commons-cli's DefaultParser does, so flags may come anywhere and errors read as zkCli's do.

/** A failure zkCli reports as a CliException: its message goes to stderr, the exit code out. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** commons-cli's ParseException subclasses print as `<class name>: <message>` in zkCli. */
function parseError(kind: string, message: string): CliError {
  return new CliError(`org.apache.commons.cli.${kind}: ${message}`);
}

// A word is a quoted string or a run of non-blanks not starting with a quote.
const wordPattern = /\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g;
const quotedPattern = /^(['"])(.*)\1$/s;

/** MyCommandOptions.parseCommand: the words of a line, surrounding quotes removed. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(wordPattern)) {
    const word = match[1] ?? '';
    const quoted = quotedPattern.exec(word);
    words.push(quoted === null ? word : (quoted[2] ?? ''));
  }
  return words;
}

/** A flag: its name (without `-`), whether it takes a value, and its help text. */
export interface OptionSpec {
  name: string;
  takesValue: boolean;
  description: string;
}

/** Options of which at most one may be given (an OptionGroup), perhaps one required. */
export interface OptionGroupSpec {
  names: string[];
  required: boolean;
}

export interface ParsedLine {
  /** Flags given, with their first value ('' for flags without one). */
  flags: Map<string, string>;
  /** The words that are not flags, the command's name first. */
  args: string[];
}

/**
 * DefaultParser.parse over the words of a command (its name first): `-x` for a known flag,
 * `-xVALUE` and bundles like `-sw`, `--` ending flags; an unknown flag, a flag missing its
 * value, two flags of one group or a required group left out fail as commons-cli fails.
 */
export function parseFlags(
  words: string[],
  options: OptionSpec[],
  group?: OptionGroupSpec,
): ParsedLine {
  const byName = new Map(options.map((option) => [option.name, option]));
  const flags = new Map<string, string>();
  const args: string[] = [];
  const select = (option: OptionSpec, value: string): void => {
    if (group?.names.includes(option.name) === true) {
      const earlier = group.names.find((name) => name !== option.name && flags.has(name));
      if (earlier !== undefined) {
        throw parseError('AlreadySelectedException', `The option '${option.name}' was ` +
          `specified but an option from this group has already been selected: '${earlier}'`);
      }
    }
    if (!flags.has(option.name)) flags.set(option.name, value);
  };
  let index = 0;
  const valueFor = (option: OptionSpec): string => {
    const next = words[index + 1];
    if (next === undefined || (isFlag(next, byName) && !/^-\d/.test(next))) {
      throw parseError('MissingArgumentException', `Missing argument for option: ${option.name}`);
    }
    index += 1;
    return next;
  };
  let flagsEnded = false;
  for (; index < words.length; index += 1) {
    const word = words[index] ?? '';
    if (flagsEnded || word === '-' || !word.startsWith('-')) {
      args.push(word);
      continue;
    }
    if (word === '--') {
      flagsEnded = true;
      continue;
    }
    const name = word.slice(1);
    const exact = byName.get(name);
    if (exact !== undefined) {
      select(exact, exact.takesValue ? valueFor(exact) : '');
      continue;
    }
    const first = byName.get(name.charAt(0));
    if (!word.startsWith('--') && first?.takesValue === true) {
      select(first, name.slice(1));
      continue;
    }
    if (!word.startsWith('--') && first !== undefined) {
      selectBundle(word, byName, select);
      continue;
    }
    throw parseError('UnrecognizedOptionException', `Unrecognized option: ${word}`);
  }
  if (group?.required === true && !group.names.some((name) => flags.has(name))) {
    const listed = group.names.map((name) => `-${name} ${byName.get(name)?.description ?? ''}`);
    throw parseError('MissingOptionException', `Missing required option: [${listed.join(', ')}]`);
  }
  return { flags, args };
}

function isFlag(word: string, byName: Map<string, OptionSpec>): boolean {
  if (!word.startsWith('-') || word === '-') return false;
  const name = word.slice(1);
  return byName.has(name) || byName.has(name.charAt(0));
}

/** `-sw`: each letter a flag; a letter taking a value takes the rest of the word. */
function selectBundle(
  word: string,
  byName: Map<string, OptionSpec>,
  select: (option: OptionSpec, value: string) => void,
): void {
  const letters = word.slice(1);
  for (let position = 0; position < letters.length; position += 1) {
    const option = byName.get(letters.charAt(position));
    if (option === undefined) {
      throw parseError('UnrecognizedOptionException', `Unrecognized option: ${word}`);
    }
    if (option.takesValue) {
      const rest = letters.slice(position + 1);
      if (rest === '') {
        throw parseError('MissingArgumentException', `Missing argument for option: ${option.name}`);
      }
      select(option, rest);
      return;
    }
    select(option, '');
  }
}

/** Integer.parseInt: a Java int in decimal, or the NumberFormatException zkCli lets escape. */
export function parseJavaInt(text: string): number {
  if (/^[+-]?\d+$/.test(text)) {
    const value = Number(text);
    if (value >= -2147483648 && value <= 2147483647) return value;
  }
  throw new CliError(`java.lang.NumberFormatException: For input string: "${text}"`);
}

/** Integer.decode (redo's argument): decimal, 0x/# hex or 0 octal, with a sign. */
export function decodeJavaInt(text: string): number {
  const match = /^([+-]?)(0[xX]|#|0(?=\d))?([0-9a-fA-F]+)$/.exec(text);
  const radix = match?.[2] === undefined ? 10 : match[2] === '0' ? 8 : 16;
  const digits = match?.[3] ?? '';
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  if (match === null || !valid.test(digits)) {
    throw new CliError(`java.lang.NumberFormatException: For input string: "${text}"`);
  }
  const value = Number.parseInt(digits, radix) * (match[1] === '-' ? -1 : 1);
  if (value < -2147483648 || value > 2147483647) {
    throw new CliError(`java.lang.NumberFormatException: For input string: "${text}"`);
  }
  return value;
}
