// The words of one transcript command: positional words and key=value arguments, read by type.
// Every read is checked, and `done()` refuses arguments nobody read, so a typo in a transcript
// fails with its file and line instead of being silently ignored.
import { ScenarioError } from './transcript.js';

export class CommandArguments {
  private readonly positional: string[] = [];
  private readonly named = new Map<string, string>();
  private readonly read = new Set<string>();
  private positionalRead = 0;

  constructor(
    words: readonly string[],
    readonly where: string,
  ) {
    for (const word of words) {
      const equals = word.indexOf('=');
      if (equals <= 0) {
        this.positional.push(word);
        continue;
      }
      const key = word.slice(0, equals);
      if (this.named.has(key)) this.fail(`argument ${key} given twice`);
      this.named.set(key, word.slice(equals + 1));
    }
  }

  fail(message: string): never {
    throw new ScenarioError(this.where, message);
  }

  /** The next positional word; `what` names it in the error when it is missing. */
  word(what: string): string {
    const word = this.positional[this.positionalRead];
    if (word === undefined) this.fail(`missing ${what}`);
    this.positionalRead++;
    return word;
  }

  optionalWord(): string | undefined {
    const word = this.positional[this.positionalRead];
    if (word !== undefined) this.positionalRead++;
    return word;
  }

  has(key: string): boolean {
    return this.named.has(key);
  }

  private raw(key: string): string | undefined {
    this.read.add(key);
    return this.named.get(key);
  }

  text(key: string, fallback?: string): string {
    const value = this.raw(key) ?? fallback;
    if (value === undefined) this.fail(`missing argument ${key}=`);
    return value;
  }

  /** A non-negative integer, decimal or 0x-hex (zxids are written as ZooKeeper logs them). */
  integer(key: string, fallback?: number): number {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback === undefined) this.fail(`missing argument ${key}=`);
      return fallback;
    }
    return this.parseInteger(key, value);
  }

  integers(key: string, fallback?: number[]): number[] {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback === undefined) this.fail(`missing argument ${key}=`);
      return fallback;
    }
    if (value === '') return [];
    return value.split(',').map((item) => this.parseInteger(key, item));
  }

  bigint(key: string, fallback?: bigint): bigint {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback === undefined) this.fail(`missing argument ${key}=`);
      return fallback;
    }
    if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(value)) this.fail(`${key}=${value} is not a number`);
    return BigInt(value);
  }

  boolean(key: string, fallback?: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback === undefined) this.fail(`missing argument ${key}=`);
      return fallback;
    }
    if (value !== 'true' && value !== 'false') this.fail(`${key}=${value} is not true or false`);
    return value === 'true';
  }

  /** One of `choices`. */
  choice<Choice extends string>(
    key: string,
    choices: readonly Choice[],
    fallback?: Choice,
  ): Choice {
    const value = this.raw(key) ?? fallback;
    if (value === undefined) this.fail(`missing argument ${key}=`);
    if (!(choices as readonly string[]).includes(value)) {
      this.fail(`${key}=${value} is not one of ${choices.join(', ')}`);
    }
    return value as Choice;
  }

  /** Refuses any argument or word that was given but never read. */
  done(): void {
    const unread = [...this.named.keys()].filter((key) => !this.read.has(key));
    const unknown = unread.map((key) => `${key}=`).join(' ');
    if (unread.length > 0) this.fail(`unknown argument ${unknown}`);
    const extra = this.positional.slice(this.positionalRead);
    if (extra.length > 0) this.fail(`unexpected word ${extra.join(' ')}`);
  }

  private parseInteger(key: string, value: string): number {
    const isHex = /^0x[0-9a-f]+$/i.test(value);
    if (!isHex && !/^[0-9]+$/.test(value)) this.fail(`${key}=${value} is not a number`);
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) this.fail(`${key}=${value} is out of range`);
    return parsed;
  }
}
