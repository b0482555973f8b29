// One shell session, as zkCli's ZooKeeperMain runs one: the connection (replaced by `connect`,
// ended by `close`), the numbered history behind `history` and `redo`, the default watcher that
// prints events while `printwatches` is on, and the exit code of the last command.

import { createClient, type Client, type ClientOptions } from '../../client/index.js';
import type { WatchListener } from '../../client/watches.js';
import type { CommandContext, ShellCommand } from './command.js';
import { usageOf } from './command.js';
import { adminCommands } from './commands-admin.js';
import { dataCommands } from './commands-data.js';
import { quotaCommands } from './commands-quota.js';
import { formatWatchedEvent, keeperStateName, promptStateName } from './formatting.js';
import { CliError, decodeJavaInt, parseFlags, splitWords } from './parser.js';

export const shellCommands = new Map<string, ShellCommand>(
  [...dataCommands, ...adminCommands, ...quotaCommands].map((command) => [command.name, command]),
);

/** Commands ZooKeeperMain handles itself, with their option text for the usage list. */
const builtinCommands = new Map<string, string>([
  ['connect', 'host:port'], ['history', ''], ['redo', 'cmdno'], ['printwatches', 'on|off'],
  ['quit', ''],
]);

/** Every command name, sorted as zkCli's usage list and completion sort them. */
export const commandNames: string[] = [...builtinCommands.keys(), ...shellCommands.keys()].sort();

/** Output, line breaks included; `asynchronous` text (watch events) may come while a prompt
 * is shown. */
export interface ShellOutput {
  out: (text: string) => void;
  err: (text: string) => void;
  asynchronous: (text: string) => void;
}

/** History lines `history` lists: the last ten commands and this one. */
const historyShownMax = 10;

export class ShellSession {
  private client: Client | null = null;
  private host = '';
  private readonly history = new Map<number, string>();
  private commandCount = 0;
  private printWatches = true;
  /** The exit code of the last command (`quit` and end of input exit with it). */
  exitCode = 0;
  /** Set by `quit`: the caller stops reading and exits. */
  quitRequested = false;

  constructor(
    private readonly output: ShellOutput,
    private readonly clientOptions: ClientOptions,
  ) {}

  /** The default watcher: zkCli prints `WATCHER::` and the event, each after a blank line. */
  private readonly watcher: WatchListener = (event) => {
    const state = this.client === null ? 'SyncConnected' : keeperStateName(this.client.state);
    this.printEvent(formatWatchedEvent(state || 'SyncConnected', event.type, event.path));
  };

  private printEvent(text: string): void {
    if (this.printWatches) this.output.asynchronous(`\nWATCHER::\n\n${text}\n`);
  }

  get currentClient(): Client | null {
    return this.client;
  }

  /** `[zk: 127.0.0.1:2181(CONNECTED) 3] ` */
  prompt(): string {
    const state = this.client === null ? 'CLOSED' : promptStateName(this.client.state);
    return `[zk: ${this.host}(${state}) ${this.commandCount}] `;
  }

  /** ZooKeeperMain.connectToZK: closes a live connection, then connects without waiting. */
  async connect(connectString: string): Promise<void> {
    if (this.client !== null && !this.client.isFinished) await this.client.close();
    this.host = connectString;
    const client = createClient(connectString, this.clientOptions);
    this.client = client;
    client.on('state', (state) => {
      const name = keeperStateName(state);
      if (name !== '') this.printEvent(formatWatchedEvent(name, 'none', null));
    });
  }

  /** Ends the session; `quietly` (end of input) prints no Closed event, as zkCli exits then
   * without closing. */
  async close(quietly = false): Promise<void> {
    if (quietly) this.printWatches = false;
    if (this.client !== null && !this.client.isFinished) await this.client.close();
  }

  /** A line typed at the prompt: numbered in the history, run, counted. */
  async executeLine(line: string): Promise<void> {
    if (line === '') return;
    this.history.set(this.commandCount, line);
    await this.runCommand(splitWords(line));
    this.commandCount += 1;
  }

  /** ZooKeeperMain.processCmd: runs the words, prints a failure, keeps its exit code. */
  async runCommand(words: string[]): Promise<void> {
    try {
      await this.dispatch(words);
      // zkCli's quit exits with the code of the command before it.
      if (!this.quitRequested) this.exitCode = 0;
    } catch (error) {
      const failure = error instanceof CliError ? error : new CliError(String(error));
      this.exitCode = failure.exitCode;
      this.output.err(`${failure.message}\n`);
    }
  }

  private usage(): void {
    const lines = ['ZooKeeper -server host:port -client-configuration properties-file cmd args'];
    for (const name of commandNames) {
      const command = shellCommands.get(name);
      lines.push(`\t${command === undefined ? `${name} ${builtinCommands.get(name)}`
        : usageOf(command)}`);
    }
    for (const line of lines) this.output.err(`${line}\n`);
  }

  private async dispatch(words: string[]): Promise<void> {
    const name = words[0];
    if (name === undefined) {
      this.usage();
      throw new CliError('No command entered');
    }
    if (!commandNames.includes(name)) {
      this.usage();
      throw new CliError(`Command not found: Command not found ${name}`, 127);
    }
    if (builtinCommands.has(name)) {
      await this.runBuiltin(name, words);
      if (this.quitRequested) return;
    }
    // As in zkCli, every command (a built-in too) ends here when the session is gone.
    const client = this.client;
    if (client === null || client.isFinished) {
      this.output.out('Not connected\n');
      return;
    }
    const command = shellCommands.get(name);
    if (command === undefined) return;
    const parsed = command.unparsed === true
      ? { flags: new Map<string, string>(), args: words }
      : parseFlags(words, command.options, command.group);
    if (parsed.args.length < command.wordsMin) throw new CliError(usageOf(command));
    await command.run(this.context(client), parsed, words);
  }

  private context(client: Client): CommandContext {
    return {
      client,
      out: (line) => this.output.out(`${line}\n`),
      outPartial: (text) => this.output.out(text),
      err: (line) => this.output.err(`${line}\n`),
      watcher: this.watcher,
    };
  }

  private async runBuiltin(name: string, words: string[]): Promise<void> {
    switch (name) {
      case 'quit':
        await this.close();
        this.quitRequested = true;
        return;
      case 'redo':
        if (words.length >= 2) await this.redo(words[1] as string);
        return;
      case 'history':
        for (let index = this.commandCount - historyShownMax; index <= this.commandCount; index++) {
          if (index >= 0) this.output.out(`${index} - ${this.history.get(index) ?? 'null'}\n`);
        }
        return;
      case 'printwatches':
        if (words.length === 1) {
          this.output.out(`printwatches is ${this.printWatches ? 'on' : 'off'}\n`);
        } else {
          this.printWatches = words[1] === 'on';
        }
        return;
      case 'connect':
        await this.connect(words[1] ?? this.host);
        return;
    }
  }

  private async redo(indexText: string): Promise<void> {
    const index = decodeJavaInt(indexText);
    if (this.commandCount <= index || index < 0) {
      throw new CliError('Command index out of range');
    }
    const line = this.history.get(index) ?? '';
    const words = splitWords(line);
    if (words[0] === 'redo') throw new CliError('No redoing redos');
    this.history.set(this.commandCount, line);
    await this.runCommand(words);
  }
}
