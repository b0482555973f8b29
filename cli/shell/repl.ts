// `corral shell [CONNECT]`: zkCli.sh's interactive shell over corral's client — a prompt with
// the connection state and command number, Tab completion, a history file kept across runs,
// watch events printed as they arrive — and `-c COMMAND` to run one command for a script.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { complete } from './completion.js';
import { splitWords } from './parser.js';
import { ShellSession, type ShellOutput } from './session.js';

export interface ShellFlags {
  command?: string;
  historyFile?: string;
  timeout: string;
  readOnly?: boolean;
}

/** Lines of the history file loaded at start (readline keeps as many). */
export const historyLinesMax = 1000;

/** zkCli connects to localhost:2181 when told nothing. */
export const defaultConnectString = 'localhost:2181';

export function addShellOptions(command: Command): Command {
  return command
    .argument('[connect]', 'host:port[,host:port…][/chroot] to connect to', defaultConnectString)
    .option('-c, --command <command>', 'run one command, print its output, exit with its code')
    .option('--history-file <file>',
      'where typed commands are kept (default $CORRAL_HISTORY_FILE or ~/.corral_history)')
    .option('--timeout <ms>', 'session timeout requested, as zkCli.sh -timeout', '30000')
    .option('-r, --read-only', 'accept a read-only server, as zkCli.sh -r');
}

/** Runs the shell; resolves with the exit code. */
export async function runShell(connectString: string, flags: ShellFlags): Promise<number> {
  const sessionTimeoutMs = Number(flags.timeout);
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs <= 0) {
    throw new Error(`--timeout must be a positive number of milliseconds, not '${flags.timeout}'`);
  }
  const clientOptions = {
    sessionTimeoutMs,
    requestTimeoutMs: sessionTimeoutMs,
    canBeReadOnly: flags.readOnly === true,
  };
  if (flags.command !== undefined) {
    return runOneCommand(connectString, flags.command, clientOptions);
  }
  const historyFile = flags.historyFile ?? process.env.CORRAL_HISTORY_FILE ??
    join(homedir(), '.corral_history');
  let lineReader: Interface | null = null;
  let busy = false;
  const output: ShellOutput = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    asynchronous: (text) => {
      // An event while the prompt waits: print it above a redrawn prompt, typed text kept.
      if (lineReader === null || busy || !process.stdin.isTTY) {
        process.stdout.write(text);
        return;
      }
      process.stdout.write(`\r\x1b[K${text}`);
      lineReader.setPrompt(session.prompt());
      lineReader.prompt(true);
    },
  };
  const session = new ShellSession(output, clientOptions);
  process.stdout.write(`Connecting to ${connectString}\n`);
  await session.connect(connectString);
  process.stdout.write('Welcome to corral shell!\n');
  lineReader = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY === true,
    history: loadHistory(historyFile),
    historySize: historyLinesMax,
    removeHistoryDuplicates: false,
    completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
      complete(line, session.currentClient).then((result) => callback(null, result),
        () => callback(null, [[], line]));
    },
  });
  // Ctrl-C at the prompt ends the shell (zkCli's line reader gives up on an interrupt).
  lineReader.on('SIGINT', () => lineReader?.close());
  const showPrompt = (): void => {
    if (!process.stdin.isTTY) return;
    lineReader?.setPrompt(session.prompt());
    lineReader?.prompt();
  };
  showPrompt();
  for await (const line of lineReader) {
    busy = true;
    if (line.trim() !== '') appendHistory(historyFile, line);
    await session.executeLine(line);
    busy = false;
    if (session.quitRequested) break;
    showPrompt();
  }
  lineReader.close();
  await session.close(true);
  return session.exitCode;
}

async function runOneCommand(
  connectString: string,
  command: string,
  clientOptions: { sessionTimeoutMs: number; requestTimeoutMs: number; canBeReadOnly: boolean },
): Promise<number> {
  // Only the command's own output: a script reads it without zkCli's connection chatter.
  const output: ShellOutput = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    asynchronous: () => undefined,
  };
  const session = new ShellSession(output, clientOptions);
  await session.connect(connectString);
  try {
    await session.currentClient?.whenConnected(AbortSignal.timeout(clientOptions.requestTimeoutMs));
  } catch {
    await session.close();
    process.stderr.write(`KeeperErrorCode = ConnectionLoss: no server of ${connectString} ` +
      'answered\n');
    return 1;
  }
  await session.runCommand(splitWords(command));
  await session.close(true);
  return session.exitCode;
}

/**
 * The history file's lines, newest first as readline wants them; none if it is unreadable. A
 * file grown past twice the lines kept is cut back to them, so it stays bounded.
 */
function loadHistory(file: string): string[] {
  if (!existsSync(file)) return [];
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
    const kept = lines.slice(-historyLinesMax);
    if (lines.length > 2 * historyLinesMax) writeFileSync(file, `${kept.join('\n')}\n`);
    return kept.reverse();
  } catch {
    return [];
  }
}

function appendHistory(file: string, line: string): void {
  try {
    appendFileSync(file, `${line}\n`, { mode: 0o600 });
  } catch {
    // A history that cannot be written must not stop the shell.
  }
}
