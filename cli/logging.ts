// The server's log: pino, writing readable lines (time, level, message, key=value fields) on a
// terminal and one JSON object a line anywhere else (pipes, files, CI), where tools read it. The
// lines are formatted in this process, synchronously, so a fatal line is out before exit.
import type { Command } from 'commander';
import { pino, type DestinationStream, type Logger } from 'pino';
import {
  logFormats,
  logLevels,
  type LogFormatSetting,
  type LogLevel,
} from '../actors/config/logging-keys.js';

export type LogFormat = 'pretty' | 'json';

/** `auto` is pretty on a terminal and JSON elsewhere; an explicit choice is kept. */
export function chooseLogFormat(setting: LogFormatSetting | undefined, isTty: boolean): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return isTty ? 'pretty' : 'json';
}

/** pino's numeric levels, as its JSON lines carry them. */
const levelNames: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every line carries that a reader on a terminal does not need again on each line. */
const omittedFields = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** `HH:MM:SS.mmm` in local time: a terminal reader is watching now, not correlating logs. */
function clockTime(timeMs: number): string {
  const date = new Date(timeMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.` +
    String(date.getMilliseconds()).padStart(3, '0');
}

/** A field's value: bare when it is a word, quoted when it has spaces, JSON when structured. */
function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One pino JSON line as `12:00:00.000 INFO  message key=value …`. A line that is not a JSON
 * object (never from pino) is passed through as it is.
 */
export function formatLogLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(jsonLine);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return jsonLine;
    record = parsed as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const level = typeof record.level === 'number'
    ? (levelNames[record.level] ?? `LEVEL${record.level}`)
    : String(record.level ?? '');
  const time = typeof record.time === 'number' ? clockTime(record.time) : '';
  const fields = Object.entries(record)
    .filter(([key]) => !omittedFields.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  const message = typeof record.msg === 'string' ? record.msg : '';
  return [time, level.padEnd(5), message, ...fields].filter((part) => part !== '').join(' ');
}

/** A pino destination that formats each line before writing it. */
export function prettyDestination(write: (text: string) => void): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line !== '') write(`${formatLogLine(line)}\n`);
      }
    },
  };
}

export interface ServerLoggerOptions {
  level: LogLevel;
  format: LogFormat;
}

/** The server's logger on standard output, in the chosen format. */
export function createServerLogger(options: ServerLoggerOptions): Logger {
  const settings = { level: options.level, base: { pid: process.pid } };
  if (options.format === 'json') return pino(settings);
  return pino(settings, prettyDestination((text) => process.stdout.write(text)));
}

/** `--log-level` and `--log-format`, shared by `corral server` and `corral ensemble`. */
export function addLoggingOptions(command: Command): Command {
  return command
    .option('--log-level <level>', `log level: ${logLevels.join('|')} (zoo.cfg logLevel, info)`)
    .option('--log-format <format>', `log format: ${logFormats.join('|')}; auto is pretty on ` +
      'a terminal, JSON otherwise (zoo.cfg logFormat, auto)');
}
